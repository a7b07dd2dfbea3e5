"""Checking and fixing a drawn figure's layout: what a reviewer flags at the printed size.

Everything is measured on the renderer, in display units (pixels at the figure's dpi):

- :func:`text_boxes`: every visible, non-empty text (titles, axis labels, tick labels,
  legend entries, annotations, colour-bar labels) and its extent;
- :func:`marker_points`: every drawn marker (the data points of the axes' lines, not the
  legend's), its centre and its size;
- :func:`layout_problems`: overlapping texts, texts on markers, markers hidden under a
  marker of another series (centres closer than a marker's radius), a legend drawn over a
  curve or a marker of the axes it sits in, and axes with fewer than three labelled ticks; an
  empty list means the figure passes.  Markers that a figure draws on top of each other *by
  design* (trained points converged to one point) are named by the figure in ``coincide``
  groups, never exempted wholesale;
- :func:`place_label`: annotate a point at the first of several offsets whose text touches
  no marker and no other text (the frontier figure's lambda labels).

matplotlib is imported only by the functions that need it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["TextBox", "MarkerPoint", "renderer_of", "text_boxes", "marker_points", "labelled_ticks",
           "legend_covers", "layout_problems", "place_label", "MIN_TICKS"]

#: the fewest labelled ticks an axis may have
MIN_TICKS = 3
#: markers that are error-bar caps or ticks, not data points
CAPS = ("|", "_", 0, 1, 2, 3)


@dataclass(frozen=True)
class TextBox:
    """A visible text: what it says, where it is (x0, y0, x1, y1 in pixels), and what it belongs to."""

    text: str
    box: tuple[float, float, float, float]
    owner: str


@dataclass(frozen=True)
class MarkerPoint:
    """A drawn marker: its centre (pixels), its radius (pixels), its series' label, and whether
    it is open (no face: a smaller marker inside it stays visible)."""

    x: float
    y: float
    radius: float
    series: str
    hollow: bool = False


def renderer_of(fig: Any) -> Any:
    """A renderer with ``fig`` drawn (its constrained layout settled); attaches an Agg canvas
    to a figure made without pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _box(artist: Any, renderer: Any) -> tuple[float, float, float, float]:
    b = artist.get_window_extent(renderer)
    return (float(b.x0), float(b.y0), float(b.x1), float(b.y1))


def _shown(axis: Any) -> list[Any]:
    """The tick labels an axis shows: visible, non-empty, their tick inside the view."""
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for minor in (False, True):
        for tick in axis.get_minor_ticks() if minor else axis.get_major_ticks():
            loc = tick.get_loc()
            if loc is None or not (lo - 1e-12 * abs(lo) <= loc <= hi + 1e-12 * abs(hi)):
                continue
            for lab, on in ((tick.label1, tick.label1.get_visible()), (tick.label2, tick.label2.get_visible())):
                if on and tick.get_visible() and lab.get_text().strip():
                    out.append(lab)
    return out


def labelled_ticks(ax: Any) -> dict[str, int]:
    """How many tick labels each axis of ``ax`` shows (``{'x': k, 'y': k}``; a draw must come first)."""
    return {"x": len(_shown(ax.xaxis)), "y": len(_shown(ax.yaxis))}


def text_boxes(fig: Any, renderer: Any) -> list[TextBox]:
    """Every visible, non-empty text of ``fig`` with its extent."""
    out: list[TextBox] = []

    def add(t: Any, owner: str) -> None:
        if t is not None and t.get_visible() and t.get_text().strip():
            out.append(TextBox(t.get_text(), _box(t, renderer), owner))

    for t in fig.texts:
        add(t, "figure")
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle not in fig.texts:
        add(fig._suptitle, "figure title")
    for k, ax in enumerate(fig.axes):
        name = f"axes {k}"
        for t in (ax.title, ax._left_title, ax._right_title):
            add(t, f"{name} title")
        add(ax.xaxis.label, f"{name} x label")
        add(ax.yaxis.label, f"{name} y label")
        for t in _shown(ax.xaxis):
            add(t, f"{name} x tick")
        for t in _shown(ax.yaxis):
            add(t, f"{name} y tick")
        for t in ax.texts:
            add(t, f"{name} text")
        if ax.get_legend() is not None:
            for t in ax.get_legend().get_texts():
                add(t, f"{name} legend")
    for leg in fig.legends:
        for t in leg.get_texts():
            add(t, "legend")
    return out


def marker_points(fig: Any) -> list[MarkerPoint]:
    """Every marker drawn in the axes of ``fig`` (not the legend's): centre and radius in pixels."""
    out: list[MarkerPoint] = []
    scale = fig.dpi / 72.0
    for ax in fig.axes:
        # an error bar's data line is labelled '_nolegend_': its container holds the label
        owner = {}
        for cont in getattr(ax, "containers", []):
            for part in cont.get_children() if hasattr(cont, "get_children") else []:
                owner[id(part)] = cont.get_label()
        for k, line in enumerate(ax.lines):
            marker = line.get_marker()
            if not line.get_visible() or marker in (None, "None", "none", "", " ") or line.get_markersize() <= 0:
                continue
            if marker in CAPS:  # an error bar's caps: part of the bar, not a data point
                continue
            x, y = line.get_xdata(orig=False), line.get_ydata(orig=False)
            if len(np.atleast_1d(x)) == 0:
                continue
            pts = line.get_transform().transform(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]))
            r = line.get_markersize() * scale / 2
            label = line.get_gid() or owner.get(id(line)) or line.get_label() or f"line {k}"
            if label.startswith("_"):
                label = f"line {k}"
            face = line.get_markerfacecolor()
            hollow = isinstance(face, str) and face.lower() == "none"
            lo, hi = ax.bbox.x0, ax.bbox.x1
            for px, py in pts:
                if np.isfinite(px) and np.isfinite(py) and lo <= px <= hi and ax.bbox.y0 <= py <= ax.bbox.y1:
                    out.append(MarkerPoint(float(px), float(py), float(r), f"{id(line)}:{label}", hollow))
    return out


def _intersect(a: Sequence[float], b: Sequence[float], pad: float = 0.0) -> bool:
    return a[0] < b[2] - pad and b[0] < a[2] - pad and a[1] < b[3] - pad and b[1] < a[3] - pad


def _marker_box(m: MarkerPoint) -> tuple[float, float, float, float]:
    return (m.x - m.radius, m.y - m.radius, m.x + m.radius, m.y + m.radius)


def _series_name(series: str) -> str:
    """A marker's series as :func:`marker_points` names it, without the line's id."""
    return series.split(":", 1)[1]


def _runs(line: Any) -> list[np.ndarray]:
    """The drawn polyline of ``line`` in pixels, split at non-finite points (gaps)."""
    x, y = line.get_xdata(orig=False), line.get_ydata(orig=False)
    xy = np.column_stack([np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))])
    if not len(xy):
        return []
    with np.errstate(all="ignore"):
        pts = line.get_transform().transform(xy)
    ok = np.all(np.isfinite(pts), axis=1)
    out, start = [], None
    for i, good in enumerate([*ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            out.append(pts[start:i])
            start = None
    return out


def legend_covers(fig: Any, renderer: Any, pad: float = 1.0) -> list[str]:
    """A legend drawn over data: for each legend (of an axes, or of the figure), the curves
    (lines with a line style) and markers of every axes whose drawn area its frame covers
    (the frame shrunk by ``pad`` pixels, cut to the axes' box: a legend outside every axes
    covers nothing)."""
    from matplotlib.path import Path as MPath
    from matplotlib.transforms import Bbox
    legends = [(ax.get_legend(), [ax], f"axes {k}") for k, ax in enumerate(fig.axes) if ax.get_legend() is not None]
    legends += [(leg, list(fig.axes), "figure") for leg in fig.legends]
    out = []
    markers = marker_points(fig)
    for leg, axes, where in legends:
        if not leg.get_visible():
            continue
        lb = leg.get_window_extent(renderer)
        for ax in axes:
            x0, y0 = max(lb.x0, ax.bbox.x0) + pad, max(lb.y0, ax.bbox.y0) + pad
            x1, y1 = min(lb.x1, ax.bbox.x1) - pad, min(lb.y1, ax.bbox.y1) - pad
            if x0 >= x1 or y0 >= y1:
                continue
            box = Bbox.from_extents(x0, y0, x1, y1)
            hit = None
            for line in ax.lines:
                if not line.get_visible() or line.get_linestyle() in ("None", "none", "", " "):
                    continue
                if any(len(run) > 1 and MPath(run).intersects_bbox(box, filled=False) for run in _runs(line)):
                    hit = f"the curve {line.get_gid() or line.get_label()!s}"
                    break
            if hit is None:
                inside = [m for m in markers if m.x + m.radius > x0 and m.x - m.radius < x1
                          and m.y + m.radius > y0 and m.y - m.radius < y1
                          and ax.bbox.x0 <= m.x <= ax.bbox.x1 and ax.bbox.y0 <= m.y <= ax.bbox.y1]
                if inside:
                    hit = f"a marker of {_series_name(inside[0].series)!r}"
            if hit is not None:
                out.append(f"the legend of {where} covers {hit} in axes {fig.axes.index(ax)}")
    return out


def layout_problems(fig: Any, *, min_ticks: int = MIN_TICKS, skip_ticks: Iterable[Any] = (),
                    coincide: Iterable[Iterable[str]] = ()) -> list[str]:
    """What a reviewer would flag in ``fig`` as drawn: overlapping texts, texts on markers, a
    marker hidden by one of another series (centres closer than the smaller marker's radius,
    unless the larger is open and at least 1.5 times the size), a legend over a curve or a
    marker (:func:`legend_covers`), an axis with fewer than ``min_ticks`` labelled ticks (axes
    in ``skip_ticks`` and axes whose tick labels are all hidden, e.g. a shared y axis, are not
    counted). Empty when it passes.

    ``coincide``: groups of series names (a line's gid, or its label) whose markers the figure
    draws on top of each other by design, each group stated and justified by the figure that
    draws it (e.g. :data:`proofs.figures.trajectory.COINCIDE`: trained points of several step
    counts, converged, are one point). Two markers may hide each other only when *both* series
    are in one group; every other check is unchanged."""
    if isinstance(coincide, str) or any(isinstance(g, str) for g in coincide):
        raise ValueError(f"coincide: expected groups (sets) of series names, got {coincide!r}")
    groups = [frozenset(g) for g in coincide]
    for g in groups:
        if not g or not all(isinstance(x, str) for x in g):
            raise ValueError(f"coincide: expected groups of series names (strings), got {sorted(g, key=str)!r}")

    def by_design(a: MarkerPoint, b: MarkerPoint) -> bool:
        na, nb = _series_name(a.series), _series_name(b.series)
        return any(na in g and nb in g for g in groups)

    renderer = renderer_of(fig)
    problems: list[str] = []
    texts = text_boxes(fig, renderer)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if _intersect(a.box, b.box, pad=0.5):
                problems.append(f"text {a.text!r} ({a.owner}) overlaps text {b.text!r} ({b.owner})")
    markers = marker_points(fig)
    for t in texts:
        if "tick" in t.owner:
            continue
        for m in markers:
            if _intersect(t.box, _marker_box(m), pad=0.5):
                problems.append(f"text {t.text!r} ({t.owner}) lies on a marker of {m.series.split(':', 1)[1]!r}")
                break
    def nested(a: MarkerPoint, b: MarkerPoint) -> bool:
        """A small marker inside an open one at least 1.5 times its size: both stay visible."""
        big, small = (a, b) if a.radius >= b.radius else (b, a)
        return big.hollow and big.radius >= 1.5 * small.radius

    for i, a in enumerate(markers):
        for b in markers[i + 1:]:
            if a.series != b.series and np.hypot(a.x - b.x, a.y - b.y) < min(a.radius, b.radius) \
                    and not nested(a, b) and not by_design(a, b):
                problems.append(f"a marker of {a.series.split(':', 1)[1]!r} hides one of "
                                f"{b.series.split(':', 1)[1]!r} at pixel ({a.x:.0f}, {a.y:.0f})")
    problems += legend_covers(fig, renderer)
    skip = set(id(ax) for ax in skip_ticks)
    for k, ax in enumerate(fig.axes):
        if id(ax) in skip or not ax.get_visible():
            continue
        for name, count in labelled_ticks(ax).items():
            axis = ax.xaxis if name == "x" else ax.yaxis
            if count == 0 and not axis.get_label().get_text():
                continue  # labels hidden on purpose (a shared axis) or an axis not used (a colour bar's)
            if count < min_ticks:
                problems.append(f"axes {k} ({ax.get_title() or ax.get_label()!s}): the {name} axis has "
                                f"{count} labelled tick{'s' if count != 1 else ''}, fewer than {min_ticks}")
    return problems


#: the offsets (points) tried by :func:`place_label`, with the alignment that goes with each
OFFSETS = (((0, 9), "center", "bottom"), ((0, -9), "center", "top"), ((9, 0), "left", "center"),
           ((-9, 0), "right", "center"), ((8, 8), "left", "bottom"), ((8, -8), "left", "top"),
           ((-8, 8), "right", "bottom"), ((-8, -8), "right", "top"), ((0, 18), "center", "bottom"),
           ((0, -18), "center", "top"))


def place_label(ax: Any, text: str, xy: tuple[float, float], renderer: Any, **kw: Any) -> Any:
    """Annotate ``xy`` (data coordinates) with ``text`` at the first offset of :data:`OFFSETS`
    where it stays inside the axes and touches no marker and no text already drawn; the first
    offset if none does. Returns the annotation (kept out of the constrained layout)."""
    fig = ax.figure
    markers = [_marker_box(m) for m in marker_points(fig)]
    others = [t.box for t in text_boxes(fig, renderer)]
    inside = (ax.bbox.x0, ax.bbox.y0, ax.bbox.x1, ax.bbox.y1)
    first = None
    for off, ha, va in OFFSETS:
        ann = ax.annotate(text, xy, textcoords="offset points", xytext=off, ha=ha, va=va, **kw)
        ann.set_in_layout(False)
        box = _box(ann, renderer)
        ok = (inside[0] <= box[0] and box[2] <= inside[2] and inside[1] <= box[1] and box[3] <= inside[3]
              and not any(_intersect(box, b, pad=-1.0) for b in markers)
              and not any(_intersect(box, b, pad=-1.0) for b in others))
        if ok:
            if first is not None:
                first.remove()
            return ann
        if first is None:
            first = ann
        else:
            ann.remove()
    return first

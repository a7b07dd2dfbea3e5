"""The paper's nine results and eleven beyond it, one module each (see :class:`proofs.paper.result.Result`).

``RESULTS`` lists the module names in the order of DESIGN.md's ``prove`` row;
:func:`all_results` imports them and returns their ``RESULT`` objects.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

MODULES = ("corollary_4_1", "corollary_4_2", "theorem_4_3", "corollary_4_4", "theorem_4_6",
           "proposition_4_7", "corollary_4_8", "theorem_4_9", "proposition_4_10",
           # beyond the paper (DESIGN.md: listed by prove after the nine)
           "tradeoff_value", "query_key_zero_shot", "task_family", "dissimilarity",
           "forgetting_rate", "early_stopping", "query_key_few_shot", "low_rank", "depth_value",
           "depth_layer_choice", "depth_full")


def all_results() -> list:
    """The results, in order: the paper's nine, then the eleven beyond it (imported on first use)."""
    out = []
    for name in MODULES:
        try:
            out.append(import_module(f"proofs.paper.results.{name}").RESULT)
        except ModuleNotFoundError as exc:
            if exc.name != f"proofs.paper.results.{name}":
                raise
    return out


def get(result_id: str):
    """The result with id ``result_id`` (e.g. ``"theorem-4.6"``)."""
    for r in all_results():
        if r.id == result_id:
            return r
    raise ValueError(f"result: expected one of {', '.join(r.id for r in all_results())}, got {result_id!r}")


#: results grouped by the derivations they share, (a), (b) | (c), (d), and balanced between the
#: two processes by their measured cost: task-family (its own family derivation, about as
#: costly as tradeoff-value) runs beside the (a)/(b) results; tradeoff-value and dissimilarity
#: (which reuses the (c)/(d) derivations) beside (c)/(d), and Extension 11 beside Extensions 9 and 10
#: (the depth-2 pretraining limit they all derive)
_GROUPS = (("corollary-4.1", "corollary-4.2", "theorem-4.3", "corollary-4.4", "query-key-zero-shot",
            "task-family", "query-key-few-shot", "low-rank-fine-tuning"),
           ("theorem-4.6", "proposition-4.7", "corollary-4.8", "theorem-4.9", "proposition-4.10",
            "tradeoff-value", "dissimilarity", "forgetting-rate", "early-stopping-vs-auxiliary",
            "depth-full-fine-tuning"))
#: strategies whose results share the derivations of the second group
_LATE_STRATEGIES = ("value", "value-fewshot")


def _late(r) -> bool:
    """Whether ``r`` is checked in the second process: (c)/(d) results, and results beyond the
    paper about those strategies (they share the value-matrix derivations)."""
    return r.id in _GROUPS[1] or (r.id not in _GROUPS[0] and getattr(r, "strategy", "") in _LATE_STRATEGIES)


def _share_before_fork() -> None:
    """Derive, before the fork, the strategies both processes derive: the pretrained point (every
    strategy's start) and (c)/(d) (the second group's, and task-family's in this one), so that
    the child inherits them instead of deriving them again (about 0.2 s of CPU; no wall time:
    this process derives them anyway).  A derivation that raises is left to the checks.
    numpy.random, which both processes' Monte Carlo checks load on first use, is imported here
    once (about 15 ms of CPU in the child otherwise)."""
    import numpy.random  # noqa: F401 - imported for the child to inherit

    from proofs.quantities.derivations import strategy
    for name in ("pretrain",) + _LATE_STRATEGIES:
        try:
            strategy(name)
        except Exception:  # noqa: BLE001 - the checks that need it report it
            pass


def _check_one(r):
    try:
        return r.check()
    except Exception as exc:  # noqa: BLE001 - reported by the caller, like a failed check
        return exc


def check_all(results=None, jobs: int | None = None):
    """Check results, yielding ``(result, verdict)`` in order, on up to ``jobs`` processes.

    The (a)/(b) results and the (c)/(d) results share no derivation, so with ``jobs >= 2``
    (default: 2 where the platform can fork, has 2 CPUs and no threaded library such as JAX is
    loaded) the second group (and any other
    result about strategies (c)/(d)) is checked in a forked child while this process checks
    the rest; each verdict's ``seconds`` is its own check's time.  Falls back to checking in
    order in this process.  A check is never weakened by the split: each result runs its
    own ``check()`` in full, in whichever process.  Where ``check()`` raises (a result's own
    ``check`` never does; a stand-in might), the exception is yielded in place of the verdict.

    The cyclic garbage collector is paused while the checks run, in both processes
    (:func:`collector_paused`): the checks build caches that live as long as they do and little
    cyclic garbage (about 25,000 objects in a whole run), so its collections only rescanned those
    caches: about 0.2 s of CPU in a ``prove`` run, 6% of it (measured by ``gc.callbacks``, the
    collection at exit included, which the console script avoids: :func:`proofs.cli.entry`).
    """
    with collector_paused():
        yield from _check_all(results, jobs)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside, back on after (left off where it was off):
    for work that builds objects living as long as it does and next to no cyclic garbage
    (:func:`check_all`; ``prove``, which also imports the results in it).  What was built inside
    and is still alive is then handed to the oldest generation (``gc.freeze`` then
    ``gc.unfreeze``, where the caller has frozen nothing), as it would have been had it survived
    the collections it skipped: the next young collection does not scan it all at once (about
    0.09 s of CPU after ``prove``), a full collection still finds any cycle in it."""
    import gc
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _check_all(results, jobs: int | None):
    """:func:`check_all`'s work, with the collector paused by it."""
    import multiprocessing as mp
    import os
    results = list(all_results() if results is None else results)
    if jobs is None:
        jobs = 2 if (os.cpu_count() or 1) >= 2 else 1
    import sys
    # a fork of a process running threads (JAX's, once imported) can deadlock the child: check in order then
    can_fork = "fork" in mp.get_all_start_methods() and "jax" not in sys.modules
    late = [r for r in results if _late(r)]
    if jobs < 2 or not can_fork or not late or len(late) == len(results):
        for r in results:
            yield r, _check_one(r)
        return
    _share_before_fork()
    for stream in (sys.stdout, sys.stderr):  # the child must not inherit unwritten output
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            for r in late:
                send.send((r.id, _check_one(r)))
        finally:
            send.close()

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    send.close()
    got: dict = {}
    try:
        for r in results:
            if r in late:
                while r.id not in got:
                    try:
                        rid, verdict = recv.recv()
                    except EOFError:  # the child died: check here instead
                        verdict = _check_one(r)
                        rid = r.id
                    got[rid] = verdict
                yield r, got[r.id]
            else:
                yield r, _check_one(r)
    finally:
        recv.close()
        proc.join(timeout=1)
        if proc.is_alive():
            proc.terminate()

"""Bad input to the numeric layer's validators and entry points: ValueError naming the argument."""
import math

import numpy as np
import pytest

from numeric import validation as v


def test_covariance_accepts_spd_and_symmetrises():
    S = v.check_covariance([[2, 1], [1 + 1e-14, 2]])
    assert S.dtype == np.float64 and np.array_equal(S, S.T)


@pytest.mark.parametrize(
    "Sigma, fragment",
    [
        ([[1, 2], [2, 1]], "eigenvalue -1"),
        ([[1, 0.1], [0, 1]], "non-symmetric"),
        ([[1, 0], [0, np.nan]], "finite"),
        ([1, 2], "vector of length 2"),
        ([[1, 0, 0], [0, 1, 0]], "2x3"),
        ("eye", "string"),
        ([[1j, 0], [0, 1]], "complex"),
        ([[0, 0], [0, 0]], "eigenvalue 0"),
    ],
)
def test_covariance_rejects(Sigma, fragment):
    with pytest.raises(ValueError, match=r"^Sigma: expected a symmetric positive definite") as e:
        v.check_covariance(Sigma)
    assert fragment in str(e.value)


def test_covariance_wrong_size():
    with pytest.raises(ValueError, match="3x3"):
        v.check_covariance(np.eye(2), d=3)


@pytest.mark.parametrize("n", [-1, 1.5, True, np.bool_(False), float("nan"), "3", None, [3], 2 + 0j, float("inf")])
def test_count_rejects(n):
    with pytest.raises(ValueError, match=r"^n: expected an integer >= 0"):
        v.check_count(n, "n")


def test_count_accepts():
    assert v.check_count(3.0, "n") == 3 and isinstance(v.check_count(np.int64(4), "n"), int)
    assert v.check_count(float("inf"), "n", allow_inf=True) == math.inf
    with pytest.raises(ValueError, match="or infinity"):
        v.check_count(-math.inf, "n", allow_inf=True)


@pytest.mark.parametrize("s", [0, -5, 1, 2.5, True, "10"])
def test_samples_rejects(s):
    with pytest.raises(ValueError, match=r"^samples: expected an integer >= 2"):
        v.check_samples(s)


@pytest.mark.parametrize("seed", [1.0, -1, True, "1", None])
def test_seed_rejects(seed):
    with pytest.raises(ValueError, match=r"^seed: expected an integer >= 0 or a numpy.random.Generator"):
        v.check_seed(seed)


def test_seed_accepts():
    g = np.random.default_rng(0)
    assert v.check_seed(g) is g and v.check_seed(np.int32(3)) == 3


@pytest.mark.parametrize("s2", [-0.1, float("nan"), float("inf"), "0.1", True, [0.1]])
def test_sigma2_rejects(s2):
    with pytest.raises(ValueError, match=r"^sigma2: expected a finite real number >= 0"):
        v.check_sigma2(s2)


def test_vector():
    assert v.check_vector([[1], [2]], "theta", 2).shape == (2,)
    for bad in ([1, 2, 3], [[1, 2], [3, 4]], [], [1, np.inf]):
        with pytest.raises(ValueError, match=r"^theta: expected a real vector"):
            v.check_vector(bad, "theta", 2)


def test_params():
    V, Q = v.check_params(np.eye(4), np.zeros((4, 4)), 2)
    assert V.shape == Q.shape == (4, 4)
    with pytest.raises(ValueError, match=r"^Q: expected a real 4x4 matrix"):
        v.check_params(np.eye(4), np.zeros((3, 3)), 2)
    with pytest.raises(ValueError, match=r"^V: expected a real 4x4 matrix"):
        v.check_params(np.eye(5), np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match=r"^V: .*d >= 1"):
        v.check_params(np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match=r"^Q: .*finite"):
        v.check_params(np.eye(3), np.full((3, 3), np.nan))


def test_prompts():
    with pytest.raises(ValueError, match=r"^Z: expected"):
        v.check_prompts(np.zeros((2, 5)))
    assert v.check_prompts(np.zeros((7, 4, 3)), d=2).shape == (7, 4, 3)

"""gearbox.sum: a series from one formula on every backend, against references
computed here in 40-digit decimal arithmetic."""

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import pytest

import gearbox
from conftest import BACKENDS, need_backend

getcontext().prec = 40


def ulps(value, exact):
    """Error of `value` in ulps of the exact value (a Decimal or a Fraction)."""
    if isinstance(exact, Fraction):
        exact = Decimal(exact.numerator) / Decimal(exact.denominator)
    return float(abs(Decimal(value) - exact)) / math.ulp(float(exact))


def log_power(n, p):
    """Σ log(k)/k**p for k = 1..n."""
    return sum((Decimal(k).ln() / Decimal(k) ** Decimal(p) for k in range(1, n + 1)), Decimal(0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_three_series_within_two_ulps_of_their_references(backend):
    need_backend(backend)
    # 1. log(k)/k**p with a named constant.
    r = gearbox.sum("log(k)/k**p", n=3000, p=2.5, backend=backend)
    assert ulps(r.value, log_power(3000, 2.5)) <= 2, r
    # 2. A telescoping sum from another first index: Σ 1/(k(k+1)) = 1/start − 1/(n+1).
    start, n = 10, 10**6
    r = gearbox.sum("1/(k*(k+1))", n=n, start=start, backend=backend)
    assert ulps(r.value, Fraction(1, start) - Fraction(1, n + 1)) <= 2, r
    # 3. A geometric series in a constant, with where(): Σ_{k=0}^{n} r^k over even k only.
    q, n = 0.999, 20000
    r = gearbox.sum("where(k - 2*floor(k/2) == 0, q**k, 0)", n=n, start=0, q=q, backend=backend)
    q2 = Decimal(q) ** 2
    exact = (1 - q2 ** (n // 2 + 1)) / (1 - q2)
    assert ulps(r.value, exact) <= 2, r


def test_exact_is_reported_with_the_error_and_the_basel_plugin_agrees():
    basel = gearbox.run("basel", n=10**6, backend="serial")
    r = gearbox.sum("1/k**2", n=10**6, exact=basel.exact, backend="serial")
    assert r.exact == basel.exact
    assert r.error_ulps is not None and r.error_ulps <= 1
    assert r.workload == "series" and r.params["term"] == "1/k**2"


def test_a_new_constant_value_gives_a_new_sum_and_threads_do_not_change_bits():
    a = gearbox.sum("1/k**p", n=10**5, p=2.0, backend="rayon", threads=1)
    b = gearbox.sum("1/k**p", n=10**5, p=2.0, backend="rayon", threads=2)
    c = gearbox.sum("1/k**p", n=10**5, p=3.0, backend="rayon", threads=2)
    assert a.value == b.value
    assert c.value < a.value


def test_errors_are_one_line_with_the_column():
    with pytest.raises(ValueError, match=r"unknown function 'sn' at column 3; did you mean sin\?"):
        gearbox.sum("1+sn(k)", n=10)
    with pytest.raises(ValueError, match=r"unknown name 'q' at column 4"):
        gearbox.sum("k**q", n=10, p=2)
    with pytest.raises(TypeError, match="must be a number"):
        gearbox.sum("k**p", n=10, p="two")
    with pytest.raises(ValueError, match="past the last index"):
        gearbox.sum("k", n=10, start=11)

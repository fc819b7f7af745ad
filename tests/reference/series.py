#!/usr/bin/env python3
"""High-precision reference values of the series workloads, independent of gearbox.

usage: tests/reference/series.py [basel|trig|kempner ...]

Prints, for each N, the exact partial sum to 30 digits, the double nearest to it
(the correctly rounded result a kernel must return) and how far the exact sum lies
from the midpoint between that double and its neighbour, in ulps (0.5 = on a
double; 0 = on a midpoint, the hardest case). tests/tests/{basel,trig,kempner}.rs
hold these doubles.

- basel   S(N) = pi^2/6 - psi_1(N + 1)                        (mpmath, 50 digits)
- trig    T(N) = Re[-log(1 - z) - z^(N+1) Phi(z, 1, N + 1)], z = e^i
                 (Lerch's transcendent, mpmath, 50 digits)
- kempner K(N) = sum of 1/k over k <= N without the digit 9, N a power of ten:
                 integer fixed-point arithmetic (scale 10^80); k < 10^6 summed
                 directly, every larger k = B + s (B = P * 10^4, s < 10^4) by
                 sum_s 1/(B + s) = sum_j (-1)^j M_j / B^(j+1), M_j = sum_s s^j.
"""
import sys
from fractions import Fraction

import mpmath

mpmath.mp.dps = 50

NS = [1, 10, 10**3, 10**6, 10**8, 10**9, 10**10, 10**12]


def basel(n):
    return mpmath.pi ** 2 / 6 - mpmath.psi(1, n + 1)


def trig(n):
    z = mpmath.expj(1)
    return mpmath.re(-mpmath.log(1 - z) - z ** (n + 1) * mpmath.lerchphi(z, 1, n + 1))


SCALE = 10 ** 80
BLOCK = 10 ** 4


def no_nine(k):
    return "9" not in str(k)


def kempner(n):
    """K(n) * SCALE, for n = 1, 10 or a power of ten (n itself has no 9)."""
    direct = min(n, 10 ** 6 - 1)
    total = sum(SCALE // k for k in range(1, direct + 1) if no_nine(k))
    if n <= direct:
        return Fraction(total, SCALE)
    blocks = [s for s in range(BLOCK) if no_nine(s)]
    moments = [sum(s ** j for s in blocks) for j in range(40)]
    # Prefixes P of k = P * 10^4 + s with 10^6 <= k < n: 100 <= P < n / 10^4.
    for p in range(100, n // BLOCK):
        if not no_nine(p):
            continue
        b = p * BLOCK
        # |term j| <= 10^4 (10^4 / b)^j / b: stop below 10^-90 of the scale.
        power, j, part = b, 0, 0
        while True:
            term = moments[j] * SCALE // power
            if term == 0:
                break
            part += -term if j % 2 else term
            power *= b
            j += 1
        total += part
    total += SCALE // n
    return Fraction(total, SCALE)


def describe(name, n, exact):
    x = mpmath.mpf(exact.numerator) / exact.denominator if isinstance(exact, Fraction) else exact
    # float() of a Fraction and of a decimal string both round to nearest.
    nearest = float(exact) if isinstance(exact, Fraction) else float(mpmath.nstr(x, 40))
    ulp = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(abs(nearest), 2)) - 52)
    offset = abs(x - mpmath.mpf(nearest)) / ulp
    print(f"{name:8} N = {n:<14} exact {mpmath.nstr(x, 30):<34} nearest double {nearest!r:<22} "
          f"midpoint distance {float(0.5 - offset):.4f} ulp")


def check_against_direct_sums():
    """The closed forms and the block expansion against plain sums where those are cheap."""
    for n in [1, 10, 1000]:
        assert abs(basel(n) - mpmath.fsum(mpmath.mpf(1) / k ** 2 for k in range(1, n + 1))) < 1e-45
        assert abs(trig(n) - mpmath.fsum(mpmath.cos(k) / k for k in range(1, n + 1))) < 1e-45
    # K(10^7) summed term by term in the same fixed point (truncation: one unit per term).
    direct = sum(SCALE // k for k in range(1, 10 ** 7 + 1) if no_nine(k))
    assert abs(kempner(10 ** 7) - Fraction(direct, SCALE)) < Fraction(10 ** 8, SCALE)


def main():
    which = sys.argv[1:] or ["basel", "trig", "kempner"]
    check_against_direct_sums()
    for name in which:
        for n in NS:
            if name == "kempner" and n > 10 ** 10:
                continue
            exact = {"basel": basel, "trig": trig, "kempner": kempner}[name](n)
            describe(name, n, exact)


if __name__ == "__main__":
    main()

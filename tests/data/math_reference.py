#!/usr/bin/env python3
"""Writes math_reference.csv: exact values, from mpmath at 300 bits, of every
function of gearbox_core::math (and of Dd's exp, ln, powi, sin, cos) at a few
thousand reproducible points, as double-double pairs hi,lo (lo = value − hi
rounded). The Rust tests check their double-double references against it.

Usage: python3 -m pip install mpmath && python3 tests/data/math_reference.py
"""

import math
import random
from pathlib import Path

from mpmath import mp, mpf

mp.prec = 300
PER_FUNCTION = 100


def log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def cbrt(x):
    # mpmath's cbrt is the principal complex root for x < 0; C's is real.
    return mp.sign(x) * mp.cbrt(abs(x))


# name: (mpmath function, arity, input generator)
def unary(lo, hi, signed=True, shift=0.0):
    def draw(rng):
        v = shift + min(log_uniform(rng, lo, hi), hi)
        return (v if not signed or rng.random() < 0.5 else -v), 0.0
    return draw


FUNCTIONS = {
    "exp": (mp.exp, unary(1e-20, 700.0)),
    "exp2": (lambda x: mpf(2) ** x, unary(1e-20, 1000.0)),
    "expm1": (mp.expm1, unary(1e-20, 700.0)),
    "log": (mp.log, unary(1e-300, 1e300, signed=False)),
    "log2": (lambda x: mp.log(x, 2), unary(1e-300, 1e300, signed=False)),
    "log10": (mp.log10, unary(1e-300, 1e300, signed=False)),
    "log1p": (mp.log1p, unary(1e-20, 0.99)),
    "pow": (lambda x, y: mpf(x) ** y, None),
    "cbrt": (cbrt, unary(1e-300, 1e300)),
    "hypot": (lambda x, y: mp.sqrt(mpf(x) ** 2 + mpf(y) ** 2), None),
    "tan": (mp.tan, unary(1e-20, 1e12)),
    "asin": (mp.asin, unary(1e-20, 1.0)),
    "acos": (mp.acos, unary(1e-20, 1.0)),
    "atan": (mp.atan, unary(1e-20, 1e20)),
    "atan2": (mp.atan2, None),
    "sinh": (mp.sinh, unary(1e-20, 700.0)),
    "cosh": (mp.cosh, unary(1e-20, 700.0)),
    "tanh": (mp.tanh, unary(1e-20, 20.0)),
    "asinh": (mp.asinh, unary(1e-20, 1e300)),
    "acosh": (mp.acosh, unary(1e-17, 1e300, signed=False, shift=1.0)),
    "atanh": (mp.atanh, unary(1e-20, 0.999)),
    "erf": (mp.erf, unary(1e-20, 6.0)),
    "erfc": (mp.erfc, unary(1e-20, 27.0)),
    # Dd's own functions, at double-double arguments with lo = 0.
    "dd_exp": (mp.exp, unary(1e-20, 700.0)),
    "dd_ln": (mp.log, unary(1e-300, 1e300, signed=False)),
    "dd_powi": (lambda x, n: mpf(x) ** int(n), None),
    "dd_sin": (mp.sin, unary(1e-20, 1e12)),
    "dd_cos": (mp.cos, unary(1e-20, 1e12)),
}


def draw_pair(name, rng):
    if name == "pow":
        x = log_uniform(rng, 1e-10, 1e10)
        y = rng.uniform(-700.0, 700.0) / max(abs(math.log(x)), 1e-3)
        return x, y
    if name == "dd_powi":
        return log_uniform(rng, 0.5, 2.0), float(rng.randint(-60, 60))
    x = rng.choice([-1, 1]) * log_uniform(rng, 1e-200, 1e200)
    y = x * rng.choice([-1, 1]) * log_uniform(rng, 1e-10, 1e10)
    return x, y


def main():
    rng = random.Random(20261125)
    lines = ["# function,x,y,hi,lo  (value = hi + lo; written by math_reference.py)"]
    for name, (f, draw) in FUNCTIONS.items():
        for _ in range(PER_FUNCTION):
            x, y = draw(rng) if draw else draw_pair(name, rng)
            v = f(mpf(x), mpf(y)) if draw is None else f(mpf(x))
            if not isinstance(v, type(mpf(0))):
                raise SystemExit(f"{name}({x!r}, {y!r}) = {v}")
            hi = float(v)
            lo = float(v - mpf(hi))
            lines.append(f"{name},{x!r},{y!r},{hi!r},{lo!r}")
    out = Path(__file__).with_name("math_reference.csv")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} values to {out}")


if __name__ == "__main__":
    main()

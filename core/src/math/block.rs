//! [`Block`]: a term or a map evaluated for [`WIDTH`] values at once, so that
//! what an author writes vectorises whatever the compiler inlines.
//!
//! A closure over an `f64` runs one scalar call per value when the compiler
//! does not inline it (a term calling `log` and `pow` is too large to be), and
//! runs at the instruction set of the plugin's own build. A closure over a
//! [`Block`] is called once per block instead, and every function and
//! operator it applies runs one loop over the block's lanes, compiled for each
//! CPU level ([`crate::dispatch`]) inside gearbox-core: the math functions of
//! [`crate::math`] take a `Block` as they take an `f64` ([`Real`]), and
//! `+ - * /` mix blocks and `f64` values. [`crate::sum::sum_terms`] and
//! [`map_blocks`] (grid maps) hand closures blocks.

use std::ops::{Add, Div, Mul, Neg, Sub};

use super::scalar;

/// Lanes per block: 1 KiB, so a few blocks of temporaries stay in L1.
pub const WIDTH: usize = 128;

/// [`WIDTH`] values, one per lane: the argument and the value of a term or map
/// evaluated a block at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Block(pub [f64; WIDTH]);

impl Block {
    /// Every lane `x`.
    pub fn splat(x: f64) -> Block {
        Block([x; WIDTH])
    }

    /// `start`, `start + 1`, … `start + WIDTH − 1` (exact below 2⁵³).
    pub fn counting_from(start: f64) -> Block {
        let mut b = Block::splat(start);
        for (i, x) in b.0.iter_mut().enumerate() {
            *x += i as f64;
        }
        b
    }

    /// √x of each lane (correctly rounded).
    pub fn sqrt(self) -> Block {
        self.map(f64::sqrt)
    }

    /// |x| of each lane.
    pub fn abs(self) -> Block {
        self.map(f64::abs)
    }

    /// `self · a + b` of each lane, rounded once.
    pub fn mul_add(self, a: impl Into<Block>, b: impl Into<Block>) -> Block {
        crate::dispatched! {
            fn lanes(x: &[f64; WIDTH], a: &[f64; WIDTH], b: &[f64; WIDTH], out: &mut [f64; WIDTH]) {
                for i in 0..WIDTH {
                    out[i] = x[i].mul_add(a[i], b[i]);
                }
            }
        }
        let mut out = Block::splat(0.0);
        lanes(&self.0, &a.into().0, &b.into().0, &mut out.0);
        out
    }

    /// `f` of each lane, in the caller's build (for cheap `f`: sqrt, abs).
    #[inline(always)]
    fn map(mut self, f: impl Fn(f64) -> f64) -> Block {
        for x in &mut self.0 {
            *x = f(*x);
        }
        self
    }
}

impl From<f64> for Block {
    /// Every lane `x`.
    fn from(x: f64) -> Block {
        Block::splat(x)
    }
}

/// `impl $op<Block> for Block` (and with an `f64` on either side), each a loop
/// compiled for each CPU level.
macro_rules! operator {
    ($op:ident, $method:ident, $sym:tt) => {
        impl $op for Block {
            type Output = Block;
            fn $method(self, other: Block) -> Block {
                crate::dispatched! {
                    fn lanes(a: &[f64; WIDTH], b: &[f64; WIDTH], out: &mut [f64; WIDTH]) {
                        for i in 0..WIDTH {
                            out[i] = a[i] $sym b[i];
                        }
                    }
                }
                let mut out = Block::splat(0.0);
                lanes(&self.0, &other.0, &mut out.0);
                out
            }
        }
        impl $op<f64> for Block {
            type Output = Block;
            fn $method(self, other: f64) -> Block {
                self $sym Block::splat(other)
            }
        }
        impl $op<Block> for f64 {
            type Output = Block;
            fn $method(self, other: Block) -> Block {
                Block::splat(self) $sym other
            }
        }
    };
}

operator!(Add, add, +);
operator!(Sub, sub, -);
operator!(Mul, mul, *);
operator!(Div, div, /);

impl Neg for Block {
    type Output = Block;
    fn neg(self) -> Block {
        self.map(|x| -x)
    }
}

mod sealed {
    /// Only `f64` and `Block` are [`super::Real`].
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for super::Block {}
}

/// The math functions of one value and of a block: for each, `Real` has a
/// method, the function of [`crate::math`] calls it, the `f64` form is the
/// scalar function (inlined) and the `Block` form one loop over the lanes
/// compiled for each CPU level.
macro_rules! functions {
    (unary: $($f:ident)*; binary: $($g:ident($a:ident, $b:ident))*) => {
        /// A value the math functions take: an `f64`, or a [`Block`] (each lane).
        pub trait Real: Copy + sealed::Sealed {
            $(
                #[doc = concat!("`", stringify!($f), "` of the value or of each lane.")]
                fn $f(self) -> Self;
            )*
            $(
                #[doc = concat!("`", stringify!($g), "(", stringify!($a), ", ", stringify!($b), ")` of the values or of each pair of lanes.")]
                fn $g(self, $b: Self) -> Self;
            )*
        }

        impl Real for f64 {
            $(
                #[inline(always)]
                fn $f(self) -> f64 {
                    scalar::$f(self)
                }
            )*
            $(
                #[inline(always)]
                fn $g(self, $b: f64) -> f64 {
                    scalar::$g(self, $b)
                }
            )*
        }

        impl Real for Block {
            $(
                fn $f(self) -> Block {
                    crate::dispatched! {
                        fn lanes(x: &[f64; WIDTH], out: &mut [f64; WIDTH]) {
                            for i in 0..WIDTH {
                                out[i] = scalar::$f(x[i]);
                            }
                        }
                    }
                    let mut out = Block::splat(0.0);
                    lanes(&self.0, &mut out.0);
                    out
                }
            )*
            $(
                fn $g(self, $b: Block) -> Block {
                    crate::dispatched! {
                        fn lanes(x: &[f64; WIDTH], y: &[f64; WIDTH], out: &mut [f64; WIDTH]) {
                            for i in 0..WIDTH {
                                out[i] = scalar::$g(x[i], y[i]);
                            }
                        }
                    }
                    let mut out = Block::splat(0.0);
                    lanes(&self.0, &$b.0, &mut out.0);
                    out
                }
            )*
        }

        $(
            #[doc = concat!("`", stringify!($f), "` of an `f64`, or of each lane of a [`Block`]: [`scalar::", stringify!($f), "`] says how accurate.")]
            #[inline(always)]
            pub fn $f<T: Real>(x: T) -> T {
                Real::$f(x)
            }
        )*
        $(
            #[doc = concat!("`", stringify!($g), "(", stringify!($a), ", ", stringify!($b), ")` of `f64` values, or of each pair of lanes of [`Block`]s (`", stringify!($b), "` may be an `f64` with a block `", stringify!($a), "`): [`scalar::", stringify!($g), "`] says how accurate.")]
            #[inline(always)]
            pub fn $g<T: Real, U: Into<T>>($a: T, $b: U) -> T {
                Real::$g($a, $b.into())
            }
        )*
    };
}

functions! {
    unary: exp exp2 expm1 log log2 log10 log1p cbrt sin cos tan asin acos atan
        sinh cosh tanh asinh acosh atanh erf erfc sind cosd radians degrees;
    binary: pow(x, y) atan2(y, x) hypot(x, y)
}

/// A grid map over blocks: `f` gets [`Block`]s of the `N` inputs at the same
/// elements and returns the `M` outputs there, a block at a time (a ragged last
/// block is padded with its last element, whose values are then dropped).
/// Every slice has the same length.
pub fn map_blocks<const N: usize, const M: usize>(
    inputs: [&[f64]; N],
    outputs: [&mut [f64]; M],
    f: impl Fn([Block; N]) -> [Block; M],
) {
    let len = outputs.first().map_or(0, |o| o.len());
    assert!(
        inputs.iter().all(|i| i.len() == len) && outputs.iter().all(|o| o.len() == len),
        "map_blocks: every slice has the same length"
    );
    let mut outputs = outputs;
    for start in (0..len).step_by(WIDTH) {
        let n = (len - start).min(WIDTH);
        let blocks = inputs.map(|input| {
            let part = &input[start..start + n];
            let mut b = Block::splat(part[n - 1]);
            b.0[..n].copy_from_slice(part);
            b
        });
        for (out, value) in outputs.iter_mut().zip(f(blocks)) {
            out[start..start + n].copy_from_slice(&value.0[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_functions_give_the_scalar_bits_in_every_lane() {
        let x = Block::counting_from(-40.0) * 0.37;
        let got = log(x.abs() + 1.0) / pow(x * x + 2.0, 1.25) + atan2(x, 3.0) - sind(x);
        for (i, &g) in got.0.iter().enumerate() {
            let x = (-40.0 + i as f64) * 0.37;
            let want = scalar::log(x.abs() + 1.0) / scalar::pow(x * x + 2.0, 1.25)
                + scalar::atan2(x, 3.0)
                - scalar::sind(x);
            assert_eq!(g.to_bits(), want.to_bits(), "lane {i}: x = {x}");
        }
        assert_eq!(2.0 - Block::splat(0.5), Block::splat(1.5));
        assert_eq!((-Block::splat(2.0)).mul_add(3.0, 1.0), Block::splat(-5.0));
    }

    #[test]
    fn map_blocks_covers_ragged_lengths() {
        for len in [0, 1, WIDTH - 1, WIDTH, 3 * WIDTH + 5] {
            let a: Vec<f64> = (0..len).map(|i| i as f64).collect();
            let b: Vec<f64> = (0..len).map(|i| 0.5 * i as f64).collect();
            let (mut sum, mut root) = (vec![0.0; len], vec![0.0; len]);
            map_blocks([&a, &b], [&mut sum, &mut root], |[a, b]| [a + b, a.sqrt()]);
            for i in 0..len {
                assert_eq!(sum[i], 1.5 * i as f64);
                assert_eq!(root[i], (i as f64).sqrt());
            }
        }
    }
}

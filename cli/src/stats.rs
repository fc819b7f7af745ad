//! Summary statistics of repeated timings.

/// Minimum, median and maximum of a set of timings, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    /// Fastest run.
    pub min: f64,
    /// Median run (mean of the middle two for an even count).
    pub median: f64,
    /// Slowest run.
    pub max: f64,
}

impl Summary {
    /// Summarises `samples` (at least one).
    pub fn of(samples: &[f64]) -> Summary {
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let mid = s.len() / 2;
        let median = if s.len() % 2 == 1 {
            s[mid]
        } else {
            (s[mid - 1] + s[mid]) / 2.0
        };
        Summary {
            min: s[0],
            median,
            max: s[s.len() - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(Summary::of(&[3.0, 1.0, 2.0]).median, 2.0);
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        let s = Summary::of(&[5.0]);
        assert_eq!((s.min, s.max), (5.0, 5.0));
    }
}

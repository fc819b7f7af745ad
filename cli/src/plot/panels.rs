//! What a figure shows, worked out from a study before anything is drawn: its
//! panels, their series of points with min–max bars, and their axes.

use std::ops::Range;

use gearbox_core::ParamKind;

use super::ticks::{nice_step, one_two_five, powers_of_two, pretty, snap_down};
use super::{Sample, Study};

/// A series of points with min–max bars: `(x, min, middle, max)`.
pub(super) struct Series {
    /// Legend text.
    pub(super) label: String,
    /// The points, in the order drawn.
    pub(super) points: Vec<(f64, f64, f64, f64)>,
    /// Join the points (numeric x) or not (categories).
    pub(super) joined: bool,
}

/// An axis: its range, where its ticks go and how they read.
pub(super) struct Axis {
    /// What it measures, with the unit.
    pub(super) desc: String,
    /// Values from one end to the other.
    pub(super) range: Range<f64>,
    /// Logarithmic (or linear).
    pub(super) log: bool,
    /// Where the ticks and grid lines go.
    pub(super) ticks: Vec<f64>,
    /// A tick's text.
    pub(super) label: Box<dyn Fn(f64) -> String>,
}

/// One panel of a figure.
pub(super) struct Panel {
    /// Heading above the panel.
    pub(super) caption: String,
    /// Horizontal axis.
    pub(super) x: Axis,
    /// Vertical axis.
    pub(super) y: Axis,
    /// What is plotted.
    pub(super) series: Vec<Series>,
    /// The ideal speed-up line, from its first to its last point.
    pub(super) ideal: Option<[(f64, f64); 2]>,
}

/// The panels `study` calls for: speed-up against threads when several thread
/// counts were measured, and runtime against the first swept parameter (or,
/// with none, against threads).
pub(super) fn panels(study: &Study<'_>) -> Vec<Panel> {
    let mut threads: Vec<u32> = study.samples.iter().map(|p| p.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut panels = Vec::new();
    if threads.len() > 1 {
        panels.push(speedup_panel(study, &threads));
    }
    panels.push(match study.swept.first() {
        Some(name) => runtime_panel(study, name),
        None => runtime_by_threads_panel(study, &threads),
    });
    panels
}

/// Speed-up against threads, one series per parameter set, with the ideal line.
fn speedup_panel(study: &Study<'_>, threads: &[u32]) -> Panel {
    let fewest = threads[0];
    let mut series: Vec<Series> = Vec::new();
    for p in &study.samples {
        let label = swept_label(study, p.params, None);
        // The same base time over this point's fastest and slowest runs.
        let base = p.speedup * p.seconds.median;
        let point = (
            f64::from(p.threads),
            base / p.seconds.max,
            p.speedup,
            base / p.seconds.min,
        );
        add_point(&mut series, label, point, true);
    }
    let (bottom, _) = min_max(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.3))
        .fold(f64::from(*threads.last().expect("threads")), f64::max);
    let x = thread_axis(threads);
    let log = x.log;
    let y = if log {
        let bottom = bottom.min(1.0) / 1.25;
        Axis {
            desc: format!("speed-up over {fewest} thread{} (×)", plural(fewest)),
            range: bottom..top * 1.6,
            log: true,
            ticks: powers_of_two(bottom, top * 1.6),
            label: Box::new(|v| format!("{v}")),
        }
    } else {
        let step = nice_step(top / 6.0).max(0.5);
        Axis {
            desc: format!("speed-up over {fewest} thread{} (×)", plural(fewest)),
            range: 0.0..top * 1.35,
            log: false,
            ticks: (0..=((top * 1.35) / step) as u32)
                .map(|k| f64::from(k) * step)
                .collect(),
            label: Box::new(|v| format!("{v}")),
        }
    };
    let first = f64::from(fewest);
    let last = f64::from(*threads.last().expect("threads"));
    Panel {
        caption: "Speed-up".into(),
        x,
        y,
        series,
        ideal: Some([(first, 1.0), (last, last / first)]),
    }
}

/// Runtime against swept parameter `name`: numeric values on a log axis, text
/// values as categories; one series per thread count (and other swept values).
fn runtime_panel(study: &Study<'_>, name: &str) -> Panel {
    let spec = study.params.iter().find(|p| p.name == name);
    let value = |p: &Sample<'_>| {
        p.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut values: Vec<String> = Vec::new();
    for p in &study.samples {
        if !values.contains(&value(p)) {
            values.push(value(p));
        }
    }
    let numbers: Option<Vec<f64>> = match spec.map(|s| s.kind) {
        Some(ParamKind::Text) | None => None,
        Some(_) => values.iter().map(|v| numeric(v)).collect(),
    }
    .filter(|n: &Vec<f64>| n.iter().all(|&x| x > 0.0));
    let position = |v: &str| match &numbers {
        Some(n) => n[values.iter().position(|x| x == v).expect("listed")],
        None => values.iter().position(|x| x == v).expect("listed") as f64,
    };
    let mut series: Vec<Series> = Vec::new();
    for p in &study.samples {
        let label = swept_label(study, p.params, Some((name, p.threads)));
        let point = (
            position(&value(p)),
            p.seconds.min,
            p.seconds.median,
            p.seconds.max,
        );
        add_point(&mut series, label, point, numbers.is_some());
    }
    let desc = match spec {
        Some(spec) => format!("{name}: {}", spec.help),
        None => name.to_string(),
    };
    let x = match numbers {
        Some(n) => {
            let (lo, hi) = min_max(n.iter().copied());
            let mut ticks = n.clone();
            ticks.sort_by(f64::total_cmp);
            Axis {
                desc,
                range: lo / 1.6..hi * 1.6,
                log: true,
                ticks,
                label: Box::new(pretty),
            }
        }
        None => Axis {
            desc,
            range: -0.5..values.len() as f64 - 0.5,
            log: false,
            ticks: (0..values.len()).map(|i| i as f64).collect(),
            label: Box::new(move |v| {
                values
                    .get(v.round().max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default()
            }),
        },
    };
    Panel {
        caption: format!("Runtime against {name}"),
        x,
        y: seconds_axis(&series),
        series,
        ideal: None,
    }
}

/// Runtime against threads, for a study that sweeps no parameter.
fn runtime_by_threads_panel(study: &Study<'_>, threads: &[u32]) -> Panel {
    let series = vec![Series {
        label: study.workload.to_string(),
        points: study
            .samples
            .iter()
            .map(|p| {
                (
                    f64::from(p.threads),
                    p.seconds.min,
                    p.seconds.median,
                    p.seconds.max,
                )
            })
            .collect(),
        joined: true,
    }];
    Panel {
        caption: "Runtime against threads".into(),
        x: thread_axis(threads),
        y: seconds_axis(&series),
        series,
        ideal: None,
    }
}

/// Adds `point` to the series called `label`, started (`joined` or not) if new.
fn add_point(series: &mut Vec<Series>, label: String, point: (f64, f64, f64, f64), joined: bool) {
    match series.iter_mut().find(|s| s.label == label) {
        Some(s) => s.points.push(point),
        None => series.push(Series {
            label,
            points: vec![point],
            joined,
        }),
    }
}

/// Threads: ticks at the counts measured, on a log₂ axis when they span a factor 8.
fn thread_axis(threads: &[u32]) -> Axis {
    let (lo, hi) = (
        f64::from(threads[0]),
        f64::from(*threads.last().expect("threads")),
    );
    let log = hi / lo >= 8.0;
    Axis {
        desc: "threads".into(),
        range: if log {
            lo / 1.4..hi * 1.4
        } else {
            (lo - 0.5).max(0.0)..hi + 0.5
        },
        log,
        ticks: threads.iter().map(|&t| f64::from(t)).collect(),
        label: Box::new(|v| format!("{v:.0}")),
    }
}

/// Runtime in seconds on a log axis, ticks in 1-2-5 steps over the data's range.
fn seconds_axis(series: &[Series]) -> Axis {
    let (lo, _) = min_max(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let (_, hi) = min_max(series.iter().flat_map(|s| s.points.iter().map(|p| p.3)));
    // From a tick below the data, with room above it for the legend.
    let range = snap_down(lo / 1.1)..hi * 4.0;
    Axis {
        desc: "runtime (s)".into(),
        ticks: one_two_five(range.start, range.end),
        range,
        log: true,
        label: Box::new(|v| format!("{v}")),
    }
}

/// "n = 1e8, 2 threads": the swept parameters of `params` other than `except`'s,
/// and its thread count; the workload's name when that leaves nothing.
fn swept_label(
    study: &Study<'_>,
    params: &[(String, String)],
    except: Option<(&str, u32)>,
) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .filter(|(k, _)| study.swept.contains(k) && except.is_none_or(|(name, _)| k != name))
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    if let Some((_, t)) = except {
        parts.insert(0, format!("{t} thread{}", plural(t)));
    }
    if parts.is_empty() {
        study.workload.to_string()
    } else {
        parts.join(", ")
    }
}

/// "s" after a count other than one.
pub(super) fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A numeric parameter value (counts like 1e8 included).
fn numeric(v: &str) -> Option<f64> {
    gearbox_core::params::parse_integer(v)
        .map(|n| n as f64)
        .ok()
        .or_else(|| v.parse().ok())
}

/// The smallest and largest of `values`.
fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ticks_are_the_counts_measured() {
        let few = thread_axis(&[1, 2, 3]);
        assert_eq!(
            (few.ticks.as_slice(), few.log),
            (&[1.0, 2.0, 3.0][..], false)
        );
        assert_eq!((few.label)(2.0), "2");
        let many = thread_axis(&[1, 2, 4, 8, 16]);
        assert_eq!(many.ticks, [1.0, 2.0, 4.0, 8.0, 16.0]);
        assert!(many.log);
    }
}

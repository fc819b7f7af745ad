//! `gearbox scale`: the course's scaling tables without a line of Python —
//! runtime, speed-up and parallel efficiency per thread count, and runtime
//! against any workload parameter given as a list — as text, CSV and SVG plots.

use clap::ArgMatches;
use gearbox_core::BackendOptions;
use gearbox_core::params::parse_integer;
use gearbox_host::Registry;
use plotters::prelude::*;
use serde::Serialize;

use crate::stats::Summary;
use crate::{job, output};

/// One measured point.
#[derive(Clone, Debug, Serialize)]
struct Point {
    /// Workload parameters of this point.
    params: Vec<(String, String)>,
    threads: u32,
    seconds: Summary,
    /// Median time at the fewest threads with the same parameters, over this one.
    speedup: f64,
    /// Speed-up divided by the thread ratio.
    efficiency: f64,
}

/// Every combination of the listed values, in order (the last parameter varies fastest).
fn combinations(lists: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    lists.iter().fold(vec![Vec::new()], |acc, (name, values)| {
        acc.iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push((name.clone(), v.clone()));
                    next
                })
            })
            .collect()
    })
}

/// Runs the study chosen in `matches` and prints, writes and draws its tables.
pub fn scale(registry: &Registry, matches: &ArgMatches) -> anyhow::Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a workload");
    let lib = registry
        .workload(name)
        .expect("clap only accepts known workloads");
    let lists: Vec<(String, Vec<String>)> = lib
        .info
        .params
        .iter()
        .map(|p| {
            let raw = sub.get_one::<String>(&p.name).expect("has a default");
            (
                p.name.clone(),
                raw.split(',').map(|v| v.trim().to_string()).collect(),
            )
        })
        .collect();
    let swept: Vec<String> = lists
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(n, _)| n.clone())
        .collect();
    let threads: Vec<u32> = sub
        .get_one::<String>("threads")
        .expect("has a default")
        .split(',')
        .map(|t| t.trim().parse().expect("validated"))
        .collect();
    let backend_name = sub.get_one::<String>("backend").expect("has a default");
    let repeat = *sub.get_one::<u32>("repeat").expect("has a default");
    let adapter = sub.get_one::<String>("adapter").cloned();
    let request = job::grid_request(sub);

    // A backend without threads (the GPU) is measured once, unless threads were asked for.
    let takes_threads = registry
        .backend(backend_name)
        .library
        .is_ok_and(|lib| lib.takes("threads"));
    let explicit = sub.value_source("threads") == Some(clap::parser::ValueSource::CommandLine);
    if !takes_threads && explicit {
        return Err(crate::failure::usage(format!(
            "backend {backend_name} does not take --threads"
        )));
    }
    let threads = if takes_threads { threads } else { vec![1] };
    let mut points: Vec<Point> = Vec::new();
    for &t in &threads {
        let options = BackendOptions {
            threads: takes_threads.then_some(t as usize),
            adapter: adapter.clone(),
        };
        let (backend, _) = job::open_backend(registry, backend_name, &options)?;
        for params in combinations(&lists) {
            let instance = lib
                .instantiate(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(|e| crate::failure::usage(format!("{e:#}")))?;
            job::execute(&backend, &instance, &request, sub)?; // warm-up
            let times: Vec<f64> = (0..repeat)
                .map(|_| job::execute(&backend, &instance, &request, sub).map(|r| r.seconds))
                .collect::<anyhow::Result<_>>()?;
            points.push(Point {
                params,
                threads: t,
                seconds: Summary::of(&times),
                speedup: 1.0,
                efficiency: 1.0,
            });
        }
    }
    let fewest = *threads.iter().min().expect("at least one thread count");
    for i in 0..points.len() {
        let base = points
            .iter()
            .find(|p| p.threads == fewest && p.params == points[i].params)
            .map(|p| p.seconds.median);
        if let Some(base) = base {
            let p = &mut points[i];
            p.speedup = base / p.seconds.median;
            p.efficiency = p.speedup / (f64::from(p.threads) / f64::from(fewest));
        }
    }

    if let Some(path) = sub.get_one::<std::path::PathBuf>("csv") {
        output::write_file(path, csv(&lists, &points).as_bytes())?;
    }
    if let Some(path) = sub.get_one::<std::path::PathBuf>("plot") {
        output::write_file(
            path,
            plot(name, backend_name, &swept, &threads, &points)?.as_bytes(),
        )?;
    }
    if sub.get_flag("json") {
        println!(
            "{}",
            serde_json::json!({"workload": name, "backend": backend_name, "repeat": repeat, "points": points})
        );
        return Ok(());
    }
    println!("{name} on {backend_name}, median of {repeat} runs after a warm-up");
    let names: Vec<&str> = lists.iter().map(|(n, _)| n.as_str()).collect();
    println!(
        "{:<24} {:>8} {:>12} {:>10} {:>11}",
        names.join(", "),
        "threads",
        "time (s)",
        "speed-up",
        "efficiency"
    );
    for p in &points {
        let values: Vec<&str> = p.params.iter().map(|(_, v)| v.as_str()).collect();
        println!(
            "{:<24} {:>8} {:>12.6} {:>9.2}× {:>10.0}%",
            values.join(", "),
            p.threads,
            p.seconds.median,
            p.speedup,
            p.efficiency * 100.0
        );
    }
    Ok(())
}

fn csv(lists: &[(String, Vec<String>)], points: &[Point]) -> String {
    let mut out: String = lists.iter().map(|(n, _)| format!("{n},")).collect();
    out.push_str("threads,median_s,min_s,max_s,speedup,efficiency\n");
    for p in points {
        for (_, v) in &p.params {
            out.push_str(&format!("{v},"));
        }
        out.push_str(&format!(
            "{},{:.9},{:.9},{:.9},{:.6},{:.6}\n",
            p.threads, p.seconds.median, p.seconds.min, p.seconds.max, p.speedup, p.efficiency
        ));
    }
    out
}

/// A numeric parameter value (counts like 1e8 included).
fn numeric(v: &str) -> Option<f64> {
    parse_integer(v)
        .map(|n| n as f64)
        .ok()
        .or_else(|| v.parse().ok())
}

/// Speed-up against threads (one line per parameter set, with the ideal), and
/// runtime against the swept parameter on log-log axes (one line per thread count).
fn plot(
    workload: &str,
    backend: &str,
    swept: &[String],
    threads: &[u32],
    points: &[Point],
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(600);
        let max_t = f64::from(*threads.iter().max().unwrap_or(&1));
        let mut chart = ChartBuilder::on(&left)
            .caption(
                format!("{workload} on {backend}: speed-up"),
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..max_t + 0.5, 0.0..max_t + 0.5)?;
        chart
            .configure_mesh()
            .x_desc("threads")
            .y_desc("speed-up")
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (max_t, max_t)],
                BLACK.mix(0.4),
            ))?
            .label("ideal")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.4)));
        let mut sets: Vec<&Vec<(String, String)>> = Vec::new();
        for p in points {
            if !sets.contains(&&p.params) {
                sets.push(&p.params);
            }
        }
        for (i, set) in sets.iter().enumerate() {
            let line: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| &&p.params == set)
                .map(|p| (f64::from(p.threads), p.speedup))
                .collect();
            let label: Vec<String> = set
                .iter()
                .filter(|(k, _)| swept.contains(k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let label = if label.is_empty() {
                workload.to_string()
            } else {
                label.join(" ")
            };
            draw_line(&mut chart, i, label, line)?;
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()?;

        let axis = swept.first().filter(|name| {
            points.iter().all(|p| {
                p.params
                    .iter()
                    .any(|(k, v)| k == *name && numeric(v).is_some())
            })
        });
        if let Some(axis) = axis {
            let value = |p: &Point| {
                p.params
                    .iter()
                    .find(|(k, _)| k == axis)
                    .and_then(|(_, v)| numeric(v))
                    .unwrap_or(1.0)
            };
            let (xmin, xmax) = points
                .iter()
                .map(value)
                .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
            let (ymin, ymax) = points
                .iter()
                .map(|p| p.seconds.median)
                .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
            let mut chart = ChartBuilder::on(&right)
                .caption(
                    format!("{workload} on {backend}: runtime against {axis}"),
                    ("sans-serif", 20),
                )
                .margin(15)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(
                    (xmin / 1.5..xmax * 1.5).log_scale(),
                    (ymin / 1.5..ymax * 1.5).log_scale(),
                )?;
            chart
                .configure_mesh()
                .x_desc(axis.as_str())
                .y_desc("seconds (median)")
                .x_label_formatter(&|x| format!("{x:.0e}"))
                .draw()?;
            for (i, &t) in threads.iter().enumerate() {
                let line: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|p| p.threads == t)
                    .map(|p| (value(p), p.seconds.median))
                    .collect();
                let label = format!("{t} thread{}", if t == 1 { "" } else { "s" });
                draw_line(&mut chart, i, label, line)?;
            }
            chart
                .configure_series_labels()
                .border_style(BLACK)
                .background_style(WHITE.mix(0.8))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// Draws `line` as a labelled polyline with a dot at each point, in palette colour `i`.
fn draw_line<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    i: usize,
    label: String,
    line: Vec<(f64, f64)>,
) -> anyhow::Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let color = Palette99::pick(i).to_rgba();
    chart
        .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    chart.draw_series(
        line.into_iter()
            .map(|xy| Circle::new(xy, 4, color.filled())),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_vary_the_last_parameter_fastest() {
        let lists = vec![
            ("a".to_string(), vec!["1".into(), "2".into()]),
            ("b".to_string(), vec!["x".into(), "y".into()]),
        ];
        let c: Vec<String> = combinations(&lists)
            .iter()
            .map(|p| p.iter().map(|(_, v)| v.as_str()).collect())
            .collect();
        assert_eq!(c, ["1x", "1y", "2x", "2y"]);
    }
}

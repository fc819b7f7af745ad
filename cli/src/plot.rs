//! Figures of a scaling study, fit for a paper: speed-up against threads and
//! runtime against the swept parameter, with min–max error bars from the repeated
//! runs, log axes labelled in 1-2-5 steps, categorical axes for text parameters,
//! the colour-blind-safe Okabe–Ito palette with a distinct marker per series, and
//! a title saying what ran where and when. SVG or PNG, chosen by the extension.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use gearbox_core::{ParamKind, ParamSpec};
use plotters::coord::Shift;
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::stats::Summary;

/// DejaVu Sans, cut down to Latin, Greek, punctuation, super- and subscripts,
/// arrows and mathematical operators (76 kB), so that figures look the same on
/// every machine and need no installed font. See `cli/fonts/README.md`.
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");

/// The Okabe–Ito palette without its yellow (too pale on white): distinguishable
/// with every common colour-vision deficiency.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(230, 159, 0),   // orange
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

/// Size of one panel of a figure in SVG user units; a PNG has [`PNG_SCALE`]
/// times the pixels.
const PANEL: (u32, u32) = (620, 560);
/// Pixels per SVG unit in a PNG: sharp when printed at the SVG's size.
const PNG_SCALE: f64 = 2.0;

/// The file types a figure can be written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// A bitmap, PNG-encoded.
    Png,
}

impl Format {
    /// The format named by `path`'s extension (`.svg` or `.png`, any case).
    pub fn of(path: &Path) -> Result<Format, String> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext.to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            _ => Err(format!(
                "{}: plots are written as .svg or .png, not {}",
                path.display(),
                if ext.is_empty() {
                    "a file without an extension".to_string()
                } else {
                    format!(".{ext}")
                }
            )),
        }
    }
}

/// One measured point of a study.
pub struct Sample<'a> {
    /// Workload parameters, in declaration order.
    pub params: &'a [(String, String)],
    /// Thread count.
    pub threads: u32,
    /// Timings of the repeated runs.
    pub seconds: Summary,
    /// Median time at the fewest threads with the same parameters, over this one's.
    pub speedup: f64,
}

/// What a figure shows.
pub struct Study<'a> {
    /// Workload name.
    pub workload: &'a str,
    /// Backend name.
    pub backend: &'a str,
    /// Timed runs per point.
    pub repeat: u32,
    /// The workload's parameters.
    pub params: &'a [ParamSpec],
    /// Names of the parameters given as lists.
    pub swept: &'a [String],
    /// Every measured point.
    pub samples: Vec<Sample<'a>>,
}

/// Draws `study` as `format`.
pub fn render(study: &Study<'_>, format: Format) -> anyhow::Result<Vec<u8>> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    anyhow::ensure!(
        *registered,
        "the font built into gearbox for plots does not load"
    );
    let panels = panels(study);
    let (w, h) = (PANEL.0 * panels.len() as u32, PANEL.1);
    match format {
        Format::Svg => {
            let mut svg = String::new();
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            draw(root, study, &panels, 1.0)?;
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let (w, h) = (
                (f64::from(w) * PNG_SCALE) as u32,
                (f64::from(h) * PNG_SCALE) as u32,
            );
            let mut rgb = vec![0u8; (w * h * 3) as usize];
            draw(
                BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(),
                study,
                &panels,
                PNG_SCALE,
            )?;
            let mut png = Vec::new();
            let mut encoder = png::Encoder::new(&mut png, w, h);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().context("encoding the PNG")?;
            writer.write_image_data(&rgb).context("encoding the PNG")?;
            writer.finish().context("encoding the PNG")?;
            Ok(png)
        }
    }
}

/// A series of points with min–max bars: `(x, min, middle, max)`.
struct Series {
    label: String,
    points: Vec<(f64, f64, f64, f64)>,
    /// Join the points (numeric x) or not (categories).
    joined: bool,
}

/// An axis: its range, where its ticks go and how they read.
struct Axis {
    desc: String,
    range: Range<f64>,
    log: bool,
    ticks: Vec<f64>,
    label: Box<dyn Fn(f64) -> String>,
}

/// One panel of a figure.
struct Panel {
    caption: String,
    x: Axis,
    y: Axis,
    series: Vec<Series>,
    /// The ideal speed-up line, from its first to its last point.
    ideal: Option<[(f64, f64); 2]>,
}

/// Lays out the title and one or two panels on `root`; `s` scales every size.
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    study: &Study<'_>,
    panels: &[Panel],
    s: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let px = |v: i32| (f64::from(v) * s).round() as i32;
    let title = format!("{} on {}", study.workload, study.backend);
    let area = root.margin(px(10), px(4), px(4), px(4));
    let area = area.titled(&title, ("sans-serif", px(24)).into_font().color(&BLACK))?;
    let subtitle = ("sans-serif", px(15)).into_font().color(&BLACK.mix(0.75));
    let area = area.titled(&format!("{} · {}", machine(), today()), subtitle.clone())?;
    let area = area.titled(
        &format!(
            "median of {} run{} after a warm-up; bars from the fastest run to the slowest",
            study.repeat,
            plural(study.repeat)
        ),
        subtitle,
    )?;
    let areas = area.split_evenly((1, panels.len()));
    for (panel, area) in panels.iter().zip(&areas) {
        match (panel.x.log, panel.y.log) {
            (false, false) => draw_panel(area, panel, linear(&panel.x), linear(&panel.y), s)?,
            (false, true) => draw_panel(area, panel, linear(&panel.x), log(&panel.y), s)?,
            (true, false) => draw_panel(area, panel, log(&panel.x), linear(&panel.y), s)?,
            (true, true) => draw_panel(area, panel, log(&panel.x), log(&panel.y), s)?,
        }
    }
    root.present()?;
    Ok(())
}

/// A coordinate with its ticks exactly where [`Axis::ticks`] puts them (plotters'
/// `WithKeyPoints` over `f64` cannot take a label formatter).
struct Ticked<R> {
    inner: R,
    ticks: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticked<R> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// A linear coordinate for `axis`.
fn linear(axis: &Axis) -> Ticked<RangedCoordf64> {
    Ticked {
        inner: axis.range.clone().into(),
        ticks: axis.ticks.clone(),
    }
}

/// A logarithmic coordinate for `axis`.
fn log(axis: &Axis) -> Ticked<LogCoord<f64>> {
    Ticked {
        inner: axis.range.clone().log_scale().into(),
        ticks: axis.ticks.clone(),
    }
}

/// Draws one panel: axes, the ideal line, and every series with its bars and markers.
fn draw_panel<DB, X, Y>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x: X,
    y: Y,
    s: f64,
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64, FormatOption = DefaultFormatting>,
    Y: Ranged<ValueType = f64, FormatOption = DefaultFormatting>,
{
    let px = |v: i32| (f64::from(v) * s).round() as i32;
    let stroke = (2.0 * s).round() as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, ("sans-serif", px(19)))
        .margin(px(12))
        .margin_right(px(24))
        .x_label_area_size(px(58))
        .y_label_area_size(px(76))
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12).stroke_width(stroke / 2))
        .axis_style(BLACK.stroke_width(stroke / 2))
        .x_desc(panel.x.desc.as_str())
        .y_desc(panel.y.desc.as_str())
        .x_label_formatter(&|v| (panel.x.label)(*v))
        .y_label_formatter(&|v| (panel.y.label)(*v))
        .label_style(("sans-serif", px(15)))
        .axis_desc_style(("sans-serif", px(16)))
        .draw()?;
    if let Some(ideal) = panel.ideal {
        let style = BLACK.mix(0.45).stroke_width(stroke);
        chart
            .draw_series(DashedLineSeries::new(ideal, px(8), px(6), style))?
            .label("ideal")
            .legend(move |(x, y)| {
                DashedPathElement::new([(x, y), (x + px(24), y)], px(6), px(4), style)
            });
    }
    let shown = panel.series.len();
    for (i, series) in panel.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let line = color.stroke_width(stroke);
        // Categories: series side by side around each category's centre.
        let dodge = if series.joined {
            0.0
        } else {
            (i as f64 - (shown as f64 - 1.0) / 2.0) * 0.5 / shown as f64
        };
        if series.joined {
            chart.draw_series(LineSeries::new(
                series.points.iter().map(|&(x, _, mid, _)| (x, mid)),
                line,
            ))?;
        }
        // Min–max bars by hand: plotters' ErrorBar draws a circle over the marker.
        let cap = px(5);
        chart.draw_series(
            series
                .points
                .iter()
                .map(|&(x, lo, _, hi)| PathElement::new([(x + dodge, lo), (x + dodge, hi)], line)),
        )?;
        chart.draw_series(series.points.iter().flat_map(|&(x, lo, _, hi)| {
            [lo, hi].map(|y| {
                EmptyElement::at((x + dodge, y)) + PathElement::new([(-cap, 0), (cap, 0)], line)
            })
        }))?;
        // Markers differ in shape as well as colour, for print in black and white.
        let (r, fill, half) = (px(5), color.filled(), px(12));
        macro_rules! markers {
            ($shape:expr) => {
                chart
                    .draw_series(
                        series
                            .points
                            .iter()
                            .map(|&(x, _, mid, _)| EmptyElement::at((x + dodge, mid)) + $shape),
                    )?
                    .label(series.label.as_str())
                    .legend(move |(x, y)| {
                        EmptyElement::at((x + half, y))
                            + PathElement::new([(-half, 0), (half, 0)], line)
                            + $shape
                    })
            };
        }
        match i % 4 {
            0 => markers!(Circle::new((0, 0), r, fill)),
            1 => markers!(Polygon::new([(0, -r - 1), (r + 1, r), (-r - 1, r)], fill)),
            2 => markers!(Rectangle::new([(1 - r, 1 - r), (r - 1, r - 1)], fill)),
            _ => markers!(Polygon::new(
                [(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
                fill
            )),
        };
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", px(15)))
        .margin(px(8))
        .legend_area_size(px(30))
        .border_style(BLACK.mix(0.3))
        .background_style(WHITE.mix(0.9))
        .draw()?;
    Ok(())
}

/// The panels `study` calls for: speed-up against threads when several thread
/// counts were measured, and runtime against the first swept parameter (or,
/// with none, against threads).
fn panels(study: &Study<'_>) -> Vec<Panel> {
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

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A numeric parameter value (counts like 1e8 included).
fn numeric(v: &str) -> Option<f64> {
    gearbox_core::params::parse_integer(v)
        .map(|n| n as f64)
        .ok()
        .or_else(|| v.parse().ok())
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    })
}

/// `m × 10^e`, read back from its decimal text so that it prints as typed.
fn decimal(m: u32, e: i32) -> f64 {
    format!("{m}e{e}").parse().expect("a decimal number")
}

/// 1, 2, 5, 10, 20, 50… within `lo..hi`; 1, 2, 3, 5… when that gives fewer than three.
fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
    let within = |mantissas: &[u32]| -> Vec<f64> {
        decades
            .clone()
            .flat_map(|e| mantissas.iter().map(move |&m| decimal(m, e)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let ticks = within(&[1, 2, 5]);
    if ticks.len() >= 3 {
        ticks
    } else {
        within(&[1, 2, 3, 5])
    }
}

/// The largest of 1, 2, 5 × 10^k at or below `v`.
fn snap_down(v: f64) -> f64 {
    let e = v.log10().floor() as i32;
    [5, 2, 1]
        .into_iter()
        .map(|m| decimal(m, e))
        .find(|&t| t <= v)
        .unwrap_or(decimal(1, e))
}

/// Powers of two within `lo..=hi`.
fn powers_of_two(lo: f64, hi: f64) -> Vec<f64> {
    (-8..32)
        .map(|k| 2f64.powi(k))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// A round step (1, 2 or 5 × 10^k) near `raw`.
fn nice_step(raw: f64) -> f64 {
    let e = raw.log10().floor() as i32;
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| decimal(m, e))
        .find(|&v| v >= raw)
        .unwrap_or(decimal(10, e))
}

/// A parameter value for a tick: 1000, 10⁷, 2.5×10⁸.
fn pretty(v: f64) -> String {
    if v < 1e4 && v.fract() == 0.0 {
        return format!("{v}");
    }
    let e = v.log10().floor() as i32;
    let m: f64 = format!("{:.2}", v / 10f64.powi(e))
        .parse()
        .expect("a number");
    let power = format!("10{}", superscript(e));
    if m == 1.0 {
        power
    } else {
        format!("{m}×{power}")
    }
}

fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
        })
        .collect()
}

/// "AMD EPYC 9R14, 2 CPUs": the processor (from /proc/cpuinfo where there is
/// one) and how many CPUs this process may use.
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model}, {cpus} CPU{}", if cpus == 1 { "" } else { "s" })
}

/// Today's date (UTC), e.g. 2026-11-25.
fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_pick_the_format_and_others_are_refused() {
        assert_eq!(Format::of(Path::new("a/b.SVG")), Ok(Format::Svg));
        assert_eq!(Format::of(Path::new("b.png")), Ok(Format::Png));
        let e = Format::of(Path::new("b.jpg")).unwrap_err();
        assert!(e.contains(".svg or .png, not .jpg"), "{e}");
        assert!(Format::of(Path::new("plot")).is_err());
    }

    #[test]
    fn log_ticks_step_one_two_five_and_print_as_decimals() {
        let ticks: Vec<String> = one_two_five(0.003, 0.6)
            .iter()
            .map(|v| format!("{v}"))
            .collect();
        assert_eq!(
            ticks,
            ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]
        );
        let narrow: Vec<String> = one_two_five(0.011, 0.035)
            .iter()
            .map(|v| format!("{v}"))
            .collect();
        assert_eq!(narrow, ["0.02", "0.03"]);
    }

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

    #[test]
    fn parameter_ticks_read_as_powers_of_ten() {
        assert_eq!(pretty(1e9), "10⁹");
        assert_eq!(pretty(2.5e8), "2.5×10⁸");
        assert_eq!(pretty(300.0), "300");
    }
}

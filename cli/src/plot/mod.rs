//! Figures of a scaling study, fit for a paper: speed-up against threads and
//! runtime against the swept parameter, with min–max error bars from the repeated
//! runs, log axes labelled in 1-2-5 steps, categorical axes for text parameters,
//! the colour-blind-safe Okabe–Ito palette with a distinct marker per series, and
//! a title saying what ran where and when. SVG or PNG, chosen by the extension.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use gearbox_core::ParamSpec;
use plotters::coord::Shift;
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::stats::Summary;
use panels::{Axis, Panel, panels, plural};

mod panels;
mod ticks;

/// DejaVu Sans, cut down to Latin, Greek, punctuation, super- and subscripts,
/// arrows and mathematical operators (76 kB), so that figures look the same on
/// every machine and need no installed font. See `cli/fonts/README.md`.
const FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans-subset.ttf");

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
}

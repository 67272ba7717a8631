//! Figures: PNG (or SVG when the path ends in `.svg`) for two kinds of plot.
//!
//! - [`line_plot`]: named series of points, each a mean with a spread (min..max, drawn as
//!   an error bar over a light band), on a linear or log-x axis. A log-x axis can show
//!   x = 0 (a BER of 0, say) at its own tick labelled `0`, one decade left of the
//!   smallest positive x.
//! - [`scatter_plot`]: points, the Pareto front highlighted, points failing constraints
//!   drawn hollow, one chosen point marked.
//!
//! Text is drawn with plotters' `ab_glyph` renderer from DejaVu Sans embedded in the
//! binary (the `dejavu` crate ships the font bytes; the font is under the Bitstream Vera
//! / DejaVu license, which allows embedding and redistribution), so figures render the
//! same on a machine with no system fonts. Files are written whole with
//! [`spikemem_traces::write_atomic`]: a PNG is rendered into memory and encoded with the `png`
//! crate, an SVG into a string.

use crate::error::{check_output_path, input_error};
use anyhow::{anyhow, Context, Result};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::Once;

/// Default figure size in pixels (width, height).
pub const SIZE: (u32, u32) = (1024, 640);

/// Font family name the embedded font is registered under.
const FONT: &str = "sans-serif";

/// One point of a line-plot series: at `x`, a `mean` with its spread `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpreadPoint {
    pub x: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// A named series of a line plot.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<SpreadPoint>,
}

/// A line plot: series with spreads, axis labels (with units), a title.
#[derive(Debug, Clone)]
pub struct LinePlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Log-10 x axis; x = 0 is shown at a separate tick labelled `0`.
    pub log_x: bool,
    pub series: Vec<Series>,
}

/// One point of a scatter plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScatterPoint {
    pub x: f64,
    pub y: f64,
    /// On the Pareto front: highlighted.
    pub on_front: bool,
    /// Meets the selection's constraints; a point that does not is drawn hollow.
    pub feasible: bool,
}

/// A scatter plot with a highlighted Pareto front and one chosen point.
#[derive(Debug, Clone)]
pub struct ScatterPlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub points: Vec<ScatterPoint>,
    /// Index into `points` of the chosen point, marked and labelled.
    pub chosen: Option<usize>,
    /// Label written beside the chosen point (e.g. "chosen: row 3").
    pub chosen_label: String,
}

/// Output format, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Svg,
}

fn format_of(path: &Path) -> Result<Format> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        _ => Err(input_error(format!(
            "plot {}: unsupported file type; the name must end in .png or .svg",
            path.display()
        ))),
    }
}

/// Check before any work that a figure can be written at `path`: a known extension and
/// an existing directory.
pub fn check_plot_path(path: &Path) -> Result<()> {
    format_of(path)?;
    check_output_path(path, "plot")
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_err()
        {
            // The bytes are a fixed, valid TTF; this cannot fail at run time.
            unreachable!("embedded DejaVu Sans does not parse");
        }
    });
}

fn draw_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing the figure failed: {e:?}")
}

/// Something that draws itself on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

fn write_figure(path: &Path, size: (u32, u32), fig: &impl Figure) -> Result<()> {
    let format = format_of(path)?;
    check_output_path(path, "plot")?;
    register_font();
    let bytes: Vec<u8> = match format {
        Format::Png => {
            let (w, h) = size;
            let mut buf = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
                fig.draw(&root)?;
                root.present().map_err(draw_err)?;
            }
            encode_png(&buf, size)?
        }
        Format::Svg => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
                fig.draw(&root)?;
                root.present().map_err(draw_err)?;
            }
            s.into_bytes()
        }
    };
    spikemem_traces::write_atomic(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().context("encoding PNG")?;
        wr.write_image_data(rgb).context("encoding PNG")?;
        wr.finish().context("encoding PNG")?;
    }
    Ok(out)
}

/// Write a line plot (PNG, or SVG for a `.svg` path) of [`SIZE`].
pub fn line_plot(path: &Path, plot: &LinePlot) -> Result<()> {
    write_figure(path, SIZE, plot)
}

/// Write a scatter plot (PNG, or SVG for a `.svg` path) of [`SIZE`].
pub fn scatter_plot(path: &Path, plot: &ScatterPlot) -> Result<()> {
    write_figure(path, SIZE, plot)
}

/// How data values map onto a drawn axis: linear, or log-10 with an optional place for
/// 0 (and anything <= 0) one decade left of the smallest decade shown.
#[derive(Debug, Clone)]
struct Axis {
    log: bool,
    zero_at: Option<f64>,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Axis {
    /// An axis covering `values` (non-finite ones ignored), with some margin.
    fn new(values: impl Iterator<Item = f64>, log: bool) -> Axis {
        let vals: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        if log {
            let pos: Vec<f64> = vals.iter().copied().filter(|v| *v > 0.0).collect();
            let has_zero = vals.iter().any(|v| *v <= 0.0);
            let (mut dlo, mut dhi) = if pos.is_empty() {
                (0.0, 1.0)
            } else {
                let lo = pos.iter().copied().fold(f64::INFINITY, f64::min).log10();
                let hi = pos
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max)
                    .log10();
                (lo.floor(), hi.ceil())
            };
            if dhi <= dlo {
                dhi = dlo + 1.0;
            }
            let zero_at = has_zero.then(|| {
                dlo -= 1.0;
                dlo
            });
            let ticks = (dlo as i64..=dhi as i64).map(|k| k as f64).collect();
            let pad = 0.04 * (dhi - dlo);
            Axis {
                log,
                zero_at,
                lo: dlo - pad,
                hi: dhi + pad,
                ticks,
            }
        } else {
            let (mut lo, mut hi) = vals
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(*v), b.max(*v))
                });
            if vals.is_empty() {
                (lo, hi) = (0.0, 1.0);
            }
            if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
                (lo, hi) = (lo - d, hi + d);
            }
            let pad = 0.05 * (hi - lo);
            let (lo, hi) = (lo - pad, hi + pad);
            Axis {
                log,
                zero_at: None,
                lo,
                hi,
                ticks: nice_ticks(lo, hi, 10),
            }
        }
    }

    fn map(&self, v: f64) -> f64 {
        if !self.log {
            v
        } else if v > 0.0 {
            v.log10()
        } else {
            self.zero_at.unwrap_or(self.lo)
        }
    }

    fn label(&self, t: f64) -> String {
        if !self.log {
            return fmt_num(t);
        }
        if self.zero_at.is_some_and(|z| (t - z).abs() < 1e-9) {
            return "0".into();
        }
        let k = t.round() as i32;
        match k {
            0 => "1".into(),
            1 => "10".into(),
            2 => "100".into(),
            _ => format!("1e{k}"),
        }
    }

    fn range(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
        }
    }
}

/// A linear f64 coordinate whose ticks are exactly the given values (plotters'
/// `WithKeyPoints` over f64 has no default label formatting, so the mesh would not draw).
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// About `n` round tick values (1, 2 or 5 times a power of ten apart) in `lo..=hi`.
fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// A tick label: short, exponent form for very large or small magnitudes.
fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.50e6 -> 1.5e6, 2.00e6 -> 2e6
        match s.split_once('e') {
            Some((m, e)) => {
                let m = m.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{e}")
            }
            None => s,
        }
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Series colours: the "tab10" palette (distinct, readable on white), repeating.
fn series_color(i: usize) -> RGBColor {
    const TAB10: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = TAB10[i % TAB10.len()];
    RGBColor(r, g, b)
}

fn caption_style() -> TextStyle<'static> {
    (FONT, 24).into_font().into()
}

/// Width of the legend panel right of the plotting area, in pixels.
const LEGEND_W: u32 = 270;

/// A legend entry's mark.
#[derive(Clone, Copy)]
enum Mark {
    Line(RGBColor),
    Dot(ShapeStyle, u32),
}

/// Fill white, title on top; returns the plotting area and, when `legend`, the legend
/// panel on its right (a legend outside the data never hides a point).
#[allow(clippy::type_complexity)]
fn layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: bool,
) -> Result<(DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>)> {
    root.fill(&WHITE).map_err(draw_err)?;
    let body = root
        .margin(10, 0, 0, 0)
        .titled(title, caption_style())
        .map_err(draw_err)?;
    if !legend {
        return Ok((body, None));
    }
    let w = body.dim_in_pixel().0;
    let (plot, side) = body.split_horizontally(w.saturating_sub(LEGEND_W));
    Ok((plot, Some(side)))
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Mark)],
) -> Result<()> {
    let text = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (name, mark)) in entries.iter().enumerate() {
        let y = 40 + 26 * i as i32;
        match *mark {
            Mark::Line(c) => area.draw(&PathElement::new(vec![(4, y), (30, y)], c.stroke_width(2))),
            Mark::Dot(style, r) => area.draw(&Circle::new((17, y), r, style)),
        }
        .map_err(draw_err)?;
        area.draw(&Text::new(name.clone(), (40, y), text.clone()))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Chart on `area` with the given axes, mesh, tick labels and axis descriptions drawn.
macro_rules! chart_with_mesh {
    ($area:expr, $xs:expr, $ys:expr, $xl:expr, $yl:expr) => {{
        let mut chart = ChartBuilder::on($area)
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(85)
            .build_cartesian_2d($xs.range(), $ys.range())
            .map_err(draw_err)?;
        let xfmt = |v: &f64| $xs.label(*v);
        let yfmt = |v: &f64| $ys.label(*v);
        chart
            .configure_mesh()
            .x_desc($xl)
            .y_desc($yl)
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 17))
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(draw_err)?;
        chart
    }};
}

impl Figure for LinePlot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (area, legend) = layout(root, &self.title, !self.series.is_empty())?;
        let xs = Axis::new(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.x)),
            self.log_x,
        );
        let ys = Axis::new(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().flat_map(|p| [p.min, p.mean, p.max])),
            false,
        );
        let mut chart = chart_with_mesh!(&area, xs, ys, &self.x_label, &self.y_label);
        let mut entries = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let color = series_color(i);
            let mut pts: Vec<(f64, SpreadPoint)> =
                s.points.iter().map(|p| (xs.map(p.x), *p)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            if pts.len() > 1 {
                let band: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|(x, p)| (*x, p.max))
                    .chain(pts.iter().rev().map(|(x, p)| (*x, p.min)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        color.mix(0.12).filled(),
                    )))
                    .map_err(draw_err)?;
            }
            chart
                .draw_series(pts.iter().map(|(x, p)| {
                    ErrorBar::new_vertical(*x, p.min, p.mean, p.max, color.stroke_width(1), 8)
                }))
                .map_err(draw_err)?;
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|(x, p)| (*x, p.mean)),
                    color.stroke_width(2),
                ))
                .map_err(draw_err)?;
            chart
                .draw_series(
                    pts.iter()
                        .map(|(x, p)| Circle::new((*x, p.mean), 3, color.filled())),
                )
                .map_err(draw_err)?;
            entries.push((s.name.clone(), Mark::Line(color)));
        }
        if let Some(l) = legend {
            entries.push((
                "bars, band: min..max".into(),
                Mark::Line(RGBColor(200, 200, 200)),
            ));
            draw_legend(&l, &entries)?;
        }
        Ok(())
    }
}

impl Figure for ScatterPlot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (area, legend) = layout(root, &self.title, !self.points.is_empty())?;
        let xs = Axis::new(self.points.iter().map(|p| p.x), self.log_x);
        let ys = Axis::new(self.points.iter().map(|p| p.y), self.log_y);
        let mut chart = chart_with_mesh!(&area, xs, ys, &self.x_label, &self.y_label);
        let at = |p: &ScatterPoint| (xs.map(p.x), ys.map(p.y));
        let grey = RGBColor(120, 120, 120);
        let blue = RGBColor(31, 119, 180);
        let red = RGBColor(214, 39, 40);
        type Group = (&'static str, bool, bool, RGBColor, u32);
        let groups: [Group; 4] = [
            ("other points", false, true, grey, 4),
            ("other, failing constraints", false, false, grey, 4),
            ("Pareto front", true, true, blue, 6),
            ("front, failing constraints", true, false, blue, 6),
        ];
        let mut entries = Vec::new();
        for (name, front, feasible, color, r) in groups {
            let members: Vec<(f64, f64)> = self
                .points
                .iter()
                .filter(|p| p.on_front == front && p.feasible == feasible)
                .map(at)
                .collect();
            if members.is_empty() {
                continue;
            }
            let style = if feasible {
                color.filled()
            } else {
                color.stroke_width(2)
            };
            chart
                .draw_series(members.into_iter().map(|c| Circle::new(c, r, style)))
                .map_err(draw_err)?;
            entries.push((name.to_string(), Mark::Dot(style, r)));
        }
        if let Some(p) = self.chosen.and_then(|i| self.points.get(i)) {
            let c = at(p);
            // The label goes left of a point in the right part of the plot, so it stays
            // inside.
            let right = (c.0 - xs.lo) / (xs.hi - xs.lo) > 0.6;
            let (dx, h) = if right {
                (-16, HPos::Right)
            } else {
                (16, HPos::Left)
            };
            let style = TextStyle::from((FONT, 15).into_font())
                .color(&red)
                .pos(Pos::new(h, VPos::Bottom));
            chart
                .draw_series([EmptyElement::at(c)
                    + Circle::new((0, 0), 11, red.stroke_width(3))
                    + Cross::new((0, 0), 6, red.stroke_width(2))
                    + Text::new(self.chosen_label.clone(), (dx, -10), style)])
                .map_err(draw_err)?;
            entries.push(("chosen".into(), Mark::Dot(red.stroke_width(3), 7)));
        }
        if let Some(l) = legend {
            draw_legend(&l, &entries)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height from a PNG's IHDR, after checking the signature; and the image
    /// decodes whole.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert!(
            bytes.len() > 33,
            "too short for a PNG: {} bytes",
            bytes.len()
        );
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut r = dec.read_info().expect("PNG header decodes");
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).expect("PNG image data decodes");
        (info.width, info.height)
    }

    /// Copy a figure to $SPIKEMEM_KEEP_PLOTS (when set) for a person to look at.
    fn keep(p: &Path) {
        if let Ok(d) = std::env::var("SPIKEMEM_KEEP_PLOTS") {
            std::fs::copy(p, Path::new(&d).join(p.file_name().unwrap())).unwrap();
        }
    }

    fn tolerance_like() -> LinePlot {
        let bers = [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2];
        let series = ["uniform", "weak cells", "row hammer"]
            .iter()
            .enumerate()
            .map(|(k, name)| Series {
                name: name.to_string(),
                points: bers
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| {
                        let mean = 0.9 - 0.02 * (k + 1) as f64 * i as f64 * i as f64;
                        SpreadPoint {
                            x,
                            mean,
                            min: mean - 0.01 * i as f64,
                            max: mean + 0.005 * i as f64,
                        }
                    })
                    .collect(),
            })
            .collect();
        LinePlot {
            title: "Accuracy vs bit error rate".into(),
            x_label: "bit error rate (errors per bit)".into(),
            y_label: "accuracy (fraction correct)".into(),
            log_x: true,
            series,
        }
    }

    fn scatter() -> ScatterPlot {
        let pts = [
            (1.0e6, 0.91),
            (2.0e6, 0.93),
            (1.5e6, 0.80),
            (3.0e6, 0.95),
            (4e6, 0.94),
        ];
        ScatterPlot {
            title: "Pareto front".into(),
            x_label: "DRAM energy (pJ)".into(),
            y_label: "accuracy (fraction correct)".into(),
            log_x: false,
            log_y: false,
            points: pts
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| ScatterPoint {
                    x,
                    y,
                    on_front: [0, 1, 3].contains(&i),
                    feasible: i != 2,
                })
                .collect(),
            chosen: Some(1),
            chosen_label: "chosen: row 1".into(),
        }
    }

    #[test]
    fn line_plot_writes_a_png_of_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tol.png");
        line_plot(&p, &tolerance_like()).unwrap();
        keep(&p);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(png_size(&bytes), SIZE);
        // Not a blank canvas: text and lines were drawn.
        let dec = png::Decoder::new(std::io::Cursor::new(&bytes[..]));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        r.next_frame(&mut buf).unwrap();
        let dark = buf.chunks(3).filter(|c| c.iter().all(|v| *v < 80)).count();
        assert!(dark > 1000, "only {dark} dark pixels");
        // Nothing but the file itself is left in the directory (no temporary).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn scatter_plot_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pareto.png");
        scatter_plot(&p, &scatter()).unwrap();
        keep(&p);
        assert_eq!(png_size(&std::fs::read(&p).unwrap()), SIZE);
        let s = dir.path().join("pareto.svg");
        scatter_plot(&s, &scatter()).unwrap();
        let text = std::fs::read_to_string(&s).unwrap();
        assert!(text.starts_with("<svg"), "{}", &text[..60.min(text.len())]);
        assert!(text.contains("Pareto front") && text.contains("chosen: row 1"));
    }

    #[test]
    fn bad_paths_give_clear_input_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir/plot.png");
        let e = line_plot(&missing, &tolerance_like()).unwrap_err();
        assert!(crate::error::is_input_error(&e));
        let m = format!("{e:#}");
        assert!(
            m.contains("no-such-dir") && m.contains("does not exist"),
            "{m}"
        );
        let e = scatter_plot(&dir.path().join("plot.jpg"), &scatter()).unwrap_err();
        assert!(crate::error::is_input_error(&e));
        assert!(format!("{e:#}").contains(".png or .svg"), "{e:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn log_axis_puts_zero_a_decade_left_and_labels_it() {
        let a = Axis::new([0.0, 1e-5, 3e-3].into_iter(), true);
        assert_eq!(a.ticks, vec![-6.0, -5.0, -4.0, -3.0, -2.0]);
        assert_eq!(a.map(0.0), -6.0);
        assert_eq!(a.label(-6.0), "0");
        assert_eq!(a.label(-5.0), "1e-5");
        assert!((a.map(1e-4) + 4.0).abs() < 1e-12);
        let lin = Axis::new([0.5, 0.9].into_iter(), false);
        assert!(lin.ticks.iter().all(|t| *t >= lin.lo && *t <= lin.hi));
        assert!(lin.ticks.len() >= 4, "{:?}", lin.ticks);
    }

    #[test]
    fn empty_and_degenerate_plots_still_render() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = tolerance_like();
        p.series.clear();
        line_plot(&dir.path().join("empty.png"), &p).unwrap();
        let mut s = scatter();
        s.points.truncate(1);
        s.chosen = Some(0);
        scatter_plot(&dir.path().join("one.png"), &s).unwrap();
    }
}

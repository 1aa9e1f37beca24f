//! The plots' shared look and drawing scaffolding: Okabe–Ito colours, a distinct marker shape
//! per series and a dash pattern per line (so nothing is told apart by colour alone), margins
//! and axis text, the legend column beside each chart, and rendering into an SVG string with an
//! accessible title. The chart files draw their data through these and spell out no style of
//! their own.
//! No font files: plotters' SVG backend writes `<text>` elements that the browser lays out;
//! plotters only estimates label widths for its own layout.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::element::{ComposedElement, DashedPathElement};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::analysis::distinct;
use crate::results::ResultRow;

/// Okabe & Ito's colour-blind-safe palette; yellow last, as it is faint on white paper.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// Palette colour `c` as an opaque colour, for styles that must be constants.
pub(crate) const fn opaque(c: RGBColor) -> RGBAColor {
    RGBAColor(c.0, c.1, c.2, 1.0)
}

pub(crate) const FONT: &str = "sans-serif";
/// Axis titles and tick labels, px.
const AXIS_TITLE_PX: u32 = 17;
const TICK_LABEL_PX: u32 = 14;
pub(crate) const SIZE: (u32, u32) = (960, 540);
/// Room right of the plotting area for the legend, so it never hides a data point.
pub(crate) const LEGEND_W: u32 = 240;

/// Models and optimizers in sweep order over all trials (failed ones too), so a model keeps
/// its colour and marker in every plot, whichever trials a plot shows.
pub(crate) struct SeriesOrder {
    pub models: Vec<String>,
    pub optimizers: Vec<String>,
}

impl SeriesOrder {
    pub(crate) fn of(results: &[ResultRow]) -> SeriesOrder {
        SeriesOrder {
            models: distinct(results.iter().map(|r| r.model.as_str())),
            optimizers: distinct(results.iter().map(|r| r.optimizer.as_str())),
        }
    }
    pub(crate) fn model(&self, r: &ResultRow) -> usize {
        self.models.iter().position(|m| *m == r.model).unwrap_or(0)
    }
    pub(crate) fn optimizer(&self, r: &ResultRow) -> usize {
        self.optimizers.iter().position(|o| *o == r.optimizer).unwrap_or(0)
    }
}

/// A chart with the report's margins and label areas.
pub(crate) fn chart_builder<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(area);
    b.margin(16).margin_top(8).x_label_area_size(56).y_label_area_size(76);
    b
}

/// One of two panels side by side (a half-width chart): tighter margins and label areas.
pub(crate) fn panel_builder<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(area);
    b.margin(14).x_label_area_size(44).y_label_area_size(64);
    b
}

/// The report's axis text on a chart's mesh: axis titles and tick labels in its font and
/// sizes. A chart that needs smaller text sets it after this.
pub(crate) trait AxisText {
    fn axis_text(&mut self) -> &mut Self;
}

impl<X: Ranged, Y: Ranged, DB: DrawingBackend> AxisText for MeshStyle<'_, '_, X, Y, DB> {
    fn axis_text(&mut self) -> &mut Self {
        self.axis_desc_style((FONT, AXIS_TITLE_PX)).label_style((FONT, TICK_LABEL_PX))
    }
}

/// A line through `pts` in colour `ci` and dash pattern `dk`, `width` pixels wide.
pub(crate) fn draw_line<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    pts: &[(f64, f64)],
    ci: usize,
    dk: usize,
    width: u32,
) -> anyhow::Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = color(ci).stroke_width(width);
    match dash(dk) {
        None => chart.draw_series(LineSeries::new(pts.iter().copied(), style))?,
        Some((d, g)) => {
            chart.draw_series(DashedLineSeries::new(pts.iter().copied(), d, g, style))?
        }
    };
    Ok(())
}

/// What a legend entry shows beside its label.
#[derive(Clone, Debug)]
pub(crate) enum Icon {
    /// Series `i`'s marker.
    Marker(usize),
    /// A line in colour `color` and dash pattern `dash`, with the colour's marker if `marker`.
    Line { color: usize, dash: usize, marker: bool },
    /// A bar swatch in this style.
    Bar(ShapeStyle),
}

pub(crate) type Legend = Vec<(String, Icon)>;

/// Longest legend label drawn; the column is narrow and the HTML tables have the full names.
const LEGEND_CHARS: usize = 24;

/// Render a chart titled `title` whose legend sits in its own column right of the plot, so it
/// never hides a data point (plotters' own series labels must lie inside the plotting area).
/// `draw` gets the area left of the column and returns the legend entries.
pub(crate) fn render_chart(
    title: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<Legend>,
) -> anyhow::Result<String> {
    render_svg(title, |root| {
        let body = root.margin(10, 0, 0, 0).titled(title, (FONT, 22))?;
        let (plot, legend) = body.split_horizontally(SIZE.0 - LEGEND_W);
        let entries = draw(&plot)?;
        draw_legend(&legend, &entries)
    })
}

fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[(String, Icon)],
) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (w, _) = area.dim_in_pixel();
    let (top, step) = (18, 24);
    let bottom = top + step * entries.len() as i32;
    area.draw(&Rectangle::new([(2, top - 14), (w as i32 - 10, bottom - 10)], WHITE.filled()))?;
    area.draw(&Rectangle::new([(2, top - 14), (w as i32 - 10, bottom - 10)], BLACK.mix(0.5)))?;
    let font = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (k, (label, icon)) in entries.iter().enumerate() {
        let y = top + step * k as i32;
        match icon {
            Icon::Marker(i) => area.draw(&marker((24, y), *i, 6))?,
            Icon::Line { color, dash, marker } => {
                area.draw(&legend_line(12, y, *color, *dash, *marker))?
            }
            Icon::Bar(style) => area.draw(&Rectangle::new([(12, y - 7), (36, y + 7)], *style))?,
        }
        let text: String = if label.chars().count() > LEGEND_CHARS {
            label.chars().take(LEGEND_CHARS - 1).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        area.draw(&Text::new(text, (46, y), font.clone()))?;
    }
    Ok(())
}

pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A marker: a filled (or, for hollow shapes, transparent) polygon and its outline, at an
/// anchor. One concrete type for every shape, because plotters' legend closures cannot return
/// boxed `DynElement`s that borrow the SVG backend.
pub(crate) type Marker<C, DB> =
    ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// Series `i`'s marker of radius `r` pixels: eight shapes, shifted against the colours past
/// eight series so the (colour, shape) pairs stay distinct. Filled shapes get a dark rim so
/// light colours still print.
pub(crate) fn marker<C, DB: DrawingBackend>(at: C, i: usize, r: i32) -> Marker<C, DB> {
    let (poly, outline) = marker_parts(i, r, (0, 0));
    EmptyElement::at(at) + poly + outline
}

/// Which of the eight marker shapes series `i` gets: past eight series the shapes shift by one
/// against the colours, so no two of the first 64 series share both.
pub(crate) fn shape_index(i: usize) -> usize {
    (i + i / PALETTE.len()) % 8
}

/// A marker's fill and outline, offset by (dx, dy) pixels from its anchor.
type MarkerParts = (Polygon<(i32, i32)>, PathElement<(i32, i32)>);

fn marker_parts(i: usize, r: i32, (dx, dy): (i32, i32)) -> MarkerParts {
    let c = color(i);
    let rf = r as f64;
    // A regular n-gon (n = 16 reads as a circle), rotated by `turn` radians.
    let ngon = |n: usize, radius: f64, turn: f64| -> Vec<(f64, f64)> {
        (0..n)
            .map(|k| {
                let a = turn + std::f64::consts::TAU * k as f64 / n as f64;
                (radius * a.cos(), radius * a.sin())
            })
            .collect()
    };
    // A plus sign as a 12-vertex outline with arms of half-width w; rotated 45° it is an ×.
    let plus = |turn: f64| -> Vec<(f64, f64)> {
        let (w, l) = (rf * 0.38, rf * 1.2);
        let pts = [
            (-w, -l),
            (w, -l),
            (w, -w),
            (l, -w),
            (l, w),
            (w, w),
            (w, l),
            (-w, l),
            (-w, w),
            (-l, w),
            (-l, -w),
            (-w, -w),
        ];
        pts.iter()
            .map(|&(x, y)| (x * turn.cos() - y * turn.sin(), x * turn.sin() + y * turn.cos()))
            .collect()
    };
    let up = -std::f64::consts::FRAC_PI_2;
    let (pts, hollow) = match shape_index(i) {
        0 => (ngon(16, rf, 0.0), false),
        1 => (ngon(3, rf * 1.3, up), false),
        2 => (ngon(4, rf * 1.25, std::f64::consts::FRAC_PI_4), false),
        3 => (ngon(4, rf * 1.35, 0.0), false),
        4 => (plus(std::f64::consts::FRAC_PI_4), false),
        5 => (ngon(16, rf, 0.0), true),
        6 => (ngon(3, rf * 1.3, -up), false),
        _ => (plus(0.0), false),
    };
    let pts: Vec<(i32, i32)> =
        pts.iter().map(|&(x, y)| (x.round() as i32 + dx, y.round() as i32 + dy)).collect();
    let mut closed = pts.clone();
    closed.extend(pts.first().copied());
    let (fill, rim) = if hollow {
        (TRANSPARENT.filled(), ShapeStyle { color: c.to_rgba(), filled: false, stroke_width: 3 })
    } else {
        (c.filled(), ShapeStyle { color: BLACK.mix(0.75), filled: false, stroke_width: 1 })
    };
    (Polygon::new(pts, fill), PathElement::new(closed, rim))
}

/// Dash pattern `k` as (dash, gap) pixels; `None` is a solid line.
pub(crate) fn dash(k: usize) -> Option<(u32, u32)> {
    [None, Some((10, 6)), Some((3, 4)), Some((18, 5)), Some((7, 3))][k % 5]
}

/// What [`legend_line`] builds (spelled out: a legend closure needs a concrete element type).
pub(crate) type LegendLine<DB> = ComposedElement<
    (i32, i32),
    DB,
    DashedPathElement<std::vec::IntoIter<(i32, i32)>, u32>,
    ComposedElement<(i32, i32), DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>,
>;

/// A legend sample: a short line in the series' colour and dash pattern, with its marker in
/// the middle (or, for `with_marker == false`, without).
pub(crate) fn legend_line<DB: DrawingBackend>(
    x: i32,
    y: i32,
    ci: usize,
    dk: usize,
    with_marker: bool,
) -> LegendLine<DB> {
    let style = ShapeStyle { color: color(ci).to_rgba(), filled: false, stroke_width: 3 };
    // A solid line is one long dash, so both cases have the same type.
    let (d, g) = dash(dk).unwrap_or((40, 0));
    let line = DashedPathElement::new(vec![(-4, 0), (26, 0)], d, g, style);
    let (poly, outline) = if with_marker {
        marker_parts(ci, 5, (11, 0))
    } else {
        (
            Polygon::new(vec![(0, 0)], TRANSPARENT.filled()),
            PathElement::new(vec![(0, 0)], TRANSPARENT),
        )
    };
    EmptyElement::at((x, y)) + line + poly + outline
}

/// Render with a white background into an SVG string, with a `<title>` for screen readers and
/// a `role` so the inline copy is announced as an image.
pub(crate) fn render_svg(
    title: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    let head_end = buf.find('>').ok_or_else(|| anyhow::anyhow!("plotters wrote no <svg> tag"))?;
    let title = crate::report::fmt::html_escape(title);
    buf.insert_str(head_end + 1, &format!("\n<title>{title}</title>"));
    buf.insert_str(head_end, r#" role="img""#);
    Ok(buf)
}

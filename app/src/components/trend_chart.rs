//! Trend charts drawn as inline SVG on the server (no chart library): a time axis with dated
//! ticks, a value axis in one unit, the source's reference range as a band, flagged or
//! out-of-range readings marked by shape as well as colour, and every figure in a table
//! beneath. Also the latest vital signs and NEWS2, each linking to its trend.

use crate::ids;
use crate::model::{SourceReport, TimelineEntry};
use crate::nhs_number::NhsNumber;
use crate::trends::{self, Line, Point, Series, CATALOGUE};
use leptos::prelude::*;

/// The drawing's size in SVG units (it scales to the page; labels stay readable at 768 px).
pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 46.0;
/// The least room between two dated ticks.
const TICK_GAP: f64 = 118.0;

const BLUE: &str = "#005eb8";
const GREY: &str = "#425563";
const RED: &str = "#d5281b";
const TEXT: &str = "#212b32";

/// How a reading is marked on the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Neither flagged nor outside the source's range: a circle (a square for diastolic).
    Normal,
    /// Above the range or flagged high: a triangle pointing up.
    High,
    /// Below the range or flagged low: a triangle pointing down.
    Low,
    /// Flagged abnormal without a direction: a diamond.
    Abnormal,
}

/// One placed reading.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPoint {
    pub x: f64,
    pub y: f64,
    pub mark: Mark,
    /// True when the source flagged it (filled); false for a reading outside the source's
    /// range that the source did not flag (hollow), or a normal one.
    pub flagged: bool,
    /// `03-Jul-2026 14:00: 112 /min (H)`.
    pub label: String,
}

/// The reference range of one line, as a band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub line: Line,
    pub top: f64,
    pub bottom: f64,
    /// `Reference range 51 to 90`.
    pub label: String,
    /// True when the readings' sources gave different ranges (each is in the table).
    pub ranges_differ: bool,
}

/// A tick on an axis: where, and its label (a dated tick's label has date and time lines).
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: Vec<String>,
}

/// Everything the chart draws, computed from one unit's readings.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub bands: Vec<Band>,
    pub lines: Vec<(Line, Vec<PlotPoint>)>,
}

fn mark_of(p: &Point) -> (Mark, bool) {
    let n = p.number.unwrap_or_default();
    match p.marker {
        Some("H") => (Mark::High, true),
        Some("L") => (Mark::Low, true),
        Some(_) => (Mark::Abnormal, true),
        None if p.high_number().is_some_and(|h| n > h) => (Mark::High, false),
        None if p.low_number().is_some_and(|l| n < l) => (Mark::Low, false),
        None => (Mark::Normal, false),
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about five ticks over `span`.
fn nice_step(span: f64) -> f64 {
    let raw = (span / 5.0).max(f64::EPSILON);
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

fn number_label(n: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{n:.decimals$}")
}

/// The range a line's band shows.
struct LineRange {
    line: Line,
    low: Option<f64>,
    high: Option<f64>,
    words: String,
    differ: bool,
}

/// Lays out the readings of one unit (only dated, numeric ones are placed).
pub fn plot(points: &[&Point]) -> Plot {
    let placed: Vec<&Point> = points.iter().copied().filter(|p| p.plottable()).collect();
    let time = |p: &Point| p.date.as_ref().map(|d| d.sort_key).unwrap_or_default();
    let value = |p: &Point| p.number.unwrap_or_default();
    let mut lines: Vec<Line> = placed.iter().map(|p| p.line).collect();
    lines.sort();
    lines.dedup();

    // The band of each line: the latest reading's range that has a bound.
    let ranges: Vec<LineRange> = lines
        .iter()
        .filter_map(|line| {
            let of_line: Vec<&Point> = placed.iter().copied().filter(|p| p.line == *line).collect();
            let latest = of_line
                .iter()
                .rev()
                .find(|p| p.low_number().is_some() || p.high_number().is_some())?;
            let differ = of_line
                .iter()
                .any(|p| (&p.low, &p.high) != (&latest.low, &latest.high));
            let words = latest.range_words().unwrap_or_default();
            Some(LineRange {
                line: *line,
                low: latest.low_number(),
                high: latest.high_number(),
                words,
                differ,
            })
        })
        .collect();

    let mut values: Vec<f64> = placed.iter().map(|p| value(p)).collect();
    values.extend(ranges.iter().flat_map(|r| [r.low, r.high]).flatten());
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        let pad = (hi.abs() * 0.1).max(1.0);
        (lo, hi) = (lo - pad, hi + pad);
    }
    let step = nice_step(hi - lo);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - RIGHT;
    let y_of = |v: f64| TOP + plot_h * (hi - v) / (hi - lo);

    let (t0, t1) = placed
        .iter()
        .map(|p| time(p))
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let x_of = |t: i64| {
        if t1 <= t0 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * (t - t0) as f64 / (t1 - t0) as f64
        }
    };

    let mut y_ticks = Vec::new();
    let mut v = lo;
    while v <= hi + step / 2.0 {
        y_ticks.push(Tick {
            at: y_of(v),
            label: vec![number_label(v, step)],
        });
        v += step;
    }

    let mut x_ticks: Vec<Tick> = Vec::new();
    let mut seen: Vec<i64> = Vec::new();
    for p in &placed {
        let t = time(p);
        if seen.contains(&t) {
            continue;
        }
        seen.push(t);
        let x = x_of(t);
        if x_ticks.last().is_none_or(|last| x - last.at >= TICK_GAP) {
            let shown = p.date.as_ref().map(|d| d.display()).unwrap_or_default();
            x_ticks.push(Tick {
                at: x,
                label: shown.split(' ').map(str::to_owned).collect(),
            });
        }
    }

    let bands = ranges
        .into_iter()
        .map(
            |LineRange {
                 line,
                 low,
                 high,
                 words,
                 differ,
             }| {
                let top = high.map(y_of).unwrap_or(TOP);
                let bottom = low.map(y_of).unwrap_or(TOP + plot_h);
                Band {
                    line,
                    top,
                    bottom,
                    label: format!("Reference range {words}"),
                    ranges_differ: differ,
                }
            },
        )
        .collect();

    let lines = lines
        .into_iter()
        .map(|line| {
            let points = placed
                .iter()
                .filter(|p| p.line == line)
                .map(|p| {
                    let (mark, flagged) = mark_of(p);
                    let when = p.date.as_ref().map(|d| d.display()).unwrap_or_default();
                    let flag = p.marker.map(|m| format!(" ({m})")).unwrap_or_default();
                    let unit = p
                        .unit
                        .as_deref()
                        .map(|u| format!(" {u}"))
                        .unwrap_or_default();
                    let what = match line {
                        Line::Value => String::new(),
                        other => format!("{} ", other.label().to_lowercase()),
                    };
                    PlotPoint {
                        x: x_of(time(p)),
                        y: y_of(value(p)),
                        mark,
                        flagged,
                        label: format!("{when}: {what}{}{unit}{flag}", p.value),
                    }
                })
                .collect();
            (line, points)
        })
        .collect();

    Plot {
        x_ticks,
        y_ticks,
        bands,
        lines,
    }
}

fn line_colour(line: Line) -> &'static str {
    match line {
        Line::Diastolic => GREY,
        _ => BLUE,
    }
}

/// The SVG shape of one reading.
fn marker_view(p: &PlotPoint, line: Line) -> impl IntoView {
    let (x, y) = (p.x, p.y);
    let colour = if p.mark == Mark::Normal {
        line_colour(line)
    } else {
        RED
    };
    let fill = if p.mark != Mark::Normal && !p.flagged {
        "#ffffff"
    } else {
        colour
    };
    let flag = match (p.mark, p.flagged) {
        (Mark::Normal, _) => "",
        (Mark::High, true) => "H",
        (Mark::Low, true) => "L",
        (Mark::Abnormal, _) => "A",
        (_, false) => "outside",
    };
    let shape = match (p.mark, line) {
        (Mark::Normal, Line::Diastolic) => view! {
            <rect x=format!("{:.1}", x - 3.5) y=format!("{:.1}", y - 3.5) width="7" height="7" fill=fill stroke=colour stroke-width="1.5" />
        }.into_any(),
        (Mark::Normal, _) => view! {
            <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="3.8" fill=fill stroke=colour stroke-width="1.5" />
        }.into_any(),
        (mark, _) => {
            let d = match mark {
                Mark::High => format!("M{x:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z", y - 7.0, x - 6.5, y + 5.0, x + 6.5, y + 5.0),
                Mark::Low => format!("M{x:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z", y + 7.0, x - 6.5, y - 5.0, x + 6.5, y - 5.0),
                _ => format!("M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} Z", y - 7.0, x + 7.0, y + 7.0, x - 7.0),
            };
            view! { <path d=d fill=fill stroke=colour stroke-width="2" /> }.into_any()
        }
    };
    view! {
        <g data-testid=ids::TREND_POINT data-flag=flag>
            <title>{p.label.clone()}</title>
            {shape}
        </g>
    }
}

/// The SVG drawing of one unit's readings.
fn chart_svg(plot: &Plot, unit: &str, description: String) -> impl IntoView {
    let plot_bottom = HEIGHT - BOTTOM;
    let grid = plot
        .y_ticks
        .iter()
        .map(|t| {
            let y = format!("{:.1}", t.at);
            view! {
                <line x1=format!("{LEFT:.0}") x2=format!("{:.0}", WIDTH - RIGHT) y1=y.clone() y2=y.clone() stroke="#d8dde0" stroke-width="1" />
                <text x=format!("{:.0}", LEFT - 6.0) y=format!("{:.1}", t.at + 4.0) font-size="12" text-anchor="end" fill=TEXT>{t.label.join(" ")}</text>
            }
        })
        .collect_view();
    let x_ticks = plot
        .x_ticks
        .iter()
        .map(|t| {
            let x = t.at;
            // The last tick's label ends at the edge rather than running off it.
            let anchor = if x > WIDTH - RIGHT - 40.0 { "end" } else { "middle" };
            let lines = t
                .label
                .iter()
                .enumerate()
                .map(|(i, l)| view! { <tspan x=format!("{x:.1}") dy=if i == 0 { "0" } else { "14" }>{l.clone()}</tspan> })
                .collect_view();
            view! {
                <line x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{plot_bottom:.0}") y2=format!("{:.0}", plot_bottom + 5.0) stroke=TEXT />
                <text y=format!("{:.0}", plot_bottom + 18.0) font-size="12" fill=TEXT
                    text-anchor=anchor>{lines}</text>
            }
        })
        .collect_view();
    let bands = plot
        .bands
        .iter()
        .map(|b| {
            let (fill, dash) = match b.line {
                Line::Diastolic => ("#eef0f2", "5 3"),
                _ => ("#e0ecf7", "none"),
            };
            view! {
                <rect data-testid=ids::TREND_RANGE data-line=b.line.label()
                    x=format!("{LEFT:.0}") y=format!("{:.1}", b.top) width=format!("{:.0}", WIDTH - LEFT - RIGHT)
                    height=format!("{:.1}", (b.bottom - b.top).max(1.0)) fill=fill stroke=line_colour(b.line)
                    stroke-width="0.75" stroke-dasharray=dash fill-opacity="0.9">
                    <title>{b.label.clone()}</title>
                </rect>
            }
        })
        .collect_view();
    let lines = plot
        .lines
        .iter()
        .map(|(line, points)| {
            let path = points
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, p.x, p.y))
                .collect::<String>();
            let dash = if *line == Line::Diastolic { "6 4" } else { "none" };
            let markers = points.iter().map(|p| marker_view(p, *line)).collect_view();
            view! {
                <path d=path fill="none" stroke=line_colour(*line) stroke-width="2" stroke-dasharray=dash />
                {markers}
            }
        })
        .collect_view();
    let label = description.clone();
    view! {
        <svg data-testid=ids::TREND_SVG role="img" aria-label=label class="h-auto w-full max-w-3xl"
            viewBox=format!("0 0 {WIDTH:.0} {HEIGHT:.0}") preserveAspectRatio="xMinYMin meet">
            <title>{description}</title>
            {bands}
            {grid}
            <line x1=format!("{LEFT:.0}") x2=format!("{LEFT:.0}") y1=format!("{TOP:.0}") y2=format!("{plot_bottom:.0}") stroke=TEXT />
            <line x1=format!("{LEFT:.0}") x2=format!("{:.0}", WIDTH - RIGHT) y1=format!("{plot_bottom:.0}") y2=format!("{plot_bottom:.0}") stroke=TEXT />
            <text x="4" y="12" font-size="12" fill=TEXT>{unit.to_owned()}</text>
            {x_ticks}
            {lines}
        </svg>
    }
}

/// The chart's text alternative: what, how many, when, the latest and how many are marked.
fn describe(label: &str, unit: &str, points: &[&Point]) -> String {
    let placed: Vec<&&Point> = points.iter().filter(|p| p.plottable()).collect();
    let (Some(first), Some(last)) = (placed.first(), placed.last()) else {
        return format!(
            "{label} ({unit}): no dated readings to chart; the figures are in the table below."
        );
    };
    let when = |p: &Point| p.date.as_ref().map(|d| d.display()).unwrap_or_default();
    let latest: Vec<String> = placed
        .iter()
        .filter(|p| p.date == last.date)
        .map(|p| match p.line {
            Line::Value => p.value.clone(),
            other => format!("{} {}", other.label().to_lowercase(), p.value),
        })
        .collect();
    let marked = placed.iter().filter(|p| p.marked()).count();
    format!(
        "{label} in {unit}: {} readings from {} to {}; latest {}; {marked} flagged or outside the reference range. The figures are in the table below.",
        placed.len(),
        when(first),
        when(last),
        latest.join(", ")
    )
}

fn source_name(sources: &[SourceReport], id: &str) -> String {
    sources
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// A series' charts (one per unit: never two units on one axis), each with its figures in
/// a table beneath.
#[component]
pub fn TrendChart(series: Series, sources: Vec<SourceReport>) -> impl IntoView {
    let label = series.def.label;
    let groups = series.by_unit();
    let several_lines = series.lines().len() > 1;
    let units_note = (groups.len() > 1).then(|| {
        view! {
            <p data-testid=ids::TREND_UNITS_NOTE class="mt-2 border-l-4 border-amber-600 bg-amber-50 px-3 py-2 text-sm">
                {format!(
                    "{label} was recorded in {} different units ({}). Each unit has its own chart; nothing has been converted.",
                    groups.len(),
                    groups.iter().map(|g| g.unit.clone()).collect::<Vec<_>>().join(", ")
                )}
            </p>
        }
    });
    let unplotted = series.unplotted();
    let unplotted_note = (unplotted > 0).then(|| {
        view! {
            <p class="mt-2 text-sm text-slate-700">
                {format!("{unplotted} reading(s) without a date or a numeric value are listed in the table but not plotted.")}
            </p>
        }
    });
    let charts = groups
        .iter()
        .map(|g| {
            let plot = plot(&g.points);
            let description = describe(label, &g.unit, &g.points);
            let differ = plot.bands.iter().any(|b| b.ranges_differ).then(|| {
                view! { <p class="text-sm text-slate-700">"The sources' reference ranges differ between readings: the band shows the latest reading's range; each reading's range is in the table."</p> }
            });
            let legend = legend(&plot, several_lines);
            let rows = table_rows(&g.points, &sources, several_lines);
            view! {
                <figure data-testid=ids::TREND_CHART data-unit=g.unit.clone() class="mt-4 break-inside-avoid rounded bg-white p-4 shadow print:shadow-none">
                    <figcaption class="font-semibold">{format!("{label} ({})", g.unit)}</figcaption>
                    {chart_svg(&plot, &g.unit, description)}
                    {legend}
                    {differ}
                    <table data-testid=ids::TREND_TABLE class="mt-3 w-full border-collapse text-left text-sm">
                        <caption class="sr-only">{format!("{label} readings in {}, newest first", g.unit)}</caption>
                        <thead class="bg-slate-200">
                            <tr>
                                <th scope="col" class="px-2 py-1">"Date and time"</th>
                                {several_lines.then(|| view! { <th scope="col" class="px-2 py-1">"Measure"</th> })}
                                <th scope="col" class="px-2 py-1">"Value"</th>
                                <th scope="col" class="px-2 py-1">"Unit"</th>
                                <th scope="col" class="px-2 py-1">"Reference range"</th>
                                <th scope="col" class="px-2 py-1">"Flag"</th>
                                <th scope="col" class="px-2 py-1">"Source"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-200">{rows}</tbody>
                    </table>
                </figure>
            }
        })
        .collect_view();
    view! {
        <div>
            {units_note}
            {unplotted_note}
            {charts}
        </div>
    }
}

fn legend(plot: &Plot, several_lines: bool) -> impl IntoView {
    // Colours as classes, not style attributes, which the Content-Security-Policy forbids.
    let item = |symbol: &'static str, colour: &'static str, words: &'static str| {
        view! {
            <li class="inline-flex items-center gap-1">
                <span aria-hidden="true" class=colour>{symbol}</span>
                {words}
            </li>
        }
    };
    let marked = plot
        .lines
        .iter()
        .flat_map(|(_, p)| p)
        .any(|p| p.mark != Mark::Normal);
    view! {
        <ul class="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-sm" aria-label="Key">
            {several_lines.then(|| view! {
                {item("━", "text-[#005eb8]", "Systolic (solid line, circles)")}
                {item("┅", "text-[#425563]", "Diastolic (dashed line, squares)")}
            })}
            {(!plot.bands.is_empty()).then(|| item("▇", "text-[#a9c9e8]", "Shaded: the source's reference range"))}
            {marked.then(|| view! {
                {item("▲", "text-[#d5281b]", "High")}
                {item("▼", "text-[#d5281b]", "Low")}
                {item("◆", "text-[#d5281b]", "Abnormal")}
                {item("△", "text-[#d5281b]", "Hollow: outside the source's range, not flagged by the source")}
            })}
        </ul>
    }
}

fn table_rows(points: &[&Point], sources: &[SourceReport], several_lines: bool) -> impl IntoView {
    // Newest first, as the timeline; undated readings last.
    let mut rows: Vec<&Point> = points
        .iter()
        .copied()
        .filter(|p| p.date.is_some())
        .collect();
    rows.reverse();
    rows.extend(points.iter().copied().filter(|p| p.date.is_none()));
    rows.into_iter()
        .map(|p| {
            let when = p
                .date
                .as_ref()
                .map(|d| d.display())
                .unwrap_or_else(|| "Date not recorded".to_owned());
            let flag_class = if p.marked() {
                "px-2 py-1 font-semibold text-[#d5281b]"
            } else {
                "px-2 py-1"
            };
            view! {
                <tr data-testid=ids::TREND_ROW data-flag=p.marker.unwrap_or(if p.outside_range() { "outside" } else { "" })>
                    <td class="whitespace-nowrap px-2 py-1 font-mono">{when}</td>
                    {several_lines.then(|| view! { <td class="px-2 py-1">{p.line.label()}</td> })}
                    <td class="px-2 py-1 font-semibold">{p.value.clone()}</td>
                    <td class="px-2 py-1">{p.unit.clone().unwrap_or_else(|| "Not Known".to_owned())}</td>
                    <td class="px-2 py-1">{p.range_words().unwrap_or_else(|| "Not given".to_owned())}</td>
                    <td class=flag_class>{p.flag_words()}</td>
                    <td class="px-2 py-1">{source_name(sources, &p.source_id)}</td>
                </tr>
            }
        })
        .collect_view()
}

/// Sources whose failure (or partial answer) means a series may lack readings, by name.
pub fn incomplete_sources(sources: &[SourceReport]) -> Vec<String> {
    sources
        .iter()
        .filter(|s| s.status.is_failure() || s.status == crate::model::SourceStatus::Partial)
        .map(|s| s.name.clone())
        .collect()
}

/// The latest reading of each vital-sign series and NEWS2, with time, unit, flag and a link
/// to its trend. Renders nothing when there are none.
#[component]
pub fn LatestVitals(
    entries: Vec<TimelineEntry>,
    nhs: NhsNumber,
    /// The lookup's sources: their names, and which could not be read in full.
    #[prop(optional)]
    sources: Vec<SourceReport>,
) -> impl IntoView {
    let rows: Vec<_> = CATALOGUE
        .iter()
        .filter(|d| d.vital)
        .filter_map(|d| trends::series(&entries, d.key))
        .filter_map(|s| {
            let latest: Vec<Point> = s.latest().into_iter().cloned().collect();
            let first = latest.first()?.clone();
            // Blood pressure: systolic/diastolic only when both were taken together.
            let value = if latest.len() > 1 && latest.iter().all(|p| p.date == first.date) {
                latest
                    .iter()
                    .map(|p| p.value.clone())
                    .collect::<Vec<_>>()
                    .join("/")
            } else {
                latest
                    .iter()
                    .map(|p| match p.line {
                        Line::Value => p.value.clone(),
                        line => format!("{} {}", line.label(), p.value),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let flags: Vec<&str> = latest
                .iter()
                .filter(|p| p.marked())
                .map(|p| p.marker.unwrap_or("outside range"))
                .collect();
            Some((s.def, value, first, flags))
        })
        .collect();
    (!rows.is_empty()).then(|| {
        let missing = incomplete_sources(&sources);
        let body = rows
            .into_iter()
            .map(|(def, value, p, flags)| {
                let when = p.date.as_ref().map(|d| d.display()).unwrap_or_default();
                let unit = p.unit.clone().unwrap_or_default();
                let flag = (!flags.is_empty()).then(|| view! {
                    <span class="ml-1 font-bold text-[#d5281b]">{format!("({})", flags.join(", "))}</span>
                });
                view! {
                    <tr data-testid=ids::LATEST_VITAL data-series=def.key>
                        <th scope="row" class="px-2 py-1 text-left font-medium">{def.label}</th>
                        <td class="px-2 py-1"><span class="font-semibold">{value}</span>" "{unit}{flag}</td>
                        <td class="whitespace-nowrap px-2 py-1 font-mono">{when}</td>
                        <td class="px-2 py-1">{source_name(&sources, &p.source_id)}</td>
                        <td class="px-2 py-1">
                            <a data-testid=ids::TREND_LINK class="font-semibold text-[#005eb8] underline" href=trends::trend_href(nhs, def.key)>
                                "Trend"<span class="sr-only">{format!(" of {}", def.label.to_lowercase())}</span>
                            </a>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <section data-testid=ids::LATEST_VITALS class="mt-4 rounded bg-white p-4 shadow">
                <h2 class="text-lg font-semibold">"Latest vital signs and NEWS2"</h2>
                {(!missing.is_empty()).then(|| view! {
                    <p class="text-sm text-amber-900">{format!("May be incomplete: {} could not be read in full.", missing.join(", "))}</p>
                })}
                <table class="mt-2 w-full border-collapse text-sm">
                    <thead class="sr-only">
                        <tr>
                            <th scope="col">"Measure"</th>
                            <th scope="col">"Latest"</th>
                            <th scope="col">"When"</th>
                            <th scope="col">"Source"</th>
                            <th scope="col">"Trend"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200">{body}</tbody>
                </table>
            </section>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical_date::ClinicalDate;

    fn point(
        date: &str,
        line: Line,
        value: &str,
        range: (Option<&str>, Option<&str>),
        marker: Option<&'static str>,
    ) -> Point {
        Point {
            date: Some(ClinicalDate::parse(date).unwrap()),
            line,
            value: value.to_owned(),
            number: value.parse().ok(),
            unit: Some("/min".to_owned()),
            unit_group: "/min".to_owned(),
            low: range.0.map(str::to_owned),
            high: range.1.map(str::to_owned),
            marker,
            source_id: "acute".to_owned(),
            resource_id: date.to_owned(),
        }
    }

    const RANGE: (Option<&str>, Option<&str>) = (Some("51"), Some("90"));

    #[test]
    fn points_band_and_markers_fall_where_the_values_are() {
        let points = [
            point("2026-06-27T08:00:00Z", Line::Value, "118", RANGE, Some("H")),
            point("2026-06-28T08:00:00Z", Line::Value, "95", RANGE, None),
            point("2026-06-29T08:00:00Z", Line::Value, "72", RANGE, None),
            point("2026-06-30T08:00:00Z", Line::Value, "48", RANGE, Some("L")),
        ];
        let refs: Vec<&Point> = points.iter().collect();
        let plot = plot(&refs);
        let (_, placed) = &plot.lines[0];
        assert_eq!(placed.len(), 4);
        // Time runs left to right across the plot; the first and last sit on its edges.
        assert!((placed[0].x - LEFT).abs() < 0.01);
        assert!((placed[3].x - (WIDTH - RIGHT)).abs() < 0.01);
        assert!(placed.windows(2).all(|w| w[0].x < w[1].x));
        // Higher values are higher up (smaller y).
        assert!(
            placed[0].y < placed[1].y && placed[1].y < placed[2].y && placed[2].y < placed[3].y
        );
        // The band spans 51 to 90: the 72 inside it, the 118 above and the 48 below.
        let band = &plot.bands[0];
        assert!(band.top < placed[2].y && placed[2].y < band.bottom);
        assert!(placed[0].y < band.top && placed[3].y > band.bottom);
        assert!(placed[1].y < band.top, "95 is above the range");
        assert_eq!(band.label, "Reference range 51 to 90");
        assert!(!band.ranges_differ);
        let marks: Vec<(Mark, bool)> = placed.iter().map(|p| (p.mark, p.flagged)).collect();
        assert_eq!(
            marks,
            [
                (Mark::High, true),
                (Mark::High, false),
                (Mark::Normal, false),
                (Mark::Low, true)
            ],
            "flagged readings filled, the unflagged 95 hollow"
        );
        // 08:00 UTC is 09:00 on the UK clock in June (BST).
        assert_eq!(placed[0].label, "27-Jun-2026 09:00: 118 /min (H)");
        // Every plotted value lies within the drawing.
        for p in placed {
            assert!(p.y >= TOP - 0.01 && p.y <= HEIGHT - BOTTOM + 0.01);
        }
        // Dated ticks are spaced apart and labelled in the NHS format.
        assert!(plot.x_ticks.len() >= 2);
        assert_eq!(plot.x_ticks[0].label, ["27-Jun-2026", "09:00"]);
        assert!(plot
            .x_ticks
            .windows(2)
            .all(|w| w[1].at - w[0].at >= TICK_GAP));
        // Value ticks cover the band and the readings.
        let labels: Vec<f64> = plot
            .y_ticks
            .iter()
            .map(|t| t.label[0].parse().unwrap())
            .collect();
        assert!(labels[0] <= 48.0 && *labels.last().unwrap() >= 118.0);
    }

    #[test]
    fn blood_pressure_draws_two_lines_each_with_its_band() {
        let bp = [
            point(
                "2026-06-28T08:00:00Z",
                Line::Systolic,
                "98",
                (Some("111"), Some("219")),
                Some("L"),
            ),
            point(
                "2026-06-28T08:00:00Z",
                Line::Diastolic,
                "58",
                (Some("60"), Some("90")),
                None,
            ),
            point(
                "2026-06-29T08:00:00Z",
                Line::Systolic,
                "124",
                (Some("111"), Some("219")),
                None,
            ),
            point(
                "2026-06-29T08:00:00Z",
                Line::Diastolic,
                "76",
                (Some("60"), Some("90")),
                None,
            ),
        ];
        let refs: Vec<&Point> = bp.iter().collect();
        let plot = plot(&refs);
        let lines: Vec<Line> = plot.lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [Line::Systolic, Line::Diastolic]);
        assert_eq!(plot.bands.len(), 2);
        let diastolic = &plot.lines[1].1;
        assert_eq!(
            (diastolic[0].mark, diastolic[0].flagged),
            (Mark::Low, false)
        );
        assert_eq!(plot.x_ticks.len(), 2, "one tick per time, not per line");
    }

    #[test]
    fn a_lone_reading_an_open_range_and_undated_readings() {
        let mut undated = point("2026-06-28", Line::Value, "70", (None, None), None);
        undated.date = None;
        let lone = point("2026-06-28", Line::Value, "97", (Some("96"), None), None);
        let plot = plot(&[&lone, &undated]);
        assert_eq!(
            plot.lines[0].1.len(),
            1,
            "the undated reading is not placed"
        );
        assert!((plot.lines[0].1[0].x - (LEFT + (WIDTH - LEFT - RIGHT) / 2.0)).abs() < 0.01);
        let band = &plot.bands[0];
        assert!(
            (band.top - TOP).abs() < 0.01,
            "no upper bound: the band runs to the top"
        );
        assert!(band.bottom > plot.lines[0].1[0].y);
        assert_eq!(band.label, "Reference range at least 96");
        let empty = super::plot(&[&undated]);
        assert!(empty.lines.is_empty() && empty.bands.is_empty() && empty.x_ticks.is_empty());
    }

    #[test]
    fn ranges_that_differ_are_said_to() {
        let a = point(
            "2026-06-27",
            Line::Value,
            "80",
            (Some("50"), Some("100")),
            None,
        );
        let b = point("2026-06-28", Line::Value, "80", RANGE, None);
        let plot = plot(&[&a, &b]);
        assert!(plot.bands[0].ranges_differ);
        assert_eq!(
            plot.bands[0].label, "Reference range 51 to 90",
            "the latest reading's range"
        );
    }

    #[test]
    fn the_text_alternative_names_the_span_latest_and_marked() {
        let points = [
            point("2026-06-27T08:00:00Z", Line::Value, "118", RANGE, Some("H")),
            point("2026-06-30T08:00:00Z", Line::Value, "72", RANGE, None),
        ];
        let refs: Vec<&Point> = points.iter().collect();
        assert_eq!(
            describe("Heart rate", "/min", &refs),
            "Heart rate in /min: 2 readings from 27-Jun-2026 09:00 to 30-Jun-2026 09:00; latest 72; 1 flagged or outside the reference range. The figures are in the table below."
        );
    }
}

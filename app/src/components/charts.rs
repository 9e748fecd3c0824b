//! Bar charts drawn as inline SVG on the server (no chart library, nothing to download), each
//! with a text alternative: the figures are also in a table beside every chart.

use leptos::prelude::*;

/// One bar: a label and its stacked parts (drawn bottom-up / left to right in
/// [`BarChart::colours`] order).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub parts: Vec<u32>,
}

/// NHS palette: blue, warm yellow, red, dark grey.
const COLOURS: [&str; 4] = ["#005eb8", "#ffb81c", "#d5281b", "#425563"];
/// The same colours as background classes for the legend's swatches (a style attribute would
/// be refused by the Content-Security-Policy).
const SWATCHES: [&str; 4] = [
    "bg-[#005eb8]",
    "bg-[#ffb81c]",
    "bg-[#d5281b]",
    "bg-[#425563]",
];

/// A bar chart. Vertical (one column per bar, for days) or horizontal (one row per bar, for
/// people's names, which need room).
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    /// What each stacked part means, in order.
    legend: Vec<&'static str>,
    title: String,
    #[prop(optional)] horizontal: bool,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.parts.iter().sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1);
    let legend_view = legend
        .iter()
        .enumerate()
        .map(|(i, name)| {
            view! {
                <span class="mr-4 inline-flex items-center text-sm">
                    <span class=format!("mr-1 inline-block h-3 w-3 {}", SWATCHES[i % SWATCHES.len()])></span>
                    {*name}
                </span>
            }
        })
        .collect_view();
    let svg = if horizontal {
        horizontal_bars(&bars, max).into_any()
    } else {
        vertical_bars(&bars, max).into_any()
    };
    view! {
        <figure data-testid=test_id class="mt-3">
            <figcaption class="font-semibold">{title}</figcaption>
            <div class="mt-1">{legend_view}</div>
            {svg}
        </figure>
    }
}

fn vertical_bars(bars: &[Bar], max: u32) -> impl IntoView {
    // A fixed drawing width, so labels keep their size whatever the number of days.
    let (width, height, gap) = (720.0_f64, 150.0_f64, 2.0_f64);
    let step = width / bars.len().max(1) as f64;
    let rects = bars
        .iter()
        .enumerate()
        .flat_map(|(i, bar)| {
            let mut y = height;
            let total: u32 = bar.parts.iter().sum();
            let tip = format!("{}: {}", bar.label, total);
            bar.parts
                .iter()
                .enumerate()
                .map(|(p, &n)| {
                    let h = height * f64::from(n) / f64::from(max);
                    y -= h;
                    view! {
                        <rect x=format!("{:.1}", i as f64 * step + gap / 2.0) y=format!("{y:.1}")
                            width=format!("{:.1}", (step - gap).max(1.0)) height=format!("{h:.1}")
                            fill=COLOURS[p % COLOURS.len()]>
                            <title>{tip.clone()}</title>
                        </rect>
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect_view();
    let first = bars.first().map(|b| b.label.clone()).unwrap_or_default();
    let last = bars.last().map(|b| b.label.clone()).unwrap_or_default();
    view! {
        <svg role="img" aria-label=format!("Bar chart, highest bar {max}") class="w-full max-w-3xl"
            viewBox=format!("0 0 {width:.0} {:.0}", height + 16.0)>
            {rects}
            <text x="0" y=format!("{:.0}", height + 13.0) font-size="11">{first}</text>
            <text x=format!("{width:.0}") y=format!("{:.0}", height + 13.0) font-size="11" text-anchor="end">{last}</text>
        </svg>
    }
}

fn horizontal_bars(bars: &[Bar], max: u32) -> impl IntoView {
    let (label_w, bar_w, row) = (190.0_f64, 420.0_f64, 18.0_f64);
    let rows = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = i as f64 * row;
            let mut x = label_w;
            let total: u32 = bar.parts.iter().sum();
            let parts = bar
                .parts
                .iter()
                .enumerate()
                .map(|(p, &n)| {
                    let w = bar_w * f64::from(n) / f64::from(max);
                    let at = x;
                    x += w;
                    view! {
                        <rect x=format!("{at:.1}") y=format!("{:.1}", y + 2.0) width=format!("{w:.1}")
                            height=format!("{:.1}", row - 4.0) fill=COLOURS[p % COLOURS.len()] />
                    }
                })
                .collect_view();
            view! {
                <g>
                    <text x="0" y=format!("{:.1}", y + row - 5.0) font-size="12">{bar.label.clone()}</text>
                    {parts}
                    <text x=format!("{:.1}", x + 4.0) y=format!("{:.1}", y + row - 5.0) font-size="12">{total}</text>
                </g>
            }
        })
        .collect_view();
    let height = (bars.len().max(1) as f64) * row;
    view! {
        <svg role="img" aria-label=format!("Bar chart, highest bar {max}") class="w-full max-w-3xl"
            viewBox=format!("0 0 {:.0} {height:.0}", label_w + bar_w + 40.0)>
            {rows}
        </svg>
    }
}

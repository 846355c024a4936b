//! Survey results as charts drawn on the server: horizontal SVG bars, labelled for screen readers
//! (the same numbers are always in a table beside it), so no result needs JavaScript.

use std::fmt::Write;

use crate::domain::Bar;

use platform::charts::escape;

/// A bar chart of one question (width 100 %, one 28 px row per bar). `title` names it for
/// assistive technology.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let row = 28;
    let height = bars.len() * row + 4;
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 600 {height}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * row + 2;
        let w = (b.count as f64 / max * 260.0).round();
        let label: String = b.label.chars().take(14).collect();
        let _ = write!(
            svg,
            r##"<text x="0" y="{ty}" font-size="14" fill="#1f2933">{label}</text><rect x="200" y="{y}" width="{w}" height="20" fill="#1e5aa8"/><text x="{tx}" y="{ty}" font-size="13" fill="#1f2933">{c}（{p:.1}%）</text>"##,
            ty = y + 15,
            label = escape(&label),
            tx = 206.0 + w,
            c = b.count,
            p = b.percent,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "出行<方式>",
            &[
                Bar { label: "公交".into(), count: 30, percent: 60.0 },
                Bar { label: "地铁 & 轻轨".into(), count: 15, percent: 30.0 },
                Bar { label: "步行".into(), count: 0, percent: 0.0 },
            ],
        );
        assert!(svg.contains(r#"aria-label="出行&lt;方式&gt;""#));
        assert!(svg.contains(r#"width="260""#), "the largest bar is full width");
        assert!(svg.contains(r#"width="130""#));
        assert!(svg.contains("地铁 &amp; 轻轨"));
        assert!(svg.contains("30（60.0%）"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(bars("空", &[]).ends_with("</svg>"));
    }
}

//! Charts drawn on the server as SVG, labelled for assistive technology, so no chart needs
//! JavaScript (the numbers are always in a table beside it too). Pure.

use std::fmt::Write;

/// Text and attribute escaping for SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line over evenly spaced slots (hours, days); `None` is a gap — the line breaks there rather
/// than dropping to zero. `labels` name the slots (a few are shown under the axis); `limit` draws a
/// dashed threshold line.
pub fn line(title: &str, labels: &[String], values: &[Option<f64>], unit: &str, limit: Option<f64>) -> String {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 56.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 36.0;
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {W} {H}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    let known: Vec<f64> = values.iter().flatten().copied().chain(limit).collect();
    let (mut lo, mut hi) = known.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    if known.is_empty() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (if lo >= 0.0 && lo - pad < 0.0 { 0.0 } else { lo - pad }, hi + pad);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = values.len().max(1);
    let x = |i: usize| LEFT + if n == 1 { plot_w / 2.0 } else { plot_w * i as f64 / (n - 1) as f64 };
    let y = |v: f64| TOP + plot_h * (1.0 - (v - lo) / (hi - lo));
    // Grid and value labels.
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" stroke="#d0d7de" stroke-width="1"/><text x="{tx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#545d68">{v}</text>"##,
            x2 = W - RIGHT,
            tx = LEFT - 6.0,
            ty = yy + 4.0,
            v = short(v),
        );
    }
    let _ = write!(svg, r##"<text x="4" y="{}" font-size="12" fill="#545d68">{}</text>"##, TOP + 10.0, escape(unit));
    // Slot labels: about six.
    let step = n.div_ceil(6).max(1);
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % step == 0) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle" fill="#545d68">{}</text>"##,
            x(i),
            H - 12.0,
            escape(l)
        );
    }
    if let Some(l) = limit {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
            yy = y(l),
            x2 = W - RIGHT
        );
    }
    // The line, broken at gaps; a value alone between gaps is a dot.
    let mut d = String::new();
    let mut run = 0usize;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(d, "{}{:.1} {:.1} ", if run == 0 { "M" } else { "L" }, x(i), y(*v));
                run += 1;
                let alone = run == 1 && values.get(i + 1).is_none_or(Option::is_none);
                if alone {
                    let _ = write!(svg, r##"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="#1e5aa8"/>"##, x(i), y(*v));
                }
            }
            None => run = 0,
        }
    }
    if !d.is_empty() {
        let _ = write!(svg, r##"<path d="{}" fill="none" stroke="#1e5aa8" stroke-width="2"/>"##, d.trim_end());
    }
    svg.push_str("</svg>");
    svg
}

/// A value for an axis: few digits.
fn short(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract().abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_breaks_the_line() {
        let labels: Vec<String> = (0..6).map(|i| format!("{i}时")).collect();
        let svg = line("水位", &labels, &[Some(1.0), Some(2.0), None, None, Some(3.0), Some(4.0)], "米", Some(3.5));
        let d = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "two segments: {d}");
        assert!(svg.contains("stroke-dasharray"), "the threshold");
        assert!(svg.contains("<title>水位</title>"));
    }

    #[test]
    fn a_lone_value_is_a_dot_and_nothing_is_no_line() {
        let labels: Vec<String> = (0..3).map(|i| i.to_string()).collect();
        let svg = line("x", &labels, &[None, Some(5.0), None], "", None);
        assert!(svg.contains("<circle"));
        let empty = line("x<y", &labels, &[None, None, None], "", None);
        assert!(!empty.contains("<path") && empty.contains("x&lt;y"));
    }
}

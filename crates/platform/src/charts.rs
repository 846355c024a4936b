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

/// One place on a [`points`] map.
#[derive(Debug, Clone)]
pub struct MapPoint {
    pub label: String,
    pub lon: f64,
    pub lat: f64,
    /// Where the point links to.
    pub href: String,
    /// `true` draws it as available (filled green), `false` as down (hollow red), `None` unknown (grey).
    pub up: Option<bool>,
}

/// Places by longitude and latitude on a plain map (no base tiles: the area the points span,
/// with a graticule and a scale in kilometres), each a link with its name — a schematic that
/// needs no map server and no script. The drawing is a group of links (not an image, which may
/// hold none). Longitudes are shrunk by the cosine of the middle latitude
/// so distances look right.
pub fn points(title: &str, places: &[MapPoint]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 420.0;
    const PAD: f64 = 40.0;
    let mut svg = format!(
        r##"<svg class="chart map" role="group" aria-label="{t}" viewBox="0 0 {W} {H}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><rect x="0" y="0" width="{W}" height="{H}" fill="#f3f6f9" stroke="#d0d7de"/>"##,
        t = escape(title)
    );
    let valid: Vec<&MapPoint> =
        places.iter().filter(|p| p.lon.is_finite() && p.lat.is_finite() && p.lat.abs() <= 90.0).collect();
    if valid.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let (mut w, mut e, mut s, mut n) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &valid {
        (w, e, s, n) = (w.min(p.lon), e.max(p.lon), s.min(p.lat), n.max(p.lat));
    }
    let k = ((s + n) / 2.0).to_radians().cos().max(0.1);
    // At least about 2 km across, so one point or a tight cluster is not blown up.
    let min_span = 0.02;
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    let span_x = ((e - w) * k).max(min_span);
    let span_y = (n - s).max(min_span);
    let scale = ((W - 2.0 * PAD) / span_x).min((H - 2.0 * PAD) / span_y);
    let x = |lon: f64| W / 2.0 + (lon - cx) * k * scale;
    let y = |lat: f64| H / 2.0 - (lat - cy) * scale;
    let step = nice_step((W / scale / k).max(H / scale) / 4.0);
    let lon_span = (W / 2.0) / (k * scale);
    let lat_span = (H / 2.0) / scale;
    graticule(&mut svg, (W, H), (cx - lon_span, cx + lon_span, cy - lat_span, cy + lat_span), step, &|lon, lat| {
        (x(lon), y(lat))
    });
    scale_bar(&mut svg, (W, PAD), 111.32 / scale);
    // Names are placed right, left, above or below their dot, wherever they overlap no name
    // already placed; a name with no room is left to the dot's tooltip (and the list beside the map).
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    for p in valid {
        let (px, py) = (x(p.lon), y(p.lat));
        let width = p.label.chars().map(|c| if c.is_ascii() { 7.0 } else { 13.0 }).sum::<f64>();
        let spot = [
            (px + 10.0, py + 4.0),
            (px - 10.0 - width, py + 4.0),
            (px - width / 2.0, py - 11.0),
            (px - width / 2.0, py + 21.0),
        ]
        .into_iter()
        .map(|(tx, ty)| (tx, ty, tx + width, ty - 12.0))
        .find(|&(x1, y1, x2, y2)| {
            x1 >= 0.0
                && x2 <= W
                && y2 >= 0.0
                && y1 <= H
                && placed.iter().all(|&(a1, b1, a2, b2)| x2 < a1 || x1 > a2 || y1 < b2 || y2 > b1)
        });
        if let Some(b) = spot {
            placed.push(b);
        }
        let (fill, stroke, state) = match p.up {
            Some(true) => ("#1a7f37", "#1a7f37", "在线"),
            Some(false) => ("#ffffff", "#b3261e", "离线"),
            None => ("#8c959f", "#57606a", "未检查"),
        };
        let _ = write!(
            svg,
            r##"<a href="{href}"><title>{l}（{state}）</title><circle cx="{px:.1}" cy="{py:.1}" r="7" fill="{fill}" stroke="{stroke}" stroke-width="3"/>{text}</a>"##,
            href = escape(&p.href),
            l = escape(&p.label),
            text = spot
                .map(|(tx, ty, _, _)| format!(
                    r##"<text x="{tx:.1}" y="{ty:.1}" font-size="13" fill="#1f2328">{}</text>"##,
                    escape(&p.label)
                ))
                .unwrap_or_default(),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Lines of longitude and latitude every `step` degrees across `bounds` (west, east, south, north),
/// each labelled, placed by `to_px` (any projection).
fn graticule(
    svg: &mut String,
    (w, h): (f64, f64),
    bounds: (f64, f64, f64, f64),
    step: f64,
    to_px: &dyn Fn(f64, f64) -> (f64, f64),
) {
    let (west, east, south, north) = bounds;
    let mut g = west.div_euclid(step) * step;
    while g <= east {
        let xx = to_px(g, south).0;
        if (0.0..=w).contains(&xx) {
            let _ = write!(
                svg,
                r##"<line x1="{xx:.1}" y1="0" x2="{xx:.1}" y2="{h}" stroke="#dde3e9"/><text x="{tx:.1}" y="{ty}" font-size="11" fill="#545d68">{g:.2}°E</text>"##,
                tx = xx + 3.0,
                ty = h - 6.0
            );
        }
        g += step;
    }
    let mut g = south.div_euclid(step) * step;
    while g <= north {
        let yy = to_px(west, g).1;
        if (0.0..=h).contains(&yy) {
            let _ = write!(
                svg,
                r##"<line x1="0" y1="{yy:.1}" x2="{w}" y2="{yy:.1}" stroke="#dde3e9"/><text x="4" y="{ty:.1}" font-size="11" fill="#545d68">{g:.2}°N</text>"##,
                ty = yy - 3.0
            );
        }
        g += step;
    }
}

/// A scale bar in the top right corner: a round length in metres or kilometres near 1/8 of the width.
fn scale_bar(svg: &mut String, (w, pad): (f64, f64), km_per_px: f64) {
    let km = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        .into_iter()
        .find(|km| km / km_per_px >= w / 8.0)
        .unwrap_or(1000.0);
    let bar = km / km_per_px;
    let label = if km < 1.0 { format!("{} 米", (km * 1000.0).round()) } else { format!("{km} 公里") };
    let _ = write!(
        svg,
        r##"<rect x="{rx:.1}" y="2" width="{rw:.1}" height="{rh}" fill="#ffffff" fill-opacity="0.8"/><line x1="{x1:.1}" y1="{yb}" x2="{x2:.1}" y2="{yb}" stroke="#1f2328" stroke-width="3"/><text x="{x1:.1}" y="{yt}" font-size="12" fill="#1f2328">{label}</text>"##,
        rx = w - pad - bar - 4.0,
        rw = bar + 8.0,
        rh = pad / 2.0 + 2.0,
        x1 = w - pad - bar,
        x2 = w - pad,
        yb = pad / 2.0,
        yt = pad / 2.0 - 6.0,
    );
}

/// One mark on a [`clusters`] map: a single place or a cluster of `count` places, at pixels.
#[derive(Debug, Clone)]
pub struct ClusterMark {
    pub x: f64,
    pub y: f64,
    pub count: u32,
    pub colour: &'static str,
    pub href: String,
    /// The tooltip and accessible name (a place's name, or what clicking a cluster does).
    pub label: String,
    /// Drawn with a ring (the place a page is about).
    pub current: bool,
}

/// The frame of a [`clusters`] map: its size in pixels, the bounds it shows (west, east, south,
/// north), how degrees become pixels, and metres per pixel at its centre.
pub struct MapFrame<'a> {
    pub width: f64,
    pub height: f64,
    pub bounds: (f64, f64, f64, f64),
    pub to_px: &'a dyn Fn(f64, f64) -> (f64, f64),
    pub metres_per_px: f64,
}

/// A clustered map without base tiles: a graticule, a scale, and each mark a link — a cluster a
/// circle sized by its count with the count written in it, a single place a small dot. Marks are
/// drawn in the order given. The marks carry classes (`cluster`, `place`, `ring`) so a narrow
/// screen's stylesheet can draw them larger than the scaled-down drawing would.
pub fn clusters(title: &str, frame: &MapFrame, marks: &[ClusterMark]) -> String {
    let (w, h) = (frame.width, frame.height);
    let mut svg = format!(
        r##"<svg class="chart map" role="group" aria-label="{t}" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><rect x="0" y="0" width="{w}" height="{h}" fill="#f3f6f9" stroke="#d0d7de"/>"##,
        t = escape(title)
    );
    let (west, east, _, _) = frame.bounds;
    graticule(&mut svg, (w, h), frame.bounds, nice_step((east - west) / 5.0), frame.to_px);
    for m in marks {
        let ring = if m.current {
            format!(
                r##"<circle class="ring" cx="{:.1}" cy="{:.1}" r="13" fill="none" stroke="#1f2328" stroke-width="3"/>"##,
                m.x, m.y
            )
        } else {
            String::new()
        };
        let body = if m.count > 1 {
            let r = 10.0 + 3.5 * f64::from(m.count).log10();
            format!(
                r##"<circle class="cluster" cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{c}" fill-opacity="0.92" stroke="#ffffff" stroke-width="2"/><text x="{x:.1}" y="{y:.1}" text-anchor="middle" dominant-baseline="central" font-size="12" font-weight="700" fill="#ffffff">{n}</text>"##,
                x = m.x,
                y = m.y,
                c = m.colour,
                n = m.count
            )
        } else {
            format!(
                r##"<circle class="place" cx="{:.1}" cy="{:.1}" r="7" fill="{}" stroke="#ffffff" stroke-width="2"/>"##,
                m.x, m.y, m.colour
            )
        };
        let _ = write!(svg, r##"<a href="{}"><title>{}</title>{ring}{body}</a>"##, escape(&m.href), escape(&m.label));
    }
    scale_bar(&mut svg, (w, 40.0), frame.metres_per_px / 1000.0);
    svg.push_str("</svg>");
    svg
}

/// 1, 2 or 5 times a power of ten, at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.max(1e-6).log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= raw).unwrap_or(10.0 * p)
}

#[cfg(test)]
mod map_tests {
    use super::*;

    fn p(label: &str, lon: f64, lat: f64, up: Option<bool>) -> MapPoint {
        MapPoint { label: label.into(), lon, lat, href: format!("/p/{label}"), up }
    }

    #[test]
    fn points_land_inside_and_keep_their_order() {
        let svg = points(
            "视频点位",
            &[
                p("港区", 121.85, 29.93, Some(true)),
                p("九峰山", 121.95, 29.86, Some(false)),
                p("<x>", 121.80, 29.89, None),
            ],
        );
        assert!(svg.contains("&lt;x&gt;") && !svg.contains("<x>"), "names are escaped");
        // Names never overlap: crowded ones are left to their tooltips.
        let crowd: Vec<MapPoint> =
            (0..12).map(|i| p(&format!("点位{i}"), 121.8 + f64::from(i) * 0.0004, 29.9, None)).collect();
        let svg2 = points("挤", &crowd);
        assert_eq!(svg2.matches("<circle").count(), 12);
        assert!(svg2.matches("<text").count() < 12 + 6, "{svg2}");
        let circles: Vec<(f64, f64)> = svg
            .split("<circle ")
            .skip(1)
            .map(|c| {
                let num = |a: &str| c.split(a).nth(1).unwrap().split('"').next().unwrap().parse::<f64>().unwrap();
                (num("cx=\""), num("cy=\""))
            })
            .collect();
        assert_eq!(circles.len(), 3);
        for (x, y) in &circles {
            assert!((0.0..=720.0).contains(x) && (0.0..=420.0).contains(y), "{x},{y}");
        }
        // East is right, north is up.
        assert!(circles[1].0 > circles[0].0 && circles[1].1 > circles[0].1 && circles[2].0 < circles[0].0);
        assert!(svg.contains("公里") && svg.contains("°E") && svg.contains("离线"));
        // One point or none still draws.
        assert_eq!(points("空", &[]).matches("<circle").count(), 0);
        assert_eq!(points("一", &[p("a", 121.8, 29.9, None)]).matches("<circle").count(), 1);
        assert_eq!(nice_step(0.013), 0.02);
        assert_eq!(nice_step(0.3), 0.5);
    }
}

//! Pure: the map's geometry and clustering. Points are projected once to Web Mercator world
//! coordinates (0–1 on both axes, the projection every web basemap's tiles use); a view is a
//! zoom level, a centre and a size in pixels; clustering puts the points inside a view into a
//! grid of square cells `CELL_PX` wide at that zoom and answers one cluster per occupied cell
//! (its count and centroid). The points are kept sorted by x, so a view reads only its own
//! slice. No I/O.

use std::collections::HashMap;

/// Pixels across a tile at zoom 0; the world is `TILE_PX · 2^zoom` pixels wide at `zoom`.
pub const TILE_PX: f64 = 256.0;
/// The cluster grid's cell, in screen pixels.
pub const CELL_PX: f64 = 64.0;
pub const MIN_ZOOM: u8 = 3;
pub const MAX_ZOOM: u8 = 18;
/// Web Mercator's latitude limit.
const MAX_LAT: f64 = 85.051_128_78;

/// Longitude and latitude (degrees) → world coordinates in [0, 1].
pub fn project(lng: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lng + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x.clamp(0.0, 1.0), y.clamp(0.0, 1.0))
}

/// World coordinates → longitude and latitude (degrees).
pub fn unproject(x: f64, y: f64) -> (f64, f64) {
    let lng = x * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * y);
    (lng, n.sinh().atan().to_degrees())
}

/// One point as the map keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub id: i64,
    pub x: f64,
    pub y: f64,
    /// Index into the category table.
    pub category: u8,
}

/// What the map shows: `zoom`, the centre in world coordinates, the size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub zoom: u8,
    pub cx: f64,
    pub cy: f64,
    pub width: u32,
    pub height: u32,
}

/// A rectangle in world coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Bounds {
    /// From west, south, east, north in degrees.
    pub fn from_degrees(w: f64, s: f64, e: f64, n: f64) -> Bounds {
        let (x0, y1) = project(w, s);
        let (x1, y0) = project(e, n);
        Bounds { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) }
    }

    pub fn contains(&self, x: f64, y: f64) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
}

fn world_px(zoom: u8) -> f64 {
    TILE_PX * f64::from(1u32 << zoom)
}

impl View {
    pub fn new(zoom: u8, lng: f64, lat: f64, width: u32, height: u32) -> View {
        let (cx, cy) = project(lng, lat);
        View { zoom: zoom.clamp(MIN_ZOOM, MAX_ZOOM), cx, cy, width, height }
    }

    /// The largest zoom at which all `points` fit, centred on their extent (a default view of
    /// the city when there are none).
    pub fn fit<'a>(points: impl IntoIterator<Item = &'a Point>, width: u32, height: u32, fallback: (f64, f64)) -> View {
        let mut points = points.into_iter().peekable();
        let Some(first) = points.peek() else { return View::new(10, fallback.0, fallback.1, width, height) };
        let mut b = Bounds { x0: first.x, y0: first.y, x1: first.x, y1: first.y };
        for p in points {
            b.x0 = b.x0.min(p.x);
            b.x1 = b.x1.max(p.x);
            b.y0 = b.y0.min(p.y);
            b.y1 = b.y1.max(p.y);
        }
        // A margin of one cell on each side, so edge clusters are not cut.
        let fits = |z: u8| {
            let w = world_px(z);
            (b.x1 - b.x0) * w <= f64::from(width) - 2.0 * CELL_PX
                && (b.y1 - b.y0) * w <= f64::from(height) - 2.0 * CELL_PX
        };
        let zoom = (MIN_ZOOM..=MAX_ZOOM - 2).rev().find(|z| fits(*z)).unwrap_or(MIN_ZOOM);
        View { zoom, cx: (b.x0 + b.x1) / 2.0, cy: (b.y0 + b.y1) / 2.0, width, height }
    }

    pub fn bounds(&self) -> Bounds {
        let w = world_px(self.zoom);
        let hx = f64::from(self.width) / 2.0 / w;
        let hy = f64::from(self.height) / 2.0 / w;
        Bounds { x0: self.cx - hx, y0: self.cy - hy, x1: self.cx + hx, y1: self.cy + hy }
    }

    /// World coordinates → pixels in this view (origin top left).
    pub fn to_px(&self, x: f64, y: f64) -> (f64, f64) {
        let w = world_px(self.zoom);
        ((x - self.cx) * w + f64::from(self.width) / 2.0, (y - self.cy) * w + f64::from(self.height) / 2.0)
    }

    /// The centre in degrees.
    pub fn centre(&self) -> (f64, f64) {
        unproject(self.cx, self.cy)
    }

    /// The view moved by a fraction of its size (east and south positive).
    pub fn panned(&self, dx: f64, dy: f64) -> View {
        let w = world_px(self.zoom);
        View {
            cx: (self.cx + dx * f64::from(self.width) / w).clamp(0.0, 1.0),
            cy: (self.cy + dy * f64::from(self.height) / w).clamp(0.0, 1.0),
            ..*self
        }
    }

    pub fn zoomed(&self, by: i8) -> View {
        let z = i16::from(self.zoom) + i16::from(by);
        View { zoom: u8::try_from(z.clamp(i16::from(MIN_ZOOM), i16::from(MAX_ZOOM))).unwrap_or(MIN_ZOOM), ..*self }
    }

    /// Metres per pixel at the centre.
    pub fn metres_per_px(&self) -> f64 {
        let (_, lat) = self.centre();
        40_075_016.686 * lat.to_radians().cos() / world_px(self.zoom)
    }
}

/// One cell's points: how many, their centroid and, when it holds one point, which.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub count: u32,
    pub x: f64,
    pub y: f64,
    /// The point's id when `count` is 1.
    pub id: Option<i64>,
    /// One of its points (the first read), for a cluster that cannot be split further.
    pub first: i64,
    /// The category of its points when they share one.
    pub category: Option<u8>,
}

/// The points of a map, sorted by x so a view reads only its slice.
#[derive(Debug, Clone, Default)]
pub struct Index {
    points: Vec<Point>,
}

impl Index {
    pub fn new(mut points: Vec<Point>) -> Index {
        points.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.id.cmp(&b.id)));
        Index { points }
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The points inside `b` that `keep` accepts.
    pub fn within<'a>(&'a self, b: Bounds, keep: impl Fn(&Point) -> bool + 'a) -> impl Iterator<Item = &'a Point> + 'a {
        let start = self.points.partition_point(|p| p.x < b.x0);
        self.points[start..].iter().take_while(move |p| p.x <= b.x1).filter(move |p| b.contains(p.x, p.y) && keep(p))
    }

    /// The clusters of the points inside `b` that `keep` accepts, at `zoom`: one per occupied
    /// grid cell, the largest first (ties by position, so the answer is stable).
    pub fn clusters(&self, b: Bounds, zoom: u8, keep: impl Fn(&Point) -> bool) -> Vec<Cluster> {
        struct Acc {
            count: u32,
            sx: f64,
            sy: f64,
            id: i64,
            category: Option<u8>,
        }
        let cells = world_px(zoom) / CELL_PX;
        let mut grid: HashMap<(u32, u32), Acc> = HashMap::new();
        for p in self.within(b, keep) {
            // Truncation is the cell index; world coordinates are within [0, 1].
            let cell = ((p.x * cells) as u32, (p.y * cells) as u32);
            let acc =
                grid.entry(cell).or_insert(Acc { count: 0, sx: 0.0, sy: 0.0, id: p.id, category: Some(p.category) });
            acc.count += 1;
            acc.sx += p.x;
            acc.sy += p.y;
            if acc.category != Some(p.category) {
                acc.category = None;
            }
        }
        let mut out: Vec<Cluster> = grid
            .into_values()
            .map(|a| {
                let n = f64::from(a.count);
                Cluster {
                    count: a.count,
                    x: a.sx / n,
                    y: a.sy / n,
                    id: (a.count == 1).then_some(a.id),
                    first: a.id,
                    category: a.category,
                }
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.x.total_cmp(&b.x)).then(a.y.total_cmp(&b.y)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(id: i64, lng: f64, lat: f64, category: u8) -> Point {
        let (x, y) = project(lng, lat);
        Point { id, x, y, category }
    }

    #[test]
    fn projection_round_trips_and_matches_known_tiles() {
        for (lng, lat) in [(126.642464, 45.756967), (0.0, 0.0), (-73.98, 40.75), (179.9, -60.0)] {
            let (x, y) = project(lng, lat);
            let (l2, a2) = unproject(x, y);
            assert!((lng - l2).abs() < 1e-9 && (lat - a2).abs() < 1e-9, "{lng},{lat}");
        }
        // Harbin's centre is in tile 10/872/365 (x = floor(x · 2^10); by hand: y = (1 − ln(tan φ + sec φ)/π)/2 = 0.3567).
        let (x, y) = project(126.642464, 45.756967);
        assert_eq!(((x * 1024.0) as u32, (y * 1024.0) as u32), (872, 365));
        assert_eq!(project(0.0, 0.0), (0.5, 0.5));
    }

    #[test]
    fn every_point_in_view_is_in_exactly_one_cluster() {
        let mut g = 7u64;
        let mut next = || {
            g = g.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (g >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<Point> =
            (0..5000).map(|i| pt(i, 126.3 + next() * 0.8, 45.5 + next() * 0.5, (i % 9) as u8)).collect();
        let idx = Index::new(pts.clone());
        let all = View::fit(idx.points(), 720, 480, (0.0, 0.0));
        for zoom in MIN_ZOOM..=MAX_ZOOM {
            let v = View { zoom, ..all };
            let b = v.bounds();
            let expected = pts.iter().filter(|p| b.contains(p.x, p.y)).count();
            let cs = idx.clusters(b, zoom, |_| true);
            assert_eq!(cs.iter().map(|c| c.count as usize).sum::<usize>(), expected, "zoom {zoom}");
            // One cluster per cell: no two centroids share a cell.
            let cells = world_px(zoom) / CELL_PX;
            let mut seen = std::collections::HashSet::new();
            for c in &cs {
                assert!(c.count > 0);
                assert_eq!(c.id.is_some(), c.count == 1);
                assert!(seen.insert(((c.x * cells) as u32, (c.y * cells) as u32)), "zoom {zoom}");
            }
            assert!(cs.windows(2).all(|w| w[0].count >= w[1].count));
        }
        // The fitted view shows every point, in few clusters.
        let cs = idx.clusters(all.bounds(), all.zoom, |_| true);
        assert_eq!(cs.iter().map(|c| c.count).sum::<u32>(), 5000);
        assert!(cs.len() <= 120, "{}", cs.len());
        // A filter keeps only its points.
        let only = idx.clusters(all.bounds(), all.zoom, |p| p.category == 2);
        assert_eq!(only.iter().map(|c| c.count).sum::<u32>(), pts.iter().filter(|p| p.category == 2).count() as u32);
        assert!(only.iter().all(|c| c.category == Some(2)));
    }

    #[test]
    fn a_cluster_of_one_names_its_point_and_mixed_cells_have_no_category() {
        let idx = Index::new(vec![pt(1, 126.60, 45.75, 0), pt(2, 126.6001, 45.7501, 3), pt(3, 127.5, 45.0, 4)]);
        let b = Bounds::from_degrees(126.0, 44.0, 128.0, 46.0);
        let cs = idx.clusters(b, 8, |_| true);
        assert_eq!(cs.len(), 2);
        assert_eq!((cs[0].count, cs[0].id, cs[0].category), (2, None, None));
        assert_eq!((cs[1].count, cs[1].id, cs[1].category), (1, Some(3), Some(4)));
        // Outside the bounds nothing is read.
        assert!(idx.clusters(Bounds::from_degrees(100.0, 20.0, 101.0, 21.0), 8, |_| true).is_empty());
    }

    #[test]
    fn views_pan_zoom_and_fit() {
        let v = View::new(12, 126.64, 45.75, 720, 480);
        let (px, py) = v.to_px(v.cx, v.cy);
        assert_eq!((px, py), (360.0, 240.0));
        let b = v.bounds();
        assert!((v.to_px(b.x0, b.y0).0).abs() < 1e-6 && (v.to_px(b.x1, b.y1).1 - 480.0).abs() < 1e-6);
        let east = v.panned(0.5, 0.0);
        assert!((v.to_px(east.cx, east.cy).0 - 720.0).abs() < 1e-6);
        assert_eq!(v.zoomed(20).zoom, MAX_ZOOM);
        assert_eq!(v.zoomed(-20).zoom, MIN_ZOOM);
        // About 25 m per pixel at zoom 12 in Harbin.
        assert!((v.metres_per_px() - 26.6).abs() < 1.0, "{}", v.metres_per_px());
        // An empty map falls back to the city centre.
        let f = View::fit([], 720, 480, (126.64, 45.75));
        assert_eq!(f.zoom, 10);
        // One point fits at the deepest fitting zoom.
        let one = View::fit(&[pt(1, 126.64, 45.75, 0)], 720, 480, (0.0, 0.0));
        assert_eq!(one.zoom, MAX_ZOOM - 2);
    }
}

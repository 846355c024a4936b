"""地图服务 benchmark driver (issue 20; not a test). Called by bench/map.sh with a running
`zhengwu serve` whose map holds N points:

1. The first answer after start (the snapshot of all points is read and projected once).
2. clusters.json: 600 requests over one keep-alive connection, each a 720 x 480 px view at a
   random zoom (3–18) centred on a random point of the city, a third of them filtered by a
   category; p50/p95/max, with the clusters and points each answer held.
3. The map page /shuju/ditu/ (filter form, drawn map, legend, list): 200 random views; p50/p95.
4. GET /healthz 600 times on the same connection: the floor of an HTTP answer here.

Usage: python bench.py HOST:PORT N"""

import http.client
import json
import math
import random
import sys
import time

host, n = sys.argv[1], int(sys.argv[2])
conn = http.client.HTTPConnection(host, timeout=60)
CATEGORIES = ["banshi", "xuexiao", "yiyuan", "jingdian", "bianmin", "gongyuan", "jiaotong", "wenti", "yanglao"]


def get(path):
    t = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    ms = (time.perf_counter() - t) * 1000
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status} {body[:200]!r}")
    return ms, body


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(p / 100 * len(xs))) - 1)]


def bbox(zoom, lng, lat, w=720, h=480):
    # The view's bounds in degrees (Web Mercator), as a map client asks.
    world = 256 * 2 ** zoom
    x = (lng + 180) / 360
    s = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    x0, x1 = x - w / 2 / world, x + w / 2 / world
    y0, y1 = y - h / 2 / world, y + h / 2 / world
    lon = lambda xx: xx * 360 - 180
    la = lambda yy: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy))))
    return f"{lon(x0):.6f},{la(y1):.6f},{lon(x1):.6f},{la(y0):.6f}"


random.seed(20061106)
first, body = get("/shuju/ditu/clusters.json?z=3&bbox=73,3,136,54")
total = sum(f["properties"]["count"] for f in json.loads(body)["features"])
print(f"points on the map: {total} (asked for {n}); first answer (reads and projects every point): {first:.1f} ms")

# Random places of the city: the demo's district seats, spread like its points.
SEATS = [(126.6166, 45.7701), (126.6690, 45.7600), (126.6490, 45.7920), (126.6370, 45.5980), (126.5630, 45.8080),
         (126.6800, 45.7240), (126.5880, 45.8890), (126.9580, 45.5480), (126.3120, 45.3830), (128.0090, 45.2100)]
times, clusters, points = [], [], []
by_zoom = {}
for i in range(600):
    z = random.randint(3, 18)
    lng, lat = random.choice(SEATS)
    lng += random.uniform(-0.05, 0.05)
    lat += random.uniform(-0.04, 0.04)
    q = f"/shuju/ditu/clusters.json?z={z}&bbox={bbox(z, lng, lat)}"
    if i % 3 == 0:
        q += "&category=" + random.choice(CATEGORIES)
    ms, body = get(q)
    feats = json.loads(body)["features"]
    times.append(ms)
    clusters.append(len(feats))
    points.append(sum(f["properties"]["count"] for f in feats))
    by_zoom.setdefault(z // 4, []).append(ms)
print(f"clusters.json x600: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms, max {max(times):.2f} ms; "
      f"clusters per answer p50 {pct(clusters, 50)} max {max(clusters)}; points per answer p50 {pct(points, 50)} max {max(points)}")
for k in sorted(by_zoom):
    xs = by_zoom[k]
    print(f"  zoom {k * 4}-{k * 4 + 3}: {len(xs)} answers, p95 {pct(xs, 95):.2f} ms")

page = []
for i in range(200):
    z = random.randint(8, 17)
    lng, lat = random.choice(SEATS)
    ms, _ = get(f"/shuju/ditu/?z={z}&lng={lng + random.uniform(-0.03, 0.03):.6f}&lat={lat + random.uniform(-0.03, 0.03):.6f}")
    page.append(ms)
whole = [get("/shuju/ditu/")[0] for _ in range(20)]
print(f"map page x200 (random views): p50 {pct(page, 50):.2f} ms, p95 {pct(page, 95):.2f} ms; whole city x20: p95 {pct(whole, 95):.2f} ms")

floor = [get("/healthz")[0] for _ in range(600)]
print(f"GET /healthz x600 (floor): p50 {pct(floor, 50):.2f} ms, p95 {pct(floor, 95):.2f} ms")

"""The open-data catalogue's CKAN Action API checked with a real, independent CKAN client:
`ckanapi` (PyPI, MIT) — the library harvesters and scripts use against CKAN portals — reads a
running `zhengwu demo`: package_list, package_search (words, fq by organization, paging, rows over
the limit refused), package_show by name and by id, organization_list and organization_show, a
missing dataset raising NotFound, a draft never listed, and a write refused. The DCAT-AP document
each dataset advertises is fetched and parsed as JSON-LD. Usage: python check.py http://127.0.0.1:PORT"""

import sys

import requests
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError

base = sys.argv[1].rstrip("/")
failures = 0


def check(ok, what):
    global failures
    print(("✓ " if ok else "✗ ") + what)
    if not ok:
        failures += 1


ckan = RemoteCKAN(base, user_agent="zhengwu-ci/1.0 (ckanapi)")

names = ckan.action.package_list()
check(len(names) == 4 and "qiye-minglu" in names, f"package_list: {names}")
check("shipin-choujian" not in names, "package_list: the draft is not listed")
check(ckan.action.package_list(limit=2, offset=1) == names[1:3], "package_list: limit and offset")

found = ckan.action.package_search(q="企业", rows=10)
check(found["count"] >= 2 and all("企业" in (p["title"] + p["notes"] + ",".join(t["name"] for t in p["tags"])) for p in found["results"]), f"package_search q=企业: {found['count']}")
everything = ckan.action.package_search(rows=1000)
check(everything["count"] == 4 and len(everything["results"]) == 4, "package_search: all published datasets")
page2 = ckan.action.package_search(rows=2, start=2, sort="name asc")
check([p["name"] for p in page2["results"]] == sorted(names)[2:4], "package_search: paging in name order")
regulator = ckan.action.package_show(id="qiye-minglu")["organization"]["name"]
scj = ckan.action.package_search(fq=f"organization:{regulator}")
check(scj["count"] == 2 and all(p["organization"]["name"] == regulator for p in scj["results"]), f"package_search fq=organization:{regulator}: {scj['count']}")
try:
    ckan.action.package_search(rows=5000)
    check(False, "package_search rows=5000 is refused")
except ValidationError:
    check(True, "package_search rows=5000 is refused")

pkg = ckan.action.package_show(id="qiye-minglu")
check(pkg["title"] == "哈尔滨市企业名录" and pkg["organization"]["title"] == "哈尔滨市市场监督管理局", "package_show by name")
check(pkg["num_resources"] == 1 and pkg["resources"][0]["format"] == "CSV", "package_show: the directory resource")
check(ckan.action.package_show(id=pkg["id"])["name"] == "qiye-minglu", "package_show by id")
csv = requests.get(pkg["resources"][0]["url"])
check(csv.status_code == 200 and "统一社会信用代码" in csv.content.decode("utf-8-sig").splitlines()[0], "the resource URL downloads the directory as CSV")
check("联系电话" not in csv.content.decode("utf-8-sig"), "the download has no non-public field")

halls = ckan.action.package_show(id="banshi-dating")
res = halls["resources"][0]
check(res["version"] == 2 and res["hash"].startswith("sm3:") and res["size"] > 0, "package_show: a file resource's newest version, size and SM3")

try:
    ckan.action.package_show(id="shipin-choujian")
    check(False, "a draft is not found")
except NotFound:
    check(True, "a draft is not found")
try:
    ckan.action.package_show(id="no-such-dataset")
    check(False, "a missing dataset raises NotFound")
except NotFound:
    check(True, "a missing dataset raises NotFound")

orgs = ckan.action.organization_list()
check(len(orgs) == 2 and regulator in orgs, f"organization_list: {orgs}")
detail = ckan.action.organization_list(all_fields=True)
titles = sorted(o["title"] for o in detail)
check(titles == ["哈尔滨市市场监督管理局", "哈尔滨市政务服务中心"] and all(o["package_count"] == 2 for o in detail), "organization_list all_fields with package counts")
check(ckan.action.organization_show(id=regulator)["title"] == "哈尔滨市市场监督管理局", "organization_show")

try:
    ckan.action.package_create(name="x", title="x")
    check(False, "package_create is refused")
except NotAuthorized:
    check(True, "package_create is refused")

page = requests.get(f"{base}/shuju/datasets/qiye-minglu").text
check('rel="alternate" href="/shuju/datasets/qiye-minglu/dcat.jsonld" type="application/ld+json"' in page, "the dataset page advertises its DCAT-AP document")
doc = requests.get(f"{base}/shuju/datasets/qiye-minglu/dcat.jsonld").json()
check(doc["@type"] == "dcat:Dataset" and doc["dcat:distribution"][0]["dcat:downloadURL"]["@id"].endswith("/download"), "DCAT-AP dataset document")
cat = requests.get(f"{base}/shuju/catalog.jsonld").json()
check(cat["@type"] == "dcat:Catalog" and len(cat["dcat:dataset"]) == 4, "DCAT-AP catalogue document")

print(f"ckanapi: {failures} failure(s)")
sys.exit(1 if failures else 0)

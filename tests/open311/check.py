"""Open311 GeoReport v2 checked with a real, independent client: the `georeport` package (PyPI,
Apache-2.0) reads services, a service definition and requests in JSON and in XML from a running
`zhengwu demo`; filing (which that client does not do) is a plain form POST as the spec describes,
with an API key made in the back office like an administrator would. Personal data must not appear
in anything read back, and a request nobody published is visible only to the key that filed it
(status only). Usage: python check.py http://127.0.0.1:PORT"""

import re
import sys

import requests
from georeport import GeoReport

base = sys.argv[1].rstrip("/")
failures = 0


def check(ok, what):
    global failures
    print(("✓ " if ok else "✗ ") + what)
    if not ok:
        failures += 1


# An administrator makes an API key for the 12345 hotline.
s = requests.Session()
page = s.get(f"{base}/admin/login").text
csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
s.post(f"{base}/admin/login", data={"username": "siteadmin", "password": "Zhengwu@2026", "_csrf": csrf})
page = s.get(f"{base}/admin/mailboxes").text
csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
page = s.post(f"{base}/admin/mailboxes/keys", data={"name": "12345 市民热线（检查）", "_csrf": csrf}).text
key = re.search(r"<code>([^<]+)</code>", page).group(1)

for fmt in ("json", "xml"):
    client = GeoReport(f"{base}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    check(len(services) >= 10 and all("service_code" in x and "service_name" in x for x in services), f"{fmt}: services ({len(services)})")
    code = next(x["service_code"] for x in services if x["service_code"].startswith("szxx_"))
    definition = client.get_service_definition(code)
    check(definition["service_code"] == code, f"{fmt}: service definition {code}")

    # File a letter (JSON reply) and read it back with the client.
    r = requests.post(
        f"{base}/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": code,
            "first_name": "秀兰",
            "last_name": "赵",
            "phone": "13698765432",
            "email": "zxl@example.cn",
            "description": "群力新区第五大道路口信号灯故障，早高峰拥堵严重，请尽快修复。联系电话13698765432。",
        },
    )
    check(r.status_code == 201, f"{fmt}: POST requests → {r.status_code}")
    rid = r.json()[0]["service_request_id"]
    # The public (the client has no key for reads) sees nothing of an unpublished request.
    try:
        client.get_service_request(rid)
        check(False, f"{fmt}: unpublished request {rid} is not public")
    except requests.HTTPError as e:
        check(e.response.status_code == 404, f"{fmt}: unpublished request {rid} answers 404 to the public")
    # The hotline follows its own request with its key: status, no text.
    own = requests.get(f"{base}/open311/v2/requests/{rid}.json", params={"api_key": key})
    check(own.status_code == 200 and own.json()[0]["status"] == "open" and own.json()[0]["description"] == "", f"{fmt}: the filing key sees {rid}'s status")
    recent = client.get_service_requests(status="closed")
    recent = recent if isinstance(recent, list) else [recent]
    check(len(recent) > 0 and all(x["status"] == "closed" for x in recent), f"{fmt}: published closed requests of the last 90 days ({len(recent)})")
    published = recent[0]["service_request_id"]
    one = client.get_service_request(published)
    check(one["service_request_id"] == published and one["description"], f"{fmt}: published request {published} read by the client")
    listed = client.get_service_requests(service_request_id=published)
    listed = listed if isinstance(listed, list) else [listed]
    check(any(x["service_request_id"] == published for x in listed), f"{fmt}: listed by id")
    text = str(one) + str(listed) + str(recent) + own.text
    check(not any(p in text for p in ("赵秀兰", "13698765432", "zxl@example.cn", "信号灯")), f"{fmt}: no personal data in what is read back")

bad = requests.post(f"{base}/open311/v2/requests.json", data={"api_key": "wrong", "service_code": "szxx"})
check(bad.status_code == 403 and bad.json()[0]["code"] == 403, "a wrong api_key is refused in GeoReport's error format")
print(f"open311: {failures} problems" if failures else "open311: all checks passed")
sys.exit(1 if failures else 0)

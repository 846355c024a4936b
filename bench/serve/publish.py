"""Publish-to-visible under load (bench/serve.sh, issue 7 item 3).

Publishes, edits and withdraws articles through the API while wrk loads the server, and measures
the time from the API call that makes the change live (the last approval, or the withdrawal)
until the public article page, the channel's list page and its RSS feed reflect it.

    python3 publish.py BASE_URL CHANNEL_ID EDITOR_TOKEN DEPT_TOKEN OFFICE_TOKEN ROUNDS
"""

import json
import statistics
import sys
import time
import urllib.error
import urllib.request

BASE, CHANNEL, EDITOR, DEPT, OFFICE, ROUNDS = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6], int(sys.argv[6])
TIMEOUT = 10.0


def api(method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        return json.loads(r.read() or b"{}")


def page(path):
    try:
        with urllib.request.urlopen(BASE + path, timeout=TIMEOUT) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def wait_all(checks):
    """Milliseconds from now until each named check first holds, polling every 10 ms."""
    t0 = time.monotonic()
    seen = {}
    while len(seen) < len(checks):
        if time.monotonic() - t0 > TIMEOUT:
            raise SystemExit("超时：%.0f 秒内未见变化：%s" % (TIMEOUT, [k for k in checks if k not in seen]))
        for name, check in checks.items():
            if name not in seen and check():
                seen[name] = (time.monotonic() - t0) * 1000
        time.sleep(0.01)
    return seen


def review(aid):
    api("POST", "/api/v1/articles/%d/actions/submit" % aid, EDITOR, {"comment": "请审核"})
    api("POST", "/api/v1/articles/%d/actions/approve" % aid, DEPT, {"comment": "同意"})
    api("POST", "/api/v1/articles/%d/actions/approve" % aid, OFFICE, {"comment": "同意发布"})


found = {}
for i in range(ROUNDS):
    stamp = "%d-%d" % (int(time.time()), i)
    title = "压力测试期间发布的通知（%s）" % stamp
    a = api("POST", "/api/v1/articles", EDITOR, {"channel_id": CHANNEL, "title": title, "body": "<p>用于测量发布生效时间。</p>"})
    aid = a["id"]
    art, lst, feed = "/a/%d.html" % aid, "/c/%d/" % CHANNEL, "/c/%d/rss.xml" % CHANNEL
    review(aid)
    times = wait_all({
        "发布-信息页": lambda: title in page(art)[1],
        "发布-列表页": lambda: title in page(lst)[1],
        "发布-订阅源": lambda: title in page(feed)[1],
    })
    new_title = title.replace("通知", "更正通知")
    api("PATCH", "/api/v1/articles/%d" % aid, EDITOR, {"channel_id": CHANNEL, "title": new_title, "body": "<p>更正后的正文。</p>"})
    review(aid)
    times.update(wait_all({
        "修改-信息页": lambda: new_title in page(art)[1],
        "修改-列表页": lambda: new_title in page(lst)[1],
    }))
    api("POST", "/api/v1/articles/%d/actions/withdraw" % aid, OFFICE, {"comment": "测试结束撤回"})
    times.update(wait_all({
        "撤回-信息页": lambda: page(art)[0] in (404, 410),
        "撤回-列表页": lambda: new_title not in page(lst)[1],
        "撤回-订阅源": lambda: new_title not in page(feed)[1],
    }))
    for k, v in times.items():
        found.setdefault(k, []).append(v)

for k, v in found.items():
    v = sorted(v)
    p99 = v[min(len(v) - 1, round(0.99 * (len(v) - 1)))]
    print("PUBLISH %s %.0f %.0f %d" % (k, statistics.median(v), p99, len(v)))

-- wrk script for bench/letters.sh: every request takes a random line of the URL file named after
-- "--"; the session cookie (a signed-in back-office user) comes from ZW_COOKIE. done() prints one
-- machine-readable RESULT line: requests/s, p50 ms, p99 ms, non-2xx, socket errors.
local urls = {}
local cookie = os.getenv("ZW_COOKIE") or ""

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then urls[#urls + 1] = line end
  end
  math.randomseed(math.floor(os.clock() * 1e6) + os.time() + #tostring({}))
end

function request()
  local path = urls[math.random(#urls)]
  if cookie ~= "" then
    return wrk.format("GET", path, { ["Cookie"] = cookie })
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

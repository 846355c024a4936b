-- wrk script for bench/services.sh: POSTs the form body in ZW_BODY (urlencoded) with the cookie in
-- ZW_COOKIE — the applicant's status query by receipt number and query code. done() prints one
-- RESULT line: requests/s, p50 ms, p99 ms, non-2xx, socket errors.
local body = os.getenv("ZW_BODY") or ""
local cookie = os.getenv("ZW_COOKIE") or ""

function request()
  return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

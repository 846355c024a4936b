-- wrk script for bench/courseware.sh: every request asks for a random 256 KB range of the video
-- whose path and size follow "--", as a player seeking through a lesson does. done() prints one
-- RESULT line: requests/s, MB/s, p50 ms, p99 ms, non-206 answers, socket errors.
local path, size
local chunk = 256 * 1024
local wrong = 0

function init(args)
  path = args[1]
  size = tonumber(args[2])
  math.randomseed(math.floor(os.clock() * 1e6) + os.time() + #tostring({}))
end

function request()
  local from = math.random(0, size - chunk)
  return wrk.format("GET", path, { ["Range"] = "bytes=" .. from .. "-" .. (from + chunk - 1) })
end

function response(status, headers, body)
  if status ~= 206 then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT %.1f %.1f %.3f %.3f %d %d\n",
    summary.requests / secs, summary.bytes / secs / 1048576,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

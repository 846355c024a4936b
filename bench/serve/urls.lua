-- wrk script for bench/serve.sh: every request takes a random line of the URL file named after
-- "--" on the wrk command line. A line is "PATH" or "PATH<TAB>ETAG" (sent as If-None-Match, for
-- the 304 revalidation class). done() prints one machine-readable RESULT line.
local urls = {}

function init(args)
  for line in io.lines(args[1]) do
    local path, etag = line:match("^([^\t]+)\t?(.*)$")
    if path then
      urls[#urls + 1] = { path, etag }
    end
  end
  math.randomseed(math.floor(os.clock() * 1e6) + os.time() + #tostring({}))
end

function request()
  local u = urls[math.random(#urls)]
  if u[2] ~= "" then
    return wrk.format("GET", u[1], { ["If-None-Match"] = u[2] })
  end
  return wrk.format("GET", u[1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

-- wrk script for bench/analytics.sh: browsers, not a load generator. Every request takes a random
-- line of the URL file named after "--" and comes from one of 20,000 visitors (an address in
-- X-Forwarded-For and one of five browsers' user agents), a third of them from a search engine.
-- Optional arguments after the URL file: a mode, "browser" (default) or "crawler" (a search
-- engine's crawler: served, never counted — to measure serving while browsers are counted), and
-- a pause in milliseconds before each request of a connection (to pace the counted load).
-- done() prints: requests/s, p50 ms, p99 ms, non-2xx, socket errors, total requests.
local urls = {}
local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0",
  "Mozilla/5.0 (Linux; Android 14; HUAWEI) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
  "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1",
}

local crawler = false
local pause = 0

function init(args)
  crawler = args[2] == "crawler"
  pause = tonumber(args[3] or "0") or 0
  for line in io.lines(args[1]) do
    if line ~= "" then urls[#urls + 1] = line end
  end
  math.randomseed(math.floor(os.clock() * 1e6) + os.time() + #tostring({}))
end

function delay()
  return pause
end

function request()
  if crawler then
    return wrk.format("GET", urls[math.random(#urls)], { ["User-Agent"] = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)" })
  end
  local v = math.random(20000)
  local headers = {
    ["User-Agent"] = agents[v % 5 + 1],
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", v % 7, math.floor(v / 256) % 256, v % 256),
  }
  if v % 3 == 0 then headers["Referer"] = "https://www.baidu.com/s?wd=%E5%8A%9E%E4%BA%8B" end
  return wrk.format("GET", urls[math.random(#urls)], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end

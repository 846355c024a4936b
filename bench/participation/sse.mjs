// Live-interview load (issue 18): N viewers hold server-sent-event streams of one interview while
// a message is posted every second; reports how many viewers stayed connected, how many deliveries
// arrived, delivery latency p50/p99/max (post sent → event parsed by the viewer, same clock) and
// the server's resident memory (peak and at the end) read from /proc.
//   node bench/participation/sse.mjs BASE INTERVIEW_ID VIEWERS SECONDS TOKEN SERVER_PID
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [base, id, viewersArg, secondsArg, token, pid] = process.argv.slice(2);
const viewers = Number(viewersArg);
const seconds = Number(secondsArg);
const url = new URL(`${base}/canyu/interviews/${id}/live`);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const latencies = [];
let connected = 0;
let failed = 0;
let received = 0;

function rssKb() {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(s.match(/VmRSS:\s+(\d+)/)[1]);
  } catch {
    return 0;
  }
}

// Viewers join as a page rendered now would: from the interview's current revision.
const since = (await (await fetch(`${base}/api/v1/public/interviews/${id}/transcript`)).json()).rev;

function open(i) {
  return new Promise((resolve) => {
    const req = http.get({ host: url.hostname, port: url.port, path: `${url.pathname}?since=${since}`, agent, headers: { 'x-forwarded-for': `10.${(i >> 8) & 255}.${i & 255}.7` } }, (res) => {
      if (res.statusCode !== 200) {
        failed++;
        res.resume();
        return resolve();
      }
      connected++;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let at;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const m = event.match(/bench:(\d+)/);
          if (m) {
            latencies.push(Date.now() - Number(m[1]));
            received++;
          }
        }
      });
      res.on('end', () => connected--);
      resolve();
    });
    req.on('error', () => { failed++; resolve(); });
  });
}

const rssBefore = rssKb();
for (let i = 0; i < viewers; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, viewers - i) }, (_, k) => open(i + k)));
}
const rssConnected = rssKb();
let posted = 0;
let peak = rssConnected;
const post = async () => {
  const body = JSON.stringify({ speaker: 'host', name: '压测主持人', body: `bench:${Date.now()} 这是第 ${posted + 1} 条直播消息，用于测量送达时间。` });
  const r = await fetch(`${base}/api/v1/interviews/${id}/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  if (r.ok) posted++;
  else console.error('post failed', r.status, await r.text());
};
for (let s = 0; s < seconds; s++) {
  const t = Date.now();
  await post();
  peak = Math.max(peak, rssKb());
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t))));
}
await new Promise((r) => setTimeout(r, 2000));
peak = Math.max(peak, rssKb());
latencies.sort((a, b) => a - b);
const q = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
console.log(JSON.stringify({
  viewers, connected, failed, posted, expected: posted * viewers, received,
  p50_ms: q(0.5), p99_ms: q(0.99), max_ms: latencies[latencies.length - 1],
  rss_mb: { before: Math.round(rssBefore / 1024), connected: Math.round(rssConnected / 1024), peak: Math.round(peak / 1024) },
}));
process.exit(0);

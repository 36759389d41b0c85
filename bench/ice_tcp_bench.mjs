// CPU per forwarded packet over ICE-TCP, against UDP measured in the same run
// (issue 12: "CPU per forwarded packet on TCP compared with UDP"). For each
// round, alternating: a server offering UDP (the default; browsers pick it)
// and one with UDP blocked (--test-no-udp: ICE-TCP only) each carry the same
// call of three Chromium participants (fake 1280x720 camera and microphone,
// every one receiving the other two). After a warm-up, sealroomd's CPU time
// (user + system, /proc/PID/stat) and the packets it sent (/metrics) are
// read over a window; prints microseconds of CPU per packet sent for each
// transport, per round and as medians, and TCP's ratio to UDP.
//   node bench/ice_tcp_bench.mjs [rounds] [window seconds]
import { readFileSync } from 'node:fs';
import { startServer, stopServer } from '../tests/lib/server.mjs';
import { launchChromium, sleep } from '../tests/lib/browser.mjs';

const ROUNDS = Number(process.argv[2] || 2);
const WINDOW_S = Number(process.argv[3] || 15);
const WARMUP_S = 10;
const TICK_US = 1e6 / 100; // USER_HZ (sysconf(_SC_CLK_TCK)) is 100 on Linux

function cpuUs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime
}

async function metric(s, name) {
  const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
  return Number((text.match(new RegExp(`^${name} (\\d+)`, 'm')) || [])[1]);
}

async function measure(browser, transport) {
  const args = ['--rate-limit', '0', '--log-level', 'warn', ...(transport === 'tcp' ? ['--test-mode', '--test-no-udp'] : [])];
  const s = await startServer({ args });
  const pages = [];
  try {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'bench' });
    if (r.status !== 200 && r.status !== 201) throw new Error(r.text);
    for (const name of ['Ann', 'Bob', 'Cy']) {
      const page = await (await browser.newContext()).newPage();
      pages.push(page);
      await page.goto(`${s.url}/bench`);
      await page.fill('#name', name);
      await page.click('#join');
      await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
    }
    await sleep(WARMUP_S * 1000);
    const tcpOpen = await metric(s, 'sealroom_media_tcp_connections');
    if ((transport === 'tcp') !== (tcpOpen > 0)) throw new Error(`${transport} run has ${tcpOpen} TCP connections`);
    const c0 = cpuUs(s.child.pid), p0 = await metric(s, 'sealroom_media_packets_out_total');
    await sleep(WINDOW_S * 1000);
    const c1 = cpuUs(s.child.pid), p1 = await metric(s, 'sealroom_media_packets_out_total');
    const packets = p1 - p0;
    return { usPerPacket: (c1 - c0) / packets, pps: packets / WINDOW_S, cpuPct: (c1 - c0) / (WINDOW_S * 1e4) };
  } finally {
    for (const p of pages) await p.context().close();
    await stopServer(s);
  }
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const browser = await launchChromium();
const got = { udp: [], tcp: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const transport of round % 2 ? ['udp', 'tcp'] : ['tcp', 'udp']) {
      const m = await measure(browser, transport);
      got[transport].push(m.usPerPacket);
      console.log(`round ${round} ${transport}: ${m.usPerPacket.toFixed(2)} us CPU per packet sent ` +
        `(${m.pps.toFixed(0)} packets/s, sealroomd at ${m.cpuPct.toFixed(1)}% of a core)`);
    }
  }
} finally {
  await browser.close();
}
const u = median(got.udp), t = median(got.tcp);
console.log(`median: UDP ${u.toFixed(2)} us/packet, TCP ${t.toFixed(2)} us/packet; TCP/UDP ratio ${(t / u).toFixed(2)}`);

// bench/janus/chromium_check.mjs <http-port> [transcript.txt]
//
// Confirms that a Janus started by start.sh forwards media on loopback, and
// records the exact Janus HTTP API exchange (README.md's captures come from
// here): Chromium (Debian's, fake camera and microphone) publishes audio+VP8
// into a new VideoRoom room through the plain HTTP API driven from Node, and a
// second PeerConnection in the same page subscribes to that feed. Passes when
// the subscriber has decoded video frames and received audio, and prints what
// the ICE exchange looked like (who was controlling, whether Janus sent checks).
//
//   bench/janus/start.sh 8088 /tmp/janus-w > /tmp/janus.log 2>&1 &
//   bench/janus/wait_ready.sh 8088 && node bench/janus/chromium_check.mjs 8088 /tmp/janus-api.txt
//   (options: --offer-setup-active --no-candidates, see below; --hold=<s> keeps
//   the call up that long after the check, e.g. to measure Janus's CPU)
//
// Needs playwright-core from tests/node_modules (npm ci in tests/), found next
// to this checkout or in $SEALROOM_NODE_MODULES.
import { createRequire } from 'node:module';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const candidates = [process.env.SEALROOM_NODE_MODULES, join(here, '../../tests/node_modules'), '/work/main/tests/node_modules']
  .filter(Boolean);
const nm = candidates.find((p) => existsSync(join(p, 'playwright-core')));
if (!nm) { console.error('playwright-core not found (set SEALROOM_NODE_MODULES)'); process.exit(2); }
const { chromium } = createRequire(join(nm, 'x.js'))('playwright-core');

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const PORT = Number(args[0] || 8088);
const OUT = args[1];
// --offer-setup-active: send the publisher offer with a=setup:active (Janus then
//   answers passive and is the DTLS server, as the load tool's DTLS client wants)
// --no-candidates: strip a=candidate lines from what we send (Janus ICE-lite
//   then learns our address from our checks, as peer-reflexive)
const munge = (sdp, isOffer) => {
  if (isOffer && flags.includes('--offer-setup-active')) sdp = sdp.replace(/a=setup:actpass/g, 'a=setup:active');
  if (flags.includes('--no-candidates')) sdp = sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
  return sdp;
};
const BASE = `http://127.0.0.1:${PORT}/janus`;
const log = [];
const note = (s) => { log.push(s); console.log(s); };
const rec = (title, obj) => log.push(`--- ${title}\n${JSON.stringify(obj, null, 2)}`);
const tx = () => Math.random().toString(36).slice(2, 14);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(path, body) {
  body = { ...body, transaction: tx() };
  rec(`POST /janus${path}`, body);
  const r = await fetch(BASE + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json();
  rec(`<- HTTP ${r.status}`, j);
  if (j.transaction !== body.transaction) throw new Error(`transaction mismatch ${JSON.stringify(j)}`);
  if (j.janus === 'error') throw new Error(`janus error ${JSON.stringify(j)}`);
  return j;
}

// One long-poll loop per session: GET /janus/<session>?maxev=N returns an
// array of up to N events (or a single {"janus":"keepalive"} after 30 s idle).
class Session {
  constructor(id) { this.id = id; this.events = []; this.waiters = []; this.closed = false; this.loop(); }
  async loop() {
    while (!this.closed) {
      let evs;
      try {
        const r = await fetch(`${BASE}/${this.id}?rid=${Date.now()}&maxev=10`);
        evs = await r.json();
      } catch (e) { if (!this.closed) note(`long-poll error ${e}`); return; }
      if (!Array.isArray(evs)) evs = [evs];
      for (const e of evs) {
        rec(`<- long-poll GET /janus/${this.id}?maxev=10`, e);
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => !(w.pred(e) && (w.resolve(e), true)));
      }
    }
  }
  wait(pred, what, ms = 15000) {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }
}
const pd = (e) => e?.plugindata?.data || {};

async function main() {
  const info = await (await fetch(`${BASE}/info`)).json();
  rec('GET /janus/info (abridged)', { janus: info.janus, version_string: info.version_string,
    'session-timeout': info['session-timeout'], 'ice-lite': info['ice-lite'], 'local-ip': info['local-ip'],
    transports: Object.keys(info.transports), plugins: Object.keys(info.plugins) });
  const lite = info['ice-lite'];
  note(`janus ${info.version_string}, ice-lite=${lite}`);

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    // host candidates on loopback too (Chromium leaves 127.0.0.1 out by default)
    '--allow-loopback-in-peer-connection'] });
  const page = await (await browser.newContext()).newPage();
  // getUserMedia needs a secure context: a page served (by Playwright) from a loopback origin
  await page.route('http://127.0.0.1:9/', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>janus check</title>' }));
  await page.goto('http://127.0.0.1:9/');
  await page.evaluate(() => {
    window.gathered = (pc) => new Promise((r) => {
      if (pc.iceGatheringState === 'complete') return r();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
    });
  });

  try {
    // --- publisher
    const s1 = new Session((await post('', { janus: 'create' })).data.id);
    const hPub = (await post(`/${s1.id}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
    const room = 1000 + Math.floor(Math.random() * 1e6);
    const created = await post(`/${s1.id}/${hPub}`, { janus: 'message', body: {
      request: 'create', room, permanent: false, description: 'bench', is_private: true,
      publishers: 1000, bitrate: 0, fir_freq: 0, audiocodec: 'opus', videocodec: 'vp8',
      record: false, notify_joining: false } });
    if (pd(created).videoroom !== 'created') throw new Error('room not created');

    await post(`/${s1.id}/${hPub}`, { janus: 'message', body: { request: 'join', ptype: 'publisher', room, id: 1, display: 'pub-1' } });
    const joined = await s1.wait((e) => pd(e).videoroom === 'joined', 'joined');
    note(`publisher joined room ${room}, id ${pd(joined).id}`);

    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
      window.pub = pc;
      const ms = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      for (const t of ms.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [ms] });
      await pc.setLocalDescription(await pc.createOffer());
      await window.gathered(pc);
      return pc.localDescription.sdp;
    });
    // Candidates are in the SDP (gathering complete): say so with trickle:false.
    await post(`/${s1.id}/${hPub}`, { janus: 'message', body: { request: 'publish', audiocodec: 'opus', videocodec: 'vp8' },
      jsep: { type: 'offer', sdp: munge(offer, true), trickle: false } });
    const ans = await s1.wait((e) => e.jsep, 'publisher answer');
    await page.evaluate(async (sdp) => window.pub.setRemoteDescription({ type: 'answer', sdp }), ans.jsep.sdp);
    await s1.wait((e) => e.janus === 'webrtcup', 'publisher webrtcup');
    await s1.wait((e) => e.janus === 'media' && e.type === 'video' && e.receiving, 'publisher media video');
    note('publisher: webrtcup and video media received by janus');

    // --- subscriber, in a session of its own (as a second participant would)
    const s2 = new Session((await post('', { janus: 'create' })).data.id);
    const hSub = (await post(`/${s2.id}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
    await post(`/${s2.id}/${hSub}`, { janus: 'message', body: { request: 'join', ptype: 'subscriber', room, streams: [{ feed: 1 }] } });
    const att = await s2.wait((e) => e.jsep, 'subscriber offer');
    if (pd(att).videoroom !== 'attached') throw new Error(`subscriber join: ${JSON.stringify(att)}`);
    const answer = await page.evaluate(async (sdp) => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
      window.sub = pc;
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await window.gathered(pc);
      return pc.localDescription.sdp;
    }, att.jsep.sdp);
    await post(`/${s2.id}/${hSub}`, { janus: 'message', body: { request: 'start' }, jsep: { type: 'answer', sdp: munge(answer, false), trickle: false } });
    await s2.wait((e) => pd(e).started === 'ok', 'started');
    await s2.wait((e) => e.janus === 'webrtcup', 'subscriber webrtcup');
    note('subscriber: started and webrtcup');

    await post(`/${s1.id}`, { janus: 'keepalive' });

    let st;
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      st = await page.evaluate(async () => {
        const out = { video: 0, audio: 0, vpkts: 0, apkts: 0, nackSent: 0, pliSent: 0 };
        const pair = {};
        const pairInfo = async (pc, into) => {
          const all = new Map();
          (await pc.getStats()).forEach((r) => all.set(r.id, r));
          for (const r of all.values()) {
            if (r.type === 'transport') into.iceRole = r.iceRole;
            if (r.type === 'candidate-pair' && r.nominated) {
              const l = all.get(r.localCandidateId), rc = all.get(r.remoteCandidateId);
              into.local = `${l.candidateType} ${l.address}:${l.port}`;
              into.remote = `${rc.candidateType} ${rc.address}:${rc.port}`;
            }
          }
        };
        (await window.sub.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') { out.video = r.framesDecoded || 0; out.vpkts = r.packetsReceived; out.nackSent = r.nackCount; out.pliSent = r.pliCount; }
          if (r.type === 'inbound-rtp' && r.kind === 'audio') out.apkts = r.packetsReceived;
          if (r.type === 'candidate-pair' && r.nominated) Object.assign(pair, { reqRecv: r.requestsReceived, reqSent: r.requestsSent, respRecv: r.responsesReceived, respSent: r.responsesSent });
        });
        const pubPair = {};
        let remb = 0;
        (await window.pub.getStats()).forEach((r) => {
          if (r.type === 'candidate-pair' && r.nominated) Object.assign(pubPair, { reqRecv: r.requestsReceived, reqSent: r.requestsSent, respRecv: r.responsesReceived, respSent: r.responsesSent, availOut: r.availableOutgoingBitrate });
          if (r.type === 'outbound-rtp' && r.kind === 'video') Object.assign(pubPair, { nackRecv: r.nackCount, pliRecv: r.pliCount, firRecv: r.firCount, sentPkts: r.packetsSent });
        });
        await pairInfo(window.sub, pair);
        await pairInfo(window.pub, pubPair);
        out.subPair = pair; out.pubPair = pubPair;
        return out;
      });
      if (st.video > 30 && st.apkts > 50) break;
    }
    note(`subscriber stats: ${JSON.stringify(st)}`);
    const sdpRoles = await page.evaluate(() => ({ pubAnswerHasLite: /a=ice-lite/.test(window.pub.remoteDescription.sdp),
      subOfferHasLite: /a=ice-lite/.test(window.sub.remoteDescription.sdp) }));
    note(`janus SDP ice-lite: ${JSON.stringify(sdpRoles)}`);
    const hold = Number((flags.find((f) => f.startsWith('--hold=')) || '--hold=0').slice(7));
    if (hold > 0) { note(`holding the call for ${hold} s`); await sleep(hold * 1000); }
    const ok = st.video > 30 && st.apkts > 50;
    note(ok ? 'OK: media forwarded publisher -> janus videoroom -> subscriber on loopback' : 'FAIL: no media at the subscriber');

    await post(`/${s2.id}/${hSub}`, { janus: 'message', body: { request: 'leave' } });
    await post(`/${s2.id}/${hSub}`, { janus: 'detach' });
    s2.closed = true;
    await post(`/${s2.id}`, { janus: 'destroy' });
    await post(`/${s1.id}/${hPub}`, { janus: 'message', body: { request: 'unpublish' } });
    await post(`/${s1.id}/${hPub}`, { janus: 'message', body: { request: 'destroy', room } });
    await post(`/${s1.id}/${hPub}`, { janus: 'detach' });
    s1.closed = true;
    await post(`/${s1.id}`, { janus: 'destroy' });
    await sleep(300);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await browser.close();
    if (OUT) writeFileSync(OUT, log.join('\n') + '\n');
  }
}

main().catch((e) => { console.error(e); if (OUT) writeFileSync(OUT, log.join('\n') + '\n'); process.exit(1); });

// TURN through coturn (issue 12, item 1). The test starts coturn on
// loopback with a shared secret (use-auth-secret, its "TURN REST API") and
// sealroomd with the same secret (--turn-url, --turn-secret); the welcome
// then carries TURN credentials for the participant. Chromium is forced to
// relay only (iceTransportPolicy "relay", as a network that blocks UDP to the
// media port leaves it no other way): two participants must decode each
// other's video through TURN, over UDP and over TCP to the TURN server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { startServer, stopServer } from '../lib/server.mjs';
import { launchChromium, inbound } from '../lib/browser.mjs';
import { until } from '../lib/wait.mjs';

// A TCP port nobody listens on now (coturn takes the same number for UDP).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function startCoturn(secret) {
  const port = await freePort();
  const relayLow = 40000 + Math.floor(Math.random() * 20000);
  const args = ['-n', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(port),
    '--min-port', String(relayLow), '--max-port', String(relayLow + 200), '--use-auth-secret',
    '--static-auth-secret', secret, '--realm', 'sealroom.test', '--no-tls', '--no-dtls', '--no-cli',
    '--allow-loopback-peers', '--fingerprint', '--log-file', 'stdout', '--simple-log'];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', r));
  // Ready once it answers on its TCP port.
  await until('coturn listens', () => new Promise((r) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
    s.on('error', () => r(false));
  }), 10000);
  return { port, child, get log() { return log; }, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

// The page's selected pair: its local candidate's type and relay protocol.
function selectedPath(page) {
  return page.evaluate(async () => {
    const pc = window.sealroom.pcs.subscribe;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((r) => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    return local ? { type: local.candidateType, relayProtocol: local.relayProtocol || null } : null;
  });
}

describe('TURN through coturn', () => {
  const secret = randomBytes(18).toString('base64');
  let turn, browser;
  before(async () => {
    turn = await startCoturn(secret);
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    if (turn) await turn.stop();
  });

  for (const transport of ['udp', 'tcp']) {
    test(`relay only, TURN over ${transport.toUpperCase()}: two participants decode each other`, { timeout: 90000 }, async () => {
      const s = await startServer({ args: ['--turn-url', `turn:127.0.0.1:${turn.port}?transport=${transport}`, '--turn-secret', secret] });
      try {
        const room = `turn-${transport}`;
        const r = await s.api('POST', '/api/v1/rooms', { friendly_url: room });
        assert.ok(r.status === 200 || r.status === 201, r.text);
        const pages = [];
        for (const name of ['Ann', 'Bob']) {
          const ctx = await browser.newContext();
          // Only relayed candidates, as behind a firewall that drops UDP to the media port.
          await ctx.addInitScript(() => {
            const Native = window.RTCPeerConnection;
            window.RTCPeerConnection = function (cfg) { return new Native({ ...(cfg || {}), iceTransportPolicy: 'relay' }); };
            window.RTCPeerConnection.prototype = Native.prototype;
          });
          const page = await ctx.newPage();
          await page.goto(`${s.url}/${room}`);
          await page.fill('#name', name);
          await page.click('#join');
          await page.waitForFunction(() => window.sealroom.state === 'joined', null, { timeout: 15000 });
          pages.push(page);
        }
        for (const page of pages) {
          await until('video through TURN', async () =>
            Object.values(await inbound(page)).some((x) => x.kind === 'video' && x.frames > 10), 30000);
          const path = await selectedPath(page);
          assert.equal(path && path.type, 'relay', JSON.stringify(path));
          assert.equal(path.relayProtocol, transport);
        }
        console.log(`# TURN over ${transport}: both pages decode video through relayed candidates`);
        for (const page of pages) await page.context().close();
      } catch (e) {
        console.log(`# coturn log:\n${turn.log.split('\n').slice(-30).join('\n')}`);
        throw e;
      } finally {
        await stopServer(s);
      }
    });
  }
});

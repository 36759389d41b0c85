// Starts a real sealroomd on loopback for a test: fresh data directory, port
// chosen by the kernel (--port 0), credentials read from the first-start banner.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.SEALROOM_BIN || join(ROOT, 'build/sealroomd');
export const OUT = join(ROOT, 'tests/out');
mkdirSync(OUT, { recursive: true });

// Starts sealroomd; resolves when it prints its listening line (and, on a
// fresh data dir, the team id and developer key).
// opts: { dataDir, args: [...extra flags], env: {...}, keepData, bin (default SEALROOM_BIN) }
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir || mkdtempSync(join(tmpdir(), 'sealroom-test-'));
  // An admin listener (/healthz, /metrics without credentials) on any free port.
  const args = ['--listen', '127.0.0.1', '--port', String(opts.port ?? 0), '--media-port', '0', '--admin-port', '0',
    '--data-dir', dataDir, '--web-dir', join(ROOT, 'web'), ...(opts.args || [])];
  const child = spawn(opts.bin || BIN, args, {
    env: { ...process.env, ...(opts.env || {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stderr.on('data', (d) => { stderr += d; if (process.env.SEALROOM_TEST_VERBOSE) process.stderr.write(d); });
  const server = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`sealroomd did not start:\n${stdout}\n${stderr}`)), 10000);
    child.on('exit', (code, sig) => { clearTimeout(timer); rej(new Error(`sealroomd exited ${code ?? sig}:\n${stdout}\n${stderr}`)); });
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on (http:\/\/\S+)/);
      // A fresh data dir prints the credentials banner after the listening
      // line, possibly in another chunk: wait for its last line.
      const fresh = !opts.dataDir || /First start/.test(stdout);
      if (m && (!fresh || /Dashboard:/.test(stdout))) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        res({ url: m[1] });
      }
    });
  });
  const team = stdout.match(/Team ID:\s+(\S+)/);
  const key = stdout.match(/Developer key:\s+(\S+)/);
  // "media udp+tcp 127.0.0.1:40000+40001, 2 workers": worker i's port is the i-th.
  const media = stdout.match(/media udp(?:\+tcp)? ([0-9.]+):(\d+(?:\+\d+)*)/);
  const mediaPorts = media ? media[2].split('+').map(Number) : [];
  const admin = stdout.match(/admin \(\/healthz, \/metrics\) on (http:\/\/\S+)/);
  const s = {
    child, dataDir, url: server.url, adminUrl: admin ? admin[1] : undefined,
    mediaHost: media ? media[1] : undefined, mediaPort: mediaPorts[0], mediaPorts,
    teamId: team ? team[1] : opts.teamId, devKey: key ? key[1] : opts.devKey,
    get stdout() { return stdout; }, get stderr() { return stderr; },
    // Bearer base64(team:key), the seed example's form.
    auth() { return 'Bearer ' + Buffer.from(`${this.teamId}:${this.devKey}`).toString('base64'); },
    async api(method, path, body, headers = {}) {
      const init = { method, headers: { Authorization: this.auth(), Accept: 'application/json', ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
      }
      const r = await fetch(this.url + path, init);
      const text = await r.text();
      let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: r.status, headers: r.headers, text, json };
    },
    // Graceful stop (SIGTERM) or crash (SIGKILL); resolves with the exit info.
    // Rejects if a sanitizer build reported anything (memory error, UB, leak).
    async stop(signal = 'SIGTERM') {
      const info = await new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res({ code: child.exitCode, signal: child.signalCode });
        child.once('exit', (code, sig) => res({ code, signal: sig }));
        child.kill(signal);
      });
      if (/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(stderr))
        throw new Error(`sealroomd sanitizer report:\n${stderr.slice(-4000)}`);
      return info;
    },
    cleanup() { if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true }); },
  };
  return s;
}

// Stops a test server (SIGKILL if it has not exited after 5 s) and removes
// its data directory. Safe to call with undefined.
export async function stopServer(s) {
  if (!s) return;
  const t = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  try {
    await s.stop();
  } finally {
    clearTimeout(t);
    s.cleanup();
  }
}

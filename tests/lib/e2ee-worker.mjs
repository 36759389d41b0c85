// Runs the meeting page's real E2EE worker (web/meeting/e2ee-worker.js) in a
// node worker thread, for tests that drive it with the page's own messages:
// the attacks of a hostile server, and calls of many participants through a
// real sealroomd. The worker file is used unchanged; only its one import of
// '/e2ee/index.js' (a URL path on the web server) is pointed at the file.
import { Worker } from 'node:worker_threads';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './server.mjs';

// The rewritten worker goes into a directory of its own under the system's
// temporary directory, removed when this process exits (every new worker
// thread loads the file again, so it must live as long as the process). It
// used to be tests/out/e2ee-worker.node.<pid>.mjs, never removed: hundreds
// piled up there.
let workerUrl = null;
function workerModule() {
  if (workerUrl) return workerUrl;
  const src = readFileSync(join(ROOT, 'web/meeting/e2ee-worker.js'), 'utf8');
  const lib = pathToFileURL(join(ROOT, 'web/e2ee/index.js')).href;
  if (!src.includes("from '/e2ee/index.js'")) throw new Error('e2ee-worker.js no longer imports /e2ee/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'sealroom-e2ee-worker-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'e2ee-worker.node.mjs');
  writeFileSync(file, src.replace("from '/e2ee/index.js'", `from '${lib}'`));
  workerUrl = pathToFileURL(file).href;
  return workerUrl;
}

// A dedicated-worker global scope, enough for the E2EE worker: self,
// postMessage, onmessage (messages wait until the module has set it), close.
// Encoded frames written into a transform as {data, type, mime} answer
// getMetadata() with that MIME type, as a browser's frames do (the codec the
// SFU negotiated), so that tests can deliver a frame "as" any codec.
const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.self = globalThis;
const early = [];
self.postMessage = (m) => parentPort.postMessage(m);
self.close = () => parentPort.close();
const TS = globalThis.TransformStream;
globalThis.TransformStream = class extends TS {
  constructor(t, ...rest) {
    if (t && typeof t.transform === 'function') {
      const f = t.transform;
      t = { ...t, transform(frame, c) {
        if (!frame || typeof frame !== 'object' || typeof frame.mime !== 'string') return f.call(this, frame, c);
        frame.getMetadata = () => ({ mimeType: frame.mime });
        // A function cannot cross back to the test thread: gone before output.
        const out = { enqueue(x) { if (x) delete x.getMetadata; c.enqueue(x); }, error: (e) => c.error(e), terminate: () => c.terminate() };
        return f.call(this, frame, out);
      } };
    }
    super(t, ...rest);
  }
};
parentPort.on('message', (m) => {
  if (typeof self.onmessage === 'function') self.onmessage({ data: m }); else early.push(m);
});
import(workerData.url).then(() => { for (const m of early.splice(0)) self.onmessage({ data: m }); });
`;

// One E2EE worker. .post(msg); .messages (all received, in order);
// .next(op, pred, timeoutMs) resolves with the next message of that op;
// .last(op) the latest of that op; .stop().
export function startE2eeWorker() {
  const w = new Worker(BOOT, { eval: true, workerData: { url: workerModule() } });
  const h = {
    worker: w, messages: [], waiters: [], listeners: [],
    post(m) { w.postMessage(m); },
    on(fn) { h.listeners.push(fn); },
    last(op) { for (let i = h.messages.length - 1; i >= 0; i--) if (h.messages[i].op === op) return h.messages[i]; return null; },
    all(op) { return h.messages.filter((m) => m.op === op); },
    next(op, pred = () => true, timeoutMs = 5000) {
      return new Promise((res, rej) => {
        const wt = { op, pred, res, timer: setTimeout(() => { h.waiters.splice(h.waiters.indexOf(wt), 1); rej(new Error(`worker: no '${op}' within ${timeoutMs} ms`)); }, timeoutMs) };
        h.waiters.push(wt);
      });
    },
    async stop() { await w.terminate(); },
  };
  w.on('message', (m) => {
    m.at = Date.now();
    h.messages.push(m);
    for (const fn of h.listeners) fn(m);
    for (const wt of [...h.waiters]) {
      if (wt.op === m.op && wt.pred(m)) { clearTimeout(wt.timer); h.waiters.splice(h.waiters.indexOf(wt), 1); wt.res(m); }
    }
  });
  w.on('error', (e) => { console.error('e2ee worker error', e); });
  return h;
}

// Starts a worker and waits for its key pair: resolves with the harness and
// its public key (base64).
export async function readyWorker() {
  const h = startE2eeWorker();
  const ready = h.next('ready', () => true, 10000);
  h.post({ op: 'init' });
  const r = await ready;
  if (!r.publicKey) throw new Error(`worker init failed: ${r.error}`);
  h.publicKey = r.publicKey;
  h.signingKey = r.signingKey;
  return h;
}

// The signalling WebSocket (docs/signalling.md): JSON objects in text frames.

const OPEN_TIMEOUT_MS = 10000;
const KEEPALIVE_MS = 10000;

export function signallingUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

export class SignalConnection {
  // onMessage(msg): every parsed server message.
  // onClose({code, reason, wasClean, byUs}): the socket is gone.
  // onStateChange(): readyState changed.
  constructor({ onMessage, onClose, onStateChange }) {
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.onStateChange = onStateChange || (() => {});
    this.ws = null;
    this.closedByUs = false;
    this.keepalive = null;
  }

  get state() {
    if (!this.ws) return 'closed';
    return ['connecting', 'open', 'closing', 'closed'][this.ws.readyState];
  }

  // Resolves when the socket is open; rejects if it fails or times out.
  open(url = signallingUrl()) {
    return new Promise((resolve, reject) => {
      let settled = false;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (err) {
        reject(err);
        return;
      }
      this.ws = ws;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.closedByUs = true;
        try { ws.close(); } catch { /* ignore */ }
        reject(new Error('timeout'));
      }, OPEN_TIMEOUT_MS);
      ws.addEventListener('open', () => {
        this.onStateChange();
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      });
      ws.addEventListener('message', (ev) => {
        if (typeof ev.data !== 'string') return; // the protocol has no binary frames
        let msg;
        try { msg = JSON.parse(ev.data); } catch {
          console.warn('sealroom: unparsable signalling message');
          return;
        }
        if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
        this.onMessage(msg);
      });
      ws.addEventListener('close', (ev) => {
        this.stopKeepalive();
        this.onStateChange();
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error('closed'));
          return;
        }
        this.onClose({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean, byUs: this.closedByUs });
      });
      // 'error' is always followed by 'close'; nothing to do here.
      ws.addEventListener('error', () => {});
    });
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  // Application-level ping after `welcome` (the browser also answers the
  // server's WebSocket pings by itself; this keeps idle proxies awake).
  startKeepalive() {
    this.stopKeepalive();
    this.keepalive = setInterval(() => this.send({ type: 'ping' }), KEEPALIVE_MS);
  }

  stopKeepalive() {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
  }

  close(code = 1000) {
    this.closedByUs = true;
    this.stopKeepalive();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
      try { this.ws.close(code); } catch { /* ignore */ }
    }
  }
}

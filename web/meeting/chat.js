// sealroom meeting: the chat panel (docs/signalling.md `chat`, docs/e2ee.md 9).
//
// The server only forwards chat and stores nothing. In a plain room the
// payload is {"text": "..."}; in an E2EE room it is a sealed chat object made
// and opened by the E2EE worker (secrets never reach the page): a message that
// cannot be opened (no key, e.g. sent before we joined, or tampered with) is
// dropped and counted, never shown.
//
//   const chat = new Chat({ send, e2ee, nameOf, onUnread })
//     send(payload) -> bool        sends {type: 'chat', payload}
//     e2ee() -> E2eeSession | null the session when the room is E2EE
//     nameOf(id) -> string         display name of a participant
//     badgeOf(id) -> string | null  first digits of its key fingerprint (E2EE), shown apart
//   chat.start({enabled, canSend, e2ee, selfId, selfName})   on welcome
//   chat.setEnabled(enabled)     the room's chat_enabled changed during the call
//   chat.stop()                   on leave: messages are forgotten
//   chat.receive(msg)             a `chat` message from the server
//   chat.serverError(code) -> bool   true if the error answers a recent send
//   chat.setOpen(open), chat.open
//   chat.api                      window.sealroom.chat

export const CHAT_MAX_CHARS = 2000;
const E2EE_BODY_MAX = 4096; // bytes of UTF-8 in a sealed message
const ERROR_WINDOW_MS = 3000;

const ERRORS = {
  empty: 'Type a message first.',
  too_long: `A message can have at most ${CHAT_MAX_CHARS} characters.`,
  too_large: 'This message is too large to send. Make it shorter.',
  forbidden: 'You are not allowed to send chat messages in this room.',
  rate_limited: 'You are sending messages too fast. Wait a moment and try again.',
  bad_message: 'The server did not accept this message.',
  not_connected: 'Not connected to the meeting: the message was not sent.',
  seal_failed: 'The message could not be encrypted, so it was not sent. Try again in a moment.',
  disabled: 'Chat is turned off in this room.',
};

const $ = (id) => document.getElementById(id);

function charCount(text) {
  let n = 0;
  for (const _ of text) n++; // code points, not UTF-16 units
  return n;
}

function timeText(ts) {
  const d = new Date(ts * 1000);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class Chat {
  constructor({ send, e2ee, nameOf, badgeOf = () => null, onOpenChange = () => {} }) {
    this.sendRaw = send;
    this.e2ee = e2ee;
    this.nameOf = nameOf;
    this.badgeOf = badgeOf;
    this.onOpenChange = onOpenChange;
    this.messages = [];
    this.failed = 0;
    this.unread = 0;
    this.enabled = false;
    this.canSend = false;
    this.encrypted = false;
    this.selfId = null;
    this.selfName = '';
    this.lastSend = 0;
    this.lastText = '';
    this.epoch = 0; // bumps on start/stop: late worker answers of an old join are ignored
    this.recvChain = Promise.resolve(); // opens run in arrival order
    this.sending = false;
    this.bind();
  }

  bind() {
    const form = $('chat-form');
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.sendFromInput();
    });
    $('chat-input').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.sendFromInput();
      }
    });
    $('chat-input').addEventListener('input', () => this.updateCounter());
  }

  get open() {
    return !$('chat-panel').hidden;
  }

  setOpen(open) {
    open = open && this.enabled;
    $('chat-panel').hidden = !open;
    const btn = $('toggle-chat');
    btn.setAttribute('aria-expanded', String(open));
    btn.classList.toggle('active', open);
    if (open) {
      this.unread = 0;
      this.updateBadge();
      this.scrollDown();
    }
    this.onOpenChange(open);
  }

  start({ enabled, canSend, e2ee, selfId, selfName }) {
    this.epoch++;
    this.messages = [];
    this.failed = 0;
    this.unread = 0;
    this.enabled = !!enabled;
    this.canSendRole = !!canSend;
    this.canSend = this.enabled && !!canSend;
    this.encrypted = !!e2ee;
    this.selfId = selfId;
    this.selfName = selfName;
    $('chat-messages').replaceChildren();
    $('toggle-chat').hidden = !this.enabled;
    $('chat-e2ee-note').hidden = !this.encrypted;
    $('chat-input').disabled = !this.canSend;
    $('chat-send').disabled = !this.canSend;
    $('chat-input').value = '';
    $('chat-readonly').hidden = this.canSend || !this.enabled;
    this.setError('');
    this.updateCounter();
    this.updateBadge();
    this.setOpen(false);
  }

  // Chat turned on or off during the call (the room's chat_enabled changed).
  setEnabled(enabled) {
    this.enabled = !!enabled;
    this.canSend = this.enabled && this.canSendRole;
    $('toggle-chat').hidden = !this.enabled;
    $('chat-input').disabled = !this.canSend;
    $('chat-send').disabled = !this.canSend;
    $('chat-readonly').hidden = this.canSend || !this.enabled;
    if (!this.enabled) this.setOpen(false);
  }

  stop() {
    this.epoch++;
    this.enabled = false;
    this.canSend = false;
    this.messages = [];
    this.unread = 0;
    $('chat-messages').replaceChildren();
    $('toggle-chat').hidden = true;
    this.updateBadge();
    $('chat-panel').hidden = true;
  }

  setError(text) {
    const el = $('chat-error');
    el.textContent = text;
    el.hidden = !text;
  }

  updateCounter() {
    const n = charCount($('chat-input').value);
    const el = $('chat-count');
    el.textContent = n > CHAT_MAX_CHARS - 200 ? `${n} / ${CHAT_MAX_CHARS}` : '';
    el.classList.toggle('over', n > CHAT_MAX_CHARS);
    if (n <= CHAT_MAX_CHARS && $('chat-error').dataset.kind === 'too_long') this.setError('');
  }

  updateBadge() {
    const b = $('chat-unread');
    b.textContent = this.unread > 99 ? '99+' : String(this.unread);
    b.hidden = this.unread === 0;
    const btn = $('toggle-chat');
    btn.setAttribute('aria-label', this.unread ? `Chat, ${this.unread} unread` : 'Chat');
  }

  scrollDown() {
    const list = $('chat-messages');
    list.scrollTop = list.scrollHeight;
  }

  // Checks a text; returns an error key or null.
  check(text) {
    if (!this.enabled) return 'disabled';
    if (!this.canSend) return 'forbidden';
    if (typeof text !== 'string' || !text.trim()) return 'empty';
    if (charCount(text) > CHAT_MAX_CHARS) return 'too_long';
    if (this.encrypted && new TextEncoder().encode(text).length > E2EE_BODY_MAX) return 'too_large';
    return null;
  }

  showError(kind) {
    this.setError(ERRORS[kind] || ERRORS.bad_message);
    $('chat-error').dataset.kind = kind;
  }

  async sendFromInput() {
    if (this.sending) return;
    const input = $('chat-input');
    const text = input.value;
    this.sending = true;
    try {
      const r = await this.send(text);
      if (r.ok) {
        input.value = '';
        this.updateCounter();
      }
    } finally {
      this.sending = false;
      input.focus();
    }
  }

  // Sends one message; resolves {ok, error?}.
  async send(text) {
    const err = this.check(text);
    if (err) {
      this.showError(err);
      return { ok: false, error: err };
    }
    const epoch = this.epoch;
    let payload;
    if (this.encrypted) {
      const s = this.e2ee();
      payload = s ? await s.sealChat(text) : null;
      if (epoch !== this.epoch) return { ok: false, error: 'not_connected' };
      if (!payload) {
        this.showError('seal_failed');
        return { ok: false, error: 'seal_failed' };
      }
    } else {
      payload = { text };
    }
    if (!this.sendRaw(payload)) {
      this.showError('not_connected');
      return { ok: false, error: 'not_connected' };
    }
    this.lastSend = Date.now();
    this.setError('');
    this.add({ from: this.selfId, name: this.selfName, text, ts: Math.floor(Date.now() / 1000), self: true });
    return { ok: true };
  }

  // A server error that follows a send closely enough is about that send.
  serverError(code) {
    if (!this.enabled || Date.now() - this.lastSend > ERROR_WINDOW_MS) return false;
    if (!['forbidden', 'rate_limited', 'too_large', 'bad_message'].includes(code)) return false;
    this.showError(code);
    const last = this.messages[this.messages.length - 1];
    if (last && last.self) {
      last.failed = true;
      if (last.el) last.el.classList.add('chat-failed');
      if (last.el) last.el.querySelector('.chat-status').textContent = 'Not delivered';
    }
    return true;
  }

  receive(msg) {
    if (!this.enabled || typeof msg.from !== 'string') return;
    const ts = Number.isFinite(msg.ts) ? msg.ts : Math.floor(Date.now() / 1000);
    const from = msg.from;
    const name = this.nameOf(from);
    const epoch = this.epoch;
    if (!this.encrypted) {
      const p = msg.payload;
      if (!p || typeof p.text !== 'string' || !p.text) { this.failed++; return; }
      this.add({ from, name, text: p.text, ts });
      return;
    }
    const s = this.e2ee();
    if (!s) { this.failed++; return; }
    const opened = s.openChat(from, msg.payload); // posted now: keeps the worker's order
    this.recvChain = this.recvChain.then(async () => {
      const r = await opened;
      if (epoch !== this.epoch) return;
      if (r.ok && r.type !== 1) return; // a sealed display name (type 2): not shown in the chat
      if (!r.ok || typeof r.text !== 'string') {
        this.failed++;
        console.warn('sealroom chat: message dropped', r.status);
        return;
      }
      // E2EE: the sender's own clock, sealed with the text (docs/e2ee.md 9),
      // not the server's timestamp.
      const sealedTs = Number.isFinite(r.time) ? Math.floor(r.time / 1000) : ts;
      this.add({ from, name: this.nameOf(from), badge: this.badgeOf(from), text: r.text, ts: sealedTs });
    });
  }

  add(m) {
    this.messages.push(m);
    const li = document.createElement('li');
    li.className = m.self ? 'chat-msg chat-self' : 'chat-msg';
    li.dataset.from = m.from || '';
    const head = document.createElement('div');
    head.className = 'chat-head';
    const who = document.createElement('span');
    who.className = 'chat-name';
    who.textContent = m.self ? `${m.name} (you)` : m.name;
    const badge = document.createElement('span');
    badge.className = 'fp-badge';
    badge.textContent = m.badge || '';
    badge.hidden = !m.badge;
    if (m.badge) badge.title = 'First digits of the sender\'s key fingerprint';
    const time = document.createElement('time');
    time.className = 'chat-time';
    time.dateTime = new Date(m.ts * 1000).toISOString();
    time.textContent = timeText(m.ts);
    const status = document.createElement('span');
    status.className = 'chat-status';
    head.append(who, badge, time, status);
    const body = document.createElement('p');
    body.className = 'chat-text';
    body.textContent = m.text;
    li.append(head, body);
    Object.defineProperty(m, 'el', { value: li, enumerable: false, writable: true });
    const list = $('chat-messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(li);
    if (m.self || atBottom) this.scrollDown();
    if (!m.self && !this.open) {
      this.unread++;
      this.updateBadge();
    }
  }

  get api() {
    const self = this;
    return {
      get messages() {
        return self.messages.map((m) => ({ from: m.from, name: m.name, text: m.text, ts: m.ts, ...(m.failed ? { failed: true } : {}) }));
      },
      send: (text) => self.send(text),
      get failed() { return self.failed; },
      get enabled() { return self.enabled; },
      get canSend() { return self.canSend; },
      get unread() { return self.unread; },
      get error() { return $('chat-error').hidden ? null : $('chat-error').textContent; },
    };
  }
}

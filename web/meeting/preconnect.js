// The call's two peer connections, made before the call (issue 12, item 4):
// in the lobby once the camera and the E2EE keys of the next join are ready,
// or at the Join click when those made in the lobby do not fit. Made after
// the `welcome`, creating them, adding our tracks (with their E2EE
// transforms) and making the publish offer took ~40 ms of the page's one
// thread and ~30 ms of WebRTC's, while the server's subscribe offer (sent
// right after the welcome) waited behind them. Made ahead, the welcome only
// gives them its TURN servers (before anything gathers candidates) and sends
// the offer.
//
// They are made for what the page expects of the room: end-to-end encrypted
// when the link, the token or the page's memory says so, with the join's E2EE
// session's transforms installed before the connections exist, as the
// welcome of an E2EE room does (no frame can pass before the welcome anyway:
// there is no answer to connect with); plain otherwise. What the welcome
// contradicts (an E2EE room behind a plain link, a role that may not send, a
// browser that cannot change a connection's ICE servers) is closed and the
// call makes its own after the welcome, as before: never weaker, at worst as
// slow as before.
//
// Lifecycle: preconnect({e2ee, session}) in the lobby and again at the Join
// click (it keeps what still fits); claimConnections({e2ee, publish}) when the
// call starts; dropConnections() when a call ends, claimed or not.

import { app } from './state.js';
import { applyIceServers, clearMediaHooks, iceConfig, mediaHooks, setIceServers } from './rtc.js';
import { makePublisher } from './local-media.js';
import { makeSubscriber } from './connection.js';

let made = null; // { at, e2ee, session, policy, tracks: {audio, video}, publisher, subscriber }
// What the last call used (window.sealroom.preconnect): where its connections
// were made ('lobby' or 'click'), and which of them it took.
let claimed = { at: null, publisher: false, subscriber: false };

function currentTracks() {
  return { audio: app.media.track('audio'), video: app.media.track('video') };
}

// e2ee: the room is expected to be end-to-end encrypted and session (the
// E2eeSession of the next join) has its keys; at: 'lobby' or 'click'.
// Returns true if it made new connections, false if those made before fit.
export function preconnect({ e2ee, session, at }) {
  const tracks = currentTracks();
  if (made && made.e2ee === e2ee && (!e2ee || made.session === session) &&
      made.policy === iceConfig.transportPolicy &&
      made.tracks.audio === tracks.audio && made.tracks.video === tracks.video) return false;
  dropConnections();
  setIceServers(null); // the welcome brings the call's
  if (e2ee) session.installHooks(mediaHooks);
  else clearMediaHooks();
  made = { at, e2ee, session: e2ee ? session : null, policy: iceConfig.transportPolicy, tracks, subscriber: null, publisher: null };
  try {
    made.subscriber = makeSubscriber();
    if (tracks.audio || tracks.video) made.publisher = makePublisher({ prepare: true });
  } catch (e) {
    // The call makes its own after the welcome (and says what fails then).
    console.warn('sealroom: could not make the connections ahead', e);
    dropConnections();
  }
  return true;
}

// The welcome was accepted: e2ee (the room is E2EE and this page encrypts
// with app.e2ee), publish (the call sends our camera or microphone). Returns
// the connections that fit, {publisher, subscriber} (null where the call
// must make its own), and closes the others.
export function claimConnections({ e2ee, publish }) {
  const m = made;
  made = null;
  const out = { publisher: null, subscriber: null };
  claimed = { at: null, publisher: false, subscriber: false };
  if (!m) return out;
  const tracks = currentTracks();
  const fits = (c) => c && m.e2ee === e2ee && (!e2ee || m.session === app.e2ee) && applyIceServers(c.pc);
  if (fits(m.subscriber)) out.subscriber = m.subscriber;
  else if (m.subscriber) m.subscriber.close();
  if (publish && m.tracks.audio === tracks.audio && m.tracks.video === tracks.video && fits(m.publisher)) out.publisher = m.publisher;
  else if (m.publisher) m.publisher.close();
  claimed = { at: m.at, publisher: !!out.publisher, subscriber: !!out.subscriber };
  return out;
}

export function claimState() {
  return { ...claimed };
}

export function dropConnections() {
  if (!made) return;
  if (made.publisher) made.publisher.close();
  if (made.subscriber) made.subscriber.close();
  made = null;
}

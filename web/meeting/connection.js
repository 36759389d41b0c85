// The connection to the server as the user sees it: the status in the top
// bar (signalling, sending, receiving), the subscribe connection that brings
// the others' media, and what the page says when media cannot pass while
// signalling works (a peer connection `failed`, or the server's
// `media_failed`): most often UDP and TCP to the media port are blocked; the page
// first tries once more (recovery.js), then says so. (The publish
// connection is local-media.js's; a lost WebSocket is session.js's.)
//
// Lifecycle: initConnection({rejoin}) once; startSubscriber(sub) when a call
// starts (sub: made ahead by preconnect.js with makeSubscriber(), or null);
// closeConnections() when it ends.

import { app, $ } from './state.js';
import { Subscriber, iceConfig } from './rtc.js';
import { showError } from './notices.js';
import { syncRemoteTracks } from './roster.js';
import { retryMedia, mediaUp, reconnecting } from './recovery.js';

let rejoin = () => {};

export function initConnection(hooks) {
  rejoin = hooks.rejoin;
}

export function makeSubscriber() {
  return new Subscriber({
    send: (m) => app.signal && app.signal.send(m),
    onChange: onPcChange,
    onTracks: syncRemoteTracks,
    onError: (err) => {
      console.error('sealroom: subscribe offer failed', err);
      showError(`Could not receive the others' audio and video (${err && err.message ? err.message : 'error'}).`, {
        code: 'subscribe_failed',
        action: { label: 'Rejoin', run: rejoin },
      });
    },
  });
}

export function startSubscriber(sub) {
  app.failedNotified = false;
  app.mediaConnected = false;
  app.subscriber = sub || makeSubscriber();
}

// At a join: a promise that resolves once the subscribe connection answered
// the server's first offer (at most 1 s), or null when no offer is due
// (nobody sends yet). The publish connection waits for it (see
// Publisher.negotiate) so that WebRTC works on what the user waits to see first.
export function subscribeAnswered() {
  const due = [...app.participants.values()].some((p) => p.tracks.length > 0);
  if (!due || !app.subscriber) return null;
  return Promise.race([app.subscriber.answered, new Promise((r) => { setTimeout(r, 1000); })]);
}

export function closeConnections() {
  if (app.publisher) app.publisher.close();
  if (app.subscriber) app.subscriber.close();
  app.publisher = null;
  app.subscriber = null;
}

// A peer connection's state changed (publish or subscribe).
export function onPcChange() {
  const states = [app.publisher && app.publisher.state, app.subscriber && app.subscriber.state];
  if (states.includes('connected')) {
    app.mediaConnected = true;
    mediaUp();
  }
  updateStatus();
  if (app.state === 'joined' && states.includes('failed') && !app.failedNotified) {
    app.failedNotified = true;
    if (!retryMedia()) showMediaFailure();
  }
}

// The server's media address: its host candidates in its SDP (it is
// ICE-lite: they are in its answer and in its subscribe offers), UDP and,
// unless the server turned it off, ICE-TCP on the same port.
// {ip, port, tcp} or null.
function mediaAddress() {
  for (const pc of [app.publisher && app.publisher.pc, app.subscriber && app.subscriber.pc]) {
    const sdp = pc && pc.remoteDescription ? pc.remoteDescription.sdp : '';
    const m = /^a=candidate:\S+ \d+ (?:udp|tcp) \d+ (\S+) (\d+) typ host/im.exec(sdp);
    if (m) return { ip: m[1], port: Number(m[2]), tcp: /^a=candidate:\S+ \d+ tcp /im.test(sdp) };
  }
  return null;
}

// What to say when media cannot pass while signalling works: {title, text}.
// Read it before the call's connections are closed (it needs their SDP).
export function mediaFailure() {
  const addr = mediaAddress();
  const protocols = !addr || addr.tcp ? 'UDP and TCP' : 'UDP';
  const where = addr ? ` (${addr.ip}, port ${addr.port})` : '';
  if (!app.mediaConnected) {
    // With a TURN relay the page retried through it; without one, say that the
    // server's operator can add one (sealroomd --turn-url). A relay that
    // refused (401, 403) is the server's set-up, not the user's network.
    if (iceConfig.relayRefused) {
      return {
        title: 'Audio and video could not connect',
        text: `Could not connect audio and video: the server's relay (TURN) refused the connection ` +
          `(${iceConfig.relayRefused.code}). This is a problem with the server's set-up, not your network: ` +
          'tell the meeting\'s organiser.',
      };
    }
    const relay = iceConfig.iceServers.length > 0
      ? ' Connecting through the server\'s relay (TURN) failed too.'
      : ' This server offers no relay (TURN) for such networks; its operator can set one up.';
    return {
      title: 'Audio and video could not connect',
      text: `Could not connect audio and video: your network may block ${protocols} traffic to this server${where}.${relay} ` +
        `Try another network, or ask your network administrator to allow ${protocols.replace(' and ', ' or ')}` +
        `${addr ? ` to ${addr.ip} port ${addr.port}` : ''}.`,
    };
  }
  return {
    title: 'Audio and video connection lost',
    text: `The audio and video connection to the server was lost: your network may have stopped passing its ` +
      `traffic to this server${where}. Rejoin to try again.`,
  };
}

export function showMediaFailure() {
  showError(mediaFailure().text, { code: 'media_failed', action: { label: 'Rejoin', run: rejoin } });
}

export function updateStatus() {
  const el = $('status');
  const ws = app.signal ? app.signal.state : 'closed';
  const pub = app.publisher ? app.publisher.state : 'none';
  const sub = app.subscriber ? app.subscriber.state : 'none';
  el.dataset.ws = ws;
  el.dataset.publish = pub;
  el.dataset.subscribe = sub;
  let overall = 'idle', text = 'Not joined';
  if (app.state === 'joining') { overall = 'connecting'; text = reconnecting() ? 'Reconnecting media…' : 'Connecting…'; }
  else if (app.state === 'left') { overall = 'idle'; text = 'Left'; }
  else if (app.state === 'disconnected') { overall = 'error'; text = 'Disconnected'; }
  else if (app.state === 'joined') {
    const both = [pub, sub];
    const subWaiting = sub === 'new' && app.subscriber && app.subscriber.version !== null;
    if (ws !== 'open') { overall = 'error'; text = 'Disconnected'; }
    else if (both.includes('failed')) { overall = 'error'; text = 'Media connection failed'; }
    else if (both.includes('disconnected')) { overall = 'warning'; text = 'Reconnecting media…'; }
    else if (['new', 'connecting', 'checking'].includes(pub) || ['connecting', 'checking'].includes(sub) || subWaiting) {
      overall = 'connecting'; text = reconnecting() ? 'Reconnecting media…' : 'Connecting media…';
    } else { overall = 'ok'; text = 'Connected'; }
  }
  el.dataset.overall = overall;
  $('status-text').textContent = text;
  const detail = `Signalling ${ws}; sending ${pub}; receiving ${sub}.`;
  $('status-detail').textContent = detail;
  el.title = detail;
}

// sealroom meeting page: the entry point. Plain ES modules, no build step, no
// dependencies; runs under the server's strict CSP (no inline script or style,
// nothing external). Everything user-supplied is rendered with textContent.
// Protocol: docs/signalling.md.
//
// This file only wires the page's modules together: what is set up on load,
// what starts and stops (in which order) when a call starts and ends, which
// module handles each message of the call, and window.sealroom for the tests.
//
//   state.js        the shared state (`app`) and `$`
//   link.js         room, join token and E2EE requirement from the page's address
//   session.js      join, welcome or refusal, server errors, socket closed, leave, rejoin
//   lobby.js        the join form: name, validation, Join button
//   views.js        the three screens (join, call, left) and the room's title
//   local-media.js  our camera and microphone: preview, meter, buttons, devices, publishing
//   connection.js   the status bar, the subscribe connection, media failures
//   recovery.js     the one automatic retry when media fails (relayed if TURN is offered)
//   preconnect.js   the call's peer connections, made ahead (in the lobby, or at the Join click)
//   roster.js       the others: participants, names, tiles and their tracks, People list
//   speaker.js      speaking highlight and active speaker
//   security.js     E2EE badge, security code, fingerprints, alarms
//   panels.js       the People and Chat side panels (and the page's Chat)
//   notices.js      error texts, the error banner, fading notices
//   controls.js     what the buttons do
//   quality.js      which simulcast encoding to ask for, by tile size
//   screen.js       sharing our screen: the button, getDisplayMedia, the screen track
// Below them: signal.js (WebSocket), rtc.js (peer connections), media.js
// (devices), tiles.js, chat.js, e2ee.js with e2ee-worker.js, icons.js.

import { app, $ } from './state.js';
import { mediaHooks } from './rtc.js';
import { initSession, setState, join, leave, rejoin, endJoin, onRelay, prepareJoin } from './session.js';
import { prefillName, updateJoinButton } from './lobby.js';
import { showView, setRoomHeading } from './views.js';
import {
  initLocalMedia, startPreview, startLocalMedia, startPublishing, stopLocalMedia, updateToggles, publishHooks,
} from './local-media.js';
import { startScreenShare, stopScreenShare, screenRefused, onScreenSettings, updateScreenButton, sharing } from './screen.js';
import { initConnection, startSubscriber, subscribeAnswered, closeConnections, updateStatus } from './connection.js';
import {
  startRoster, stopRoster, renderParticipants,
  onParticipantJoined, onParticipantLeft, onTracksUpdated,
} from './roster.js';
import { startSpeakers, stopSpeakers } from './speaker.js';
import { updateE2eeUi, stopSecurity, e2eeApi } from './security.js';
import { chat, setPanelOpen, onRoomUpdated } from './panels.js';
import { initNotices, showError, shownError, errorText, notify } from './notices.js';
import { initControls } from './controls.js';
import { timings } from './timing.js';
import { retryState } from './recovery.js';
import { claimConnections, dropConnections, claimState } from './preconnect.js';
import { syncQuality, setVideoQuality, resetQuality, qualityState } from './quality.js';

// ------------------------------------------------------------- the call

// A `welcome` was accepted: session.js has set our id, role, the others
// (setParticipants) and the E2EE session. The call's modules start.
function startCall({ canChat, chatName }) {
  const startOff = startLocalMedia(); // what the room and our role say about our devices
  // The connections first (made ahead while joining, if they fit), so that
  // WebRTC works on them while the page draws the call.
  const publish = app.canBroadcast && (app.media.has('audio') || app.media.has('video'));
  const made = claimConnections({ e2ee: app.e2eeOn, publish });
  startSubscriber(made.subscriber); // the others' media
  if (publish) startPublishing(made.publisher, subscribeAnswered());
  updateE2eeUi();
  chat.start({
    enabled: app.roomInfo.chat_enabled !== false, canSend: canChat, e2ee: app.e2eeOn,
    selfId: app.participantId, selfName: chatName,
  });
  setState('joined');
  resetQuality();
  syncQuality();      // the others already in the room
  setRoomHeading();
  showView('call');
  startRoster();      // our tile, then the others'
  startSpeakers();
  setPanelOpen(window.matchMedia('(min-width: 1100px)').matches);
  renderParticipants();
  updateToggles();
  updateScreenButton();
  updateStatus();
  if (startOff.length) notify(`This room starts with your ${startOff.join(' and ')} off.`);
  // Before the next frame: focusing now would force a layout of the call
  // view in the middle of the join.
  requestAnimationFrame(() => { if (app.state === 'joined') $('main').focus({ preventScroll: true }); });
}

// The call ended (left, lost, refused, rejoining): its modules stop, then the
// join is forgotten.
function endCall() {
  stopSecurity();     // first: its note on the left screen reads the roster
  stopSpeakers();
  stopScreenShare({ quiet: true }); // before the publish connection closes
  closeConnections();
  dropConnections();  // made ahead and not used
  stopRoster();
  chat.stop();
  stopLocalMedia();
  endJoin();
  updateE2eeUi();     // no participant id any more: hides the badge
  renderParticipants();
  updateScreenButton();
  updateStatus();
}

// The server's messages of the call (session.js handles `welcome` and `error`).
function onCallMessage(msg) {
  switch (msg.type) {
    case 'participant_joined': onParticipantJoined(msg.participant); syncQuality(); break;
    case 'room_updated': onRoomUpdated(msg.room); onScreenSettings(); break;
    case 'participant_left': onParticipantLeft(msg.participant_id); syncQuality(); break;
    case 'tracks_updated': onTracksUpdated(msg.participant_id, msg.tracks); break;
    case 'publish_answer':
      if (app.publisher && typeof msg.sdp === 'string') app.publisher.handleAnswer(msg.sdp);
      break;
    case 'subscribe_offer':
      if (app.subscriber && typeof msg.sdp === 'string') app.subscriber.enqueue({ sdp: msg.sdp, version: msg.version });
      break;
    case 'video_layers':
      if (app.publisher && typeof msg.mid === 'string') app.publisher.setCameraLayers(msg.mid, msg.active);
      break;
    case 'relay': onRelay(msg); break;
    case 'chat': if (app.state === 'joined') chat.receive(msg); break;
    case 'pong': break;
    default: console.warn('sealroom: unknown message type', msg.type);
  }
}

// ------------------------------------------------------------- page load

function init() {
  document.body.dataset.state = app.state;
  prefillName();
  setRoomHeading();
  if (!app.room) showError(errorText('no_room'), { code: 'no_room' });

  initNotices();
  initControls();
  initLocalMedia();
  publishHooks.refused = screenRefused;
  initConnection({ rejoin });
  initSession({ start: startCall, end: endCall, message: onCallMessage });

  showView('lobby');
  setState('lobby');
  renderParticipants();
  app.mediaReady = startPreview().catch((err) => {
    console.error('sealroom: preview failed', err);
  }).finally(() => updateJoinButton());
  prepareJoin(); // the first join's peer connections, once the camera is ready
}

// ------------------------------------------------------------- test hooks

window.sealroom = {
  get state() { return app.state; },
  get participantId() { return app.participantId; },
  get participants() { return app.participants; }, // the others, id -> {id, name, role, tracks}
  pcs: {
    get publish() { return app.publisher ? app.publisher.pc : null; },
    get subscribe() { return app.subscriber ? app.subscriber.pc : null; },
  },
  join: (name) => join(name),
  leave: () => leave(),
  get room() { return app.roomInfo; },
  get role() { return app.role; },
  get error() { return shownError(); },
  get activeSpeaker() { return app.activeSpeaker; },
  get timings() { return timings(); }, // the join path, ms from the Join click (timing.js)
  get mediaRetry() { return retryState(); }, // {attempts, relay, active} of this join (recovery.js)
  get preconnect() { return claimState(); }, // {at, publisher, subscriber}: connections made ahead that the call took
  get levels() { return Object.fromEntries(app.levels); },
  get videoQuality() { return qualityState(); }, // {tileHeight, sent, fixed} (quality.js)
  setVideoQuality: (id, quality) => setVideoQuality(id, quality),
  get cameraLayers() { return app.publisher ? app.publisher.cameraLayers : null; }, // rids sent after a video_layers
  get screenSharing() { return sharing(); },
  shareScreen: () => startScreenShare(), // from a click (browsers want a user gesture)
  stopScreenShare: () => stopScreenShare(),
  get localStream() { return app.media.stream; },
  get mediaReady() { return app.mediaReady; },
  mediaHooks,
  get e2ee() { return e2eeApi(); },
  chat: chat.api,
  set onRelay(fn) { app.onRelay = fn; },
  relay(to, payload) { return app.signal ? app.signal.send({ type: 'relay', to, payload }) : false; },
};

init();

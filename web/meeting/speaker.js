// Who is speaking: polls the audio levels of the incoming tracks (and of our
// microphone), highlights the tiles of those speaking and marks the loudest
// as the active speaker.
//
// Lifecycle: startSpeakers() when a call starts, stopSpeakers() when it ends.

import { app, $ } from './state.js';
import { tiles, trackState } from './roster.js';

const SPEAKER_POLL_MS = 250;
export const SPEAKING_LEVEL = 0.02; // linear level, ~ -34 dBov (RFC 6464 audio level / RMS)
const SPEAKER_HOLD_MS = 800;   // keep the highlight briefly after the level drops

export function startSpeakers() {
  stopSpeakers();
  app.speakerTimer = setInterval(pollSpeakers, SPEAKER_POLL_MS);
}

export function stopSpeakers() {
  clearInterval(app.speakerTimer);
  app.speakerTimer = null;
  app.levels.clear();
  app.lastLoud.clear();
  app.activeSpeaker = null;
}

function receiverLevel(receiver) {
  let level = 0;
  let sources = [];
  try { sources = receiver.getSynchronizationSources(); } catch { return 0; }
  for (const s of sources) {
    if (typeof s.audioLevel !== 'number') continue;
    // Sources stay listed for 10 s after their last packet: only count ones
    // whose RTP timestamp moved since the previous poll.
    const key = `${s.source}`;
    const seen = app.lastRtp.get(receiver) || {};
    const fresh = seen[key] !== s.rtpTimestamp;
    seen[key] = s.rtpTimestamp;
    app.lastRtp.set(receiver, seen);
    if (fresh) level = Math.max(level, s.audioLevel);
  }
  return level;
}

function pollSpeakers() {
  if (app.state !== 'joined') return;
  const now = performance.now();
  const levels = new Map();
  for (const { participantId, receiver } of app.audioReceivers) {
    const p = app.participants.get(participantId);
    const muted = p && trackState(p, 'audio') !== 'on';
    const level = muted ? 0 : receiverLevel(receiver);
    levels.set(participantId, Math.max(levels.get(participantId) || 0, level));
  }
  if (app.participantId && app.canBroadcast) levels.set(app.participantId, app.media.level());
  app.levels = levels;

  let loudest = null, max = SPEAKING_LEVEL;
  for (const [id, level] of levels) {
    if (level > SPEAKING_LEVEL) app.lastLoud.set(id, now);
    if (level > max) { max = level; loudest = id; }
  }
  const recent = (id) => now - (app.lastLoud.get(id) || -Infinity) < SPEAKER_HOLD_MS;
  if (loudest) app.activeSpeaker = loudest;
  else if (app.activeSpeaker && !recent(app.activeSpeaker)) app.activeSpeaker = null;

  for (const [id, tile] of tiles.tiles) {
    tile.setSpeaking(recent(id));
    tile.setActiveSpeaker(id === app.activeSpeaker && tiles.tiles.size > 1);
  }
  $('toggle-mic').classList.toggle('speaking', !!app.participantId && recent(app.participantId));
}

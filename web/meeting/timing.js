// Where a join spends its time (issue 12): milliseconds from the Join click
// to each step of the join path, the first time it happens. Read by the
// browser tests (window.sealroom.timings) and useful when a join is slow.
//   media      camera and microphone ready
//   e2ee_keys  our E2EE key pair made (E2EE-capable browsers)
//   preconnect the call's peer connections made at the click (only when
//              those made in the lobby did not fit: preconnect.js)
//   ws_open    the signalling WebSocket open
//   welcome    the server's welcome
//   publish_offer / publish_answer     our offer sent, the answer applied
//   subscribe_offer / subscribe_answer the server's offer in, our answer sent
//   publish_connected / subscribe_connected  ICE and DTLS done
//   first_frame  the first remote video frame shown

const marks = {};
let start = 0;

// A new join starts the clock again.
export function startTiming() {
  start = performance.now();
  for (const k of Object.keys(marks)) delete marks[k];
}

export function mark(step) {
  if (start && !(step in marks)) marks[step] = Math.round(performance.now() - start);
}

export function timings() {
  return { ...marks };
}

// The two side panels of the call, People and Chat: at most one is open at a
// time. Holds the page's Chat (chat.js), which names senders the roster's way,
// and turns it on or off when the room's settings change (`room_updated`).

import { app, $ } from './state.js';
import { Chat } from './chat.js';
import { displayName, badgeOf } from './roster.js';
import { notify } from './notices.js';

export const chat = new Chat({
  send: (payload) => !!(app.signal && app.state === 'joined' && app.signal.send({ type: 'chat', payload }) !== false),
  e2ee: () => (app.e2eeOn ? app.e2ee : null),
  nameOf: (id) => displayName(app.participants.get(id)),
  badgeOf: (id) => badgeOf(app.participants.get(id)),
  onOpenChange: (open) => {
    if (open && !$('participants-panel').hidden) setPanelOpen(false);
  },
});

// Opens or closes the People panel.
export function setPanelOpen(open) {
  if (open && chat.open) chat.setOpen(false);
  $('participants-panel').hidden = !open;
  $('toggle-participants').setAttribute('aria-expanded', String(open));
  $('toggle-participants').classList.toggle('active', open);
  document.body.classList.toggle('panel-open', open);
}

// The room's settings changed during the call (PATCH): chat follows at once.
// (The server refuses to switch E2EE while a call is in progress.)
export function onRoomUpdated(room) {
  if (!room || typeof room !== 'object') return;
  const chatWas = app.roomInfo.chat_enabled !== false;
  app.roomInfo = room;
  const chatNow = room.chat_enabled !== false;
  if (chatWas !== chatNow) {
    chat.setEnabled(chatNow);
    notify(chatNow ? 'Chat was turned on for this room.' : 'Chat was turned off for this room.');
  }
}

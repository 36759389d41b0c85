// What the page's own address says: the room, the join token, and whether
// the call must be end-to-end encrypted. Also the per-room memory that a room
// was E2EE (read by session.js to refuse a silent downgrade).
//
// The E2EE requirement comes from what the integrator handed the user, out of
// the server's reach (docs/e2ee.md 12.2): `#e2ee` in the link (browsers never
// send the fragment), or an `e2ee: true` claim in the join token of the link.
// The page also remembers per room that it was E2EE and refuses a silent
// downgrade (the user may override that memory explicitly, never the link).

export const E2EE_IN_LINK = /(^|[#&])e2ee($|&)/.test(location.hash.slice(1));
const E2EE_MEMORY_PREFIX = 'sealroom.e2ee.';

// The page is served at /<friendly_url> or /<room id>, optionally ?token=<JWT>.
export function roomFromPath() {
  const seg = location.pathname.split('/').filter(Boolean)[0] || '';
  try { return decodeURIComponent(seg); } catch { return seg; }
}

export function tokenFromQuery() {
  const t = new URLSearchParams(location.search).get('token');
  return t && t.trim() ? t.trim() : null;
}

// Claims of the join token, read only to prefill the name (the server verifies it).
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(part + '='.repeat((4 - (part.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : {};
  } catch {
    return {};
  }
}

export function rememberedE2ee(room) {
  try { return localStorage.getItem(E2EE_MEMORY_PREFIX + room) === '1'; } catch { return false; }
}

export function rememberE2ee(room, on) {
  try {
    if (on) localStorage.setItem(E2EE_MEMORY_PREFIX + room, '1');
    else localStorage.removeItem(E2EE_MEMORY_PREFIX + room);
  } catch { /* storage disabled: the link and the token still hold */ }
}

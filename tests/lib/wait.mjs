// Waiting in tests: sleep, and until(what, fn, timeoutMs) that polls fn every
// 20 ms until it returns (or resolves to) true (anything else is the reason it is not done
// yet, shown when the time is up); resolves with the time it took.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(what, fn, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const r = await fn();
    if (r === true) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms: ${r}`);
    await sleep(20);
  }
}

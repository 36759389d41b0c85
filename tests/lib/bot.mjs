// sealroom-bot (tools/sealroom-bot.c) as a child process for tests: its JSON
// event lines on stdout are collected; waitFor polls them; stop sends SIGTERM
// (SIGKILL 10 s later), and checks that the bot neither crashed nor had a
// sanitizer report. SEALROOM_BOT_BIN=build-san/sealroom-bot runs the
// ASan/UBSan build (make SANITIZE=address,undefined build-san/sealroom-bot).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN } from './server.mjs';

export const BOT_BIN = process.env.SEALROOM_BOT_BIN || join(dirname(BIN), 'sealroom-bot');
export const LOAD_BIN = join(dirname(BIN), 'sealroom-load');
const SAN = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;

// server: anything with an http(s) `url` (startServer's result, a fake server).
export function startBot(server, room, args = []) {
  const wsUrl = server.url.replace(/^http/, 'ws') + '/ws';
  const child = spawn(BOT_BIN, ['--url', wsUrl, '--room', room, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const bot = { child, events: [], stdout: '', stderr: '', badLines: [], exit: null };
  let buf = '';
  child.stdout.on('data', (d) => {
    bot.stdout += d;
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { bot.events.push(JSON.parse(line)); } catch { bot.badLines.push(line); }
    }
  });
  child.stderr.on('data', (d) => { bot.stderr += d; });
  bot.exited = new Promise((resolve) => child.on('exit', (code, signal) => { bot.exit = { code, signal }; resolve(bot.exit); }));
  bot.last = (type) => [...bot.events].reverse().find((e) => e.event === type);
  bot.stats = () => (bot.last('stats') || {}).stats;
  bot.rssKb = () => {
    try { return Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]); } catch { return 0; }
  };
  bot.waitFor = async (what, pred, timeoutMs = 15000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred(bot);
      if (v) return v;
      if (bot.exit) throw new Error(`bot exited (${JSON.stringify(bot.exit)}) before ${what}:\n${bot.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`bot: no ${what} within ${timeoutMs} ms:\n${bot.stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // Ends it (unless it already ended) and checks how: exit 0 or 1 (a failed
  // call), or our SIGTERM; never a crash or a sanitizer report.
  bot.stop = async () => {
    if (!bot.exit) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10000);
    const exit = await bot.exited;
    clearTimeout(t);
    assert.ok(!SAN.test(bot.stderr), `sanitizer report:\n${bot.stderr.slice(-4000)}`);
    assert.ok(exit.signal === null || exit.signal === 'SIGTERM', `bot died of ${exit.signal}:\n${bot.stderr.slice(-3000)}`);
    assert.ok(exit.code === 0 || exit.code === 1 || exit.signal === 'SIGTERM', `bot exit ${JSON.stringify(exit)}:\n${bot.stderr.slice(-3000)}`);
    return { ...exit, end: bot.last('end') };
  };
  return bot;
}

// sealroom-load against server s (startServer's): runs it to its end;
// resolves with its exit code, its JSON lines and stderr. runLoadWith: with
// every argument given.
export function runLoad(s, args, timeoutMs = 60000) {
  const ws = s.url.replace(/^http/, 'ws') + '/ws';
  return runLoadWith(['--url', ws, '--api-key', `${s.teamId}:${s.devKey}`, '--server-pid', String(s.child.pid), ...args],
    timeoutMs);
}

export function runLoadWith(args, timeoutMs) {
  const child = spawn(LOAD_BIN, ['--join-rate', '50', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sealroom-load hung:\n${err}`)); }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      resolve({ code, signal, lines, stderr: err, summary: lines.find((l) => l.event === 'summary') });
    });
  });
}

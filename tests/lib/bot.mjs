// sealroom-bot (tools/sealroom-bot.c) as a child process for tests: its JSON
// event lines on stdout are collected; waitFor polls them; stop sends SIGTERM
// and resolves with the exit code and the "end" event.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BIN } from './server.mjs';

export const BOT_BIN = join(dirname(BIN), 'sealroom-bot');
export const LOAD_BIN = join(dirname(BIN), 'sealroom-load');

export function startBot(server, room, args = []) {
  const wsUrl = server.url.replace(/^http/, 'ws') + '/ws';
  const child = spawn(BOT_BIN, ['--url', wsUrl, '--room', room, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const bot = { child, events: [], stderr: '', exit: null };
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { bot.events.push(JSON.parse(line)); } catch { bot.stderr += `[bad stdout line] ${line}\n`; }
    }
  });
  child.stderr.on('data', (d) => { bot.stderr += d; });
  bot.exited = new Promise((resolve) => child.on('exit', (code, signal) => { bot.exit = { code, signal }; resolve(bot.exit); }));
  bot.last = (type) => [...bot.events].reverse().find((e) => e.event === type);
  bot.stats = () => (bot.last('stats') || {}).stats;
  bot.waitFor = async (what, pred, timeoutMs = 15000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred(bot);
      if (v) return v;
      if (bot.exit) throw new Error(`bot exited (${JSON.stringify(bot.exit)}) before ${what}:\n${bot.stderr}`);
      if (Date.now() > deadline) throw new Error(`bot: no ${what} within ${timeoutMs} ms:\n${bot.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  bot.stop = async () => {
    if (!bot.exit) child.kill('SIGTERM');
    const exit = await bot.exited;
    return { ...exit, end: bot.last('end') };
  };
  return bot;
}

// sealroom-bot (tools/sealroom-bot.c) without a browser: two bots in a plain
// room through a real sealroomd; the receiver's --out files are a playable
// IVF (DKIF header with the picture's size, frame count, timestamps from 0)
// and an Ogg Opus stream. Then what a user gets wrong: --out naming a file,
// and numbers that are not numbers, exit 2 with the option named.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, stopServer } from '../lib/server.mjs';
import { startBot, BOT_BIN } from '../lib/bot.mjs';

function runBot(args, timeoutMs = 10000) {
  const child = spawn(BOT_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sealroom-bot hung:\n${err}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(t); resolve({ code, stderr: err }); });
  });
}

describe('sealroom-bot files and arguments', () => {
  let s, dir;
  before(async () => {
    s = await startServer({ args: ['--rate-limit', '0'] });
    dir = mkdtempSync(join(tmpdir(), 'sealroom-bot-files-'));
  });
  after(async () => {
    await stopServer(s);
    rmSync(dir, { recursive: true, force: true });
  });

  test('--out: the IVF has the size and frame count in its header, timestamps from 0; the Ogg is Opus', async () => {
    const r = await s.api('POST', '/api/v1/rooms', { friendly_url: 'bot-files' });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const out = join(dir, 'out');
    const sender = startBot(s, 'bot-files', ['--name', 'Sender', '--size', '320x240', '--no-receive']);
    const receiver = startBot(s, 'bot-files', ['--name', 'Receiver', '--no-audio', '--no-video', '--out', out,
      '--stats', '0.2']);
    let senderId;
    try {
      senderId = (await sender.waitFor('joined', (b) => b.last('joined'))).participant_id;
      await receiver.waitFor('decoded video and audio', (b) => {
        const x = b.stats() && b.stats().remotes[senderId];
        return x && x.video_decoded >= 20 && x.audio_decoded >= 10;
      });
    } finally {
      await receiver.stop();
      await sender.stop();
    }
    assert.deepEqual(readdirSync(out).sort(), [`${senderId}.ivf`, `${senderId}.ogg`].sort());
    const ivf = readFileSync(join(out, `${senderId}.ivf`));
    assert.equal(ivf.subarray(0, 4).toString(), 'DKIF');
    assert.equal(ivf.subarray(8, 12).toString(), 'VP80');
    assert.equal(ivf.readUInt16LE(12), 320);
    assert.equal(ivf.readUInt16LE(14), 240);
    const frames = ivf.readUInt32LE(24);
    assert.ok(frames >= 20, `frame count ${frames}`);
    // Frame headers: 4-byte size, 8-byte pts; the first pts is 0, then they grow (90 kHz).
    let off = 32, last = -1, n = 0;
    while (off + 12 <= ivf.length) {
      const size = ivf.readUInt32LE(off), pts = Number(ivf.readBigUInt64LE(off + 4));
      if (n === 0) assert.equal(pts, 0);
      assert.ok(pts > last, `pts ${pts} after ${last}`);
      last = pts;
      off += 12 + size;
      n++;
    }
    assert.equal(off, ivf.length);
    assert.equal(n, frames);
    assert.ok(last < 90000 * 60, `last pts ${last}`);
    const ogg = readFileSync(join(out, `${senderId}.ogg`));
    assert.equal(ogg.subarray(0, 4).toString(), 'OggS');
    assert.ok(ogg.includes(Buffer.from('OpusHead')));
  });

  test('--out naming a file, and numbers that are not numbers: exit 2, the option named', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const ws = s.url.replace(/^http/, 'ws') + '/ws';
    const cases = [
      [['--out', file], /--out .*exists and is not a directory/],
      [['--fps', 'abc'], /--fps wants a number/],
      [['--duration', '1s'], /--duration wants a number/],
      [['--size', '640'], /--size wants WxH/],
      [['extra'], /unexpected argument "extra"/],
    ];
    for (const [args, re] of cases) {
      const r = await runBot(['--url', ws, '--room', 'bot-files', ...args]);
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const r = await runBot(['--url', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --url and --room/);
  });
});

// The meeting page's tile layout (web/meeting/tiles.js): the grid without a
// screen share, and the stage with a strip while one is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fitGrid, fitStrip } from '../../web/meeting/tiles.js';

test('grid: tiles between 4:3 and 16:9 that fit the area', () => {
  for (const [n, W, H] of [[1, 1280, 720], [2, 1280, 720], [5, 1280, 720], [9, 800, 1200], [16, 1920, 1080]]) {
    const f = fitGrid(n, W, H);
    assert.ok(f.cols * f.rows >= n, JSON.stringify(f));
    assert.ok(f.w * f.cols <= W + 0.5 && (f.h * f.rows <= H + 0.5 || f.scroll), `${n} in ${W}x${H}: ${JSON.stringify(f)}`);
  }
  assert.equal(fitGrid(0, 100, 100), null);
});

test('stage: the screen share gets most of the area, the others a 16:9 strip below', () => {
  const W = 1280, H = 720, GAP = 10;
  for (const n of [1, 2, 4, 8]) {
    const f = fitStrip(n, W, H);
    assert.equal(f.rows, 1, `${n} others fit one row: ${JSON.stringify(f)}`);
    assert.ok(Math.abs(f.w / f.h - 16 / 9) < 0.01);
    assert.ok(f.cols * f.w + (f.cols - 1) * GAP <= W + 0.5);
    assert.ok(f.stageH + GAP + f.h <= H + 0.5, JSON.stringify(f));
    assert.ok(f.stageH * W > 3 * n * f.w * f.h, `${n}: the stage is the larger part: ${JSON.stringify(f)}`);
  }
  // Many others: rows of thumbnails at least 120 px wide, scrolled.
  const many = fitStrip(40, W, H);
  assert.ok(many.w >= 120 && many.rows > 1 && many.scroll, JSON.stringify(many));
  // Nobody else: the stage is the whole area.
  assert.deepEqual([fitStrip(0, W, H).stageH, fitStrip(0, W, H).h], [H, 0]);
  assert.equal(fitStrip(3, 0, 720), null);
});

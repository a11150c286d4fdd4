import { describe, expect, test } from 'vitest';
import { adaptChunk, trainChunks, type ChunkedTrainer } from './loop.ts';
import { ROW, STATUS, rowLength } from './rows.ts';

/** A trainer stand-in: rows carry their step; `divergeAt` steps are diverged; each step takes `msPerStep` of fake time. */
class FakeTrainer implements ChunkedTrainer {
  step = 0;
  readonly rowLength = rowLength(1);
  chunks: number[] = [];
  constructor(
    private readonly divergeFrom = Infinity,
    private readonly clock = { t: 0 },
    private readonly msPerStep = 1,
  ) {}
  async runStepsPacked(k: number): Promise<Float32Array> {
    this.chunks.push(k);
    const out = new Float32Array(k * this.rowLength);
    for (let i = 0; i < k; i++) {
      out[i * this.rowLength + ROW.step] = this.step + i;
      out[i * this.rowLength + ROW.status] = this.step + i >= this.divergeFrom ? STATUS.diverged : STATUS.ok;
    }
    this.step += k;
    this.clock.t += k * this.msPerStep;
    return out;
  }
}

describe('trainChunks', () => {
  test('fixed chunks up to the stop point; every step reported once', async () => {
    const t = new FakeTrainer();
    const seen: number[] = [];
    const r = await trainChunks(t, {
      stopAt: () => 10,
      chunk: 4,
      onChunk: (c) => {
        for (let i = 0; i < c.count; i++) seen.push(c.rows[i * t.rowLength + ROW.step]);
      },
    });
    expect(r).toEqual({ reason: 'done', divergedAt: null });
    expect(t.chunks).toEqual([4, 4, 2]);
    expect(seen).toEqual([...Array(10).keys()]);
  });

  test('stops after the chunk holding the first diverged step, and says which step', async () => {
    const t = new FakeTrainer(6);
    const idx: number[] = [];
    const r = await trainChunks(t, { stopAt: () => 100, chunk: 4, onChunk: (c) => void idx.push(c.divergedIndex) });
    expect(r).toEqual({ reason: 'diverged', divergedAt: 6 });
    expect(idx).toEqual([-1, 2]);
  });

  test('with stopOnDiverge false it trains on and reports the first divergence only once', async () => {
    const t = new FakeTrainer(6);
    const idx: number[] = [];
    const r = await trainChunks(t, { stopAt: () => 16, chunk: 4, stopOnDiverge: false, onChunk: (c) => void idx.push(c.divergedIndex) });
    expect(r).toEqual({ reason: 'done', divergedAt: 6 });
    expect(idx).toEqual([-1, 2, -1, -1]);
  });

  test('an abort signal or onChunk returning false stops between chunks', async () => {
    const signal = { aborted: false };
    const t = new FakeTrainer();
    const r = await trainChunks(t, { stopAt: () => 100, chunk: 5, signal, onChunk: () => void (signal.aborted = t.step >= 10) });
    expect(r.reason).toBe('aborted');
    expect(t.step).toBe(10);
    const t2 = new FakeTrainer();
    expect((await trainChunks(t2, { stopAt: () => 100, chunk: 5, onChunk: () => t2.step < 15 })).reason).toBe('stopped');
    expect(t2.step).toBe(15);
  });

  test('the adaptive chunk covers about targetMs at the measured pace, within 1..maxChunk', async () => {
    const clock = { t: 0 };
    const t = new FakeTrainer(Infinity, clock, 2); // 2 ms per step
    await trainChunks(t, { stopAt: () => 200, targetMs: 40, maxChunk: 64, now: () => clock.t, onChunk: () => {} });
    expect(t.chunks[0]).toBe(4);
    expect(t.chunks.slice(1, -1).every((k) => k === 20)).toBe(true);
    expect(adaptChunk(1000, 1, 40, 64)).toBe(1);
    expect(adaptChunk(0, 10, 40, 64)).toBe(64);
  });

  test('the stop point is read before every chunk', async () => {
    let stop = 100;
    const t = new FakeTrainer();
    await trainChunks(t, { stopAt: () => stop, chunk: 3, onChunk: () => void (stop = 7) });
    expect(t.step).toBe(7);
  });
});

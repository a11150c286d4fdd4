import { describe, expect, test } from 'vitest';
import { ThreadPool } from './sweep-pool.ts';
import type { TrialSpec } from '../engine/sweep/planner.ts';

describe('the sweep thread pool', () => {
  test('a trial sent after close() is refused at once (its thread is gone: it would never settle)', async () => {
    const pool = new ThreadPool(1, 'cpu');
    await pool.started();
    await pool.close();
    const spec = { index: 0 } as unknown as TrialSpec;
    const settled = await Promise.race([
      pool.run(spec).then(
        () => 'resolved',
        (e: Error) => e.message,
      ),
      new Promise<string>((r) => setTimeout(() => r('still pending after 5 s'), 5000)),
    ]);
    expect(settled).toBe('cancelled');
  }, 60_000);
});

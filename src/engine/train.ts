/**
 * A run's trainer on the engine chosen for it (createTrainer), and a whole run
 * trained to its last step with its records reported (trainRun, the CLI's).
 */
import type { RunConfig } from './config.ts';
import type { StepRecord } from './records.ts';
import { trainChunks } from './loop.ts';
import type { RunTrainer } from './runTrainer.ts';
import { chooseEngine, type EngineChoice } from './engines.ts';
import type { BackendName } from './backends.ts';
import { Trainer } from './trainer.ts';
import { TypedTrainer } from './typed/trainer.ts';

export interface TrainCallbacks {
  onStep?: (r: StepRecord) => void;
  /** Called after each readback's records were reported (awaited: back-pressure). */
  onChunk?: () => void | Promise<void>;
  /** Stops training between readbacks when `aborted` turns true (an AbortSignal fits). */
  signal?: { readonly aborted: boolean };
  /** Steps per readback (default 16). */
  chunk?: number;
  /** The engine (default 'tfjs'; see engines.ts). A forced 'typed' outside its domain throws. */
  engine?: EngineChoice;
}

export interface CreateTrainerOptions {
  run?: number;
  /** Default 'auto' (engines.ts chooseEngine). */
  engine?: EngineChoice;
  /** The tfjs backend the host trains on, when it knows (see chooseEngine). */
  backend?: BackendName;
}

/**
 * The trainer of a run on the engine chosen by `chooseEngine`; a forced 'typed'
 * on a config outside the typed engine's domain throws EngineUnsupportedError.
 */
export function createTrainer(cfg: RunConfig, opts: CreateTrainerOptions = {}): RunTrainer {
  const { engine } = chooseEngine(cfg, opts.engine ?? 'auto', opts.backend);
  return engine === 'typed' ? new TypedTrainer(cfg, { run: opts.run }) : new Trainer(cfg, { run: opts.run });
}

/**
 * Trains a run to `cfg.train.steps`, reporting every record through the
 * callback; a diverged run trains on (its steps are recorded as such).
 */
export async function trainRun(cfg: RunConfig, run: number, cb: TrainCallbacks = {}): Promise<void> {
  const trainer = createTrainer(cfg, { run, engine: cb.engine ?? 'tfjs' });
  try {
    await trainChunks(trainer, {
      stopAt: () => cfg.train.steps,
      chunk: Math.max(1, cb.chunk ?? 16),
      stopOnDiverge: false,
      signal: cb.signal,
      onChunk: async ({ rows, count }) => {
        if (cb.onStep) for (const r of trainer.decode(rows, count)) cb.onStep(r);
        await cb.onChunk?.();
      },
    });
  } finally {
    trainer.dispose();
  }
}

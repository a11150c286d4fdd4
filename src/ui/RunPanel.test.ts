/**
 * The run panel rendered to static HTML (no DOM needed): its inputs take their
 * labels and bounds from the field table, and the optimizer section shows only
 * the settings the chosen optimizer uses.
 */
import { describe, expect, test, vi } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { defaultExperiment, defaultRunConfig, type Experiment, type RunConfigInput } from '../engine/config.ts';
import { FIELDS, optimizerUses } from '../engine/fields.ts';
import { OPTIMIZERS } from '../engine/meta.ts';
import { RunPanel, plainMessage } from './RunPanel.tsx';
import { parseRunConfig } from '../engine/config.ts';

// The panel reads the experiment from the store; here a plain object stands in for it.
const state = vi.hoisted(() => ({ experiment: null as unknown as Experiment, runtime: [] as unknown[], pendingRebuild: {} as Record<number, unknown> }));
vi.mock('./store.ts', () => ({
  useStore: (select: (s: typeof state) => unknown) => select(state),
  runVerdict: () => ({ level: 'ok', message: '' }),
}));

function render(run: RunConfigInput): string {
  state.experiment = { ...defaultExperiment(), runs: [defaultRunConfig(run)] };
  return renderToStaticMarkup(createElement(RunPanel, { i: 0 }));
}

/** The HTML of one of the panel's sections. */
function section(html: string, title: string): string {
  const at = html.indexOf(`<summary>${title}`);
  expect(at).toBeGreaterThan(0);
  return html.slice(at, html.indexOf('</details>', at));
}

const labels = (html: string) => [...html.matchAll(/<label[^>]*>([^<]*)<\/label>/g)].map((m) => m[1]);
const unescape = (s: string) => s.replace(/&amp;/g, '&');

describe('run panel', () => {
  for (const name of OPTIMIZERS) {
    test(`${name}: the optimizer section shows the settings it uses and no other`, () => {
      const got = labels(section(render({ optimizer: { name } }), 'Optimizer'));
      const shown = optimizerUses(name).filter((k) => k !== 'lr').map((k) => FIELDS[`optimizer.${k}`].label);
      expect(got).toEqual([FIELDS['optimizer.name'].label, expect.stringMatching(/^Learning rate: /), ...shown, FIELDS['optimizer.schedule.kind'].label, FIELDS['optimizer.schedule.warmupSteps'].label]);
    });
  }

  test('number boxes carry the table bounds', () => {
    const html = render({});
    const inputs = [...html.matchAll(/<input[^>]*type="number"[^>]*>/g)].map((m) => m[0]);
    const box = (testId: string) => inputs.find((x) => x.includes(`data-testid="run0-${testId}"`))!;
    const bounds = (x: string) => [x.match(/ min="([^"]*)"/)?.[1], x.match(/ max="([^"]*)"/)?.[1], x.match(/ step="([^"]*)"/)?.[1]];
    const f = (p: 'seed' | 'train.steps' | 'stabilizers.clip.threshold' | 'model.initGain' | 'optimizer.lr') => {
      const n = FIELDS[p];
      return [String(n.min), String(n.max), String(n.step)];
    };
    expect(bounds(box('seed'))).toEqual(f('seed'));
    expect(bounds(box('steps'))).toEqual(f('train.steps'));
    expect(bounds(box('gain'))).toEqual(f('model.initGain'));
    expect(bounds(box('lr'))).toEqual(f('optimizer.lr'));
    expect(bounds(box('hidden-0'))).toEqual(['1', '1024', undefined]);
    expect(bounds(render({ data: { name: 'shapes' }, model: { arch: 'cnn' } }).match(/<input[^>]*data-testid="run0-hidden-0"[^>]*>/)![0])).toEqual(['1', '128', undefined]);
    expect(bounds(render({ stabilizers: { clip: { mode: 'global_norm' } } }).match(/<input[^>]*data-testid="run0-clip-threshold"[^>]*>/)![0])).toEqual(f('stabilizers.clip.threshold'));
  });

  test('labels and help come from the table', () => {
    const html = unescape(render({}));
    for (const p of ['data.samples', 'data.testFraction', 'stabilizers.l1', 'train.batchSize'] as const) {
      expect(html).toContain(`>${FIELDS[p].label}</label>`);
      expect(html).toContain(`>${FIELDS[p].help}</small>`);
    }
  });
});

describe('validation messages in plain words', () => {
  const refuse = (edit: (d: ReturnType<typeof defaultRunConfig>) => void) => {
    const d = defaultRunConfig({});
    edit(d);
    const r = parseRunConfig(d, ['runs', 2]);
    expect(r.ok).toBe(false);
    return plainMessage(r.ok ? '' : r.errors.join('; '));
  };

  test('the field label instead of its path', () => {
    expect(refuse((d) => (d.optimizer.lr = -0.1))).toBe('Learning rate: must be a number 0..1000, got -0.1');
    expect(refuse((d) => (d.data.samples = 5))).toBe(`${FIELDS['data.samples'].label}: must be an integer 16..20000, got 5`);
    expect(refuse((d) => (d.model.hidden[1] = 5000))).toBe('Units of hidden layer 2: must be an integer 1..1024, got 5000');
    expect(refuse((d) => (d.stabilizers.clip.threshold = -1))).toMatch(/^Clip threshold τ: must be a number > 0/);
  });

  test('several problems, each in words; anything else unchanged', () => {
    expect(plainMessage('runs[0].seed: must be an integer; runs[0].train.steps: must be an integer 1..1000000, got 1.5')).toBe(
      'Seed: must be an integer; Stop at step: must be an integer 1..1000000, got 1.5',
    );
    expect(plainMessage('runs[0].nothing.here: unknown field')).toBe('nothing.here: unknown field');
    expect(plainMessage('something else')).toBe('something else');
  });

  test('the panel has a box that sets every hidden layer at once, empty when the widths differ', () => {
    const box = (html: string) => html.match(/<input[^>]*data-testid="run0-all-widths"[^>]*>/)![0];
    expect(box(render({ model: { hidden: [24, 24, 24] } }))).toContain('value="24"');
    expect(box(render({ model: { hidden: [24, 8] } }))).toContain('value=""');
    expect(box(render({ model: { hidden: [24, 8] } }))).toContain('placeholder="mixed"');
  });
});

/**
 * `gradscope run --engine auto|tfjs|typed`, in-process through main(): every
 * record names its engine; both engines write the same numbers; a forced typed
 * engine outside its domain (or an unknown engine) exits 2 with one line.
 */
import { describe, expect, test } from 'vitest';
import { captureMain } from './captureMain.ts';

const MLP = '{"seed":3,"data":{"name":"moons","samples":120},"model":{"hidden":[8,8]},"train":{"batchSize":16,"evalEvery":4}}';
const CNN = '{"data":{"name":"shapes","samples":30},"model":{"arch":"cnn","hidden":[2]},"train":{"batchSize":4}}';

const records = (stdout: string) => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const withoutEngine = (rs: Record<string, unknown>[]) => rs.map(({ engine: _engine, ...r }) => r);

describe('gradscope run --engine', () => {
  test('auto and typed train an MLP on the typed engine, tfjs on tfjs: the same records but for the engine field', async () => {
    const auto = await captureMain(['run', MLP, '--steps', '9']);
    const typed = await captureMain(['run', MLP, '--steps', '9', '--engine', 'typed']);
    const tfjs = await captureMain(['run', MLP, '--steps', '9', '--engine', 'tfjs', '--backend', 'cpu']);
    for (const r of [auto, typed, tfjs]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    expect(records(auto.stdout).map((r) => r.engine)).toEqual(Array(9).fill('typed'));
    expect(typed.stdout).toBe(auto.stdout);
    expect(records(tfjs.stdout).map((r) => r.engine)).toEqual(Array(9).fill('tfjs'));
    // on tfjs's cpu backend the typed engine's numbers are the same bit for bit
    expect(withoutEngine(records(typed.stdout))).toEqual(withoutEngine(records(tfjs.stdout)));
  });

  test.each([
    ['an MLP on images (shapes, 16×16 pixels flattened)', '{"seed":4,"data":{"name":"shapes","samples":128},"model":{"hidden":[24,12],"activation":"relu"},"train":{"batchSize":16,"evalEvery":3}}'],
    ['a regression (housing, standardized)', '{"seed":5,"data":{"name":"housing","samples":160,"standardize":"inputs_and_target"},"model":{"hidden":[8]},"train":{"batchSize":16,"evalEvery":3}}'],
  ])('auto trains %s on the typed engine: the tfjs engine’s records', async (_what, config) => {
    const auto = await captureMain(['run', config, '--steps', '7']);
    const tfjs = await captureMain(['run', config, '--steps', '7', '--engine', 'tfjs', '--backend', 'cpu']);
    expect(auto.code).toBe(0);
    expect(tfjs.code).toBe(0);
    expect(records(auto.stdout).map((r) => r.engine)).toEqual(Array(7).fill('typed'));
    expect(withoutEngine(records(auto.stdout))).toEqual(withoutEngine(records(tfjs.stdout)));
  });

  test('auto trains a conv net on tfjs', async () => {
    const r = await captureMain(['run', CNN, '--steps', '2']);
    expect(r.code).toBe(0);
    expect(records(r.stdout).map((x) => x.engine)).toEqual(['tfjs', 'tfjs']);
  });

  test.each([
    ['typed forced on a conv net', ['run', CNN, '--engine', 'typed'], /^--engine typed: run 0 \("A"\): conv nets .*; use --engine auto or tfjs$/],
    ['an unknown engine', ['run', MLP, '--engine', 'gpu'], /^--engine: must be auto, tfjs or typed, got "gpu"$/],
  ])('%s: exit 2, one line naming the reason', async (_what, argv, message) => {
    const r = await captureMain(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].replace(/^gradscope: /, '')).toMatch(message);
  });

  test('the help names the option', async () => {
    const r = await captureMain(['run', '--help']);
    expect(r.stdout).toMatch(/--engine E +auto/);
  });
});

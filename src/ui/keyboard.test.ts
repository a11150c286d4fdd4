/** The keyboard shortcuts' decision: key and focused element → action (keyboard.ts). */
import { describe, expect, test, vi } from 'vitest';
import { installShortcuts, keyTarget, shortcutFor, type KeyTarget } from './keyboard.ts';

const BUTTON: KeyTarget = { tag: 'BUTTON' };
const BODY: KeyTarget = { tag: 'BODY' };
const input = (type: string): KeyTarget => ({ tag: 'INPUT', type });

describe('shortcutFor', () => {
  test('Space, S and R on the page', () => {
    expect(shortcutFor({ key: ' ' }, BODY)).toBe('toggle');
    expect(shortcutFor({ key: 's' }, BODY)).toBe('step');
    expect(shortcutFor({ key: 'r' }, BODY)).toBe('reset');
    expect(shortcutFor({ key: 'x' }, BODY)).toBeNull();
    expect(shortcutFor({ key: 'Enter' }, BODY)).toBeNull();
    expect(shortcutFor({ key: ' ' }, null)).toBe('toggle');
  });

  test('capital letters (Shift or Caps Lock) work too', () => {
    expect(shortcutFor({ key: 'S' }, BODY)).toBe('step');
    expect(shortcutFor({ key: 'R' }, BODY)).toBe('reset');
  });

  test('on a focused button (Train just clicked): Space is the shortcut, S and R work', () => {
    expect(shortcutFor({ key: ' ' }, BUTTON)).toBe('toggle');
    expect(shortcutFor({ key: 's' }, BUTTON)).toBe('step');
    expect(shortcutFor({ key: 'R' }, BUTTON)).toBe('reset');
    expect(shortcutFor({ key: 'Enter' }, BUTTON)).toBeNull();
  });

  test('sliders and links take the shortcuts', () => {
    for (const t of [input('range'), { tag: 'A' }, { tag: 'CANVAS' }, input('button')]) {
      expect(shortcutFor({ key: ' ' }, t)).toBe('toggle');
      expect(shortcutFor({ key: 's' }, t)).toBe('step');
    }
  });

  test('typing in a text box, number box, text area, drop-down or editable element never triggers', () => {
    const targets: KeyTarget[] = [input('text'), input('number'), input('search'), input('email'), { tag: 'INPUT' }, { tag: 'TEXTAREA' }, { tag: 'SELECT' }, { tag: 'DIV', editable: true }];
    for (const t of targets) for (const key of [' ', 's', 'S', 'r', 'R']) expect(shortcutFor({ key }, t), `${key} on ${JSON.stringify(t)}`).toBeNull();
  });

  test('Space ticks a check box or radio button; S and R still work there', () => {
    for (const t of [input('checkbox'), input('radio')]) {
      expect(shortcutFor({ key: ' ' }, t)).toBeNull();
      expect(shortcutFor({ key: 's' }, t)).toBe('step');
      expect(shortcutFor({ key: 'r' }, t)).toBe('reset');
    }
  });

  test('browser shortcuts (Ctrl+R, Ctrl+S, Alt, Meta) are left alone', () => {
    expect(shortcutFor({ key: 'r', ctrlKey: true }, BODY)).toBeNull();
    expect(shortcutFor({ key: 's', metaKey: true }, BODY)).toBeNull();
    expect(shortcutFor({ key: ' ', altKey: true }, BODY)).toBeNull();
  });

  test('held keys: S steps on, Space and R act once', () => {
    expect(shortcutFor({ key: 's', repeat: true }, BODY)).toBe('step');
    expect(shortcutFor({ key: ' ', repeat: true }, BODY)).toBeNull();
    expect(shortcutFor({ key: 'r', repeat: true }, BODY)).toBeNull();
  });
});

describe('keyTarget', () => {
  test('reads tag, type and contenteditable', () => {
    expect(keyTarget({ tagName: 'input', type: 'Number' } as unknown as EventTarget)).toEqual({ tag: 'INPUT', type: 'number', editable: false });
    expect(keyTarget({ tagName: 'DIV', isContentEditable: true } as unknown as EventTarget)).toEqual({ tag: 'DIV', type: undefined, editable: true });
    expect(keyTarget(null)).toBeNull();
    expect(keyTarget({} as EventTarget)).toBeNull();
  });
});

describe('installShortcuts', () => {
  test('calls the action and prevents the default (no click of the focused button, no scroll)', () => {
    let handler: ((e: never) => void) | null = null;
    const source = { addEventListener: vi.fn((_: string, fn) => (handler = fn)), removeEventListener: vi.fn() };
    const actions = { toggle: vi.fn(), step: vi.fn(), reset: vi.fn() };
    const stop = installShortcuts(source, actions);
    const press = (key: string, target: unknown) => {
      const e = { key, target, preventDefault: vi.fn() };
      handler!(e as never);
      return e.preventDefault.mock.calls.length;
    };
    expect(press(' ', { tagName: 'BUTTON' })).toBe(1);
    expect(actions.toggle).toHaveBeenCalledTimes(1);
    expect(press('S', { tagName: 'BODY' })).toBe(1);
    expect(actions.step).toHaveBeenCalledTimes(1);
    expect(press('r', { tagName: 'INPUT', type: 'text' })).toBe(0);
    expect(actions.reset).not.toHaveBeenCalled();
    stop();
    expect(source.removeEventListener).toHaveBeenCalledWith('keydown', handler);
  });
});

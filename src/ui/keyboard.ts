/**
 * The page's keyboard shortcuts: Space starts or pauses every run, S steps
 * once, R resets (capital letters too). They work wherever the focus is —
 * on a button just clicked, a slider, a link, the page itself — except where
 * the key belongs to the control: while typing in a text or number box, in a
 * drop-down list (letters pick an option, Space opens it) and, for Space
 * only, on a check box or radio button (Space ticks it). With Ctrl, Alt or
 * Meta held the browser's own shortcuts (Ctrl+R, Ctrl+S) keep working.
 *
 * On a focused button Space is the shortcut, not a click: Space after a click
 * on Train pauses, it does not press Train again (Enter still presses the
 * focused button).
 *
 * `shortcutFor` is the whole decision, a pure function (keyboard.test.ts).
 */

export type Shortcut = 'toggle' | 'step' | 'reset';

/** What the key went to: an element's tag and, for inputs, its type. */
export interface KeyTarget {
  /** Upper-case tag name, as Element.tagName. */
  tag: string;
  /** An input's type attribute (lower case). */
  type?: string;
  /** contenteditable. */
  editable?: boolean;
}

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** Held down (auto-repeat). */
  repeat?: boolean;
}

/** Input types whose keys are not text entry. */
const NOT_TEXT = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image']);

function typesText(t: KeyTarget): boolean {
  if (t.editable) return true;
  if (t.tag === 'TEXTAREA' || t.tag === 'SELECT') return true;
  return t.tag === 'INPUT' && !NOT_TEXT.has(t.type ?? 'text');
}

/** The shortcut a key press means on this target, or null when the key is the target's own. */
export function shortcutFor(e: KeyPress, target: KeyTarget | null): Shortcut | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (target && typesText(target)) return null;
  if (e.key === ' ' || e.key === 'Spacebar') {
    if (target?.tag === 'INPUT' && (target.type === 'checkbox' || target.type === 'radio')) return null;
    // Holding Space would start and pause over and over.
    return e.repeat ? null : 'toggle';
  }
  const k = e.key.toLowerCase();
  // Holding S steps on; holding R resets once.
  if (k === 's') return 'step';
  if (k === 'r') return e.repeat ? null : 'reset';
  return null;
}

/** The key target of a DOM event target. */
export function keyTarget(t: EventTarget | null): KeyTarget | null {
  const el = t as (Partial<HTMLElement> & { type?: unknown }) | null;
  if (!el || typeof el.tagName !== 'string') return null;
  return {
    tag: el.tagName.toUpperCase(),
    type: typeof el.type === 'string' ? el.type.toLowerCase() : undefined,
    editable: el.isContentEditable === true,
  };
}

interface KeyEventLike extends KeyPress {
  target: EventTarget | null;
  defaultPrevented?: boolean;
  preventDefault(): void;
}

interface KeySource {
  addEventListener(type: 'keydown', fn: (e: KeyEventLike) => void): void;
  removeEventListener(type: 'keydown', fn: (e: KeyEventLike) => void): void;
}

/** Listens for the shortcuts on `source` (the window); returns the unsubscribe. */
export function installShortcuts(source: KeySource, actions: Record<Shortcut, () => void>): () => void {
  const onKey = (e: KeyEventLike) => {
    if (e.defaultPrevented) return;
    const s = shortcutFor(e, keyTarget(e.target));
    if (!s) return;
    // No scrolling on Space, no click of the focused button.
    e.preventDefault();
    actions[s]();
  };
  source.addEventListener('keydown', onKey);
  return () => source.removeEventListener('keydown', onKey);
}

/**
 * Validation messages: a zod issue as `field.path: message, got value`, on one
 * line, with the offending input shortened. Used for run configs and sweeps.
 */
import type { z } from 'zod';

export function shorten(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** Control and line-separator characters as escapes, so that a message stays on one line. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatPath(path: readonly PropertyKey[], root = '(config)'): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    // An unknown field's name is user input: quote it unless it is a plain identifier.
    else if (typeof p === 'string' && !/^[A-Za-z_$][\w$]{0,39}$/.test(p)) out += `[${oneLine(JSON.stringify(shorten(p, 40)))}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || root;
}

/** A short, one-line rendering of an input value for a message. */
export function describeInput(v: unknown): string {
  let s: string;
  if (v === undefined) s = 'nothing';
  else if (typeof v === 'number') s = Number.isNaN(v) ? 'NaN' : String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      // Too deeply nested for JSON.stringify (String() of such an array throws too).
      s = Array.isArray(v) ? '[...]' : typeof v === 'object' ? '{...}' : typeof v;
    }
  }
  return oneLine(shorten(s));
}

/** zod issues as `field.path: message, got value` lines; `root` names the top level. */
export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = [], root = '(config)'): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${formatPath([...path, key], root)}: unknown field`);
      continue;
    }
    const got = 'input' in issue ? `, got ${describeInput(issue.input)}` : '';
    out.push(`${formatPath(path, root)}: ${issue.message}${got}`);
  }
  // One fault can fail several checks with the same message (1e308 is neither a safe
  // integer nor <= 4096): report it once.
  return [...new Set(out)];
}

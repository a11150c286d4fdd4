// Size of the built app: gzip of the main-thread JavaScript that index.html
// loads (its module entry and every chunk it imports statically, followed
// transitively; not the worker chunks, not dynamic imports) and of the whole build.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative, resolve } from 'node:path';

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

/** Static imports of a built ES module: `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`. */
export function staticImports(code) {
  const out = new Set();
  const re = /(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;
  let m;
  while ((m = re.exec(code))) out.add(m[1]);
  return [...out];
}

export function measureSize(distDir) {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) =>
    resolve(distDir, m[1]),
  );
  const seen = new Set();
  const queue = [...entries];
  while (queue.length) {
    const f = queue.shift();
    if (seen.has(f)) continue;
    seen.add(f);
    for (const imp of staticImports(readFileSync(f, 'utf8'))) queue.push(resolve(dirname(f), imp));
  }
  const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => resolve(distDir, m[1]));
  const all = files(distDir);
  const row = (f) => {
    const b = readFileSync(f);
    return { file: relative(distDir, f), bytes: b.length, gzip: gz(b) };
  };
  const mainJs = [...seen].map(row);
  const everything = all.map(row);
  const sum = (rows, k) => rows.reduce((a, r) => a + r[k], 0);
  const js = everything.filter((r) => r.file.endsWith('.js'));
  return {
    mainThreadJs: { files: mainJs, bytes: sum(mainJs, 'bytes'), gzip: sum(mainJs, 'gzip') },
    css: { files: css.map(row), gzip: sum(css.map(row), 'gzip') },
    allJs: { count: js.length, bytes: sum(js, 'bytes'), gzip: sum(js, 'gzip') },
    whole: { count: everything.length, bytes: sum(everything, 'bytes'), gzip: sum(everything, 'gzip') },
    largest: [...everything].sort((a, b) => b.gzip - a.gzip).slice(0, 8),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(measureSize(process.argv[2] ?? 'dist'), null, 2));
}

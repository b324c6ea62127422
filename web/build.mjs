// build.mjs - bundle web/src into web/dist with esbuild.
//
//   node build.mjs            production bundle (minified, hashed names)
//   node build.mjs --dev      same, unminified, with inline-free linked maps
//
// Output: dist/index.html (served with no-cache) referencing hashed
// app-<hash>.js / app-<hash>.css and lazily loaded chunk-<hash>.js files
// (served with a long max-age). Prints one line on success.
import { build } from 'esbuild';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, 'dist');
const dev = process.argv.includes('--dev');

// Start from an empty dist/ so stale hashed files do not pile up.
await mkdir(out, { recursive: true });
for (const f of await readdir(out)) await rm(join(out, f), { recursive: true, force: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: { app: join(src, 'main.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
  minify: !dev,
  sourcemap: 'linked',
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.svg': 'file', '.woff2': 'file' },
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
});

let js = null;
let css = null;
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint === 'src/main.js' && file.endsWith('.js')) {
    js = basename(file);
    if (meta.cssBundle) css = basename(meta.cssBundle);
  }
}
if (!js || !css) throw new Error('build: entry outputs not found in metafile');

const html = (await readFile(join(src, 'index.html'), 'utf8'))
  .replaceAll('%APP_JS%', `/${js}`)
  .replaceAll('%APP_CSS%', `/${css}`);
await writeFile(join(out, 'index.html'), html);

const size = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map') && !f.endsWith('.txt'))
  .reduce((n, [, m]) => n + m.bytes, 0);
console.log(`web: dist/ built (${js}, ${css}, ${(size / 1024).toFixed(0)} KiB)`);

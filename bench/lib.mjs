// lib.mjs - shared pieces of coderoom's benchmarks: starting the server with
// generous limits, percentiles, and the result table.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../tests/lib/server.mjs';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON = '/usr/bin/python3';

/* A server whose limits stay out of the way of the measurement. */
export function startBenchServer(extra = [], opts = {}) {
  return startServer({
    args: ['--cpu-ms', '600000', '--wall-ms', '600000', '--output-bytes', String(2 ** 50),
      '--output-rate', String(2 ** 40), '--output-burst', String(2 ** 50),
      '--reattach-grace-ms', '1000', '--log-level', 'warn',
      // every client of a bench is 127.0.0.1: no per-address socket cap
      '--ws-per-client', '1000000', ...extra],
    timeoutMs: 30000,
    ...opts,
  });
}

/* Run the server with this soft open-file limit: it must raise it itself. */
export const lowNofile = (n) => ['sh', '-c', `ulimit -S -n ${n} && exec "$0" "$@"`];

/* Run bench/pty_baseline.py MODE ARGS and parse its JSON line. */
export function ptyBaseline(...args) {
  const out = execFileSync(PYTHON, [path.join(benchDir, 'pty_baseline.py'), ...args.map(String)],
    { encoding: 'utf8', timeout: 300000 });
  return JSON.parse(out.trim().split('\n').pop());
}

export function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const fmt = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(d));
export const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');

/*
 * rows: [{metric, coderoom, baseline, base_name, ratio, note}] -> a table.
 */
export function printTable(rows, title) {
  const head = ['metric', 'coderoom', 'baseline', 'coderoom/baseline', 'baseline is'];
  const cells = rows.map((r) => [r.metric, r.coderoom, r.baseline ?? '-', r.ratio ?? '-', r.base_name ?? '']);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => (i === 0 || i === 4 ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join('  ');
  if (title) console.log(title);
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const c of cells) console.log(line(c));
  for (const r of rows) if (r.note) console.log(`  * ${r.metric}: ${r.note}`);
}

/* True when this module is the script node was started with. */
export function isMain(meta) {
  return process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(meta.url);
}

// run.mjs - every benchmark, one table. Figures and ratios, never pass/fail.
//   node bench/run.mjs           (make bench runs it through bench/run.sh)
//   BENCH_ONLY=throughput,rooms node bench/run.mjs    some parts only
// Results are also written to bench/results/<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { benchDir, fmt, printTable, ratio } from './lib.mjs';
import * as echo from './echo-latency.mjs';
import * as tput from './throughput.mjs';
import * as idle from './idle-memory.mjs';
import * as batch from './batch.mjs';
import * as cluster from './cluster.mjs';
import * as rooms from './rooms.mjs';
import * as sessions from './sessions.mjs';

const rows = [];
// The per-run cost of the sandbox, measured by bench/sandbox_overhead.c
// before this (bench/run.sh): what each adds to the bare program, and
// runs per second with two per CPU at once.
if (process.env.BENCH_SANDBOX_JSONL) {
  try {
    for (const line of fs.readFileSync(process.env.BENCH_SANDBOX_JSONL, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line);
      if (r.throughput) {	// runs/s, two per CPU at once, no server
        const metric = `${r.program} runs/s, ${r.parallel} at once (no server)`;
        const x = (rps) => `${fmt(rps / r.bare_rps, 2)}x bare`;
        rows.push({ metric, coderoom: fmt(r.coderoom_rps, 1), baseline: fmt(r.bare_rps, 1),
          ratio: ratio(r.coderoom_rps, r.bare_rps), base_name: `bare fork+exec (${r.runs} runs each)` });
        rows.push({ metric, coderoom: fmt(r.coderoom_rps, 1), baseline: fmt(r.unshare_rps, 1),
          ratio: ratio(r.coderoom_rps, r.unshare_rps), base_name: `unshare, namespaces alone (${x(r.unshare_rps)})` });
        if (r.bwrap_rps) rows.push({ metric, coderoom: fmt(r.coderoom_rps, 1), baseline: fmt(r.bwrap_rps, 1),
          ratio: ratio(r.coderoom_rps, r.bwrap_rps), base_name: `bwrap --unshare-all (${x(r.bwrap_rps)})` });
        if (r.coderoom_cpu_ms && r.bwrap_cpu_ms) rows.push({ metric: `${r.program} machine CPU ms a run, ${r.parallel} at once`,
          coderoom: fmt(r.coderoom_cpu_ms, 2), baseline: fmt(r.bwrap_cpu_ms, 2), ratio: ratio(r.coderoom_cpu_ms, r.bwrap_cpu_ms),
          base_name: `bwrap --unshare-all (bare ${fmt(r.bare_cpu_ms, 2)}, unshare ${fmt(r.unshare_cpu_ms, 2)})` });
        continue;
      }
      const add = (ms) => ms - r.bare_ms;
      const cr = add(r.coderoom_ms);
      rows.push({ metric: `${r.program} start to exit + EOF, added ms`, coderoom: `+${fmt(cr, 2)}`,
        baseline: r.bwrap_ms ? `+${fmt(add(r.bwrap_ms), 2)}` : '-', ratio: r.bwrap_ms ? ratio(cr, add(r.bwrap_ms)) : '-',
        base_name: `bwrap --unshare-all (bare ${fmt(r.bare_ms, 2)} ms, median of ${r.runs})` });
      rows.push({ metric: `${r.program} start to exit + EOF, added ms`, coderoom: `+${fmt(cr, 2)}`,
        baseline: `+${fmt(add(r.unshare_ms), 2)}`, ratio: ratio(cr, add(r.unshare_ms)),
        base_name: 'unshare (namespaces alone)' });
    }
  } catch (e) {
    rows.push({ metric: 'sandbox per-run cost', coderoom: 'failed', note: e.message.slice(0, 300) });
  }
}
const parts = [
  ['keystroke echo', () => echo.run({ n: Number(process.env.BENCH_ECHO_N || 1000) })],
  ['throughput', () => tput.run({ mb: Number(process.env.BENCH_MB || 200) })],
  ['idle memory', () => idle.run({ n: Number(process.env.BENCH_CONNS || 10000) })],
  ['batch API', () => batch.run({ n: Number(process.env.BENCH_BATCH_N || 100) })],
  ['cluster mode', () => cluster.run({ n: Number(process.env.BENCH_CLUSTER_N || 200) })],
  ['rooms', () => rooms.run({ n: Number(process.env.BENCH_ROOM_PUSHES || 1000) })],
  ['sessions', () => sessions.run({ n: Number(process.env.BENCH_SESSIONS || 500), busy: Number(process.env.BENCH_BUSY || 50) })],
];
// BENCH_ONLY=throughput,batch API runs only those parts (names as above)
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
for (const [name, fn] of parts) {
  if (only && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  try { rows.push(...await fn()); } catch (e) {
    rows.push({ metric: name, coderoom: 'failed', note: e.message.split('\n')[0].slice(0, 300) });
  }
}
let commit = '?';
try { commit = execFileSync('git', ['-C', benchDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
const title = `coderoom ${commit}  ${os.cpus().length} cpus  ${new Date().toISOString()}`;
console.log('');
printTable(rows, title);
const dir = path.join(benchDir, 'results');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ title, commit, rows }, null, 2));

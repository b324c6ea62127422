// run.mjs - every benchmark, one table. Figures and ratios, never pass/fail.
//   node bench/run.mjs           (make bench runs it through bench/run.sh)
// Results are also written to bench/results/<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { benchDir, printTable } from './lib.mjs';
import * as echo from './echo-latency.mjs';
import * as tput from './throughput.mjs';
import * as idle from './idle-memory.mjs';
import * as batch from './batch.mjs';
import * as rooms from './rooms.mjs';
import * as sessions from './sessions.mjs';

const rows = [];
const parts = [
  ['keystroke echo', () => echo.run({ n: Number(process.env.BENCH_ECHO_N || 1000) })],
  ['throughput', () => tput.run({ mb: Number(process.env.BENCH_MB || 200) })],
  ['idle memory', () => idle.run({ n: Number(process.env.BENCH_CONNS || 10000) })],
  ['batch API', () => batch.run({ n: Number(process.env.BENCH_BATCH_N || 100) })],
  ['rooms', () => rooms.run({ n: Number(process.env.BENCH_ROOM_PUSHES || 1000) })],
  ['sessions', () => sessions.run({ n: Number(process.env.BENCH_SESSIONS || 500), busy: Number(process.env.BENCH_BUSY || 50) })],
];
for (const [name, fn] of parts) {
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

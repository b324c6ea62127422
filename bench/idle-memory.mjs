// idle-memory.mjs - server memory per idle WebSocket connection.
//
// Opens N connections to /ws (each gets its hello, then stays idle) and
// divides the server's RSS growth by N. The server starts with a soft
// open-file limit of 1024 (a systemd service's default): it must raise it
// itself to hold N. Baseline: a minimal node `ws` server that sends one
// hello per connection, measured the same way in its own process.
//   node bench/idle-memory.mjs [N]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { procMem, sleep } from '../tests/lib/clients.mjs';
import { WebSocket } from '../tests/lib/ws.mjs';
import { health } from '../tests/lib/clients.mjs';
import { benchDir, fmt, isMain, lowNofile, printTable, ratio, startBenchServer } from './lib.mjs';

async function openMany(url, n, protocol) {
  const socks = [];
  const batch = 50;
  for (let i = 0; i < n; i += batch) {
    const part = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => new Promise((resolve, reject) => {
      const ws = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
      ws.once('message', () => resolve(ws)); // the hello: the connection is fully set up
      ws.once('error', reject);
    })));
    socks.push(...part);
  }
  return socks;
}

async function measure(pid, url, n, protocol) {
  // one connection first, so one-time allocations are not counted
  const warm = await openMany(url, 5, protocol);
  await sleep(500);
  const before = procMem(pid).rss;
  const socks = await openMany(url, n, protocol);
  await sleep(1500);
  const after = procMem(pid).rss;
  for (const s of [...socks, ...warm]) s.terminate();
  return { before, after, per: (after - before) / n };
}

function startEchoBaseline() {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(benchDir, 'ws-baseline-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.once('data', (d) => resolve({ proc: p, port: Number(String(d).trim()) }));
    p.once('error', reject);
  });
}

export async function run({ n = 10000 } = {}) {
  const srv = await startBenchServer([], { wrapper: lowNofile(1024) });
  let m, files;
  try {
    files = (await health(srv.url)).admission?.host?.open_files;
    m = await measure(srv.pid, srv.wsUrl + '/ws', n, 'coderoom.v1');
  } finally { await srv.stop(); }
  const b = await startEchoBaseline();
  let bm;
  try { bm = await measure(b.proc.pid, `ws://127.0.0.1:${b.port}/`, n); } finally {
    b.proc.kill('SIGTERM');
  }
  return [
    { metric: `memory per idle WebSocket, ${n} conns (KiB)`, coderoom: fmt(m.per / 1024, 1), baseline: fmt(bm.per / 1024, 1), ratio: ratio(m.per, bm.per), base_name: 'node ws server', note: `goal <= 8 KiB; the server started with a soft limit of 1024 open files and raised it to ${files}` },
    { metric: 'server RSS before -> after (MiB)', coderoom: `${fmt(m.before / 1048576, 1)} -> ${fmt(m.after / 1048576, 1)}`, baseline: `${fmt(bm.before / 1048576, 1)} -> ${fmt(bm.after / 1048576, 1)}`, base_name: '' },
  ];
}

if (isMain(import.meta)) {
  printTable(await run({ n: Number(process.argv[2] || 10000) }), 'idle connections');
}

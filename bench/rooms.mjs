// rooms.mjs - rooms: push -> broadcast latency with 50 members, memory per
// room and per member, the cost of a push by document size.
//
// Latency: one writer pushes one update at a time (as @codemirror/collab
// does) into a room of 50 members; the time from the push to the moment the
// last member has the "updates" message, p50 and p99. Baseline: a bare
// WebSocket echo round trip (node ws server), the floor of any
// request/answer over a socket here; coderoom's own ping/pong beside it.
// Memory: server RSS growth per room opened (one member each) and per
// member joining one room, beyond the connections themselves.
// Document size: a one-character push at the end of a 1 MiB document vs an
// empty one (the authority applies and stores it; the difference is the
// cost per MiB).
//   node bench/rooms.mjs
import { spawn } from 'node:child_process';
import path from 'node:path';
import { postJSON, procMem, sleep } from '../tests/lib/clients.mjs';
import { WebSocket } from '../tests/lib/ws.mjs';
import { benchDir, fmt, isMain, percentile, printTable, ratio, startBenchServer } from './lib.mjs';

/* At most one message every 17 ms from one socket: the server processes
 * 64 control messages a second per connection and drops the rest. */
let lastSend = 0;
async function pace() {
  const wait = lastSend + 17 - performance.now();
  if (wait > 0) await sleep(wait);
  lastSend = performance.now();
}

function open(url, protocol) {
  return new Promise((resolve, reject) => {
    const ws = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
    ws.once('message', () => resolve(ws));   // hello
    ws.once('error', reject);
  });
}

function next(ws, pred) {
  return new Promise((resolve) => {
    const on = (d, bin) => {
      if (bin) return;
      const m = JSON.parse(d.toString());
      if (pred(m)) { ws.off('message', on); resolve(m); }
    };
    ws.on('message', on);
  });
}

async function join(url, room, name) {
  const ws = await open(url, 'coderoom.v1');
  const p = next(ws, (m) => m.type === 'joined' || m.type === 'error');
  ws.send(JSON.stringify({ type: 'join', room, name }));
  const j = await p;
  if (j.type !== 'joined') throw new Error(JSON.stringify(j));
  ws.joined = j;
  return ws;
}

async function pushLatency(connect, members, n) {
  const writer = await connect('writer');
  const others = [];
  for (let i = 1; i < members; i++) others.push(await connect(`m${i}`));
  const all = [writer, ...others];
  let version = 0, waiting = 0, done = null;
  const sample = [], own = [];
  let t0 = 0;
  for (const ws of all) {
    ws.on('message', (d, bin) => {
      if (bin) return;
      const s = d.toString();
      if (!s.startsWith('{"type":"updates"')) return;
      if (ws === writer) own.push(performance.now() - t0);
      if (--waiting === 0) done();
    });
  }
  for (let i = 0; i < n + 50; i++) {
    const p = new Promise((r) => { done = r; });
    waiting = all.length;
    t0 = performance.now();
    writer.send(JSON.stringify({ type: 'push', version, updates: [{ clientID: 'bench', changes: version ? [version, [0, 'x']] : [[0, 'x']] }] }));
    await p;
    if (i >= 50) sample.push(performance.now() - t0);   // 50 warm-up pushes
    version++;
    await pace();    // a socket's 64 control messages a second
  }
  for (const ws of all) ws.terminate();
  sample.sort((a, b) => a - b);
  own.sort((a, b) => a - b);
  return { p50: percentile(sample, 0.5), p99: percentile(sample, 0.99), own50: percentile(own, 0.5) };
}

async function echoLatency(url, protocol, n, msg) {
  const ws = await open(url, protocol);
  const s = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = performance.now();
    const p = new Promise((r) => ws.once('message', r));
    ws.send(msg);
    await p;
    if (i >= 50) s.push(performance.now() - t0);
    if (protocol) await pace();
  }
  ws.terminate();
  s.sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99) };
}

function startEchoBaseline(script = 'ws-baseline-server.mjs') {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(benchDir, script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.once('data', (d) => resolve({ proc: p, port: Number(String(d).trim()) }));
    p.once('error', reject);
  });
}

async function memory(srv, n) {
  const url = srv.wsUrl + '/ws';
  const conns = [];
  for (let i = 0; i < n; i++) conns.push(await open(url, 'coderoom.v1'));
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await postJSON(`${srv.url}/create_session`, { code: 'print("hello")\n' })).json.session_id);
  await sleep(500);
  const m0 = procMem(srv.pid).rss;
  for (let i = 0; i < n; i++) {     // each connection opens its own room
    const p = next(conns[i], (m) => m.type === 'joined');
    conns[i].send(JSON.stringify({ type: 'join', room: ids[i], name: `r${i}` }));
    await p;
  }
  await sleep(500);
  const m1 = procMem(srv.pid).rss;
  for (const c of conns) c.terminate();
  await sleep(500);
  // members: n more connections into one room
  const more = [];
  for (let i = 0; i < n; i++) more.push(await open(url, 'coderoom.v1'));
  const host = await join(url, ids[0], 'host');
  await sleep(500);
  const m2 = procMem(srv.pid).rss;
  for (let i = 0; i < n; i++) {
    const p = next(more[i], (m) => m.type === 'joined');
    more[i].send(JSON.stringify({ type: 'join', room: ids[0], name: `m${i}` }));
    await p;
  }
  await sleep(500);
  const m3 = procMem(srv.pid).rss;
  for (const c of [...more, host]) c.terminate();
  return { room: (m1 - m0) / n, member: (m3 - m2) / n };
}

export async function run({ n = 1000, members = 50, memN = 200 } = {}) {
  const rows = [];
  const srv = await startBenchServer(['--room-rate', '100000', '--room-create-rate', '1000000', '--room-members', '1000', '--room-doc-bytes', String(4 << 20),
    '--max-message-bytes', String(8 << 20), '--max-body-bytes', String(8 << 20)]);
  try {
    const id = (await postJSON(`${srv.url}/create_session`, { code: '' })).json.session_id;
    const lat = await pushLatency((name) => join(srv.wsUrl + '/ws', id, name), members, n);
    const h = (await (await fetch(`${srv.url}/api/health`)).json()).rooms;
    const bb = await startEchoBaseline('ws-broadcast-server.mjs');
    let blat;
    try { blat = await pushLatency(() => open(`ws://127.0.0.1:${bb.port}/`), members, n); } finally { bb.proc.kill('SIGTERM'); }
    const ping = await echoLatency(srv.wsUrl + '/ws', 'coderoom.v1', 1000, '{"type":"ping"}');
    const b = await startEchoBaseline();
    let echo;
    try { echo = await echoLatency(`ws://127.0.0.1:${b.port}/`, undefined, 1000, '{"type":"ping"}'); } finally { b.proc.kill('SIGTERM'); }
    rows.push({ metric: `push -> last of ${members} members p50 (ms)`, coderoom: fmt(lat.p50, 3), baseline: fmt(echo.p50, 3), ratio: ratio(lat.p50, echo.p50), base_name: 'bare ws echo round trip (node ws)' });
    rows.push({ metric: `push -> last of ${members} members p99 (ms)`, coderoom: fmt(lat.p99, 3), baseline: fmt(echo.p99, 3), ratio: ratio(lat.p99, echo.p99), base_name: 'bare ws echo round trip (node ws)' });
    rows.push({ metric: `push -> last of ${members} members p50 (ms)`, coderoom: fmt(lat.p50, 3), baseline: fmt(blat.p50, 3), ratio: ratio(lat.p50, blat.p50), base_name: 'node ws broadcast, no doc, no store' });
    rows.push({ metric: `push -> last of ${members} members p99 (ms)`, coderoom: fmt(lat.p99, 3), baseline: fmt(blat.p99, 3), ratio: ratio(lat.p99, blat.p99), base_name: 'node ws broadcast, no doc, no store' });
    rows.push({ metric: `server time per push, ${members} members p50 / p99 (ms)`, coderoom: `${fmt(h.push_p50_us / 1000, 2)} / ${fmt(h.push_p99_us / 1000, 2)}`, base_name: '', note: `parse, rebase, store (SQLite commit), a frame queued to each member; from /api/health (10 us steps); max ${fmt(h.push_max_us / 1000, 2)} ms` });
    rows.push({ metric: 'push -> own confirmation p50 (ms)', coderoom: fmt(lat.own50, 3), baseline: fmt(ping.p50, 3), ratio: ratio(lat.own50, ping.p50), base_name: 'coderoom /ws ping -> pong' });

    // the cost of a push by document size
    const size = 1 << 20;
    const bigId = (await postJSON(`${srv.url}/create_session`, { code: 'x'.repeat(size - 1) + '\n' })).json.session_id;
    const smallId = (await postJSON(`${srv.url}/create_session`, { code: '\n' })).json.session_id;
    const cost = async (id, len) => {
      const w = await join(srv.wsUrl + '/ws', id, 'w');
      const s = [];
      for (let v = 0; v < 250; v++) {
        const p = next(w, (m) => m.type === 'updates');
        const t0 = performance.now();
        w.send(JSON.stringify({ type: 'push', version: v, updates: [{ clientID: 'c', changes: [len + v, [0, 'y']] }] }));
        await p;
        if (v >= 50) s.push(performance.now() - t0);
        await pace();
      }
      w.terminate();
      s.sort((a, b) => a - b);
      return { p50: percentile(s, 0.5), p99: percentile(s, 0.99) };
    };
    const big = await cost(bigId, size);
    const small = await cost(smallId, 1);
    rows.push({ metric: 'push into a 1 MiB document p50 (ms)', coderoom: fmt(big.p50, 3), baseline: fmt(small.p50, 3), ratio: ratio(big.p50, small.p50), base_name: 'the same push, 1-byte document', note: `apply and store cost per MiB ~ ${fmt(big.p50 - small.p50, 3)} ms (p50 difference); p99 ${fmt(big.p99, 2)} vs ${fmt(small.p99, 2)} ms (a snapshot of the whole text every 100 updates)` });
  } finally { await srv.stop(); }

  const msrv = await startBenchServer(['--room-members', '1000', '--room-rate', '100000', '--room-create-rate', '1000000']);
  try {
    const mem = await memory(msrv, memN);
    rows.push({ metric: `memory per open room, ${memN} rooms (KiB)`, coderoom: fmt(mem.room / 1024, 1), base_name: '', note: 'RSS growth per room opened by its first member, beyond its connection' });
    rows.push({ metric: `memory per member, ${memN} in one room (KiB)`, coderoom: fmt(mem.member / 1024, 1), base_name: '' });
  } finally { await msrv.stop(); }
  return rows;
}

if (isMain(import.meta)) {
  printTable(await run({ n: Number(process.argv[2] || 1000) }), 'rooms');
}

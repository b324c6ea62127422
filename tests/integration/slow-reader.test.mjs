// slow-reader.test.mjs - hostile clients that stop reading while the server
// has output for them, on every endpoint that pushes data: the server frees
// the socket (its fd closed: the socket gone, or left to the kernel alone),
// the connection and the run within its heartbeat timeouts, and keeps
// serving everyone else; so is one that stops reading but keeps talking
// (unasked pongs), which the heartbeat alone cannot tell from a live one.
// Waits for the events; timeouts only guard hangs.
// (A close that waits for lws's backlog to drain, as before 78202e8, fails
// the /ws and /ws/execute cases.)
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, assertServerWorks, health, httpRequest, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';
import { eio } from '../lib/sio.mjs';
import { createRoom, joinRoom, roomInfo, roundTrip } from '../lib/rooms.mjs';
import { startModel } from '../lib/model.mjs';

const PING_MS = 200, TIMEOUT_MS = 1000;
const FLOOD = "import sys\nwhile True:\n    sys.stdout.write('z' * 999 + '\\n')\n";
let srv;
before(async () => {
  srv = await startServer({
    args: ['--ws-ping-ms', String(PING_MS), '--ws-timeout-ms', String(TIMEOUT_MS),
      '--sio-ping-interval-ms', '300', '--sio-ping-timeout-ms', '700',
      '--request-timeout-ms', '2000', '--reattach-grace-ms', '1000'],
  });
});
after(async () => { await srv?.stop(); });

/* The server's end of the TCP connection from local port 'lport': one ss
 * line, or '' once it is gone. users:(...) names the process holding it. */
function serverSide(lport, s = srv) {
  const out = execFileSync('ss', ['-tnpH', 'state', 'all',
    `( sport = :${s.port} and dport = :${lport} )`], { encoding: 'utf8' });
  return out.trim();
}

/* Waits until no process holds the server's end of that connection (gone,
 * or an orphan the kernel alone finishes). */
async function waitServerLetGo(lport, what, timeout = 10000, s = srv) {
  let last = '';
  await waitUntil(() => { last = serverSide(lport, s); return !/users:/.test(last); },
    { timeout, what: `${what}: the server closes its socket` })
    .catch((e) => { throw new Error(`${e.message}; ss: ${last}; log tail: ${s.logs().slice(-1500)}`); });
}

/* The server has output queued for lport: its end's send queue is not empty. */
async function waitBacklog(lport, what, s = srv) {
  let last = '';
  await waitUntil(() => {
    last = serverSide(lport, s);
    const m = /^\S+\s+\d+\s+(\d+)/.exec(last);
    return m && Number(m[1]) > 0;
  }, { timeout: 30000, what: `${what}: output queued behind the stalled client` })
    .catch((e) => { throw new Error(`${e.message}; ss: ${last}`); });
}

/* The server's ids of the WebSockets it opened, in order (one test at a
 * time); connAt(i) waits for the i-th one's line. */
const wsOpened = () => [...srv.logs().matchAll(/conn (\d+): websocket \S+ from/g)].map((m) => m[1]);
async function connAt(i) {
  await waitUntil(() => wsOpened().length > i, { what: `websocket #${i} in the log` });
  return wsOpened()[i];
}

/*
 * The server drops conn 'id' (no answer to its pings, or none of its
 * output taken), then closes it and lets its socket go. The close follows
 * the drop at once (the next turn of the loop): the 10 s guards only catch
 * a close that waits for the peer, as lws's does for its backlog.
 */
async function waitDropped(id, lport, what, drop = null) {
  const fail = (e) => { throw new Error(`${e.message}; ss: ${serverSide(lport)}; log tail: ${srv.logs().slice(-1500)}`); };
  const re = drop || new RegExp(`conn ${id}: [^\n]*(no answer from|took none of its output)[^\n]*dropped`);
  await waitUntil(() => re.test(srv.logs()),
    { timeout: 30000, what: `${what}: conn ${id} dropped` }).catch(fail);
  await waitUntil(() => new RegExp(`conn ${id}: closed websocket`).test(srv.logs()),
    { timeout: 10000, what: `${what}: conn ${id} closed after its drop` }).catch(fail);
  await waitServerLetGo(lport, what);
}

/* A raw Engine.IO WebSocket running FLOOD through the Socket.IO runner:
 * no client library whose own heartbeat would close it first. */
async function sioFlood() {
  const e = await eio.ws(srv.wsUrl);
  await e.next((f) => f[0] === '0');
  e.ws.send('40');
  await e.next((f) => f.startsWith('40'));
  e.ws.send(`42${JSON.stringify(['start_interactive', { code: FLOOD }])}`);
  await e.next((f) => f.startsWith('42["output"'), 20000);
  return e.ws;
}

async function sessionsOf(path) {
  const r = await httpRequest(srv.url + '/metrics');
  const m = new RegExp(`coderoom_websocket_sessions\\{path="${path.replace(/[/.]/g, '\\$&')}"\\} (\\d+)`).exec(r.text);
  return m ? Number(m[1]) : -1;
}

async function waitClean(path, what) {
  await waitUntil(async () => (await sessionsOf(path)) === 0, { timeout: 30000, what: `${what}: no ${path} session left` });
  await waitNoRuns(srv, 30000);
  await assertServerWorks(srv.wsUrl, `after ${what}`);
}

/* Stops reading ws for good (talking all along when 'talk' is given: it is
 * called every 50 ms), then waits for the server's backlog for it, its drop
 * and its close; ws is terminated at the end whatever happened. */
async function stall(ws, id, what, { talk = null, drop = null } = {}) {
  const lport = ws._socket.localPort;
  let beat;
  try {
    ws.pause();
    if (talk) beat = setInterval(() => { try { talk(ws); } catch { /* closed */ } }, 50);
    await waitBacklog(lport, what);
    await waitDropped(id, lport, what, drop);
  } finally { clearInterval(beat); ws.terminate(); }
}

/* A Socket.IO long-polling session whose runner floods: its sid. */
async function pollingFlood() {
  const { sid } = await eio.handshake(srv.url);
  assert.equal((await eio.post(srv.url, sid, '40')).status, 200);
  await eio.pollUntil(srv.url, sid, '40');
  const code = JSON.stringify({ code: FLOOD });
  assert.equal((await eio.post(srv.url, sid, `42["start_interactive",${code}]`)).status, 200);
  return sid;
}

/* A WebSocket of each kind with its run flooding: {ws, id}. */
const flooding = {
  async '/ws'() {
    const n0 = wsOpened().length;
    const c = await CoderoomClient.connect(srv.wsUrl);
    const id = await connAt(n0);
    await c.run(FLOOD);
    return { ws: c.ws, id };
  },
  async '/ws/execute'() {
    const n0 = wsOpened().length;
    const c = await ExecuteClient.connect(srv.wsUrl);
    const id = await connAt(n0);
    c.execute(FLOOD, 'python');
    await c.waitType('output', { timeout: 20000 });
    return { ws: c.ws, id };
  },
  async 'socket.io websocket'() {
    const n0 = wsOpened().length;
    const ws = await sioFlood();
    return { ws, id: await connAt(n0) };
  },
};

/* A room running FLOOD with Ada and a member that stops reading (talking
 * or not): it is dropped, leaves no ghost, and Ada keeps the room. */
async function roomMemberStalls(talk) {
  const n0 = wsOpened().length;
  const room = await createRoom(srv.url, { code: FLOOD });
  const a = await joinRoom(srv.wsUrl, room, 'Ada');
  const member = await joinRoom(srv.wsUrl, room, 'Stall');
  const id = await connAt(n0 + 1);
  try {
    a.send({ type: 'run' });
    await a.waitType('started');
    await stall(member.ws, id, 'room member', { talk });
    await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' &&
      !e.msg.members.some((m) => m.name === 'Stall'), { what: 'Stall gone from the roster', timeout: 30000 });
    const info = await roomInfo(srv.url, room);
    assert.ok(!JSON.stringify(info).includes('Stall'), JSON.stringify(info).slice(0, 500));
    a.stop();
    await a.waitExit({ timeout: 30000 });
    a.send({ type: 'chat', text: 'still here' });
    await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'chat' && e.msg.text === 'still here', { what: 'chat' });
    await roundTrip(a);
  } finally { member.terminate(); await a.close(); }
  await waitNoRuns(srv, 30000);
}

describe('a client that stops reading during a flood is dropped', () => {
  for (const path of ['/ws', '/ws/execute']) {
    test(`${path}: its run flooding`, async () => {
      const { ws, id } = await flooding[path]();
      await stall(ws, id, path);
      await waitClean(path, `${path} flood`);
    });
  }

  test('/api/v2/connect (Piston): its run flooding', async () => {
    const n0 = wsOpened().length;
    const ws = new WebSocket(srv.wsUrl + '/api/v2/connect');
    await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
    const lport = ws._socket.localPort, id = await connAt(n0);
    try {
      const first = new Promise((res) => ws.on('message', (m) => {
        if (JSON.parse(m.toString()).type === 'data') res();
      }));
      // under Piston's 1 MiB of output (past it the job ends and the
      // socket closes), then alive until its 3 s wall time
      const code = "import sys, time\nfor i in range(900):\n    sys.stdout.write('z' * 999 + '\\n')\nsys.stdout.flush()\ntime.sleep(60)\n";
      ws.send(JSON.stringify({ type: 'init', language: 'python', version: '*', files: [{ content: code }] }));
      await first;
      ws.pause();
      await waitBacklog(lport, '/api/v2/connect');
      await waitDropped(id, lport, '/api/v2/connect');
    } finally { ws.terminate(); }
    await waitClean('/api/v2/connect', '/api/v2/connect flood');
  });

  test('Socket.IO runner over WebSocket: its run flooding', async () => {
    const { ws, id } = await flooding['socket.io websocket']();
    // Engine.IO's own heartbeat (no pong to its ping) ends the session
    await stall(ws, id, 'socket.io websocket', { drop: /sio \S+: closed \(ping timeout\)/ });
    await waitClean('/socket.io/', 'socket.io websocket flood');
    await waitUntil(async () => (await health(srv.url)).socketio.sessions === 0,
      { timeout: 30000, what: 'no socket.io session left' });
  });

  test('Socket.IO runner over long-polling: a client that stops polling', async () => {
    const sid = await pollingFlood();
    await eio.pollUntil(srv.url, sid, '42["output"', { max: 50 });
    // no GET any more: the session times out, its run ends
    await waitUntil(async () => (await health(srv.url)).socketio.sessions === 0,
      { timeout: 30000, what: 'the polling session dropped' });
    await waitNoRuns(srv, 30000);
    await assertServerWorks(srv.wsUrl, 'after a polling client went silent');
  });

  test('Socket.IO runner over long-polling: a client that stops reading a GET', async () => {
    const sid = await pollingFlood();
    // a GET whose answer is never read
    const s = net.connect(srv.port, '127.0.0.1');
    await new Promise((res) => s.once('connect', res));
    const lport = s.localPort;
    s.pause();
    s.write(`GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n\r\n`);
    try {
      await waitUntil(async () => (await health(srv.url)).socketio.sessions === 0,
        { timeout: 30000, what: 'the polling session dropped' });
      await waitServerLetGo(lport, 'a GET never read');
    } finally { s.destroy(); }
    await waitNoRuns(srv, 30000);
    await assertServerWorks(srv.wsUrl, 'after a polling client stopped reading');
  });
});

describe('rooms: a member that stops reading', () => {
  test('is dropped while its room runs a flood; the others keep the room', () => roomMemberStalls(null));

  test('is dropped while another member floods the chat', async () => {
    const n0 = wsOpened().length;
    const room = await createRoom(srv.url, {});
    const a = await joinRoom(srv.wsUrl, room, 'Ada');
    const b = await joinRoom(srv.wsUrl, room, 'Bob');
    const stall = await joinRoom(srv.wsUrl, room, 'Stall');
    const lport = stall.ws._socket.localPort, id = await connAt(n0 + 2);
    try {
      stall.ws.pause();
      let stop = false;
      const line = 'c'.repeat(1900);
      (async () => { while (!stop) { a.send({ type: 'chat', text: line }); await new Promise((r) => setTimeout(r, 25)); } })();
      await waitDropped(id, lport, 'room member (chat)');
      stop = true;
      await b.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' &&
        !e.msg.members.some((m) => m.name === 'Stall'), { what: 'Stall gone from the roster', timeout: 30000 });
      await roundTrip(b);
    } finally { stall.terminate(); await a.close(); await b.close(); }
  });
});

describe('a client that keeps talking but never reads (the heartbeat cannot drop it)', () => {
  /* Unasked pongs (with a payload: lws 4.1 reports no empty one): never
   * silent, so only what it does not take can tell the server it is gone. */
  const pong = (ws) => ws.pong('beat');

  for (const path of ['/ws', '/ws/execute']) {
    test(`${path}: its run flooding`, async () => {
      const { ws, id } = await flooding[path]();
      await stall(ws, id, path, { talk: pong });
      await waitClean(path, `a talking non-reader on ${path}`);
    });
  }

  test('Socket.IO over WebSocket: its run flooding', async () => {
    const { ws, id } = await flooding['socket.io websocket']();
    // Engine.IO pongs too, unasked: its heartbeat cannot drop it either
    await stall(ws, id, 'socket.io websocket', { talk: (w) => { w.pong('beat'); w.send('3'); } });
    await waitClean('/socket.io/', 'a talking non-reader on socket.io');
  });

  test('a room member while the room runs a flood; the others keep the room', () => roomMemberStalls(pong));
});

describe('plain HTTP: a client that never reads its answer', () => {
  test('POST /api/runs with megabytes of output: the connection and its held answer go', async () => {
    // 1 MiB on each stream (the batch limit): an answer bigger than the
    // socket buffers take, so the server holds the rest
    const code = "import sys\nfor i in range(20000):\n    sys.stdout.write('\\u00e9' * 49 + '\\n')\n    sys.stderr.write('\\u00e8' * 49 + '\\n')\n";
    const body = JSON.stringify({ language: 'python', code });
    const s = net.connect(srv.port, '127.0.0.1');
    await new Promise((res) => s.once('connect', res));
    const lport = s.localPort;
    s.pause();
    s.write(`POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    try {
      await waitBacklog(lport, 'an answer never read');
      // the server's send timeout (20 s, restarted by every piece taken);
      // before it, such a connection was held for as long as the client
      // lived, with its answer counted against --http-out-bytes
      await waitServerLetGo(lport, 'an answer never read', 90000);
    } finally { s.destroy(); }
    const h = await health(srv.url);
    assert.equal(h.runs_active, 0);
    await assertServerWorks(srv.wsUrl, 'after an answer never read');
  });
});

describe('a streamed answer (/api/generate) never read', () => {
  let gsrv, model;
  before(async () => {
    model = await startModel();
    gsrv = await startServer({
      args: ['--ai-url', model.url, '--ai-model', 'm', '--ai-max-bytes', '1048576', '--ai-rate', '1000',
        '--ai-timeout-ms', '3000', '--http-send-timeout-s', '2'],
    });
  });
  after(async () => { await gsrv?.stop(); await model?.stop(); });

  test('the connection goes, and so does the request to the model', async () => {
    // ~12 MB of events (every character escaped): far more than the
    // socket buffers of a client that reads nothing take
    const body = JSON.stringify({ prompt: '[scenario:ctl:2000]', language: 'python' });
    const s = net.connect(gsrv.port, '127.0.0.1');
    await new Promise((res) => s.once('connect', res));
    const lport = s.localPort;
    s.pause();
    s.write(`POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    try {
      await waitBacklog(lport, 'a stream never read', gsrv);
      // before the send timeout covered streams, the model's answer
      // timed out (--ai-timeout-ms), the stream ended, and what was left
      // of it was held for as long as the client lived
      await waitServerLetGo(lport, 'a stream never read', 60000, gsrv);
    } finally { s.destroy(); }
    const rec = model.requests.at(-1);
    await waitUntil(() => rec.aborted, { what: 'the request to the model is closed' });
    const h = await health(gsrv.url);
    assert.equal(h.generate.active, 0);
  });
});

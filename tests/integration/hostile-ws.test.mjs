// hostile-ws.test.mjs - one WebSocket client trying to monopolise the
// server's one event loop: messages as large as allowed, as fast as TCP
// takes them (pings, and room pushes of 100-ish updates of huge changes,
// which cost the most to parse, rebase, store and broadcast).
//
// Before the fix a client could send 64 messages of 1 MiB a second: one
// push of 900 KB of changes held the loop for about 0.5 s here, so a single
// writer kept every other room, run and request waiting. Now a WebSocket
// may send --ws-read-rate bytes a second (burst: twice the message cap);
// past it the server stops reading that socket until it is back within
// the rate. Nothing is dropped: every message is answered, later.
//
// Sockets: nothing bounded how many WebSockets one client held (each
// answers pings, so none times out); one address could hold every file
// descriptor the server has, or every --max-rooms room open (server_full
// for everyone). Now --ws-per-client bounds the WebSockets of one client
// address (IPv6: its /64); one more is closed at once with 1008 and why.
//
// The tests measure how long the flood takes only as a lower bound that
// the configured rate implies (a slower machine only makes it longer), and
// check that a bystander is answered while the flood is still held back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, health, rawTcp, waitUntil } from '../lib/clients.mjs';
import { createRoom, joinRoom } from '../lib/rooms.mjs';

let srv;
after(async () => { if (srv) await srv.stop(); });

async function pingOnce(c) {
  const tag = 'b' + Math.random().toString(36).slice(2);
  const since = c.events.length;
  c.send({ type: 'ping', tag });
  return c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.tag === tag,
    { since, timeout: 60000, what: 'the bystander\'s pong' });
}

test('a flood of maximal messages is read at --ws-read-rate: every one answered, a bystander first', async () => {
  const MSG = 16384, RATE = 65536, N = 20;
  srv = await startServer({ args: ['--allow-weak-sandbox', '--max-message-bytes', String(MSG),
    '--ws-read-rate', String(RATE)] });
  const flood = await CoderoomClient.connect(srv.wsUrl);
  const by = await CoderoomClient.connect(srv.wsUrl);
  const pad = 'x'.repeat(MSG - 60);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) flood.send({ type: 'ping', tag: `f${i}`, pad });
  const byPong = await pingOnce(by);
  const last = await flood.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.tag === `f${N - 1}`,
    { timeout: 120000, what: 'the last pong of the flood' });
  const elapsed = (last.t - t0) / 1000;
  const pongs = flood.messages.filter((m) => m.type === 'pong').map((m) => m.tag);
  assert.deepEqual(pongs, Array.from({ length: N }, (_, i) => `f${i}`), 'every message answered, in order');
  const bound = (N * MSG - 2 * MSG) / RATE;
  assert.ok(elapsed >= 0.8 * bound,
    `${N} x ${MSG} bytes were read in ${elapsed.toFixed(2)} s; at ${RATE} B/s that takes at least ${bound.toFixed(2)} s`);
  assert.ok(byPong.t < last.t, 'the bystander was answered while the flood was held back');
  const h = await health(srv.url);
  assert.ok(h.limited.ws_reads_paused >= 1, JSON.stringify(h.limited));
  assert.ok(!flood.closed, 'the flooder is slowed, not dropped');
  await flood.close(); await by.close();
  await srv.stop(); srv = null;
});

test('pushes of huge changes as fast as TCP takes them: held to the rate, the room keeps working', async () => {
  const RATE = 131072, N = 10000;
  srv = await startServer({ args: ['--allow-weak-sandbox', '--ws-read-rate', String(RATE)] });
  const id = await createRoom(srv.url, { code: 'a'.repeat(N) });
  const w = await joinRoom(srv.wsUrl, id, 'Flooder');
  const other = await joinRoom(srv.wsUrl, id, 'Reader');
  // 14 updates, each replacing every other character: ~700 KB a push
  const heavy = (k) => {
    const ch = [];
    for (let i = 0; i < N; i += 2) ch.push([1, String.fromCharCode(98 + k)], 1);
    return ch;
  };
  const push = JSON.stringify({ type: 'push', version: 0,
    updates: Array.from({ length: 14 }, (_, k) => ({ clientID: 'flood', changes: heavy(k) })) });
  const PUSHES = 4;
  const t0 = performance.now();
  for (let i = 0; i < PUSHES; i++) w.send(push);
  const byPong = await pingOnce(other);
  const answers = [];
  await w.waitFor((e) => {
    if (e.kind === 'json' && (e.msg.push || e.msg.type === 'resync')) answers.push(e);
    return answers.length === PUSHES;
  }, { timeout: 180000, what: 'an answer to every push' });
  const elapsed = (answers[PUSHES - 1].t - t0) / 1000;
  const bound = (PUSHES * push.length - 2 * 1048576) / RATE;
  assert.ok(elapsed >= 0.8 * bound,
    `${PUSHES} pushes of ${push.length} bytes were read in ${elapsed.toFixed(2)} s; the rate allows no less than ${bound.toFixed(2)} s`);
  assert.ok(byPong.t < answers[PUSHES - 1].t, 'the other member was answered during the flood');
  // the room is consistent: the reader saw what the server has
  const info = await (await fetch(`${srv.url}/api/rooms/${id}`)).json();
  await other.waitFor((e) => e.kind === 'json' && e.msg.type === 'updates' &&
    e.msg.from + e.msg.updates.length === info.version, { what: 'the reader caught up', timeout: 60000 });
  await w.close(); await other.close();
});

test('one address cannot hold every socket: --ws-per-client, then 1008; other addresses unaffected', async () => {
  const CAP = 5;
  const s = await startServer({ args: ['--allow-weak-sandbox', '--ws-per-client', String(CAP)] });
  const held = [];
  try {
    for (let i = 0; i < CAP; i++) held.push(await CoderoomClient.connect(s.wsUrl, { localAddress: '127.0.0.1' }));
    const one = await CoderoomClient.connect(s.wsUrl, { localAddress: '127.0.0.1', hello: false });
    const closed = await one.waitFor((e) => e.kind === 'close' && e, { timeout: 10000, what: 'the extra socket closed' });
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /too many WebSockets from this address/);
    assert.ok(!one.events.some((e) => e.kind === 'json' && e.msg.type === 'hello'), 'it was never served');
    // the ones it holds still work; another address is not affected
    const tag = 'h' + Date.now();
    held[0].send({ type: 'ping', tag });
    await held[0].waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.tag === tag, { what: 'pong' });
    const other = await CoderoomClient.connect(s.wsUrl, { localAddress: '127.0.0.2' });
    assert.equal(other.hello.type, 'hello');
    assert.equal((await health(s.url)).limited.ws_refused, 1);
    assert.match(s.logs(), /server: refused a websocket from 127\.0\.0\.1: it holds 5 \(--ws-per-client\)/);
    // one closed: room for one more
    await held.pop().close();
    await waitUntil(async () => {
      const c = await CoderoomClient.connect(s.wsUrl, { localAddress: '127.0.0.1', hello: false });
      const e = await c.waitFor((x) => (x.kind === 'close' || (x.kind === 'json' && x.msg.type === 'hello')) && x, { what: 'hello or close' });
      if (e.kind === 'json') { held.push(c); return true; }
      return false;
    }, { timeout: 10000, what: 'a socket once one closed' });
    await other.close();
  } finally {
    for (const c of held) await c.close();
    await s.stop();
  }
});

test('a thousand upgrades at once to a path with no endpoint: each answered 404 and closed, nothing kept', async () => {
  const N = 1000;
  const s = await startServer({ args: ['--allow-weak-sandbox'] });
  const fds = () => fs.readdirSync(`/proc/${s.pid}/fd`).length;
  try {
    await health(s.url);
    const before = fds();
    const upgrade = ['GET /ws/ws HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: coderoom.v1', '', ''].join('\r\n');
    // the timeout is a hang guard: each ends when the server closes it
    const all = await Promise.all(Array.from({ length: N }, () => rawTcp(s.port, [upgrade], { timeout: 120000 })));
    const statuses = {};
    for (const r of all) {
      const line = r.data.toString('latin1').split('\r\n')[0] || '(nothing)';
      statuses[line] = (statuses[line] || 0) + 1;
      assert.ok(r.closedByServer, 'the server closed it');
    }
    assert.deepEqual(Object.keys(statuses).map((l) => l.split(' ')[1]), ['404'], JSON.stringify(statuses));
    // still serving, and none of the thousand is held
    const c = await CoderoomClient.connect(s.wsUrl);
    assert.equal(c.hello.type, 'hello');
    await c.close();
    await waitUntil(() => fds() <= before, { timeout: 30000, what: `the server's descriptors back to ${before}` });
    assert.equal(s.logs().split('\n').filter((l) => l.includes("no websocket endpoint at '/ws/ws'")).length, N,
      'each one logged once');
  } finally { await s.stop(); }
});

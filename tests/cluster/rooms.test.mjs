// rooms.test.mjs - rooms across gateways: members of one room connected to
// two different gateways (separate processes sharing a real redis-server).
//
// Editors built on the real @codemirror/collab and @codemirror/state push
// concurrently through both gateways (so pushes race for the same version
// in Redis's compare-and-append) and converge to one text, the one both
// gateways serve; markers typed once are there exactly once. Chat lines,
// roles and the roster cross gateways; the room's run, started through
// one gateway, is watched through the other. A Redis restart in the middle
// of editing loses no edit a client saw confirmed. A cluster room keeps
// one file (the Redis room store has no per-file operations): a client
// that joins with "files" is told files_supported: false, every file
// operation is refused as not_supported, and file 0 is edited through
// both gateways as before. Socket.IO collaborators (socket.io-client) on
// two gateways join one session (the join waits for the room's fetch),
// see each other's changes and chat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, redisAvailable } from '../lib/cluster.mjs';
import { getJSON, postJSON, waitUntil } from '../lib/clients.mjs';
import { RoomPeer } from '../lib/room-client.mjs';
import { expectError, joinRoom } from '../lib/rooms.mjs';
import { SioClient } from '../lib/sio.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
let cl, A, B;
before(async () => {
  if (skip) return;
  cl = await startCluster({ gateways: 2, workers: 1, persist: true,
    gatewayArgs: process.env.ROOMS_DEBUG ? ['--log-level', 'debug'] : [] });
  [A, B] = cl.gateways;
});
after(async () => {
  if (process.env.ROOMS_DEBUG)
    for (const g of cl?.gateways || []) console.log(`# races: ${(g.logs().match(/raced another node/g) || []).length}`);
  await cl?.stop();
});

async function newRoom(gw, body = {}) {
  const r = await postJSON(`${gw.url}/create_session`, body);
  assert.equal(r.status, 200, r.text);
  return r.json.session_id;
}

/* The room as a gateway serves it (503 while it fetches: retried). */
async function roomState(gw, id) {
  let r;
  await waitUntil(async () => {
    r = await getJSON(`${gw.url}/api/rooms/${id}`);
    return r.status !== 503;
  }, { timeout: 15000, what: `GET /api/rooms/${id}` });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const PIECES = ['a', 'xyz', '👋', '日本語', ' ', '\n', 'é', '🎉', 'def f():\n  pass\n'];

/* A random edit before the first marker (<...>): markers are typed at the
 * end and never touched, so each must be there exactly once at the end. */
function randomEdit(p, rand) {
  const doc = p.text;
  const first = doc.indexOf('<');
  const limit = first < 0 ? doc.length : first;
  const safe = (pos) => {
    const c = doc.charCodeAt(pos);
    return pos > 0 && pos < doc.length && c >= 0xdc00 && c <= 0xdfff ? pos - 1 : pos;
  };
  const from = safe(Math.floor(rand() * (limit + 1)));
  if (rand() < 0.3 && limit > 0) {
    const to = safe(Math.min(limit, from + 1 + Math.floor(rand() * 6)));
    if (to > from) return { from, to };
  }
  return { from, insert: PIECES[Math.floor(rand() * PIECES.length)] };
}

async function settleAll(id, peers, gw = A) {
  const sv = async () => (await roomState(gw, id)).version;
  for (let round = 0; round < 3; round++) for (const p of peers) await p.settle(sv);
}

test('two editors on two gateways edit at once and converge', { skip }, async () => {
  const id = await newRoom(A, { language: 'python', code: 'print("start")\n' });
  const host = await RoomPeer.join(A.wsUrl, id, 'on-A');
  host.c.send({ type: 'room_settings', open_edit: true });
  await host.c.waitType('room_settings');
  const peer = await RoomPeer.join(B.wsUrl, id, 'on-B');	// another gateway
  try {
    assert.equal(peer.joined.doc.text, 'print("start")\n');
    assert.equal(peer.joined.you.role, 'writer');
    // the roster crosses gateways
    await waitUntil(() => host.c.messages.some((m) => m.type === 'members' && m.members.length === 2),
      { what: 'A sees B\'s member' });
    assert.ok(peer.joined.members.length === 2 ||
      peer.c.messages.some((m) => m.type === 'members' && m.members.length === 2), 'B sees A\'s member');

    const rand = rng(1234);
    const markers = [];
    for (let round = 0; round < 30; round++) {
      for (const p of [host, peer]) {
        if (round % 5 === 0) {	// a marker, once, in the middle of the text
          const mk = `<${p.name}-${round}>`;
          markers.push(mk);
          p.edit({ from: p.text.length, insert: mk });
        } else {
          p.edit(randomEdit(p, rand));
        }
        p.push();	// both push at once: they race in Redis
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await settleAll(id, [host, peer]);
    assert.equal(host.text, peer.text, 'the two editors converged');
    for (const gw of [A, B]) {
      const st = await roomState(gw, id);
      assert.equal(st.text, host.text, `${gw === A ? 'A' : 'B'} serves the converged text`);
      assert.equal(st.version, host.version);
    }
    for (const mk of markers) {
      assert.equal(host.text.split(mk).length - 1, 1, `marker ${mk} exactly once`);
    }
  } finally { await host.close(); await peer.close(); }
});

test('chat, roles and settings cross gateways', { skip }, async () => {
  const id = await newRoom(B, { language: 'python' });
  const host = await RoomPeer.join(B.wsUrl, id, 'host-B');
  const reader = await RoomPeer.join(A.wsUrl, id, 'reader-A');
  try {
    assert.equal(reader.joined.you.role, 'reader');
    assert.equal(reader.joined.host, host.id);
    // chat: from A to B and back
    reader.c.send({ type: 'chat', text: 'hello from A' });
    const got = await host.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'chat' && e.msg.text === 'hello from A' && e.msg);
    assert.equal(got.member, reader.id);
    host.c.send({ type: 'chat', text: 'hi from B' });
    await reader.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'chat' && e.msg.text === 'hi from B');
    // a reader on A cannot push; the host on B grants write; now it can
    reader.edit({ from: 0, insert: 'x' });
    reader.push();
    const refused = await reader.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error' && e.msg.push && e.msg);
    assert.equal(refused.code, 'forbidden');
    reader.errors = [];
    host.c.send({ type: 'role', member: reader.id, role: 'writer' });
    await reader.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' &&
      e.msg.members.some((m) => m.id === reader.id && m.role === 'writer'), { what: 'the new role on A' });
    await settleAll(id, [reader, host], B);
    assert.equal((await roomState(A, id)).text, 'x');
    // settings and a host handover cross too
    host.c.send({ type: 'room_settings', language: 'c' });
    const s = await reader.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'room_settings' && e.msg);
    assert.equal(s.language, 'c');
    host.c.send({ type: 'host', member: reader.id });
    await reader.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.host === reader.id,
      { what: 'the host handed over to A\'s member' });
    // the chat history is shared: a late joiner on A sees both lines
    const late = await RoomPeer.join(A.wsUrl, id, 'late');
    assert.deepEqual(late.joined.chat.map((l) => l.text), ['hello from A', 'hi from B']);
    await late.close();
  } finally { await host.close(); await reader.close(); }
});

test('the room\'s run, started through one gateway, is watched through the other', { skip }, async () => {
  const id = await newRoom(A, { language: 'python', code: 'n = input("n? ")\nprint("twice", int(n) * 2)\n' });
  const host = await RoomPeer.join(A.wsUrl, id, 'host');
  const viewer = await RoomPeer.join(B.wsUrl, id, 'viewer');
  try {
    host.c.send({ type: 'run' });
    await viewer.c.waitOutput('n? ', { timeout: 30000 });
    host.c.input('21\r');
    await viewer.c.waitOutput('twice 42', { timeout: 30000 });
    const ex = await viewer.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'exited' && e.msg, { timeout: 30000 });
    assert.equal(ex.status, 'ok');
  } finally { await host.close(); await viewer.close(); }
});

test('Redis restarts while two gateways edit: no confirmed edit is lost', { skip }, async () => {
  const id = await newRoom(A, { language: 'python' });
  const a = await RoomPeer.join(A.wsUrl, id, 'a');
  a.c.send({ type: 'room_settings', open_edit: true });
  await a.c.waitType('room_settings');
  const b = await RoomPeer.join(B.wsUrl, id, 'b');
  try {
    const confirmed = [];
    for (let i = 0; i < 10; i++) {
      for (const p of [a, b]) {
        const mk = `[${p.name}${i}]`;
        p.edit({ from: p.text.length, insert: mk });
        confirmed.push(mk);
      }
    }
    await settleAll(id, [a, b]);
    const before = a.text;
    for (const mk of confirmed) assert.ok(before.includes(mk));
    await cl.redis.restart();	// AOF, fsync always (what docs/operations.md requires)
    // after the restart: every confirmed marker is still there, and the
    // room goes on through both gateways
    await waitUntil(async () => {
      const r = await getJSON(`${A.url}/api/health`);
      return r.json.cluster.redis.link === 'up';
    }, { timeout: 30000, what: 'A back on Redis' });
    for (let i = 10; i < 14; i++) {
      for (const p of [a, b]) {
        const mk = `[${p.name}${i}]`;
        p.edit({ from: p.text.length, insert: mk });
        confirmed.push(mk);
      }
    }
    await settleAll(id, [a, b]);
    assert.equal(a.text, b.text);
    for (const mk of confirmed) assert.equal(a.text.split(mk).length - 1, 1, `${mk} once`);
    // and a member who joins now, on either gateway, gets all of it
    for (const gw of [A, B]) {
      const late = await RoomPeer.join(gw.wsUrl, id, 'late');
      assert.equal(late.joined.doc.text, a.text);
      await late.close();
    }
  } finally { await a.close(); await b.close(); }
});

test('a cluster room keeps one file: file operations are refused as not_supported, file 0 goes on', { skip }, async () => {
  const id = await newRoom(A, { language: 'python', code: 'x = 1\n' });
  const host = await joinRoom(A.wsUrl, id, 'files-A', { files: true });
  host.send({ type: 'room_settings', open_edit: true });
  await host.waitType('room_settings');
  const peer = await RoomPeer.join(B.wsUrl, id, 'one-file-B');
  try {
    assert.equal(host.joined.files_supported, false);
    assert.deepEqual(host.joined.files.map((f) => [f.id, f.name, f.text]), [[0, 'main.py', 'x = 1\n']]);
    assert.equal(host.joined.entry, 0);
    for (const msg of [
      { type: 'file_add', name: 'util.py', text: 'Y = 2\n' },
      { type: 'file_rename', file: 0, name: 'app.py' },
      { type: 'file_entry', file: 0 },
    ]) {
      const e = await expectError(host, msg, 'not_supported');
      assert.equal(e.field, 'files');
    }
    // file 0 through the other gateway reaches the files-aware member as
    // file 0's updates
    peer.edit({ from: peer.text.length, insert: 'y = 2\n' });
    await settleAll(id, [peer], B);
    const u = await host.waitFor((e) => e.kind === 'json' && e.msg.type === 'updates' && e.msg);
    assert.equal(u.file, 0);
    for (const gw of [A, B]) {
      const st = await roomState(gw, id);
      assert.equal(st.text, 'x = 1\ny = 2\n');
      assert.deepEqual(st.files.map((f) => [f.id, f.name]), [[0, 'main.py']]);
    }
  } finally { host.close(); await peer.close(); }
});

test('Socket.IO collaborators on two gateways share a session', { skip }, async () => {
  const id = await newRoom(A, { language: 'python', code: 'print("s")\n' });
  const join = async (gw, name) => {
    const c = await SioClient.connect(gw.url);
    const since = c.events.length;
    c.ack = await c.call('join_session', { session_id: id, name });
    assert.equal(c.ack.ok, true, JSON.stringify(c.ack));
    await c.waitEvent('code_update', { since });
    return c;
  };
  const a = await join(A, 'sio-A');
  const b = await join(B, 'sio-B');
  try {
    assert.equal(a.ack.role, 'host');
    a.emit('code_change', { session_id: id, content: 'print("from A")\n' });
    await b.waitFor((e) => e.kind === 'event' && e.event === 'code_update' && e.data.content === 'print("from A")\n',
      { what: 'A\'s change on B', timeout: 15000 });
    assert.equal((await roomState(B, id)).text, 'print("from A")\n');
    // chat crosses too, and the page on B is told it may not edit
    b.emit('send_message', { session_id: id, message: 'hi from B' });
    await a.waitFor((e) => e.kind === 'event' && e.event === 'chat_message' && e.data.message === 'hi from B',
      { what: 'B\'s chat line on A', timeout: 15000 });
    const refused = await b.call('code_change', { session_id: id, content: 'x' });
    assert.equal(refused.ok, false);
  } finally { a.sock.close(); b.sock.close(); }
});

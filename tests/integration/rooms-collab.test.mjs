// rooms-collab.test.mjs - several editors built on the real
// @codemirror/collab and @codemirror/state edit one room at once over /ws
// and all converge to the server's text (GET /api/rooms/ID): multi-byte
// text (emoji, CJK, CRLF), deletions across each other, pushes at stale
// versions, dropped and re-sent pushes, a member who drops with unsent
// edits and comes back with its token. Markers inserted once must be in
// the final text exactly once (nothing lost, nothing doubled). Each editor
// keeps one push in flight, as @codemirror/collab requires (see
// docs/protocol.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { getJSON, postJSON, sleep } from '../lib/clients.mjs';
import { RoomPeer } from '../lib/room-client.mjs';

let server;
before(async () => { server = await startServer({ args: ['--allow-weak-sandbox'] }); });
after(async () => { if (server) await server.stop(); });

async function newRoom(body = {}) {
  const r = await postJSON(`${server.url}/create_session`, body);
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.session_id, /^[a-z0-9]{20}$/);
  return r.json.session_id;
}

async function roomState(id) {
  const r = await getJSON(`${server.url}/api/rooms/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/* A deterministic PRNG, so a failure can be replayed from its seed. */
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const PIECES = ['a', 'xyz', '👋', '日本語', ' ', '\r\n', '\n', 'é', '🎉🎉', '漢字\r\nかな', '\t', 'def f():\n  pass\n', '𝔘'];

/* A random edit valid on the peer's current document (never splitting a
 * surrogate pair). */
function randomEdit(p, rand, { deletions = true } = {}) {
  const doc = p.text;
  const safe = (pos) => {
    const c = doc.charCodeAt(pos);
    return pos > 0 && pos < doc.length && c >= 0xdc00 && c <= 0xdfff ? pos - 1 : pos;
  };
  const from = safe(Math.floor(rand() * (doc.length + 1)));
  const kind = rand();
  if (deletions && kind < 0.35 && doc.length > 0) {
    const to = safe(Math.min(doc.length, from + 1 + Math.floor(rand() * 8)));
    if (to > from) return { from, to };
  }
  const insert = PIECES[Math.floor(rand() * PIECES.length)];
  if (deletions && kind < 0.5 && doc.length > from) {
    const to = safe(Math.min(doc.length, from + 1 + Math.floor(rand() * 3)));
    return { from, to, insert };
  }
  return { from, insert };
}

async function joinAll(id, n) {
  const host = await RoomPeer.join(server.wsUrl, id, 'host');
  host.c.send({ type: 'room_settings', open_edit: true });
  await host.c.waitType('room_settings');
  const peers = [host];
  for (let i = 1; i < n; i++) peers.push(await RoomPeer.join(server.wsUrl, id, `peer${i}`));
  for (const p of peers) assert.notEqual(p.joined.you.role, 'reader', `${p.name} can write`);
  return peers;
}

async function settleAll(id, peers) {
  const sv = async () => (await roomState(id)).version;
  for (let round = 0; round < 3; round++) {
    for (const p of peers) await p.settle(sv);
  }
  const st = await roomState(id);
  for (const p of peers) {
    assert.equal(p.version, st.version, `${p.name} is at the server's version`);
    assert.equal(p.text, st.text, `${p.name} has the server's text`);
    assert.deepEqual(p.errors.filter((e) => e.code !== 'rate_limited'), [], `${p.name} got no errors`);
    assert.equal(p.resyncs, 0, `${p.name} never needed a resync`);
  }
  return st;
}

describe('rooms: concurrent editing with @codemirror/collab', () => {
  test('deletions across each other at the same version', async () => {
    const id = await newRoom({ code: '0123456789' });
    const [a, b] = await joinAll(id, 2);
    a.edit({ from: 2, to: 6 });
    b.edit({ from: 4, to: 8 });
    a.push();
    b.push();
    const st = await settleAll(id, [a, b]);
    assert.equal(st.text, '0189');
    await a.close(); await b.close();
  });

  test('CRLF from a client becomes line breaks; emoji and CJK count as UTF-16', async () => {
    const id = await newRoom({ code: 'x\r\ny\r\n' });
    const [a, b] = await joinAll(id, 2);
    assert.equal(a.text, 'x\ny\n', 'the stored text has no \\r');
    a.edit({ from: 1, insert: ' 👋 日本\r\nz' });
    a.push();
    await settleAll(id, [a, b]);
    b.edit({ from: a.text.indexOf('本') + 1, insert: '🎉' });   // after a surrogate pair and CJK
    b.push();
    const st = await settleAll(id, [a, b]);
    assert.equal(st.text, 'x 👋 日本🎉\nz\ny\n');
    await a.close(); await b.close();
  });

  test('random concurrent edits by 4 writers, stale, dropped and re-sent pushes, converge', async () => {
    const seed = Number(process.env.ROOMS_SEED || 7);
    const rand = rng(seed);
    const id = await newRoom({ code: 'start\n' });
    const peers = await joinAll(id, 4);
    for (let step = 0; step < 300; step++) {
      const p = peers[Math.floor(rand() * peers.length)];
      p.edit(randomEdit(p, rand));
      const r = rand();
      if (r < 0.45) p.push();
      else if (r < 0.55) { p.push(); p.pushDuplicate(); }   // re-sent: must land once
      else if (r < 0.62) { if (p.held) p.release(); else p.hold(); } // slow link: its pushes go stale
      // else: not pushed yet (a later push carries it)
      if (step % 25 === 0) await sleep(5);
    }
    const st = await settleAll(id, peers);
    assert.ok(st.version > 50, `many updates were accepted (${st.version}, seed ${seed})`);
    for (const p of peers) await p.close();
  });

  test('markers inserted once are there once: no edit lost or doubled', async () => {
    const rand = rng(11);
    const id = await newRoom({ code: '' });
    const peers = await joinAll(id, 4);
    const markers = [];
    let k = 0;
    for (let step = 0; step < 200; step++) {
      const p = peers[Math.floor(rand() * peers.length)];
      const m = `«${p.name}:${k++}»`;
      markers.push(m);
      const pos = (() => {  // at a marker boundary: markers are never cut
        const doc = p.text;
        const ends = [0];
        for (let i = doc.indexOf('»'); i >= 0; i = doc.indexOf('»', i + 1)) ends.push(i + 1);
        return ends[Math.floor(rand() * ends.length)];
      })();
      p.edit({ from: pos, insert: m + (rand() < 0.3 ? '👋\r\n' : '') });
      const r = rand();
      if (r < 0.5) p.push();
      else if (r < 0.65) { p.push(); p.pushDuplicate(); p.pushDuplicate(); }
      else if (r < 0.72) { if (p.held) p.release(); else p.hold(); }
      if (step % 20 === 0) await sleep(3);
    }
    const st = await settleAll(id, peers);
    for (const m of markers) {
      const n = st.text.split(m).length - 1;
      assert.equal(n, 1, `marker ${m} appears ${n} times`);
    }
    for (const p of peers) await p.close();
  });

  test('a member drops with unconfirmed edits, keeps typing, rejoins with its token: they land once', async () => {
    const id = await newRoom({ code: 'base\n' });
    const [a, b] = await joinAll(id, 2);
    b.edit({ from: 0, insert: '«sent-before-drop»' });
    b.push();                       // may or may not be accepted before the drop
    b.drop();
    b.edit({ from: 0, insert: '«typed-offline»' });
    a.edit({ from: a.text.length, insert: '«a-meanwhile»' });
    a.push();
    await a.settle(async () => (await roomState(id)).version);
    const oldId = b.id;
    await b.reconnect();
    assert.equal(b.id, oldId, 'the token gave back the same member');
    assert.equal(b.joined.you.role, 'writer', 'and its role');
    const st = await settleAll(id, [a, b]);
    for (const m of ['«sent-before-drop»', '«typed-offline»', '«a-meanwhile»'])
      assert.equal(st.text.split(m).length - 1, 1, `${m} once in ${JSON.stringify(st.text)}`);
    await a.close(); await b.close();
  });

  test('a client too far behind the log gets a resync and keeps its draft', async () => {
    const srv = await startServer({ args: ['--allow-weak-sandbox', '--room-log', '100'] });
    try {
      const r = await postJSON(`${srv.url}/create_session`, { code: '' });
      const id = r.json.session_id;
      const a = await RoomPeer.join(srv.wsUrl, id, 'a');
      a.c.send({ type: 'room_settings', open_edit: true });
      await a.c.waitType('room_settings');
      const b = await RoomPeer.join(srv.wsUrl, id, 'b');
      b.drop();
      b.edit({ from: 0, insert: 'offline draft' });
      for (let i = 0; i < 150; i++) { a.edit({ from: a.text.length, insert: `${i},` }); a.push(); await a.settle(async () => (await getJSON(`${srv.url}/api/rooms/${id}`)).json.version); }
      await b.reconnect();
      await b.c.waitType('resync');
      assert.equal(b.resyncs, 1);
      assert.deepEqual(b.drafts, ['offline draft'], 'the unsent text is kept as a draft');
      const st = (await getJSON(`${srv.url}/api/rooms/${id}`)).json;
      assert.equal(b.text, st.text, 'after the resync it has the server text');
      await a.close(); await b.close();
    } finally { await srv.stop(); }
  });
});

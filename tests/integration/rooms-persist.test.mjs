// rooms-persist.test.mjs - kill -9 the server and start it again on the
// same --data-dir: every room, every edit a client saw confirmed, every
// chat line seen, every role is there; clients come back with their
// tokens (same member, same role) and their unsent edits land once.
// Write before broadcast: nothing a client saw can be missing, whenever
// the kill comes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { sleep } from '../lib/clients.mjs';
import { createRoom, joinRoom, roomInfo } from '../lib/rooms.mjs';
import { RoomPeer } from '../lib/room-client.mjs';

const dirs = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function dataDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-persist-'));
  dirs.push(d);
  return d;
}
const ARGS = ['--allow-weak-sandbox', '--room-snapshot-every', '7', '--room-rate', '1000'];

describe('rooms: kill -9 and restart on the same data dir', () => {
  test('rooms, confirmed edits, chat, roles and tokens survive; clients rejoin and their offline edits land once', async () => {
    const dir = dataDir();
    let srv = await startServer({ dataDir: dir, args: ARGS });
    const id = await createRoom(srv.url, { code: 'line one\r\n', language: 'python' });
    const idle = await createRoom(srv.url, { code: 'nobody joined me\n', language: 'c' });
    const a = await RoomPeer.join(srv.wsUrl, id, 'Ada');
    const b = await RoomPeer.join(srv.wsUrl, id, 'Bob');
    a.c.send({ type: 'role', member: b.id, role: 'writer' });
    await b.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.members.some((m) => m.id === b.id && m.role === 'writer'));
    const sv = async () => (await roomInfo(srv.url, id)).version;
    for (let i = 0; i < 30; i++) {
      const p = i % 2 ? a : b;
      p.edit({ from: p.text.length, insert: `«${p.name}${i} 👋»` });
      p.push();
      await p.settle(sv);
    }
    await a.settle(sv); await b.settle(sv);
    a.c.send({ type: 'chat', text: 'before the crash 日本' });
    const line = await b.c.waitType('chat');
    const seen = { version: a.version, text: a.text };
    assert.equal(b.text, seen.text);

    b.edit({ from: 0, insert: '«offline»' });   // not pushed: the server is gone
    assert.equal(await srv.kill(), 137, 'killed by SIGKILL');
    a.drop(); b.drop();

    srv = await startServer({ dataDir: dir, args: ARGS });
    try {
      const info = await roomInfo(srv.url, id);
      assert.equal(info.version, seen.version, 'every confirmed edit is there');
      assert.equal(info.text, seen.text);
      assert.equal((await roomInfo(srv.url, idle)).text, 'nobody joined me\n', 'an idle room too');
      assert.equal((await roomInfo(srv.url, idle)).language, 'c');
      for (const p of [a, b]) p.base = srv.wsUrl;
      await a.reconnect();
      await b.reconnect();
      assert.equal(a.joined.you.role, 'host');
      assert.equal(b.joined.you.role, 'writer', 'the role survived');
      assert.deepEqual(b.joined.chat.map((c) => [c.id, c.text]), [[line.id, 'before the crash 日本']]);
      const sv2 = async () => (await roomInfo(srv.url, id)).version;
      await b.settle(sv2); await a.settle(sv2);
      const end = await roomInfo(srv.url, id);
      assert.equal(end.text, '«offline»' + seen.text);
      assert.equal(a.text, end.text);
      await a.close(); await b.close();
    } finally { await srv.stop(); }
  });

  test('a kill in the middle of a stream of pushes: nothing any client saw confirmed is missing', async () => {
    const dir = dataDir();
    let srv = await startServer({ dataDir: dir, args: ARGS });
    const id = await createRoom(srv.url, { code: '' });
    const a = await RoomPeer.join(srv.wsUrl, id, 'Ada');
    const watcher = await joinRoom(srv.wsUrl, id, 'Watch');
    let maxSeen = 0, k = 0;
    watcher.ws.on('message', (d, bin) => {
      if (bin) return;
      const m = JSON.parse(d.toString());
      if (m.type === 'updates') maxSeen = Math.max(maxSeen, m.from + m.updates.length);
    });
    const writer = (async () => {
      for (;;) {
        if (!a.inflight) { a.edit({ from: a.text.length, insert: `«${k++}»` }); a.push(); }
        await sleep(1);
        if (a.c.closed) return;
      }
    })();
    await sleep(700);
    await srv.kill();
    await writer;
    const textSeen = a.text;                 // includes unconfirmed edits
    srv = await startServer({ dataDir: dir, args: ARGS });
    try {
      const info = await roomInfo(srv.url, id);
      assert.ok(maxSeen > 5, `pushes were confirmed before the kill (${maxSeen})`);
      assert.ok(info.version >= maxSeen, `the store has every update a client saw (${info.version} >= ${maxSeen})`);
      assert.ok(textSeen.startsWith(info.text), 'and nothing else than what the client made');
      for (let i = 0; i < maxSeen; i++) assert.ok(info.text.includes(`«${i}»`), `marker ${i} kept`);
    } finally { await srv.stop(); }
  });
});

describe('rooms: an orderly shutdown', () => {
  test('members hear removed {closing} before the close; the room is kept', async () => {
    const dir = dataDir();
    let srv = await startServer({ dataDir: dir, args: ARGS });
    const id = await createRoom(srv.url, { code: 'kept\n' });
    const a = await joinRoom(srv.wsUrl, id, 'Ada');
    const stopped = srv.stop();
    const rm = await a.waitType('removed');
    assert.equal(rm.reason, 'closing');
    const cl = await a.waitClose();
    assert.equal(cl.code, 1001);
    const idx = (t) => a.events.findIndex((e) => t(e));
    assert.ok(idx((e) => e.kind === 'json' && e.msg.type === 'removed') < idx((e) => e.kind === 'close'));
    assert.equal(await stopped, 0);
    srv = await startServer({ dataDir: dir, args: ARGS });
    try {
      assert.equal((await roomInfo(srv.url, id)).text, 'kept\n');
    } finally { await srv.stop(); }
  });
});

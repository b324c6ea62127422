// rooms-limits.test.mjs - every room cap refuses with a clear error and
// leaves the connection usable; malformed room messages get errors, never
// a crash; the HTTP endpoints answer bad requests clearly; pages carry a
// strict Content-Security-Policy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, getJSON, httpRequest, postJSON } from '../lib/clients.mjs';
import { createRoom, expectError, joinRoom, roomInfo, roundTrip } from '../lib/rooms.mjs';

let server;
before(async () => {
  server = await startServer({ args: ['--allow-weak-sandbox', '--room-doc-bytes', '1000', '--room-chat-bytes', '50',
    '--room-members', '3', '--max-rooms', '3', '--room-rate', '20'] });
});
after(async () => { if (server) await server.stop(); });

describe('rooms: limits and bad input', () => {
  test('document size: a push or upload past --room-doc-bytes is refused and nothing changes', async () => {
    const id = await createRoom(server.url, { code: 'x' });
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    await expectError(a, { type: 'push', version: 0, updates: [{ clientID: 'a', changes: [1, [0, 'y'.repeat(1000)]] }] }, 'too_large');
    await expectError(a, { type: 'upload', text: '日'.repeat(400) }, 'too_large');   // 1200 bytes
    assert.equal((await roomInfo(server.url, id)).text, 'x');
    a.send({ type: 'push', version: 0, updates: [{ clientID: 'a', changes: [1, [0, 'y'.repeat(990)]] }] });
    await a.waitType('updates');
    const big = await postJSON(`${server.url}/create_session`, { code: 'z'.repeat(1001) });
    assert.equal(big.status, 413);
    assert.match(big.json.error, /1000 bytes/);
    await a.close();
  });

  test('chat line length, empty and control characters', async () => {
    const id = await createRoom(server.url);
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    await expectError(a, { type: 'chat', text: 'x'.repeat(51) }, 'too_large');
    await expectError(a, { type: 'chat', text: '   ' }, 'bad_field');
    await expectError(a, { type: 'chat', text: 'bell\u0007' }, 'bad_field');
    await expectError(a, { type: 'chat', text: 42 }, 'bad_field');
    a.send({ type: 'chat', text: 'x'.repeat(50) });
    assert.equal((await a.waitType('chat')).text.length, 50);
    await a.close();
  });

  test('members per room, rooms open, rooms stored', async () => {
    const id = await createRoom(server.url);
    const m = [];
    for (const n of ['a', 'b', 'c']) m.push(await joinRoom(server.wsUrl, id, n));
    const d = await CoderoomClient.connect(server.wsUrl);
    await expectError(d, { type: 'join', room: id, name: 'd' }, 'room_full');
    // a member coming back with its token is not a newcomer
    m[2].terminate();
    await m[0].waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.members.length === 2);
    await joinRoom(server.wsUrl, id, 'c', { token: m[2].joined.token });
    // rooms open: this one plus two more, then server_full
    const r2 = await createRoom(server.url), r3 = await createRoom(server.url), r4 = await createRoom(server.url);
    const x2 = await joinRoom(server.wsUrl, r2, 'x');
    const x3 = await joinRoom(server.wsUrl, r3, 'x');
    await expectError(d, { type: 'join', room: r4, name: 'x' }, 'server_full');
    assert.equal((await getJSON(`${server.url}/api/rooms/${r4}`)).status, 503);
    await x3.close();
    await joinRoom(server.wsUrl, r4, 'x');   // a room closed: room for another
    for (const c of [...m, d, x2]) c.terminate();
  });

  test('rooms stored', async () => {
    const srv = await startServer({ args: ['--allow-weak-sandbox', '--max-stored-rooms', '2'] });
    try {
      await createRoom(srv.url);
      await createRoom(srv.url);
      const over = await postJSON(`${srv.url}/create_session`, {});
      assert.equal(over.status, 503, over.text);
      assert.match(over.json.error, /at most 2 rooms/);
    } finally { await srv.stop(); }
  });

  test('room messages a second per member', async () => {
    const srv = await startServer({ args: ['--allow-weak-sandbox', '--room-rate', '5'] });
    try {
      const id = await createRoom(srv.url);
      const a = await joinRoom(srv.wsUrl, id, 'Ada');
      for (let i = 0; i < 12; i++) a.send({ type: 'pull', version: 0 });
      await roundTrip(a);
      const errs = a.messages.filter((x) => x.type === 'error' && x.code === 'rate_limited');
      const answers = a.messages.filter((x) => x.type === 'updates');
      assert.ok(errs.length >= 1 && answers.length >= 1, `${answers.length} answered, ${errs.length} refused`);
      assert.equal(errs.length + answers.length, 12, 'every pull got an answer or an error');
      assert.ok(errs.every((e) => e.field === 'pull'));
      await a.close();
    } finally { await srv.stop(); }
  });

  test('malformed room messages get errors; the connection stays usable', async () => {
    const id = await createRoom(server.url, { code: 'abc' });
    const c = await CoderoomClient.connect(server.wsUrl);
    await expectError(c, { type: 'push', version: 0, updates: [] }, 'not_joined');
    await expectError(c, { type: 'chat', text: 'hi' }, 'not_joined');
    await expectError(c, { type: 'join', room: id }, 'bad_field');
    await expectError(c, { type: 'join', name: 'x' }, 'bad_field');
    await expectError(c, { type: 'join', room: id, name: '' }, 'bad_field');
    await expectError(c, { type: 'join', room: id, name: 'x'.repeat(65) }, 'bad_field');
    await expectError(c, { type: 'join', room: id, name: 'tab\there' }, 'bad_field');
    await expectError(c, { type: 'join', room: 'nosuchroom000000000a', name: 'x' }, 'not_found');
    await expectError(c, { type: 'join', room: '../../etc', name: 'x' }, 'not_found');
    await expectError(c, { type: 'join', room: id, name: 'x', token: 5 }, 'bad_field');
    c.send({ type: 'join', room: id, name: 'Ada' });
    const joined = await c.waitType('joined');
    assert.deepEqual(joined.limits, { doc_bytes: 1000, chat_bytes: 50, members: 3, rate: 20, push_updates: 100, message_bytes: 1048576 });
    await expectError(c, { type: 'join', room: id, name: 'Ada' }, 'already_joined');
    const bad = [
      [{ type: 'push' }, 'bad_field'],
      [{ type: 'push', version: -1, updates: [] }, 'bad_field'],
      [{ type: 'push', version: 0, updates: {} }, 'bad_field'],
      [{ type: 'push', version: 1.5, updates: [] }, 'bad_field'],
      [{ type: 'push', version: 0, updates: [{ clientID: 'a', changes: [5] }] }, 'bad_changes'],
      [{ type: 'push', version: 0, updates: [{ clientID: 'a', changes: [[0, 'x\r']] , }] }, 'bad_changes'],
      [{ type: 'push', version: 0, updates: [{ clientID: 'a', changes: 'nope' }] }, 'bad_changes'],
      [{ type: 'push', version: 0, updates: [{ changes: [3] }] }, 'bad_changes'],
      [{ type: 'pull' }, 'bad_field'],
      [{ type: 'pull', version: 'x' }, 'bad_field'],
      [{ type: 'presence', selection: { anchor: 1 } }, 'bad_field'],
      [{ type: 'presence', selection: { anchor: 99, head: 99 } }, 'bad_field'],
      [{ type: 'presence', selection: 'x' }, 'bad_field'],
      [{ type: 'role', member: 'x', role: 'admin' }, 'bad_field'],
      [{ type: 'role', role: 'writer' }, 'bad_field'],
      [{ type: 'room_settings' }, 'bad_field'],
      [{ type: 'room_settings', open_edit: 'yes' }, 'bad_field'],
      [{ type: 'room_settings', language: 'klingon' }, 'unknown_language'],
      [{ type: 'host' }, 'bad_field'],
      [{ type: 'host', member: 'ffffffff' }, 'not_found'],
      [{ type: 'upload' }, 'bad_field'],
      [{ type: 'upload', text: 'x', name: 7 }, 'bad_field'],
      [{ type: 'resize', rows: 0, cols: 10 }, 'bad_field'],
    ];
    for (const [msg, code] of bad) await expectError(c, msg, code);
    c.send({ type: 'pull', version: 99 });
    const rs = await c.waitType('resync');
    assert.deepEqual(rs.doc, { version: 0, text: 'abc' });
    const since = c.events.length;
    c.send({ type: 'resync' });
    const rs2 = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'resync', { since, what: 'resync answer' });
    assert.deepEqual(rs2.msg.doc, { version: 0, text: 'abc' });
    // still a member, still usable
    c.send({ type: 'chat', text: 'still here' });
    assert.equal((await c.waitType('chat')).text, 'still here');
    assert.equal((await roomInfo(server.url, id)).text, 'abc');
    await c.close();
  });

  test('HTTP: create_session, the room, its download, the editor page and its CSP', async () => {
    const r = await postJSON(`${server.url}/create_session`, { language: 'javascript', code: 'console.log(1)\n' });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['id', 'language', 'session_id', 'url']);
    assert.equal(r.json.url, `/editor/${r.json.session_id}`);
    const id = r.json.session_id;
    const info = await roomInfo(server.url, id);
    assert.deepEqual([info.id, info.language, info.version, info.text, info.members], [id, 'javascript', 0, 'console.log(1)\n', []]);
    const dl = await httpRequest(`${server.url}/api/rooms/${id}/download`);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers['content-disposition'], 'attachment; filename="main.js"');
    assert.equal(dl.text, 'console.log(1)\n');
    assert.equal((await postJSON(`${server.url}/create_session`, { language: 'klingon' })).status, 400);
    assert.equal((await postJSON(`${server.url}/create_session`, '[1]')).status, 400);
    assert.equal((await postJSON(`${server.url}/create_session`, { code: 5 })).status, 400);
    assert.equal((await getJSON(`${server.url}/api/rooms/${'a'.repeat(20)}`)).status, 404);
    assert.equal((await getJSON(`${server.url}/api/rooms/short`)).status, 404);
    assert.equal((await getJSON(`${server.url}/api/rooms/${id}/other`)).status, 404);
    assert.equal((await httpRequest(`${server.url}/api/rooms/${id}`, { method: 'DELETE' })).status, 405);
    const missing = await httpRequest(`${server.url}/editor/${'b'.repeat(20)}`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers['content-type'], /text\/html/);
    const page = await httpRequest(`${server.url}/editor/${id}`);
    if (page.status === 200) {
      assert.match(page.text, /<!doctype html>/i);
    } else {
      assert.match(page.text, /not built/);    // a server without web/dist
    }
    for (const p of [missing, ...(page.status === 200 ? [page] : [])]) {
      const csp = p.headers['content-security-policy'];
      assert.ok(csp, 'a CSP on every page');
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /default-src 'none'/);
      assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/);
      assert.equal(p.headers['x-content-type-options'], 'nosniff');
    }
  });
});

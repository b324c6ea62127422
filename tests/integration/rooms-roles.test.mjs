// rooms-roles.test.mjs - roles are enforced by the server: every action a
// reader may not do (push, upload, run, stop, input as a message and as a
// binary frame, resize, role, room_settings, host) is refused with
// "forbidden" and changes nothing; a writer may not do the host's; the
// host grants and revokes write per member and for everyone, and hands
// the host role over.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { createRoom, expectError, joinRoom, roomInfo, roundTrip } from '../lib/rooms.mjs';

let server;
before(async () => { server = await startServer({ args: ['--allow-weak-sandbox'] }); });
after(async () => { if (server) await server.stop(); });

describe('rooms: roles', () => {
  test('first member is host and writer, the next a reader', async () => {
    const id = await createRoom(server.url, { code: 'x = 1\n' });
    const host = await joinRoom(server.wsUrl, id, 'Ada');
    const reader = await joinRoom(server.wsUrl, id, 'Bob');
    assert.equal(host.joined.you.role, 'host');
    assert.equal(reader.joined.you.role, 'reader');
    assert.equal(reader.joined.host, host.joined.you.id);
    const m = await host.waitType('members');
    assert.deepEqual(m.members.map((x) => [x.name, x.role]), [['Ada', 'host'], ['Bob', 'reader']]);
    await host.close(); await reader.close();
  });

  test('every forbidden action by a reader is refused and changes nothing', async () => {
    const id = await createRoom(server.url, { code: 'print(input("? "))\n' });
    const host = await joinRoom(server.wsUrl, id, 'Ada');
    const reader = await joinRoom(server.wsUrl, id, 'Bob');
    const hostId = host.joined.you.id, readerId = reader.joined.you.id;
    const before = await roomInfo(server.url, id);

    await expectError(reader, { type: 'push', version: 0, updates: [{ clientID: 'r1', changes: [[0, 'evil'], 19] }] }, 'forbidden');
    await expectError(reader, { type: 'upload', text: 'evil()\n', name: 'x.py' }, 'forbidden');
    await expectError(reader, { type: 'run' }, 'forbidden');
    await expectError(reader, { type: 'role', member: readerId, role: 'writer' }, 'forbidden');
    await expectError(reader, { type: 'role', member: '*', role: 'writer' }, 'forbidden');
    await expectError(reader, { type: 'room_settings', open_edit: true }, 'forbidden');
    await expectError(reader, { type: 'room_settings', language: 'c' }, 'forbidden');
    await expectError(reader, { type: 'host', member: readerId }, 'forbidden');

    // the room's run, started by the host, waits for input
    host.send({ type: 'run' });
    await reader.waitType('started');
    await reader.waitOutput('? ');
    await expectError(reader, { type: 'stop' }, 'forbidden');
    await expectError(reader, { type: 'input', data: 'from-reader\r' }, 'forbidden');
    {
      const since = reader.events.length;
      reader.sendBinary(Buffer.concat([Buffer.from([0]), Buffer.from('binary-reader\r')]));
      const ev = await reader.waitFor((e) => e.kind === 'json' && e.msg.type === 'error', { since, what: 'error for binary input' });
      assert.equal(ev.msg.code, 'forbidden');
    }
    await expectError(reader, { type: 'resize', rows: 10, cols: 20 }, 'forbidden');
    await expectError(reader, { type: 'attach', run: 'x' }, 'forbidden');

    // nothing changed: the document, the roles, the host, the run
    const after = await roomInfo(server.url, id);
    assert.equal(after.version, before.version);
    assert.equal(after.text, before.text);
    assert.equal(after.host, hostId);
    assert.equal(after.open_edit, false);
    assert.deepEqual(after.members.map((x) => x.role).sort(), ['host', 'reader']);
    assert.equal(after.language, 'python');
    assert.ok(!reader.messages.some((x) => x.type === 'exited'), 'the run was not stopped');
    host.input('from-host\r');
    const ex = await reader.waitExit();
    assert.equal(ex.status, 'ok');
    assert.match(reader.out, /from-host/);
    assert.doesNotMatch(reader.out, /from-reader|binary-reader/, 'the reader typed nothing into the program');
    await host.close(); await reader.close();
  });

  test('a writer may edit and run, but not change roles, settings or the host', async () => {
    const id = await createRoom(server.url, { code: '' });
    const host = await joinRoom(server.wsUrl, id, 'Ada');
    const w = await joinRoom(server.wsUrl, id, 'Bob');
    host.send({ type: 'role', member: w.joined.you.id, role: 'writer' });
    await w.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.members.some((m) => m.name === 'Bob' && m.role === 'writer'));
    await expectError(w, { type: 'role', member: host.joined.you.id, role: 'reader' }, 'forbidden');
    await expectError(w, { type: 'room_settings', open_edit: true }, 'forbidden');
    await expectError(w, { type: 'host', member: w.joined.you.id }, 'forbidden');
    w.send({ type: 'push', version: 0, updates: [{ clientID: 'w1', changes: [[0, 'ok']] }] });
    const u = await host.waitType('updates');
    assert.deepEqual(u.updates, [{ clientID: 'w1', changes: [[0, 'ok']] }]);
    // another member may not push with my clientID
    const r3 = await joinRoom(server.wsUrl, id, 'Cy');
    host.send({ type: 'role', member: r3.joined.you.id, role: 'writer' });
    await r3.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.members.some((m) => m.name === 'Cy' && m.role === 'writer'));
    await expectError(r3, { type: 'push', version: 1, updates: [{ clientID: 'w1', changes: [2, [0, '!']] }] }, 'forbidden');
    assert.equal((await roomInfo(server.url, id)).text, 'ok');
    await host.close(); await w.close(); await r3.close();
  });

  test('grant and revoke per member and for everyone; open_edit; host hand-over', async () => {
    const id = await createRoom(server.url);
    const host = await joinRoom(server.wsUrl, id, 'Ada');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    const c = await joinRoom(server.wsUrl, id, 'Cy');
    const roleOf = async (name) => (await roomInfo(server.url, id)).members.find((m) => m.name === name).role;

    host.send({ type: 'role', member: '*', role: 'writer' });
    await roundTrip(host);
    assert.equal(await roleOf('Bob'), 'writer');
    assert.equal(await roleOf('Cy'), 'writer');
    host.send({ type: 'role', member: c.joined.you.id, role: 'reader' });
    await roundTrip(host);
    assert.equal(await roleOf('Cy'), 'reader');
    await expectError(host, { type: 'role', member: host.joined.you.id, role: 'reader' }, 'bad_field');
    await expectError(host, { type: 'role', member: 'ffffffff', role: 'writer' }, 'not_found');

    host.send({ type: 'room_settings', open_edit: true });
    const st = await b.waitType('room_settings');
    assert.equal(st.open_edit, true);
    const d = await joinRoom(server.wsUrl, id, 'Di');
    assert.equal(d.joined.you.role, 'writer', 'with open_edit, newcomers write');
    host.send({ type: 'room_settings', open_edit: false });
    await roundTrip(host);
    assert.equal(await roleOf('Di'), 'reader');
    assert.equal(await roleOf('Bob'), 'reader');

    host.send({ type: 'host', member: b.joined.you.id });
    await roundTrip(host);
    const info = await roomInfo(server.url, id);
    assert.equal(info.host, b.joined.you.id);
    assert.equal(await roleOf('Bob'), 'host');
    assert.equal(await roleOf('Ada'), 'writer');
    await expectError(host, { type: 'room_settings', open_edit: true }, 'forbidden');
    b.send({ type: 'role', member: c.joined.you.id, role: 'writer' });
    await roundTrip(b);
    assert.equal(await roleOf('Cy'), 'writer');
    for (const x of [host, b, c, d]) await x.close();
  });

  test('a token restores the same member and role; an unknown token joins as new', async () => {
    const id = await createRoom(server.url);
    const host = await joinRoom(server.wsUrl, id, 'Ada');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    host.send({ type: 'role', member: b.joined.you.id, role: 'writer' });
    await roundTrip(host);
    const token = b.joined.token;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    b.terminate();
    const b2 = await joinRoom(server.wsUrl, id, 'Bob again', { token });
    assert.equal(b2.joined.you.id, b.joined.you.id);
    assert.equal(b2.joined.you.role, 'writer');
    assert.equal(b2.joined.you.color, b.joined.you.color);
    assert.equal(b2.joined.token, token);
    // the same member twice: the older connection is removed
    const b3 = await joinRoom(server.wsUrl, id, 'Bob', { token });
    const rm = await b2.waitType('removed');
    assert.equal(rm.reason, 'replaced');
    await expectError(b2, { type: 'chat', text: 'still here?' }, 'not_joined');
    const x = await joinRoom(server.wsUrl, id, 'Eve', { token: 'A'.repeat(43) });
    assert.notEqual(x.joined.you.id, b.joined.you.id);
    assert.equal(x.joined.you.role, 'reader');
    // the host's token gives the host back
    const h2 = await joinRoom(server.wsUrl, id, 'Ada', { token: host.joined.token });
    assert.equal(h2.joined.you.role, 'host');
    for (const c of [host, b2, b3, x, h2]) await c.close();
  });
});

// rooms-members.test.mjs - members, presence and chat: the roster on join,
// leave and drop (a closed socket, and a network that vanished without a
// FIN, noticed by the server's pings); presence mapped through later
// edits and gone with its member; chat lines to everyone, shown as text,
// the last 200 sent again on a later join; the shared run seen by two
// members, with the scrollback for one who joins mid-run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { createRoom, joinRoom, roomInfo, roundTrip } from '../lib/rooms.mjs';

let server;
before(async () => {
  // pings every 200 ms, a silent socket dropped after 1.5 s
  server = await startServer({ args: ['--allow-weak-sandbox', '--ws-ping-ms', '200', '--ws-timeout-ms', '1500', '--room-rate', '1000'] });
});
after(async () => { if (server) await server.stop(); });

const membersMsg = (c, pred, what) => c.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && pred(e.msg.members), { what, timeout: 15000 });

describe('rooms: members, presence, chat, the shared run', () => {
  test('members on join, leave and close; presence goes with its member', async () => {
    const id = await createRoom(server.url, { code: 'hello world\n' });
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    assert.deepEqual(b.joined.members.map((m) => m.name), ['Ada', 'Bob']);
    await membersMsg(a, (ms) => ms.length === 2, 'Bob in Ada\'s list');
    assert.ok(!b.messages.some((m) => m.type === 'members'), 'the joiner gets its list in joined only');

    b.send({ type: 'presence', selection: { anchor: 6, head: 11 } });
    const p = await a.waitType('presence');
    assert.deepEqual([p.member, p.selection, p.version], [b.joined.you.id, { anchor: 6, head: 11 }, 0]);
    // the host inserts before it: the server maps Bob's selection
    a.send({ type: 'push', version: 0, updates: [{ clientID: 'a', changes: [[0, '>> '], 12] }] });
    await b.waitType('updates');
    const c = await joinRoom(server.wsUrl, id, 'Cy');
    assert.deepEqual(c.joined.presence, [{ member: b.joined.you.id, selection: { anchor: 9, head: 14 }, version: 1 }]);

    b.send({ type: 'leave' });
    await b.waitType('left');
    const gone = await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'presence' && e.msg.member === b.joined.you.id && e.msg.selection === null, { what: 'presence null' });
    assert.ok(gone);
    await membersMsg(a, (ms) => ms.length === 2 && !ms.some((m) => m.name === 'Bob'), 'Bob gone');
    await c.close();
    await membersMsg(a, (ms) => ms.length === 1, 'Cy gone after close');
    await a.close(); await b.close();
  });

  test('a member whose network vanishes (no FIN) is dropped by the pings within seconds', async () => {
    const id = await createRoom(server.url);
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    b.send({ type: 'presence', selection: { anchor: 0, head: 0 } });
    await a.waitType('presence');
    await membersMsg(a, (ms) => ms.length === 2, 'both');
    b.ws._socket.pause();       // Bob reads nothing more: no pong, no FIN
    const since = a.events.length;
    await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'presence' && e.msg.selection === null, { since, timeout: 15000, what: 'Bob\'s cursor gone' });
    await membersMsg(a, (ms) => ms.length === 1, 'Bob dropped');
    assert.match(server.logs(), /no answer from .* dropped/);
    b.terminate();
    // a live member who only listens is not dropped: its client answers pings
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await roomInfo(server.url, id)).members.length, 1, 'Ada (silent but answering pings) stays');
    await a.close();
  });

  test('chat reaches everyone as text; the last 200 lines come back on join', async () => {
    const id = await createRoom(server.url);
    const a = await joinRoom(server.wsUrl, id, '<img src=x onerror=alert(1)>');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    b.send({ type: 'chat', text: '<script>alert("hi")</script> 👋' });
    const m = await a.waitType('chat');
    assert.equal(m.text, '<script>alert("hi")</script> 👋', 'kept as text, byte for byte');
    assert.equal(m.name, 'Bob');
    assert.equal(m.member, b.joined.you.id);
    assert.ok(Math.abs(m.ts - Date.now()) < 60000, 'ts is wall-clock ms');
    await b.waitFor((e) => e.kind === 'json' && e.msg.type === 'chat' && e.msg.id === m.id, { what: 'the sender gets its line too' });
    for (let i = 0; i < 230; i++) {      // under the 64 messages a second of a socket
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 1100));
      a.send({ type: 'chat', text: `line ${i}` });
    }
    await b.waitFor((e) => e.kind === 'json' && e.msg.type === 'chat' && e.msg.text === 'line 229', { what: 'line 229' });
    await a.close(); await b.close();
    const c = await joinRoom(server.wsUrl, id, 'Cy');
    assert.equal(c.joined.chat.length, 200);
    assert.equal(c.joined.chat[0].text, 'line 30');
    assert.equal(c.joined.chat[199].text, 'line 229');
    assert.deepEqual(Object.keys(c.joined.chat[0]).sort(), ['id', 'member', 'name', 'text', 'ts']);
    const ids = c.joined.chat.map((x) => x.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'oldest first');
    await c.close();
  });

  test("upload: a writer replaces the file; it is one ordinary update, CRLF becomes LF, the host's upload may switch the language", async () => {
    const id = await createRoom(server.url, { code: 'keep this line\nold body\n' });
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    a.send({ type: 'role', member: b.joined.you.id, role: 'writer' });
    await b.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.members.some((m) => m.name === 'Bob' && m.role === 'writer'));
    b.send({ type: 'upload', text: 'keep this line\r\nnew body 👋\r\n', name: 'x.js' });
    const u = await a.waitType('updates');
    assert.deepEqual(u.updates, [{ clientID: `upload:${b.joined.you.id}`, changes: [15, [8, 'new body 👋'], 1] }],
      'the smallest change: the common first line is kept');
    let info = await roomInfo(server.url, id);
    assert.equal(info.text, 'keep this line\nnew body 👋\n');
    assert.equal(info.language, 'python', 'a writer\'s upload does not change the language');
    a.send({ type: 'upload', text: 'console.log(1)\n', name: 'main.js' });
    const st = await b.waitType('room_settings');
    assert.deepEqual([st.language, st.file], ['javascript', 'main.js']);
    info = await roomInfo(server.url, id);
    assert.deepEqual([info.text, info.language], ['console.log(1)\n', 'javascript']);
    await a.close(); await b.close();
  });

  test('the shared run: both members see it live; a late joiner gets the scrollback, then live output', async () => {
    const code = 'import sys\nprint("first part", flush=True)\nname = input("name? ")\nprint("hello", name)\n';
    const id = await createRoom(server.url, { code });
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    const b = await joinRoom(server.wsUrl, id, 'Bob');
    a.send({ type: 'run' });
    const sa = await a.waitType('started');
    const sb = await b.waitType('started');
    assert.equal(sa.run, sb.run);
    assert.equal(sb.by, a.joined.you.id);
    await b.waitOutput('name? ');
    await a.waitOutput('name? ');
    const c = await joinRoom(server.wsUrl, id, 'Cy');
    assert.equal(c.joined.run.id, sa.run);
    const att = await c.waitType('attached');
    assert.equal(att.run, sa.run);
    assert.match(c.out, /first part[\s\S]*name\? /, 'the scrollback came before "attached"');
    await expectBusy(a);
    a.input('Grace\r');
    for (const x of [a, b, c]) {
      const ex = await x.waitExit();
      assert.equal(ex.status, 'ok');
      assert.match(x.out, /hello Grace/);
    }
    for (const x of [a, b, c]) await x.close();
  });
});

describe('rooms: a slow member does not stall the shared run', () => {
  test('a member that stops acknowledging is detached ("lagging"), the others see the run to its end, it catches up from the scrollback', async () => {
    const code = 'import sys\nfor i in range(400):\n    sys.stdout.write(("%04d " % i) + "x" * 5000 + "\\n")\nprint("END")\n';
    const id = await createRoom(server.url, { code });
    const a = await joinRoom(server.wsUrl, id, 'Ada');
    const slow = await joinRoom(server.wsUrl, id, 'Slow', { ack: true });   // promises acks, sends none
    a.send({ type: 'run' });
    const lag = await slow.waitType('lagging', { timeout: 20000 });
    assert.ok(lag.run);
    const ex = await a.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok', 'the run was not stalled by the slow member');
    await a.waitOutput('END');
    assert.ok(!slow.messages.some((m) => m.type === 'exited'), 'the lagging member is detached');
    // it catches up: acknowledge all it got, the scrollback comes, then the end
    const got = slow.stdout.length;
    slow.send({ type: 'ack', bytes: got });
    const att = await slow.waitType('attached', { timeout: 20000 });
    assert.equal(att.run, lag.run);
    await slow.waitExit();
    assert.match(slow.out.slice(-20000), /END/);
    await a.close(); await slow.close();
  });
});

async function expectBusy(c) {
  const since = c.events.length;
  c.send({ type: 'run' });
  const ev = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error', { since, what: 'busy' });
  assert.equal(ev.msg.code, 'busy');
  await roundTrip(c);
}

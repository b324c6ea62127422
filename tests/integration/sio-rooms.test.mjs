// sio-rooms.test.mjs - the collaborative editor's Socket.IO events, driven
// by the official socket.io-client, on the rooms of the native protocol:
// join_session, code_update, code_change, participants_update, roles
// (grant_write / revoke_write), send_message / chat_message, chat_history;
// a mixed room with a native /ws member speaking @codemirror/collab (a
// whole-text code_change arrives there as the smallest change, and a
// concurrent edit elsewhere survives it); the room's run reaching both
// kinds of client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { waitUntil } from '../lib/clients.mjs';
import { RoomPeer } from '../lib/room-client.mjs';
import { createRoom, roomInfo } from '../lib/rooms.mjs';
import { eio, SioClient, TRANSPORTS } from '../lib/sio.mjs';

let srv;
before(async () => {
  srv = await startServer({ webRoot: null, args: ['--room-rate', '1000', '--room-chat-bytes', '60000'] });
});
after(async () => { if (srv) await srv.stop(); });

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function sioJoin(session, name, opts = {}, on = srv) {
  const c = await SioClient.connect(on.url, opts);
  const since = c.events.length;
  c.ack = await c.call('join_session', { session_id: session, name });
  assert.equal(c.ack.ok, true, JSON.stringify(c.ack));
  c.welcome = {
    code: (await c.waitEvent('code_update', { since })).data,
    parts: (await c.waitEvent('participants_update', { since })).data,
    history: (await c.waitEvent('chat_history', { since })).data,
  };
  return c;
}

/* The latest event of a kind (after index since). */
function last(c, event, since = 0) {
  const evs = c.events.slice(since).filter((e) => e.kind === 'event' && e.event === event);
  return evs.length ? evs.at(-1).data : undefined;
}

const waitParts = (c, pred, what = 'participants_update') =>
  c.waitFor((e) => e.kind === 'event' && e.event === 'participants_update' && pred(e.data) && e.data,
    { since: 0, what, timeout: 15000 }).then(() => last(c, 'participants_update'));

for (const mode of TRANSPORTS) {
  describe(`collab events, ${mode.name}`, () => {
    test('join, roles, edits, chat and history between Socket.IO pages', async () => {
      const session = await createRoom(srv.url, { language: 'python', code: 'print("start")\n' });
      const a = await sioJoin(session, 'Ada', mode.opts);
      const b = await sioJoin(session, 'Bob', mode.opts);
      try {
        // the first joiner is the host and a writer; later ones readers
        assert.deepEqual(a.ack, { ok: true, session_id: session, id: a.sock.id, role: 'host', token: a.ack.token });
        assert.equal(b.ack.role, 'reader');
        assert.deepEqual(a.welcome.code, { content: 'print("start")\n' });
        assert.deepEqual(a.welcome.history, { messages: [] });
        assert.deepEqual(b.welcome.parts, {
          participants: { [a.sock.id]: { name: 'Ada', role: 'host' }, [b.sock.id]: { name: 'Bob', role: 'reader' } },
          host_id: a.sock.id,
          writer_ids: [a.sock.id],
        });
        await waitParts(a, (p) => p.participants[b.sock.id]?.role === 'reader', 'Ada sees Bob');

        // a reader's change is refused, with an error event
        const refused = await b.call('code_change', { session_id: session, content: 'evil' });
        assert.deepEqual(refused, { ok: false, error: 'readers cannot edit; ask the host for write access' });
        assert.equal((await b.waitEvent('error')).data.message, refused.error);
        assert.deepEqual(await b.call('grant_write', { session_id: session, target: a.sock.id }),
          { ok: false, error: 'only the host may grant or revoke write access' });

        // the host grants write: everyone sees it
        assert.deepEqual(await a.call('grant_write', { session_id: session, target: b.sock.id }), { ok: true });
        for (const c of [a, b]) {
          const p = await waitParts(c, (d) => d.participants[b.sock.id]?.role === 'writer', 'Bob a writer');
          assert.deepEqual(p.writer_ids, [a.sock.id, b.sock.id]);
        }

        // a writer's whole text reaches the others as code_update, not itself
        const aSince = a.events.length;
        const bSince = b.events.length;
        assert.deepEqual(await b.call('code_change', { session_id: session, content: 'print("start")\nprint("bob")\n' }), { ok: true });
        const upd = await a.waitEvent('code_update', { since: aSince });
        assert.deepEqual(upd.data, { content: 'print("start")\nprint("bob")\n' });
        // the same text again changes nothing and tells nobody
        assert.deepEqual(await b.call('code_change', { session_id: session, content: 'print("start")\nprint("bob")\n' }), { ok: true });
        await a.call('send_message', { session_id: session, message: 'sync', name: 'Ada' });
        await b.waitEvent('chat_message', { since: bSince, pred: (d) => d.message === 'sync' });
        assert.equal(a.events.slice(aSince).filter((e) => e.event === 'code_update').length, 1);
        assert.equal(b.events.slice(bSince).filter((e) => e.event === 'code_update').length, 0, 'no echo to the sender');
        const info = await roomInfo(srv.url, session);
        assert.equal(info.text, 'print("start")\nprint("bob")\n');
        const v = info.version;
        await b.call('code_change', { session_id: session, content: 'print("start")\nprint("bob")\n' });
        assert.equal((await roomInfo(srv.url, session)).version, v, 'an unchanged text is no update');

        // CRLF from a page becomes LF, and the sender is told the stored text
        const b2 = b.events.length;
        await b.call('code_change', { session_id: session, content: 'x = 1\r\ny = 2\r\n' });
        assert.deepEqual((await b.waitEvent('code_update', { since: b2 })).data, { content: 'x = 1\ny = 2\n' });

        // chat: both see it, with an id, the sender's join name and a timestamp
        const m1 = await Promise.all([
          a.waitEvent('chat_message', { pred: (d) => d.message === 'hello from Bob' }),
          b.waitEvent('chat_message', { pred: (d) => d.message === 'hello from Bob' }),
          b.call('send_message', { session_id: session, message: 'hello from Bob', name: 'Bob' }),
        ]);
        const line = m1[0].data;
        assert.deepEqual(Object.keys(line).sort(), ['id', 'message', 'name', 'timestamp']);
        assert.equal(line.name, 'Bob');
        assert.match(line.timestamp, ISO);
        assert.ok(Math.abs(Date.parse(line.timestamp) - Date.now()) < 600000, line.timestamp);
        assert.deepEqual(m1[1].data, line);
        assert.deepEqual(await b.call('send_message', { session_id: session, message: '   ' }),
          { ok: false, error: 'a chat message is text: not empty, no control characters' });

        // revoke: Bob is a reader again
        await a.call('revoke_write', { session_id: session, target: b.sock.id });
        await waitParts(b, (d) => d.participants[b.sock.id]?.role === 'reader', 'Bob a reader again');
        assert.equal((await b.call('code_change', { session_id: session, content: 'nope' })).ok, false);

        // a late joiner gets the text and the history, oldest first
        const c = await sioJoin(session, 'Cy', mode.opts);
        try {
          assert.deepEqual(c.welcome.code, { content: 'x = 1\ny = 2\n' });
          assert.deepEqual(c.welcome.history.messages.map((m) => m.message), ['sync', 'hello from Bob']);
          assert.deepEqual(c.welcome.history.messages[1], line);
          assert.equal(c.ack.role, 'reader');
        } finally { c.close(); }
        // a participant who leaves is gone from everyone's list
        await waitParts(a, (d) => !(c.sock.id in d.participants), 'Cy gone');
      } finally { a.close(); b.close(); }
    });
  });
}

test('chat_history holds the last 200 messages', async () => {
  const session = await createRoom(srv.url, {});
  const a = await sioJoin(session, 'Ada');
  try {
    for (let i = 0; i < 205; i++) a.emit('send_message', { session_id: session, message: `m${i}`, name: 'Ada' });
    await a.waitEvent('chat_message', { pred: (d) => d.message === 'm204', timeout: 30000 });
    const b = await sioJoin(session, 'Bob');
    try {
      const msgs = b.welcome.history.messages.map((m) => m.message);
      assert.equal(msgs.length, 200);
      assert.equal(msgs[0], 'm5');
      assert.equal(msgs[199], 'm204');
    } finally { b.close(); }
  } finally { a.close(); }
});

test('the host leaves: host_id is null until a host is back, never an id missing from participants', async () => {
  const session = await createRoom(srv.url, {});
  const a = await sioJoin(session, 'Ada');
  const b = await sioJoin(session, 'Bob');
  try {
    assert.equal(b.welcome.parts.host_id, a.sock.id);
    const since = b.events.length;
    a.close();
    await b.waitFor((e) => e.kind === 'event' && e.event === 'participants_update' && !e.data.participants[a.sock.id],
      { since, what: 'Ada gone', timeout: 15000 });
    const p = last(b, 'participants_update', since);
    // a page does participants[host_id].name: the id must be one it has
    assert.deepEqual(p, { participants: { [b.sock.id]: { name: 'Bob', role: 'reader' } }, host_id: null, writer_ids: [] });
  } finally { b.close(); }
});

test('a refused join_session (no such session, a bad name) leaves the socket in the session it was in', async () => {
  const session = await createRoom(srv.url, {});
  const a = await sioJoin(session, 'Ada');
  const b = await sioJoin(session, 'Bob');
  try {
    const since = b.events.length;
    // a bot with a typo in the session id, then with a name it may not use
    const typo = await a.call('join_session', { session_id: `${session.slice(0, -1)}x`, name: 'Ada' });
    assert.equal(typo.ok, false);
    assert.match(typo.error, /no session/);
    const other = await createRoom(srv.url, {});
    const badName = await a.call('join_session', { session_id: other, name: '\u0001bad' });
    assert.equal(badName.ok, false);
    assert.match(badName.error, /name/);
    // still in its session, still the host: it talks and edits there
    assert.deepEqual(await a.call('send_message', { session_id: session, message: 'still here', name: 'Ada' }), { ok: true });
    assert.deepEqual(await a.call('code_change', { session_id: session, content: 'print("still host")\n' }), { ok: true });
    await b.waitEvent('chat_message', { since, pred: (d) => d.message === 'still here' });
    assert.equal(b.events.slice(since).filter((e) => e.event === 'participants_update').length, 0,
      'nobody saw Ada leave');
    assert.equal((await roomInfo(srv.url, session)).text, 'print("still host")\n');
  } finally { a.close(); b.close(); }
});

test('refusals: no such session, not joined, another session, bad payloads, joining with a run going', async () => {
  const session = await createRoom(srv.url, {});
  const c = await SioClient.connect(srv.url);
  try {
    assert.deepEqual(await c.call('code_change', { session_id: session, content: 'x' }),
      { ok: false, error: 'join a session first (join_session)' });
    const none = await c.call('join_session', { session_id: 'nosuchroom0000000000', name: 'A' });
    assert.equal(none.ok, false);
    assert.match(none.error, /no session 'nosuchroom0000000000'/);
    assert.deepEqual(await c.call('join_session', { name: 'A' }), { ok: false, error: "'join_session' needs a string 'session_id'" });
    assert.deepEqual(await c.call('join_session', 'abc'), { ok: false, error: "'join_session' wants an object argument" });
    assert.equal((await c.call('join_session', { session_id: session, name: '\u0001bad' })).ok, false);
    const joined = await c.call('join_session', { session_id: session, name: 'A' });
    assert.equal(joined.ok, true);
    const other = await createRoom(srv.url, {});
    assert.deepEqual(await c.call('send_message', { session_id: other, message: 'hi' }),
      { ok: false, error: `this socket is in session '${session}', not that one` });
    assert.deepEqual(await c.call('code_change', { session_id: session, content: 42 }),
      { ok: false, error: "'code_change' needs a string 'content'" });
    assert.deepEqual(await c.call('grant_write', { session_id: session, target: 'nobody' }),
      { ok: false, error: "no participant 'nobody' in the session" });
  } finally { c.close(); }

  const d = await SioClient.connect(srv.url);
  try {
    await d.run('input()\n');
    assert.deepEqual(await d.call('join_session', { session_id: session, name: 'D' }),
      { ok: false, error: 'stop your program before joining a session' });
    d.emit('send_input', { input: '' });
    await d.waitExit();
    assert.equal((await d.call('join_session', { session_id: session, name: 'D' })).ok, true);
  } finally { d.close(); }
});

describe('a mixed room: Socket.IO pages and native /ws members', () => {
  for (const mode of [TRANSPORTS[0], TRANSPORTS[2]]) {
    test(`edits, members, chat and roles cross both ways (${mode.name})`, async () => {
      const session = await createRoom(srv.url, { code: 'alpha\nbeta\ngamma\n' });
      const native = await RoomPeer.join(srv.wsUrl, session, 'Nat');	// the host
      const s = await sioJoin(session, 'Sio', mode.opts);
      const serverVersion = async () => (await roomInfo(srv.url, session)).version;
      try {
        assert.equal(s.ack.role, 'reader');
        assert.deepEqual(s.welcome.code, { content: 'alpha\nbeta\ngamma\n' });
        // Socket.IO's view: the native member by its member id, the host
        assert.deepEqual(s.welcome.parts.participants[native.id], { name: 'Nat', role: 'host' });
        assert.equal(s.welcome.parts.host_id, native.id);
        assert.deepEqual(s.welcome.parts.writer_ids, [native.id]);
        // the native view: the Socket.IO member with its name
        const members = await native.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' &&
          e.msg.members.some((m) => m.name === 'Sio') && e.msg, { what: 'members with Sio' });
        const sioMember = members.members.find((m) => m.name === 'Sio');
        assert.equal(sioMember.role, 'reader');

        // the native host grants write to the Socket.IO member by member id
        native.c.send({ type: 'role', member: sioMember.id, role: 'writer' });
        await waitParts(s, (d) => d.participants[s.sock.id]?.role === 'writer', 'Sio a writer');

        // a native edit reaches the page as code_update
        native.edit({ from: 0, insert: '# native\n' });
        native.push();
        await s.waitEvent('code_update', { pred: (d) => d.content === '# native\nalpha\nbeta\ngamma\n' });
        await native.settle(serverVersion);

        // the page changes the middle while the native member types at the
        // start without having pushed yet: both edits survive
        const seen = native.c.events.length;
        native.hold();
        native.edit({ from: 0, insert: '>> ' });
        assert.deepEqual(await s.call('code_change', { session_id: session, content: '# native\nalpha\nBETA!\ngamma\n' }), { ok: true });
        // the change that went out to the native member is the smallest one
        const upd = await native.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'updates' && e.msg.updates.some((u) => u.clientID.startsWith('upload:')) && e.msg,
          { since: seen, what: 'the code_change as updates' });
        const changes = upd.updates.find((u) => u.clientID.startsWith('upload:')).changes;
        assert.deepEqual(changes, [15, [4, 'BETA!'], 7], 'retain 15, replace "beta" by "BETA!", retain 7');
        native.release();
        await native.settle(serverVersion);
        assert.equal(native.text, '>> # native\nalpha\nBETA!\ngamma\n');
        await s.waitEvent('code_update', { pred: (d) => d.content === native.text });
        assert.equal((await roomInfo(srv.url, session)).text, native.text);

        // chat both ways
        native.c.send({ type: 'chat', text: 'from the IDE' });
        const fromIde = await s.waitEvent('chat_message', { pred: (d) => d.message === 'from the IDE' });
        assert.equal(fromIde.data.name, 'Nat');
        await s.call('send_message', { session_id: session, message: 'from the page', name: 'Sio' });
        const chat = await native.c.waitType('chat', { since: 0 });
        assert.ok(chat);
        await native.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'chat' && e.msg.text === 'from the page' && e.msg.name === 'Sio',
          { what: 'the page\'s chat on /ws' });

        // a native member leaving is gone from the page's list
        const nid = native.id;
        await native.close();
        await waitParts(s, (d) => !(nid in d.participants), 'Nat gone');
      } finally { s.close(); await native.close().catch(() => {}); }
    });
  }

  test('the room\'s run reaches both kinds of client, whoever starts it', async () => {
    const session = await createRoom(srv.url, { code: 'print("room run", input("? "))\n' });
    const native = await RoomPeer.join(srv.wsUrl, session, 'Nat');
    const s = await sioJoin(session, 'Sio');
    try {
      native.c.send({ type: 'role', member: '*', role: 'writer' });
      await waitParts(s, (d) => d.participants[s.sock.id]?.role === 'writer', 'Sio a writer');

      // the page starts it (its code is the room's text): both watch
      const st = await s.call('start_interactive', { code: 'print("room run", input("? "))\n' });
      assert.equal(st.ok, true, JSON.stringify(st));
      assert.match(st.run, /^[0-9a-f]{32}$/);
      assert.equal((await s.waitEvent('started')).data.run, st.run);
      const nStarted = await native.c.waitType('started');
      assert.equal(nStarted.run, st.run);
      await s.waitOutput('? ');
      await native.c.waitOutput('? ');
      // the page answers the input: the program gets it, both see the end
      s.emit('send_input', { input: 'forty-two' });
      const ex = await s.waitExit();
      assert.equal(ex.status, 'ok');
      assert.match(s.out, /room run forty-two/);
      await native.c.waitOutput(/room run forty-two/);
      const nex = await native.c.waitType('exited');
      assert.equal(nex.status, 'ok');

      // the native member starts the next: the page sees it, and stops it
      const since = s.events.length;
      s.runStart = since;
      native.c.send({ type: 'run' });
      const st2 = await s.waitEvent('started', { since });
      await s.waitOutput('? ');
      assert.deepEqual(await s.call('stop'), { ok: true });
      const ex2 = await s.waitExit();
      assert.equal(ex2.status, 'killed');
      const nex2 = await native.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'exited' && e.msg.run === st2.data.run && e.msg,
        { what: 'the native exited for run 2' });
      assert.equal(nex2.status, 'killed');

      // a reader cannot run or type
      native.c.send({ type: 'role', member: '*', role: 'reader' });
      await waitParts(s, (d) => d.participants[s.sock.id]?.role === 'reader', 'Sio a reader');
      assert.deepEqual(await s.call('start_interactive', {}),
        { ok: false, error: 'readers cannot start the session\'s run; ask the host for write access' });
      assert.equal((await s.call('send_input', { input: 'x' })).ok, false);
    } finally { s.close(); await native.close(); }
  });
});

test('a page that stops reading the room\'s run does not stall it for the others', async () => {
  const session = await createRoom(srv.url, { code: 'for i in range(100000):\n    print(f"line {i} " + "w" * 40)\nprint("the end")\n' });
  const native = await RoomPeer.join(srv.wsUrl, session, 'Nat');
  // a raw polling page that joins, then stops polling
  const hs = await eio.handshake(srv.url);
  assert.equal((await eio.post(srv.url, hs.sid, `40\x1e42["join_session",{"session_id":"${session}","name":"Slow"}]`)).text, 'ok');
  await native.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' && e.msg.members.some((m) => m.name === 'Slow'),
    { what: 'Slow joined' });
  // it reads nothing, but stays alive however long the run takes: a pong
  // re-arms the heartbeat without a poll
  const alive = setInterval(() => { eio.post(srv.url, hs.sid, '3').catch(() => {}); }, 5000);
  try {
    native.c.send({ type: 'run' });
    // the native member gets all of it (5 MB) while the page reads nothing
    const ex = await native.c.waitType('exited', { timeout: 120000 });
    clearInterval(alive);
    assert.equal(ex.status, 'ok');
    await native.c.waitOutput('the end');
    // the page was detached, and told, instead of holding the run back
    const pkts = [];
    while (!pkts.some((p) => p.startsWith('42["exit"'))) {
      const r = await eio.get(srv.url, hs.sid);
      assert.equal(r.status, 200, r.text);
      pkts.push(...r.text.split('\x1e'));
    }
    assert.ok(pkts.some((p) => p.includes('fell behind the session')), 'the page was told it fell behind');
    const out = pkts.filter((p) => p.startsWith('42["output"')).map((p) => JSON.parse(p.slice(2))[1].data).join('');
    assert.ok(out.length < 3000000, `the page got ${out.length} bytes, not the whole 5 MB`);
    assert.match(pkts.find((p) => p.startsWith('42["exit"')), /"status":"ok"/);
    assert.equal((await eio.post(srv.url, hs.sid, '1')).text, 'ok');
  } finally { clearInterval(alive); await native.close(); }
});

test('a flood of edits reaches a page whose transport is slow as its latest text', async () => {
  // 18 MB of whole texts from one writer: past the default --ws-read-rate
  // (the server would read them at 256 KiB/s, hostile-ws tests that); the
  // point here is the reader's slow transport
  const own = await startServer({ webRoot: null, args: ['--room-rate', '1000', '--ws-read-rate', '100000000'] });
  const session = await createRoom(own.url, {});
  const writer = await sioJoin(session, 'W', { transports: ['websocket'] }, own);
  const reader = await sioJoin(session, 'R', { transports: ['polling'] }, own);
  try {
    let text = '';
    for (let i = 0; i < 300; i++) {
      text += `line ${i} ${'z'.repeat(400)}\n`;
      writer.emit('code_change', { session_id: session, content: text });
    }
    await reader.waitEvent('code_update', { pred: (d) => d.content === text, timeout: 60000 });
    // 300 texts of up to 120 KB (18 MB) would overflow the reader's queue;
    // the skipped ones were older texts, and the session lived
    assert.deepEqual(reader.events.filter((e) => e.kind === 'disconnect'), []);
    assert.equal(reader.transport, 'polling');
  } finally { writer.close(); reader.close(); await own.stop(); }
});

test('a member that never reads, in a busy room, is dropped when its queue is full; the room goes on', async () => {
  const session = await createRoom(srv.url, {});
  const talker = await sioJoin(session, 'Talker', { transports: ['websocket'] });
  // a raw polling session that joins and then never polls again
  const hs = await eio.handshake(srv.url);
  assert.equal((await eio.post(srv.url, hs.sid, `40\x1e42["join_session",{"session_id":"${session}","name":"Mute"}]`)).text, 'ok');
  await waitParts(talker, (d) => Object.values(d.participants).some((p) => p.name === 'Mute'), 'Mute joined');
  const before = (await (await fetch(`${srv.url}/api/health`)).json()).socketio;
  try {
    const line = 'x'.repeat(50000);
    let n = 0;
    // 50 KB a chat_message: 4 MiB are some 80 of them
    while (Object.values(last(talker, 'participants_update').participants).some((p) => p.name === 'Mute')) {
      for (let i = 0; i < 10; i++) talker.emit('send_message', { session_id: session, message: `${n++} ${line}` });
      await talker.waitEvent('chat_message', { pred: (d) => d.message.startsWith(`${n - 1} `), timeout: 30000 });
      assert.ok(n < 500, 'Mute was never dropped');
    }
    // its next poll takes what was queued and "1": the session is over
    const last1 = await eio.get(srv.url, hs.sid);
    assert.equal(last1.status, 200);
    assert.equal(last1.text.split('\x1e').at(-1), '1');
    assert.ok(last1.text.length <= 4 << 20, `${last1.text.length} bytes were held for it`);
    const after = (await (await fetch(`${srv.url}/api/health`)).json()).socketio;
    assert.equal(after.errors - before.errors, 1, 'its session ended for it');
    // the room and the talker are fine
    assert.deepEqual(await talker.call('send_message', { session_id: session, message: 'still here' }), { ok: true });
  } finally { talker.close(); }
});

test('a document too large for one event: an error instead of code_update, the socket stays', async () => {
  const own = await startServer({ webRoot: null, args: ['--room-doc-bytes', '4000000'] });
  try {
    const session = await createRoom(own.url, {});
    const native = await RoomPeer.join(own.wsUrl, session, 'Nat');
    const serverVersion = async () => (await roomInfo(own.url, session)).version;
    for (let i = 0; i < 3; i++) {
      native.edit({ from: native.text.length, insert: `${'q'.repeat(800000)}\n` });
      native.push();
      await native.settle(serverVersion, { timeout: 60000 });
    }
    const c = await SioClient.connect(own.url);
    try {
      const ack = await c.call('join_session', { session_id: session, name: 'Big' });
      assert.equal(ack.ok, true);
      const err = await c.waitEvent('error');
      assert.equal(err.data.message, "the session's document is too large to send over Socket.IO");
      await c.waitEvent('chat_history');
      assert.equal(c.events.filter((e) => e.event === 'code_update').length, 0);
      assert.equal((await c.call('send_message', { session_id: session, message: 'hi' })).ok, true);
    } finally { c.close(); await native.close(); }
  } finally { await own.stop(); }
});

test('reconnect: after the server drops the transport, a page joins again with its token and is the host still', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-sio-'));
  let own = await startServer({ webRoot: null, dataDir });
  const port = own.port;
  try {
    const session = await createRoom(own.url, { code: 'v1\n' });
    // a page as it would be written: join (again) on every connect
    const c = await SioClient.connect(own.url, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    let token = null;
    const joins = [];
    const join = async () => {
      const ack = await c.call('join_session', { session_id: session, name: 'Ada', ...(token ? { token } : {}) });
      token = ack.token;
      joins.push(ack);
    };
    c.sock.on('connect', () => { join().catch(() => {}); });
    await join();
    assert.equal(joins[0].role, 'host');
    await c.call('code_change', { session_id: session, content: 'v2\n' });
    await c.call('send_message', { session_id: session, message: 'before the restart' });
    await own.stop();
    await c.waitFor((e) => e.kind === 'disconnect', { what: 'disconnect' });
    own = await startServer({ webRoot: null, dataDir, listen: `127.0.0.1:${port}` });
    await c.waitFor((e) => e.kind === 'reconnect', { timeout: 30000, what: 'reconnect' });
    await waitUntil(() => joins.length === 2, { timeout: 15000, what: 'the second join' });
    assert.equal(joins[1].ok, true, JSON.stringify(joins[1]));
    assert.equal(joins[1].role, 'host', 'the token made it the same member');
    assert.equal(joins[1].id, c.sock.id, 'its id is the new socket.id');
    const idx = c.events.findIndex((e) => e.kind === 'reconnect');
    assert.deepEqual((await c.waitEvent('code_update', { since: idx })).data, { content: 'v2\n' });
    const hist = (await c.waitEvent('chat_history', { since: idx })).data.messages.map((m) => m.message);
    assert.deepEqual(hist, ['before the restart']);
    c.close();
  } finally {
    await own.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('every session is gone afterwards', async () => {
  await waitUntil(async () => (await (await fetch(`${srv.url}/api/health`)).json()).socketio.sessions === 0,
    { timeout: 15000, what: 'no Socket.IO sessions' });
});

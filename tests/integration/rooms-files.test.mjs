// rooms-files.test.mjs - rooms share every file (docs/protocol.md, "Files
// of a room"), with the real `ws` and @codemirror/collab clients:
//  - two writers edit two files at once, each on a slow link so that their
//    pushes are rebased, and every file converges to the server's text;
//  - a file added, renamed, made the entry or deleted reaches every member
//    that joined with "files": true; a client of one file (no "files")
//    still edits file 0 and hears nothing of the others;
//  - a reader may not add, rename, delete or change the entry, nor push
//    to any file; file 0 stays; names follow the sandbox's path rules;
//  - a kill -9 and a restart keep every file, its text and its version;
//  - a database of the schema before files (2) is migrated: its rooms'
//    documents, logs and snapshots become file 0, nothing lost;
//  - the room's run gets every file: a C project of three files builds.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, startServer } from '../lib/server.mjs';
import { createRoom, expectError, joinRoom, roomInfo, roundTrip } from '../lib/rooms.mjs';
import { FilesPeer } from '../lib/room-files-client.mjs';
import { RoomPeer } from '../lib/room-client.mjs';

const dirs = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function dataDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-files-'));
  dirs.push(d);
  return d;
}
const ARGS = ['--allow-weak-sandbox', '--room-snapshot-every', '5', '--room-rate', '1000'];

async function versions(base, id) {
  const info = await roomInfo(base, id);
  return new Map(info.files.map((f) => [f.id, f.version]));
}

async function grantWrite(host, member, peerClient) {
  host.send({ type: 'role', member, role: 'writer' });
  await peerClient.waitFor((e) => e.kind === 'json' && e.msg.type === 'members' &&
    e.msg.members.some((m) => m.id === member && m.role === 'writer'), { what: 'writer' });
}

describe('rooms: several files', () => {
  test('two writers edit two files concurrently; every file converges; a one-file client keeps working', async () => {
    const srv = await startServer({ dataDir: dataDir(), args: ARGS });
    try {
      const id = await createRoom(srv.url, { code: 'print("main")\n', language: 'python' });
      const a = await FilesPeer.join(srv.wsUrl, id, 'Ada');
      const b = await FilesPeer.join(srv.wsUrl, id, 'Bob');
      const old = await RoomPeer.join(srv.wsUrl, id, 'Old');   // no "files": file 0 only
      await grantWrite(a, b.id, b.c);
      await grantWrite(a, old.id, old.c);
      assert.deepEqual(a.joined.files.map((f) => [f.id, f.name]), [[0, 'main.py']]);
      assert.equal(a.joined.entry, 0);
      assert.equal(old.joined.files, undefined, 'a one-file client gets the document as before');

      a.send({ type: 'file_add', name: 'util.py', text: 'X = 1\r\n' });
      const fa = await a.waitFile('util.py');
      const fb = await b.waitFile('util.py');
      assert.equal(fa.id, 1);
      assert.equal(fb.text, 'X = 1\n', 'added with its text, line ends as LF');

      // both type into both files at once, each on a slow link: every
      // push arrives at a version the other already moved
      for (let round = 0; round < 12; round++) {
        a.hold(); b.hold();
        for (const [p, tag] of [[a, 'A'], [b, 'B']]) {
          for (const f of [0, 1]) {
            const doc = p.file(f);
            p.edit(f, { from: round % 2 ? 0 : doc.text.length, insert: `«${tag}${f}.${round} 日本👋»` });
            p.push(f);
          }
        }
        a.release(); b.release();
      }
      // the one-file client edits file 0 meanwhile
      old.edit({ from: 0, insert: '# old client\n' });
      old.push();
      const sv = () => versions(srv.url, id);
      await a.settle(sv); await b.settle(sv);
      await old.settle(async () => (await roomInfo(srv.url, id)).version);
      await a.settle(sv); await b.settle(sv);
      const info = await roomInfo(srv.url, id);
      const server = Object.fromEntries(info.files.map((f) => [f.name, f.text]));
      assert.deepEqual(a.texts(), server, 'Ada has the server\'s files');
      assert.deepEqual(b.texts(), server, 'Bob has the server\'s files');
      assert.equal(old.text, server['main.py'], 'the one-file client has file 0');
      assert.ok(server['main.py'].startsWith('# old client\n') || server['main.py'].includes('# old client\n'));
      for (const t of ['A', 'B']) for (const f of [0, 1]) for (let r = 0; r < 12; r++) {
        const name = f ? 'util.py' : 'main.py';
        assert.ok(server[name].includes(`«${t}${f}.${r} 日本👋»`), `${t}'s edit ${r} is in ${name} once`);
        assert.equal(server[name].split(`«${t}${f}.${r} 日本👋»`).length, 2);
      }
      assert.ok(info.files.find((f) => f.id === 1).version >= 24, 'file 1 has its own version');
      assert.ok(!old.c.messages.some((m) => m.type === 'updates' && m.file === 1), 'no update of file 1 reached the one-file client');
      assert.ok(!old.c.messages.some((m) => m.type.startsWith('file_')), 'nor any file message');

      // rename, entry, delete: every files-aware member hears it
      a.send({ type: 'file_rename', file: 1, name: 'lib/util.py' });
      await b.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'file_renamed' && e.msg.name === 'lib/util.py' && e.msg.by === a.id);
      b.send({ type: 'file_entry', file: 1 });
      await a.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'file_entry' && e.msg.file === 1 && e.msg.by === b.id);
      assert.equal((await roomInfo(srv.url, id)).entry, 1);
      b.send({ type: 'file_delete', file: 1 });
      await a.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'file_deleted' && e.msg.file === 1);
      await a.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'file_entry' && e.msg.file === 0, { what: 'the entry back to file 0' });
      assert.deepEqual([...a.files.keys()], [0]);
      const after = await roomInfo(srv.url, id);
      assert.deepEqual(after.files.map((f) => f.id), [0]);
      assert.equal(after.entry, 0);
      // a push to the deleted file: not_found, answered as a push
      a.send({ type: 'push', file: 1, version: 0, updates: [{ clientID: 'zz', changes: [[0, 'x']] }] });
      const err = await a.c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error' && e.msg.push);
      assert.equal(err.msg.code, 'not_found');
      assert.equal(err.msg.field, 'file');
      await a.close(); await b.close(); await old.close();
    } finally { await srv.stop(); }
  });

  test('a reader may not add, rename, delete or change the entry; names and file 0 are checked', async () => {
    const srv = await startServer({ dataDir: dataDir(), args: ARGS });
    try {
      const id = await createRoom(srv.url, { code: '', language: 'python' });
      const host = await joinRoom(srv.wsUrl, id, 'Ada', { files: true });
      const reader = await joinRoom(srv.wsUrl, id, 'Rea', { files: true });
      assert.equal(reader.joined.you.role, 'reader');
      host.send({ type: 'file_add', name: 'a.py' });
      const added = await reader.waitType('file_added');
      assert.deepEqual(added.file, { id: 1, name: 'a.py', version: 0, text: '' });
      for (const m of [
        { type: 'file_add', name: 'b.py', text: 'x' },
        { type: 'file_rename', file: 1, name: 'c.py' },
        { type: 'file_delete', file: 1 },
        { type: 'file_entry', file: 1 },
      ]) {
        const e = await expectError(reader, m, 'forbidden');
        assert.match(e.message, /readers/);
      }
      reader.send({ type: 'push', file: 1, version: 0, updates: [{ clientID: 'r1', changes: [[0, 'x']] }] });
      const pe = await reader.waitFor((e) => e.kind === 'json' && e.msg.type === 'error' && e.msg.push);
      assert.equal(pe.msg.code, 'forbidden');
      // nothing changed
      const info = await roomInfo(srv.url, id);
      assert.deepEqual(info.files.map((f) => [f.id, f.name, f.text]), [[0, 'main.py', ''], [1, 'a.py', '']]);
      assert.equal(info.entry, 0);

      // the host: names follow the path rules and never clash; file 0 stays
      await expectError(host, { type: 'file_add', name: '../x.py' }, 'bad_field');
      await expectError(host, { type: 'file_add', name: '/etc/passwd' }, 'bad_field');
      await expectError(host, { type: 'file_add', name: 'a.py' }, 'bad_field');
      await expectError(host, { type: 'file_add', name: 'a.py/b.py' }, 'bad_field');
      await expectError(host, { type: 'file_add', name: 'main.py' }, 'bad_field');
      await expectError(host, { type: 'file_add', name: 'x.py', text: 'a'.repeat(600 * 1024) }, 'too_large');
      await expectError(host, { type: 'file_rename', file: 1, name: 'main.py' }, 'bad_field');
      await expectError(host, { type: 'file_rename', file: 7, name: 'q.py' }, 'not_found');
      await expectError(host, { type: 'file_delete', file: 0 }, 'forbidden');
      await expectError(host, { type: 'file_entry', file: 9 }, 'not_found');
      await expectError(host, { type: 'file_delete', file: -1 }, 'bad_field');
      await expectError(host, { type: 'file_add' }, 'bad_field');
      const same = await roomInfo(srv.url, id);
      assert.deepEqual(same.files.map((f) => [f.id, f.name]), [[0, 'main.py'], [1, 'a.py']]);
      await roundTrip(host);
      await host.close(); await reader.close();
    } finally { await srv.stop(); }
  });

  test('kill -9 and a restart keep every file, its text and version; members see them on join', async () => {
    const dir = dataDir();
    let srv = await startServer({ dataDir: dir, args: ARGS });
    const id = await createRoom(srv.url, { code: 'int main(void);\n', language: 'c' });
    const a = await FilesPeer.join(srv.wsUrl, id, 'Ada');
    a.send({ type: 'file_add', name: 'util.c', text: '' });
    a.send({ type: 'file_add', name: 'util.h', text: 'int twice(int);\n' });
    await a.waitFile('util.h');
    const u = a.byName('util.c');
    for (let i = 0; i < 13; i++) {     // past two snapshots (every 5)
      a.edit(u.id, { from: u.text.length, insert: `/* ${i} ✓ */\n` });
      a.push(u.id);
      await a.settle(() => versions(srv.url, id));
    }
    a.send({ type: 'file_rename', file: 0, name: 'app.c' });
    a.send({ type: 'file_entry', file: 0 });
    await a.c.waitType('file_entry');
    const before = await roomInfo(srv.url, id);
    assert.equal(await srv.kill(), 137);
    a.drop();
    srv = await startServer({ dataDir: dir, args: ARGS });
    try {
      const now = await roomInfo(srv.url, id);
      assert.deepEqual(now.files, before.files, 'every file, name, text and version');
      assert.equal(now.files.find((f) => f.name === 'util.c').version, 13);
      assert.equal(now.file, 'app.c');
      const b = await FilesPeer.join(srv.wsUrl, id, 'Ada', { token: a.token });
      assert.deepEqual(b.texts(), Object.fromEntries(before.files.map((f) => [f.name, f.text])));
      // and editing goes on from the stored versions
      const bu = b.byName('util.c');
      b.edit(bu.id, { from: 0, insert: '// after\n' });
      b.push(bu.id);
      await b.settle(() => versions(srv.url, id));
      assert.equal((await roomInfo(srv.url, id)).files.find((f) => f.id === bu.id).version, 14);
      // a new file after the restart takes a new id (ids are never reused)
      b.send({ type: 'file_delete', file: b.byName('util.h').id });
      await b.c.waitType('file_deleted');
      b.send({ type: 'file_add', name: 'util.h', text: '' });
      const nf = await b.c.waitType('file_added');
      assert.equal(nf.file.id, 3);
      await b.close();
    } finally { await srv.stop(); }
  });

  test('a database of schema 2 (one document a room) is migrated: the document, log and snapshot become file 0', async () => {
    const dir = dataDir();
    // schema 1 and 2 exactly as store_schema.c has them (released steps
    // are never edited), then rows as a server before files wrote them
    const src = fs.readFileSync(path.join(repoRoot, 'src/store/store_schema.c'), 'utf8');
    const step = (n) => {
      const m = src.match(new RegExp(`\\{ ${n}, "[^"]*",([\\s\\S]*?)\\},\\n\\t\\{`));
      assert.ok(m, `migration ${n} in store_schema.c`);
      return [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]).join('');
    };
    const sql = `${step(1)}${step(2)}
      INSERT INTO rooms VALUES ('aaaaaaaaaaaaaaaaaaaa','python',0,NULL,3,0,1764600000000,1764600000000);
      INSERT INTO room_snapshots VALUES ('aaaaaaaaaaaaaaaaaaaa',2,CAST('ab' AS BLOB),1764600000000);
      INSERT INTO room_updates VALUES ('aaaaaaaaaaaaaaaaaaaa',0,'c1','m1','[[0,"a"]]');
      INSERT INTO room_updates VALUES ('aaaaaaaaaaaaaaaaaaaa',1,'c1','m1','[1,[0,"b"]]');
      INSERT INTO room_updates VALUES ('aaaaaaaaaaaaaaaaaaaa',2,'c1','m1','[2,[0,"c"]]');
      PRAGMA user_version = 2;`;
    execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read()); c.commit()',
      path.join(dir, 'coderoom.db')], { input: sql });
    // as root the server runs as coderoom (or nobody): the database is
    // that user's, as it was for the server that wrote it
    if (process.getuid() === 0) {
      const user = (() => { try { execFileSync('id', ['coderoom']); return 'coderoom'; } catch { return 'nobody'; } })();
      const uid = Number(execFileSync('id', ['-u', user]));
      const gid = Number(execFileSync('id', ['-g', user]));
      fs.chownSync(dir, uid, gid);
      fs.chownSync(path.join(dir, 'coderoom.db'), uid, gid);
    }
    const srv = await startServer({ dataDir: dir, args: ARGS });
    try {
      assert.match(srv.logs(), /schema 3: rooms: several files a room/);
      const info = await roomInfo(srv.url, 'aaaaaaaaaaaaaaaaaaaa');
      assert.equal(info.text, 'abc', 'the snapshot and the log after it');
      assert.equal(info.version, 3);
      assert.deepEqual(info.files, [{ id: 0, name: 'main.py', version: 3, text: 'abc' }]);
      // the log before is still there for a client that reconnects at 1
      const p = await joinRoom(srv.wsUrl, 'aaaaaaaaaaaaaaaaaaaa', 'Ada', { files: true });
      p.send({ type: 'pull', version: 1 });
      const up = await p.waitType('updates');
      assert.deepEqual(up.updates.map((x) => x.changes), [[1, [0, 'b']], [2, [0, 'c']]]);
      // and a file can be added to a migrated room
      p.send({ type: 'file_add', name: 'b.py', text: 'B' });
      assert.equal((await p.waitType('file_added')).file.id, 1);
      await p.close();
    } finally { await srv.stop(); }
  });

  test('the room run builds every file: a C project of main.c, util.c and util.h', async (t) => {
    const srv = await startServer({ dataDir: dataDir(), args: ARGS });
    try {
      const id = await createRoom(srv.url, { language: 'c',
        code: '#include <stdio.h>\n#include "util.h"\nint main(void) { printf("twice=%d\\n", twice(21)); return 0; }\n' });
      const a = await joinRoom(srv.wsUrl, id, 'Ada', { files: true });
      if (!a.hello.languages.some((l) => l.id === 'c' && l.available)) {
        t.skip('no C compiler on this machine');
        await a.close();
        return;
      }
      a.send({ type: 'file_add', name: 'util.c', text: '#include "util.h"\nint twice(int x) { return 2 * x; }\n' });
      await a.waitType('file_added');
      a.send({ type: 'file_add', name: 'util.h', text: 'int twice(int);\n' });
      await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'file_added' && e.msg.file.name === 'util.h');
      a.send({ type: 'run' });
      await a.waitType('started', { timeout: 20000 });
      const ex = await a.waitExit({ timeout: 60000 });
      assert.equal(ex.code, 0, `${a.out} ${JSON.stringify(ex)}`);
      assert.match(a.out, /twice=42/);
      await a.close();
    } finally { await srv.stop(); }
  });
});

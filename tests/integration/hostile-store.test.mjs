// hostile-store.test.mjs - the database under pressure: a disk that fills
// up while members type (a real ENOSPC: the data directory is a small
// tmpfs in a private mount namespace), and kill -9 in the middle of
// snapshot writes of a large document.
//
// What must hold: every write the disk refuses is a clear error to the one
// who made it (store_failed for an edit or a chat line, 507 for a new room
// or a Judge0 submission), the server never crashes, nothing anyone saw
// confirmed is lost (after a kill -9 and a restart on the same disk), and
// once space is back everything works again.
//
// Before the fix: a full disk made POST /create_session answer 503 "this
// server keeps at most 100000 rooms" (the disk's ENOSPC was taken for the
// room cap), Judge0 answered 500 "cannot create the submission", and every
// refused write logged a second, false warning ("cannot rollback - no
// transaction is active").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { health, postJSON, sleep, waitUntil } from '../lib/clients.mjs';
import { RoomPeer } from '../lib/room-client.mjs';
import { createRoom, joinRoom, roomInfo } from '../lib/rooms.mjs';

const root = process.getuid() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v unshare && command -v nsenter']).status === 0;
const skip = !root ? 'needs root: the data directory is a tmpfs in a private mount namespace'
  : !hasTools ? 'needs unshare and nsenter (util-linux)' : false;

/* A tmpfs of 'size' at a fresh directory, seen only inside the mount
 * namespace of a holder process; servers enter it with nsenter. */
async function smallDisk(size) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-full-'));
  const holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs -o size=${size},mode=0755 coderoom-full '${dir}' && echo mounted && exec sleep 3600`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    holder.stdout.on('data', (d) => { if (/mounted/.test(d)) resolve(); });
    holder.on('exit', (code) => reject(new Error(`unshare/mount failed (${code})`)));
  });
  const inNs = (cmd) => spawnSync('nsenter', ['-t', String(holder.pid), '-m', '--', 'sh', '-c', cmd], { encoding: 'utf8' });
  return {
    dir,
    wrapper: ['nsenter', '-t', String(holder.pid), '-m', '--'],
    fill: () => inNs(`dd if=/dev/zero of='${dir}/filler' bs=64k 2>/dev/null; sync; df -k '${dir}' | tail -1`).stdout,
    free: () => inNs(`rm -f '${dir}/filler'`),
    close: () => { holder.kill('SIGKILL'); try { fs.rmdirSync(dir); } catch { /* busy until the namespace goes */ } },
  };
}

describe('the database when the disk is full', { skip }, () => {
  let disk;
  before(async () => { disk = await smallDisk('24m'); });
  after(() => disk?.close());

  test('edits, chat, new rooms and submissions are refused clearly; nothing confirmed is lost; space back, work goes on', async () => {
    const args = ['--allow-weak-sandbox', '--room-snapshot-every', '5', '--ws-read-rate', '100000000', '--room-rate', '1000'];
    let srv = await startServer({ dataDir: disk.dir, wrapper: disk.wrapper, args });
    try {
      const id = await createRoom(srv.url, { code: '' });
      const a = await joinRoom(srv.wsUrl, id, 'Ada');
      const watcher = await joinRoom(srv.wsUrl, id, 'Watch');
      disk.fill();
      // push 20 KB lines until the disk says no
      let v = 0, text = '', refused = null;
      for (let i = 0; i < 400 && !refused; i++) {
        const body = `${i}:${'x'.repeat(20000)}`, line = body + '\n';
        const since = a.events.length;
        const ins = [0, body, ''];	// the lines of "body\n"
        a.send({ type: 'push', version: v, updates: [{ clientID: 'ada', changes: text.length ? [text.length, ins] : [ins] }] });
        const ev = await a.waitFor((e) => e.kind === 'json' && (e.msg.push || e.msg.type === 'resync'), { since, timeout: 30000 });
        if (ev.msg.type === 'updates') { v = ev.msg.from + ev.msg.updates.length; text += line; } else refused = ev.msg;
      }
      assert.ok(refused, 'the disk filled up');
      assert.equal(refused.type, 'error');
      assert.equal(refused.code, 'store_failed');
      assert.match(refused.message, /No space left on device/);
      // the watcher never heard of a refused edit
      await sleep(200);
      const heard = watcher.messages.filter((m) => m.type === 'updates').reduce((n, m) => Math.max(n, m.from + m.updates.length), 0);
      assert.equal(heard, v, 'members hear only what was stored');
      // chat, a new room, a Judge0 submission: clear errors
      const sinceChat = a.events.length;
      a.send({ type: 'chat', text: 'hello while full' });
      const chatErr = await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'error', { since: sinceChat });
      assert.equal(chatErr.msg.code, 'store_failed');
      const room = await postJSON(`${srv.url}/create_session`, { code: 'x' });
      assert.equal(room.status, 507, room.text);
      assert.match(room.json.error, /disk is full/);
      const sub = await postJSON(`${srv.url}/judge0/submissions`, { language_id: 71, source_code: 'print(1)' });
      assert.equal(sub.status, 507, sub.text);
      assert.match(sub.json.error, /disk is full/);
      assert.equal((await health(srv.url)).status, 'ok');
      assert.doesNotMatch(srv.logs(), /cannot rollback - no transaction is active/);
      assert.equal((await roomInfo(srv.url, id)).version, v);

      // kill -9 while full: every confirmed edit is there after a restart
      await srv.kill();
      srv = await startServer({ dataDir: disk.dir, wrapper: disk.wrapper, args });
      const info = await roomInfo(srv.url, id);
      assert.equal(info.version, v, 'every confirmed edit survived the kill');
      assert.equal(info.text, text);

      // space back: edits, chat and rooms work again
      disk.free();
      const b = await joinRoom(srv.wsUrl, id, 'Ada', { token: a.joined.token });
      const since = b.events.length;
      b.send({ type: 'push', version: v, updates: [{ clientID: 'ada2', changes: [text.length, [0, 'after', '']] }] });
      const ok = await b.waitFor((e) => e.kind === 'json' && (e.msg.push || e.msg.type === 'resync'), { since, timeout: 30000 });
      assert.equal(ok.msg.type, 'updates', JSON.stringify(ok.msg));
      b.send({ type: 'chat', text: 'space is back' });
      assert.equal((await b.waitType('chat')).text, 'space is back');
      assert.equal((await postJSON(`${srv.url}/create_session`, {})).status, 200);
      await b.close();
    } finally { await srv.stop(); }
  });
});

describe('kill -9 in the middle of snapshot writes', { skip: false }, () => {
  test('a snapshot of a 400 KB document after every update, killed at random moments: nothing confirmed is lost', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-snap-'));
    const args = ['--allow-weak-sandbox', '--room-snapshot-every', '1', '--room-log', '100'];
    let srv = await startServer({ dataDir: dir, args });
    let id;
    try {
      id = await createRoom(srv.url, { code: 'y'.repeat(400000) + '\n' });
      let token;
      for (let round = 0; round < 4; round++) {
        const a = await RoomPeer.join(srv.wsUrl, id, 'Ada', { token });	// the host, every round
        token = a.token;
        const watcher = await joinRoom(srv.wsUrl, id, 'Watch');
        let maxSeen = watcher.joined.doc.version, k = 0;
        const v0 = maxSeen;
        watcher.ws.on('message', (d, bin) => {
          if (bin) return;
          const m = JSON.parse(d.toString());
          if (m.type === 'updates') maxSeen = Math.max(maxSeen, m.from + m.updates.length);
        });
        const writer = (async () => {
          for (;;) {
            if (!a.inflight) { a.edit({ from: 0, insert: `«${round}.${k++}»` }); a.push(); }
            await sleep(1);
            if (a.c.closed) return;
          }
        })();
        await waitUntil(() => maxSeen >= v0 + 3 + round * 2, { timeout: 30000, what: `some snapshots written (${v0} -> ${maxSeen})` });
        await sleep(Math.floor(Math.random() * 80));
        await srv.kill();
        await writer;
        const textSeen = a.text;
        srv = await startServer({ dataDir: dir, args });
        const info = await roomInfo(srv.url, id);
        assert.ok(info.version >= maxSeen, `round ${round}: the store has every update a client saw (${info.version} >= ${maxSeen})`);
        assert.ok(textSeen.endsWith(info.text.slice(info.text.indexOf('y'))), 'the document is whole');
        for (let i = 0; i < k; i++) {
          if (v0 + i + 1 <= maxSeen) assert.ok(info.text.includes(`«${round}.${i}»`), `round ${round}: marker ${i} kept`);
        }
        assert.ok(info.text.endsWith('y'.repeat(1000) + '\n'));
      }
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

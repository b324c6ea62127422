// ws-memory.test.mjs - what a WebSocket costs the server, and that the small
// per-socket receive buffer behind that costs no message its size.
//
// An idle /ws connection (hello received, nothing more) must cost well under
// the 8 KiB the operations guide promises: lws's per-socket receive buffer
// was 64 KiB, and its chunk headers alone made ~8 KiB of resident memory per
// socket (bench/idle-memory.mjs measures 10,000). The buffer is now small,
// and lws hands a message's payload to the server in pieces of that size:
// a message of exactly --max-message-bytes must still arrive whole, sent as
// one frame or as many fragments, and one byte more is still too_large.
// And the buffer a big message was reassembled in is not kept once the
// message has been handled: 64 connections that each sent 1 MiB once must
// not hold 64 MiB.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { asanBuild, startServer } from '../lib/server.mjs';
import { CoderoomClient, procMem, sleep } from '../lib/clients.mjs';
import { WebSocket } from '../lib/ws.mjs';

const N = 1000;
const PER_CONN_MAX = 6 * 1024; // bytes of RSS: ~4.3 KiB here; with the 64 KiB buffer ~10 KiB
const MAX_MSG = 1024 * 1024; // the default --max-message-bytes

const servers = [];
after(async () => {
  for (const s of servers) {
    const code = await s.stop();
    assert.equal(code, 0, `server exit code: ${code}\n${s.logs().slice(-2000)}`);
  }
});

function openIdle(url, n) {
  return Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'coderoom.v1');
    ws.once('message', () => resolve(ws)); // the hello
    ws.once('error', reject);
  })));
}

test(`${N} idle /ws connections cost the server under ${PER_CONN_MAX} bytes each`,
  { skip: asanBuild() && 'an ASan build pads and quarantines every allocation' }, async (t) => {
    const srv = await startServer({ args: ['--ws-per-client', String(2 * N), '--log-level', 'warn'] });
    servers.push(srv);
    const url = `${srv.wsUrl}/ws`;
    const socks = await openIdle(url, 5); // one-time allocations first
    await sleep(200);
    const before = procMem(srv.pid).rss;
    for (let i = 0; i < N; i += 100) socks.push(...await openIdle(url, 100));
    const after = procMem(srv.pid).rss;
    const per = (after - before) / N;
    for (const s of socks) s.terminate();
    t.diagnostic(`${per.toFixed(0)} bytes of server RSS per idle WebSocket`);
    assert.ok(per < PER_CONN_MAX,
      `${N} idle WebSockets grew the server's RSS by ${after - before} bytes: ${per.toFixed(0)} each`);
  });

/* A ping whose JSON text is exactly 'size' bytes; the pong echoes it. */
function pingOf(size, tag) {
  const head = JSON.stringify({ type: 'ping', tag, pad: '' });
  const pad = crypto.randomBytes(size).toString('base64url').slice(0, size - head.length);
  const text = JSON.stringify({ type: 'ping', tag, pad });
  assert.equal(Buffer.byteLength(text), size);
  return { text, pad };
}

async function echoed(c, tag) {
  return (await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.tag === tag,
    { timeout: 30000, what: `the pong of ${tag}` })).msg;
}

test('a message of exactly --max-message-bytes arrives whole, in one frame or in fragments; one byte more is too_large',
  async () => {
    const srv = await startServer({ args: ['--max-message-bytes', String(MAX_MSG)] });
    servers.push(srv);
    const c = await CoderoomClient.connect(srv.wsUrl);
    try {
      const one = pingOf(MAX_MSG, 'one');
      c.ws.send(one.text);
      assert.equal((await echoed(c, 'one')).pad, one.pad, 'one frame: every byte arrived, in order');

      // fragments of odd sizes, around and across the receive buffer's size
      const frag = pingOf(MAX_MSG, 'frag');
      const buf = Buffer.from(frag.text);
      const sizes = [1, 1023, 1024, 1025, 7, 65537, 4096, 3];
      let off = 0;
      for (let i = 0; off < buf.length; i++) {
        const n = Math.min(sizes[i % sizes.length], buf.length - off);
        c.ws.send(buf.subarray(off, off + n), { binary: false, fin: off + n === buf.length });
        off += n;
      }
      assert.equal((await echoed(c, 'frag')).pad, frag.pad, 'fragments: every byte arrived, in order');
      assert.equal(c.closed, null);

      c.ws.send(pingOf(MAX_MSG + 1, 'over').text);
      const e = await c.waitType('error', { timeout: 30000 });
      assert.equal(e.code, 'too_large');
      assert.equal((await c.waitClose({ timeout: 30000 })).code, 1009);
    } finally { await c.close(); }
  });

test('the buffer a big message was reassembled in is freed once the message is handled', async (t) => {
  const CONNS = 64;
  const srv = await startServer({ args: ['--max-message-bytes', String(MAX_MSG), '--ws-per-client', String(2 * CONNS)] });
  servers.push(srv);
  const warm = await CoderoomClient.connect(srv.wsUrl); // one big message first: one-time growth
  warm.ws.send(pingOf(MAX_MSG, 'warm').text);
  await echoed(warm, 'warm');
  const before = procMem(srv.pid).rss;
  const conns = [];
  try {
    for (let i = 0; i < CONNS; i++) {
      const c = await CoderoomClient.connect(srv.wsUrl);
      conns.push(c);
      c.ws.send(pingOf(MAX_MSG, `big${i}`).text);
      await echoed(c, `big${i}`);
    }
    const grown = procMem(srv.pid).rss - before;
    t.diagnostic(`${CONNS} connections that each sent ${MAX_MSG} bytes once: server RSS +${(grown / 1048576).toFixed(1)} MiB`);
    assert.ok(grown < CONNS * MAX_MSG / 4,
      `${CONNS} connections that sent ${MAX_MSG} bytes each grew the server by ${grown} bytes: the reassembly buffers were kept`);
  } finally {
    await Promise.all([warm, ...conns].map((c) => c.close()));
  }
});

// hostile-http.test.mjs - a client that wants to tie the HTTP layer up or
// read what it should not: bodies trickled a byte at a time (slowloris),
// chunked bodies that never end, absurd chunk sizes, JSON nested past any
// sane depth, and the health endpoint checked for what it must not tell.
//
// Each test says what the server did before the fix it guards:
//  * a body trickled byte by byte kept its connection for ever (lws
//    restarts its 20 s timeout on every byte): now 408 and a close once
//    --request-timeout-ms has passed since the headers;
//  * chunked trailer lines (or chunk extensions) sent without end were read
//    for ever, never growing the body past its cap: now 400 and a close
//    once 64 KiB of framing has come (net/chunked.h, CHUNKED_META_MAX).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, getJSON, health, postJSON, sleep } from '../lib/clients.mjs';
import { createRoom, joinRoom } from '../lib/rooms.mjs';

let srv;
before(async () => {
  srv = await startServer({ args: ['--allow-weak-sandbox', '--request-timeout-ms', '1500'] });
});
after(async () => { if (srv) await srv.stop(); });

/*
 * A raw connection: write 'head', then each piece of 'trickle' (a function
 * giving the i-th piece, or null to stop) every 'everyMs', until the server
 * answers and closes or 'guardMs' passes. Resolves with what came back,
 * whether the server closed, and how many pieces went out.
 */
function trickle(port, head, piece, { everyMs = 100, guardMs = 30000 } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    let sent = 0, closed = false, timer = null;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(guard);
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, sent });
    };
    const guard = setTimeout(finish, guardMs);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => { closed = true; finish(); });
    s.on('connect', () => {
      s.write(head);
      timer = setInterval(() => {
        const p = piece(sent);
        if (p === null) return;
        if (!s.destroyed && s.writable) { s.write(p); sent++; }
      }, everyMs);
    });
  });
}

test('slowloris on a body: a byte every 100 ms gets 408 and a close after --request-timeout-ms', async () => {
  const head = 'POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    'Content-Length: 100000\r\n\r\n';
  const r = await trickle(srv.port, head, () => 'a');
  assert.ok(r.closed, `the server kept a trickling body open (${r.sent} bytes sent): ${r.text.slice(0, 200)}`);
  assert.match(r.text, /^HTTP\/1\.1 408 /, r.text.slice(0, 300));
  assert.match(r.text, /did not arrive within 1500 ms/);
  assert.ok(r.sent < 100000, 'closed before the body was whole');
  assert.equal((await health(srv.url)).status, 'ok');
});

test('slowloris on a chunked body: the same deadline', async () => {
  const head = 'POST /api/v2/execute HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  const r = await trickle(srv.port, head, () => '1\r\n \r\n');
  assert.ok(r.closed, `the server kept a trickling chunked body open (${r.sent} chunks)`);
  assert.match(r.text, /^HTTP\/1\.1 408 /, r.text.slice(0, 300));
});

test('slowloris on the headers: lws closes a request whose headers never end', async () => {
  // regression guard: lws's header timeout (10 s from the first byte) is
  // not restarted by each new header line
  const r = await trickle(srv.port, 'GET /api/health HTTP/1.1\r\nHost: x\r\n', (i) => `X-Pad-${i}: y\r\n`,
    { everyMs: 500, guardMs: 40000 });
  assert.ok(r.closed, `headers trickled for ${r.sent * 0.5} s and the connection is still open`);
});

test('a chunked body whose trailer lines never end: 400 and a close, at once', async () => {
  const head = 'POST /api/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '2\r\n{}\r\n0\r\n';
  const line = 'X-Trailer: ' + 'y'.repeat(1000) + '\r\n';
  const r = await trickle(srv.port, head, () => line.repeat(8), { everyMs: 5, guardMs: 30000 });
  assert.ok(r.closed, `trailers read without end (${r.sent * 8} lines)`);
  assert.match(r.text, /^HTTP\/1\.1 400 /, r.text.slice(0, 300));
  assert.match(r.text, /bad chunked request body/);
  assert.ok(r.sent * 8 * line.length < 1024 * 1024, `refused after ${r.sent * 8} trailer lines`);
});

test('one-byte chunks with 4 KiB extensions: 400 long before the body cap', async () => {
  const head = 'POST /api/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  const chunk = '1;' + 'e'.repeat(4000) + '\r\n \r\n';
  const r = await trickle(srv.port, head, () => chunk.repeat(4), { everyMs: 5, guardMs: 30000 });
  assert.ok(r.closed, 'extensions read without end');
  assert.match(r.text, /^HTTP\/1\.1 400 /, r.text.slice(0, 300));
});

test('absurd chunk sizes: past the body cap 413, past 15 hex digits 400', async () => {
  const send = (size) => new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.write('POST /api/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' + size + '\r\n');
    // data for it, far more than the cap allows, until the server answers
    const pad = Buffer.alloc(64 * 1024, 0x61);
    let n = 0;
    const t = setInterval(() => { if (s.writable && n++ < 40) s.write(pad); else clearInterval(t); }, 5);
    s.on('close', () => clearInterval(t));
    setTimeout(() => s.destroy(), 20000);
  });
  assert.match(await send('fffffffffffffff'), /^HTTP\/1\.1 413 /);
  assert.match(await send('ffffffffffffffff0'), /^HTTP\/1\.1 400 /);
  assert.match(await send('-1'), /^HTTP\/1\.1 400 /);
});

test('JSON nested 100,000 deep: a clear 400 on every API, never a crash', async () => {
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const deepObj = '{"a":'.repeat(50000) + '1' + '}'.repeat(50000);
  for (const path of ['/api/runs', '/api/v2/execute', '/judge0/submissions', '/create_session', '/api/execute']) {
    for (const body of [deep, deepObj]) {
      const r = await postJSON(srv.url + path, body);
      assert.ok(r.status === 400 || r.status === 422, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
    }
  }
  const c = await CoderoomClient.connect(srv.wsUrl);
  const since = c.events.length;
  c.send(deep);
  const ev = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error', { since });
  assert.equal(ev.msg.code, 'bad_json');
  await c.close();
  assert.equal((await health(srv.url)).status, 'ok');
});

test('/api/health (and /metrics, Judge0\'s info pages) tell no room id, token, name, path or address', async () => {
  const id = await createRoom(srv.url, { code: 'print(1)\n' });
  const a = await joinRoom(srv.wsUrl, id, 'Secret-Name-Ada');
  a.send({ type: 'chat', text: 'secret chat line' });
  await a.waitType('chat');
  const h = await getJSON(srv.url + '/api/health');
  assert.equal(h.status, 200);
  for (const secret of [id, a.joined.token, a.joined.you.id, 'Secret-Name-Ada', 'secret chat line',
    srv.dataDir, '127.0.0.1', 'coderoom.db']) {
    assert.ok(!h.text.includes(secret), `/api/health leaks '${secret}': ${h.text}`);
  }
  for (const path of ['/judge0/system_info', '/judge0/config_info', '/judge0/about', '/judge0/workers']) {
    const r = await getJSON(srv.url + path);
    for (const secret of [id, a.joined.token, srv.dataDir]) {
      assert.ok(!r.text.includes(secret), `${path} leaks '${secret}'`);
    }
  }
  const m = await getJSON(srv.url + '/metrics');
  if (/^text\/plain/.test(m.headers['content-type'] || '')) { // Prometheus text, when there is one
    for (const secret of [id, a.joined.token, 'Secret-Name-Ada', srv.dataDir]) {
      assert.ok(!m.text.includes(secret), `/metrics leaks '${secret}'`);
    }
  }
  await a.close();
});

test('after all that, the server still answers everyone', async () => {
  await sleep(100);
  const r = await postJSON(srv.url + '/api/runs', { language: 'python', code: 'print(6*7)' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.run.stdout, '42\n');
});

// bad-input.test.mjs - hostile or broken clients everywhere. Each one gets a
// clear error (an error frame with a code, or a 4xx JSON body), and the server
// and every other connection keep working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, assertServerWorks, health, httpRequest, postJSON,
  rawTcp, sleep, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';

const MAX_MSG = 65536;
const MAX_BODY = 65536;
let srv, bystander;
before(async () => {
  srv = await startServer({
    args: ['--max-message-bytes', String(MAX_MSG), '--max-body-bytes', String(MAX_BODY), '--reattach-grace-ms', '1000'],
  });
  // A client connected through the whole file: it must never be disturbed.
  bystander = await CoderoomClient.connect(srv.wsUrl);
});
after(async () => {
  await bystander?.close();
  const code = await srv?.stop();
  assert.equal(code, 0, `server exit code after the bad-input tests: ${code}\n${srv.logs().slice(-2000)}`);
});

async function bystanderAlive() {
  const n = bystander.events.length;
  const id = crypto.randomUUID();
  bystander.send({ type: 'ping', id });
  await bystander.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.id === id,
    { since: n, timeout: 5000, what: 'bystander pong' });
  assert.equal(bystander.closed, null, 'bystander connection still open');
}

async function expectError(c, send, code, { field, what } = {}) {
  const n = c.events.length;
  send();
  const e = await c.waitFor((ev) => ev.kind === 'json' && ev.msg.type === 'error' && ev.msg,
    { since: n, timeout: 5000, what: `error ${code} for ${what}` });
  assert.equal(e.code, code, `${what}: ${JSON.stringify(e)}`);
  assert.equal(typeof e.message, 'string', `${what}: error has a message`);
  if (field) assert.equal(e.field, field, `${what}: ${JSON.stringify(e)}`);
  return e;
}

async function expectUsable(c, what) {
  const n = c.events.length;
  c.send({ type: 'ping', after: what });
  await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong', { since: n, timeout: 5000, what: `pong after ${what}` });
}

test('/ws: malformed and unknown messages get error frames; the connection stays usable', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const cases = [
      ['{"type": "run", ', 'bad_json', null, 'truncated JSON'],
      ['\u00ff\u00fe not json', 'bad_json', null, 'not JSON'],
      ['[1,2,3]', 'bad_message', null, 'an array'],
      ['"run"', 'bad_message', null, 'a string'],
      ['{"code":"print(1)"}', 'bad_message', null, 'no type'],
      ['{"type": 7}', 'bad_message', null, 'numeric type'],
      ['{"type":"frobnicate"}', 'unknown_type', null, 'unknown type'],
      ['{"type":"run","code":42}', 'bad_field', 'code', 'code is a number'],
      ['{"type":"run"}', 'bad_field', 'code', 'code missing'],
      ['{"type":"run","code":"print(1)","language":["python"]}', 'bad_field', 'language', 'language is a list'],
      ['{"type":"run","code":"print(1)","rows":"many"}', 'bad_field', 'rows', 'rows is a string'],
      ['{"type":"run","code":"print(1)","language":"klingon"}', 'unknown_language', null, 'unknown language'],
      [`{"type":"attach","run":"${'0'.repeat(32)}"}`, 'no_such_run', null, 'attach to a run that never was'],
      ['{"type":"attach","run":"../../etc/passwd"}', null, null, 'attach with a silly id'],
      ['{"type":"attach","run":5}', 'bad_field', 'run', 'attach run is a number'],
      ['{"type":"stop"}', 'no_run', null, 'stop without run'],
    ];
    for (const [text, code, field, what] of cases) {
      if (code) await expectError(c, () => c.send(text), code, { field, what });
      else {
        const n = c.events.length;
        c.send(text);
        const e = await c.waitFor((ev) => ev.kind === 'json' && ev.msg.type === 'error' && ev.msg, { since: n, timeout: 5000, what });
        assert.ok(['no_such_run', 'bad_field'].includes(e.code), `${what}: ${JSON.stringify(e)}`);
      }
      await expectUsable(c, what);
    }
    // field errors while a run is active
    await c.run("import time\nprint('up', flush=True)\ntime.sleep(30)\n");
    await c.waitOutput('up');
    await expectError(c, () => c.send({ type: 'input', data: 5 }), 'bad_field', { field: 'data', what: 'input data number' });
    await expectError(c, () => c.send({ type: 'resize', rows: 0, cols: 80 }), 'bad_field', { field: 'rows', what: 'rows 0' });
    await expectError(c, () => c.send({ type: 'resize', rows: 24, cols: 100000 }), 'bad_field', { field: 'cols', what: 'cols 100000' });
    await expectError(c, () => c.send({ type: 'ack', bytes: 'lots' }), 'bad_field', { field: 'bytes', what: 'ack bytes string' });
    c.stop();
    assert.equal((await c.waitExit()).status, 'killed');
  } finally { await c.close(); }
  await bystanderAlive();
});

test('/ws: binary garbage gets an error frame and leaves the connection usable', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await expectErrorAny(c, () => c.sendBinary(Buffer.from([0x07, 0xde, 0xad, 0xbe, 0xef])), 'unknown binary type');
    await expectUsable(c, 'binary garbage');
    await expectErrorAny(c, () => c.sendBinary(Buffer.alloc(0)), 'empty binary frame');
    await expectUsable(c, 'empty binary frame');
    await expectErrorAny(c, () => c.sendBinary(crypto.randomBytes(3000)), 'random bytes');
    await expectUsable(c, 'random binary');
  } finally { await c.close(); }
  await bystanderAlive();
});

async function expectErrorAny(c, send, what) {
  const n = c.events.length;
  send();
  const e = await c.waitFor((ev) => ev.kind === 'json' && ev.msg.type === 'error' && ev.msg,
    { since: n, timeout: 5000, what: `error frame for ${what}` });
  assert.equal(typeof e.code, 'string', `${what}: ${JSON.stringify(e)}`);
  return e;
}

test('/ws: a message over --max-message-bytes gets too_large, then close 1009', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  c.send({ type: 'run', code: '#' + 'a'.repeat(MAX_MSG + 10) });
  const e = await c.waitType('error', { timeout: 5000 });
  assert.equal(e.code, 'too_large');
  const cl = await c.waitClose({ timeout: 5000 });
  assert.equal(cl.code, 1009);
  // just under the limit is fine
  const d = await CoderoomClient.connect(srv.wsUrl);
  try {
    await d.run(`print('big ok')\n#${'b'.repeat(MAX_MSG - 200)}\n`);
    await d.waitExit();
    assert.equal(d.out, 'big ok\r\n');
  } finally { await d.close(); }
  await bystanderAlive();
});

test('/ws: a flood of control messages is rate limited; the connection survives', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    for (let i = 0; i < 400; i++) c.send({ type: 'ping', i });
    const limited = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error' && e.msg.code === 'rate_limited' && e.msg,
      { timeout: 5000, what: 'rate_limited' });
    assert.match(limited.message, /more than \d+ control messages a second/);
    const pongs = c.messages.filter((m) => m.type === 'pong').length;
    assert.ok(pongs < 400, `all ${pongs} pings answered: no rate limit`);
    // the window passes: a ping is answered again (the rest of a limited
    // second's are dropped without an answer, so retry until one is)
    await waitUntil(async () => {
      const n = c.events.length;
      c.send({ type: 'ping', again: n });
      return c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.again === n, { since: n, timeout: 400 })
        .then(() => true, () => false);
    }, { timeout: 15000, interval: 100, what: 'a pong after the rate limit' });
    assert.equal(c.closed, null);
  } finally { await c.close(); }
  await bystanderAlive();
});

test('/ws: a client that never reads (pings while paused) does not hurt the server', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  c.ws.pause();
  c.send({ type: 'run', code: "while True:\n    print('x' * 200)\n" }); // never read
  for (let i = 0; i < 2000; i++) c.send({ type: 'ping', pad: 'p'.repeat(200) });
  await sleep(500);
  await bystanderAlive();
  await assertServerWorks(srv.wsUrl, 'while a client does not read');
  c.terminate();
  await waitNoRuns(srv, 20000); // its run ends after the reattach grace
});

test('HTTP: bad bodies get 4xx JSON errors', async () => {
  const u = srv.url + '/api/execute';
  const cases = [
    ['invalid JSON', () => postJSON(u, '{"code": '), 400, /invalid JSON/],
    ['JSON array', () => postJSON(u, '[1]'), 400, /JSON object/],
    ['code missing', () => postJSON(u, {}), 400, /code/],
    ['code is a number', () => postJSON(u, { code: 5 }), 400, /code/],
    ['stdin is an object', () => postJSON(u, { code: 'print(1)', stdin: {} }), 400, /stdin/],
    ['language is a number', () => postJSON(u, { code: 'print(1)', language: 3 }), 400, /language/],
    ['run_code invalid JSON', () => postJSON(srv.url + '/run_code', 'nope'), 400, /invalid JSON/],
    ['body over --max-body-bytes', () => postJSON(u, { code: '#' + 'x'.repeat(MAX_BODY + 100) }), 413,
      new RegExp(`larger than the limit of ${MAX_BODY} bytes`)],
    ['chunked body over --max-body-bytes', () => httpRequest(u, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: JSON.stringify({ code: '#' + 'x'.repeat(MAX_BODY + 100) }),
    }), 413, /large|limit/],
    ['unknown API path', () => httpRequest(srv.url + '/api/nope'), 404, /no such endpoint '\/api\/nope'/],
    ['POST to unknown API path', () => postJSON(srv.url + '/api/nope', { code: 'x' }), 404, /no such endpoint/],
    ['DELETE /api/execute', () => httpRequest(u, { method: 'DELETE' }), 405, /method not allowed/],
    ['PUT /api/health', () => httpRequest(srv.url + '/api/health', { method: 'PUT', headers: { 'Content-Length': 0 } }), 405, /method not allowed/],
  ];
  const failures = [];
  for (const [what, req, status, msg] of cases) {
    let r;
    try { r = await req(); } catch (e) { failures.push(`${what}: request failed: ${e.message}`); continue; }
    if (r.status !== status) failures.push(`${what}: status ${r.status}, expected ${status}: ${r.text.slice(0, 200)}`);
    else if (typeof r.json?.error !== 'string' || !msg.test(r.json.error)) failures.push(`${what}: error does not match ${msg}: ${r.text.slice(0, 200)}`);
    else if (!/application\/json/.test(r.headers['content-type'] || '')) failures.push(`${what}: content-type ${r.headers['content-type']}`);
  }
  assert.deepEqual(failures, []);
  await bystanderAlive();
  const ok = await postJSON(u, { code: "print('fine')" });
  assert.equal(ok.json?.output, 'fine\n');
  // a chunked body is a body (issue 12), decoded and run
  const chunked = await httpRequest(u, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    body: JSON.stringify({ code: "print('chunked')" }),
  });
  assert.equal(chunked.status, 200, chunked.text);
  assert.equal(chunked.json?.output, 'chunked\n');
});

test('raw TCP garbage gets a 4xx or a close, and nothing else breaks', async () => {
  const replies = await Promise.all([
    rawTcp(srv.port, [crypto.randomBytes(4096), '\r\n\r\n'], { timeout: 5000 }),
    rawTcp(srv.port, ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + 'A'.repeat(100) + '\r\n\r\n'], { timeout: 5000 }), // TLS-ish
    rawTcp(srv.port, ['FROB / HTTP/1.1\r\nHost: x\r\n\r\n'], { timeout: 5000 }),
    rawTcp(srv.port, ['GET /' + 'a'.repeat(20000) + ' HTTP/1.1\r\nHost: x\r\n\r\n'], { timeout: 5000 }),
    rawTcp(srv.port, ['GET /api/health HTTP/1.1\r\nHost: x\r\n' + 'X-Junk: ' + 'j'.repeat(100000) + '\r\n\r\n'], { timeout: 5000 }),
  ]);
  replies.forEach((r, i) => {
    const head = r.data.toString('latin1').slice(0, 40);
    assert.ok(r.closedByServer || /^HTTP\/1\.[01] [45]\d\d/.test(head),
      `garbage #${i}: neither an error status nor a close within 5 s; got ${JSON.stringify(head)}`);
    if (r.data.length) assert.match(head, /^HTTP\/1\.[01] [45]\d\d/, `garbage #${i}: reply ${JSON.stringify(head)}`);
  });
  await bystanderAlive();
  await assertServerWorks(srv.wsUrl, 'after raw TCP garbage');
});

test('a half-open HTTP request does not block anyone', async () => {
  const sockets = [];
  for (let i = 0; i < 5; i++) {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => {});
    s.write('POST /api/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code": "pri');
    sockets.push(s);
  }
  const h = net.connect(srv.port, '127.0.0.1');
  h.on('error', () => {});
  h.write('GET /api/health HTTP/1.1\r\nHost: x\r\n'); // headers never finished
  sockets.push(h);
  try {
    await sleep(300);
    const r = await health(srv.url);
    assert.equal(r.status, 'ok');
    await bystanderAlive();
    await assertServerWorks(srv.wsUrl, 'while requests hang half-open');
    const ok = await postJSON(srv.url + '/api/execute', { code: "print('through')" });
    assert.equal(ok.json?.output, 'through\n');
  } finally { sockets.forEach((s) => s.destroy()); }
});

test('/ws/execute: oversized and garbage frames are answered, others unaffected', async () => {
  const c = await ExecuteClient.connect(srv.wsUrl);
  c.send({ type: 'execute', code: '#' + 'z'.repeat(MAX_MSG + 10) });
  const big = await c.waitType('error', { timeout: 5000 });
  assert.equal(big.code, 'too_large');
  assert.equal(big.message, `message larger than ${MAX_MSG} bytes`);
  const cl = await c.waitClose({ timeout: 5000 });
  assert.equal(cl.code, 1009);
  const d = await ExecuteClient.connect(srv.wsUrl);
  d.send({ type: 'frobnicate' });
  const e = await d.waitType('error', { timeout: 5000 });
  assert.equal(e.message, "unknown message type 'frobnicate'");
  const n = d.events.length;
  d.ws.send(crypto.randomBytes(100), { binary: true });
  const eb = await d.waitFor((ev) => (ev.kind === 'json' && ev.msg.type === 'error') || ev.kind === 'close',
    { since: n, timeout: 5000, what: 'an answer to a binary frame' });
  assert.ok(eb.kind === 'close' || /\w/.test(eb.msg.message), JSON.stringify(eb));
  d.terminate();
  await bystanderAlive();
  await assertServerWorks(srv.wsUrl, 'after /ws/execute garbage');
});

test('the WebSocket upgrade itself: wrong subprotocol, unknown path', async () => {
  // A client offering only an unknown subprotocol is refused (lws drops
  // the upgrade): it is never bound to coderoom.v1 silently. The same
  // upgrade offering coderoom.v1 too is accepted, and gets coderoom.v1.
  await assert.rejects(CoderoomClient.connect(srv.wsUrl, { protocol: 'nonsense.v9', hello: false }),
    /socket hang up|Unexpected server response|HTTP \d+/, 'an unknown subprotocol alone is refused');
  const both = await CoderoomClient.connect(srv.wsUrl, { protocol: ['nonsense.v9', 'coderoom.v1'] });
  assert.equal(both.ws.protocol, 'coderoom.v1');
  assert.equal(both.hello.type, 'hello');
  await both.close();
  await assert.rejects(CoderoomClient.connect(srv.wsUrl, { path: '/ws/does-not-exist', hello: false }),
    /socket hang up|Unexpected server response|HTTP \d+/, 'an upgrade on an unknown path is refused');
  await bystanderAlive();
  const h = await health(srv.url);
  assert.equal(h.status, 'ok');
});

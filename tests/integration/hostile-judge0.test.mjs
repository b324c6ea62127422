// hostile-judge0.test.mjs - the Judge0 API against a client that wants to
// fill the server's disk, read other people's submissions, inject into
// the query, or make the server call into its own network.
//
// Before the fix: nothing bounded what the submissions kept in the
// database (up to ~3 MiB each: the source, stdin and expected output of a
// 1 MiB body, and 1 MiB of each output) for the day they are kept, so a
// client sending submissions as fast as they ran could fill the disk.
// Now --judge0-max-bytes bounds them: past it, the ones that finished
// first are deleted before their time (logged, counted in /api/health);
// if everything left is still waiting or running, a new one gets what
// Judge0 CE answers a submission it cannot take: 503 "queue is full".
//
// Callbacks: each one in flight holds its body (up to ~4 MiB: Base64 of
// the texts) and a socket for up to 3 tries of 5 s. Before the fix
// nothing bounded how many were in flight, so a client whose callbacks
// go to a port of an allowed host that never answers (or drops SYNs)
// could hold as many sockets and bodies as submissions finish in 15 s:
// the server's memory and file descriptors. Now --callback-max bounds
// them (and 64 MiB of bodies); past it a callback is dropped, logged and
// counted (the result stays readable by its token).
//
// Answers: a GET of a submission with big texts is ~4 MiB of JSON (Base64
// of the source and both outputs), built whole and held until the client
// reads it. Before the fix nothing bounded what was held: 60 connections
// that asked and never read held 243 MiB of the server for the 20 s until
// lws closed them (measured: RSS 23 -> 266 MiB), a 100-byte request for
// 4 MiB of memory, repeatable. Now --http-out-bytes bounds the answers
// waiting to be sent; a big one past it is 503 + Retry-After.
// The other tests are regression guards that pass and would catch a
// change: guessed tokens, `fields=` and Base64 injection, expiry racing a
// running submission, loopback in other notations for callback_url.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { startServer } from '../lib/server.mjs';
import { health, httpRequest, postJSON, sleep, waitUntil } from '../lib/clients.mjs';

const PY = 71;

test('submissions as fast as they run cannot fill the disk: --judge0-max-bytes, the oldest finished go first', async () => {
  const MAX = 400000;
  const s = await startServer({ args: ['--allow-weak-sandbox', '--judge0-max-bytes', String(MAX)] });
  try {
    const J = s.url + '/judge0';
    const tokens = [];
    const pad = 'a'.repeat(100000);
    for (let i = 0; i < 12; i++) {	// 12 x 100 KB of source, 1.2 MB in all
      const r = await postJSON(`${J}/submissions?wait=true`, { language_id: PY, source_code: `x = "${pad}"\nprint(${i})\n` });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.stdout, `${i}\n`);
      tokens.push(r.json.token);
    }
    // the sweep (every second) keeps what is stored under the cap
    const h = await waitUntil(async () => {
      const x = await health(s.url);
      return x.judge0.stored_bytes <= MAX && x.judge0.evicted > 0 && x;
    }, { timeout: 20000, what: 'the stored submissions under --judge0-max-bytes' });
    assert.equal(h.judge0.max_bytes, MAX);
    assert.match(s.logs(), /judge0: \d+ finished submissions deleted before their time/);
    // the first ones went, the newest is there
    assert.equal((await httpRequest(`${J}/submissions/${tokens[0]}`)).status, 404);
    const last = await httpRequest(`${J}/submissions/${tokens[11]}`);
    assert.equal(last.status, 200);
    assert.equal(last.json.stdout, '11\n');
  } finally { await s.stop(); }
});

test('--judge0-max-bytes with nothing finished to make room: 503 {"error": "queue is full"}, as Judge0 CE refuses', async () => {
  const MAX = 300000;
  const s = await startServer({ args: ['--allow-weak-sandbox', '--judge0-max-bytes', String(MAX)] });
  try {
    const J = s.url + '/judge0';
    const pad = 'b'.repeat(180000);
    // still running when the next one comes: its 180 KB cannot go
    const slow = await postJSON(`${J}/submissions`, { language_id: PY, source_code: `x = "${pad}"\nimport time\ntime.sleep(4)\nprint("slow")\n` });
    assert.equal(slow.status, 201, slow.text);
    const refused = await postJSON(`${J}/submissions`, { language_id: PY, source_code: `x = "${pad}"\nprint(2)\n` });
    assert.equal(refused.status, 503, refused.text);
    assert.deepEqual(refused.json, { error: 'queue is full' });
    const batch = await postJSON(`${J}/submissions/batch`, { submissions: [
      { language_id: PY, source_code: 'print(3)' },
      { language_id: PY, source_code: `x = "${pad}"\nprint(4)\n` }] });
    assert.equal(batch.status, 201, batch.text);
    assert.match(batch.json[0].token, /^[0-9a-f-]{36}$/);
    assert.deepEqual(batch.json[1], { error: 'queue is full' });
    const h = await health(s.url);
    assert.equal(h.judge0.refused, 2);
    assert.ok(h.judge0.stored_bytes <= MAX, JSON.stringify(h.judge0));
    // once it finished, it makes room for the next (and goes before its time)
    await waitUntil(async () => (await httpRequest(`${J}/submissions/${slow.json.token}`)).json?.status?.id === 3,
      { timeout: 60000, interval: 200, what: 'the slow one finished' });
    const next = await postJSON(`${J}/submissions?wait=true`, { language_id: PY, source_code: `x = "${pad}"\nprint(5)\n` });
    assert.equal(next.status, 201, next.text);
    assert.equal(next.json.stdout, '5\n');
    assert.equal((await httpRequest(`${J}/submissions/${slow.json.token}`)).status, 404);
    assert.ok((await health(s.url)).judge0.evicted >= 1);
  } finally { await s.stop(); }
});

test('tokens cannot be guessed or injected; fields= and Base64 get clear errors', async () => {
  const s = await startServer({ args: ['--allow-weak-sandbox'] });
  try {
    const J = s.url + '/judge0';
    const mine = await postJSON(`${J}/submissions?wait=true`, { language_id: PY, source_code: 'print("secret")' });
    assert.equal(mine.status, 201);
    for (let i = 0; i < 50; i++) {
      const r = await httpRequest(`${J}/submissions/${crypto.randomUUID()}`);
      assert.equal(r.status, 404);
    }
    for (const t of ["' OR '1'='1", '%27%20OR%201=1--', '*', '%25', mine.json.token.slice(0, 35), mine.json.token + 'x',
      mine.json.token.toUpperCase()]) {
      const r = await httpRequest(`${J}/submissions/${t}`);
      assert.ok(r.status === 404, `${t}: ${r.status} ${r.text.slice(0, 120)}`);
      assert.doesNotMatch(r.text, /secret/);
    }
    const batch = await httpRequest(`${J}/submissions/batch?tokens=${encodeURIComponent("x',y,*," + crypto.randomUUID())}`);
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.json.submissions, [null, null, null, null]);
    for (const f of ['stdout,token);DROP TABLE judge0_submissions;--', 'stdout,../../etc/passwd', '*,x', 'stdout%00']) {
      const r = await httpRequest(`${J}/submissions/${mine.json.token}?fields=${encodeURIComponent(f)}`);
      assert.equal(r.status, 400, `${f}: ${r.text}`);
      assert.match(r.json.error, /invalid fields/);
    }
    for (const [field, value] of [['source_code', '!!!not base64***'], ['stdin', '===='], ['source_code', 'cHJpbnQoMSk=\u0000']]) {
      const r = await postJSON(`${J}/submissions?base64_encoded=true`, { language_id: PY, source_code: 'cHJpbnQoMSk=', [field]: value });
      assert.equal(r.status, r.status === 400 ? 400 : 422, r.text);
      if (r.status === 422) assert.match(r.json[field][0], /not valid Base64/);
    }
    // the row is still there and whole
    const again = await httpRequest(`${J}/submissions/${mine.json.token}`);
    assert.equal(again.json.stdout, 'secret\n');
  } finally { await s.stop(); }
});

test('expiry never takes a submission that is still waiting or running', async () => {
  const s = await startServer({ args: ['--allow-weak-sandbox', '--judge0-keep-s', '1'] });
  try {
    const J = s.url + '/judge0';
    const r = await postJSON(`${J}/submissions`, { language_id: PY, source_code: 'import time\ntime.sleep(3)\nprint("done")' });
    assert.equal(r.status, 201);
    const seen = [];
    let done;
    await waitUntil(async () => {
      const g = await httpRequest(`${J}/submissions/${r.json.token}`);
      seen.push(g.status === 200 ? g.json.status.id : g.status);
      if (g.status === 200 && g.json.status.id > 2) done = g.json;
      return done || g.status === 404;
    }, { timeout: 60000, interval: 200, what: 'the submission finished' });
    assert.ok(done, `it vanished before it finished: ${seen.join(',')}`);
    assert.equal(done.stdout, 'done\n');
    assert.ok(seen.filter((x) => x === 2 || x === 1).length >= 3, `seen while running: ${seen.join(',')}`);
    await waitUntil(async () => (await httpRequest(`${J}/submissions/${r.json.token}`)).status === 404,
      { timeout: 20000, what: 'expired once finished' });
  } finally { await s.stop(); }
});

test('callback_url: loopback written as a number, in hex, short or IPv6-mapped is still loopback', async () => {
  const got = [];
  const hook = http.createServer((req, res) => { got.push(req.url); res.end('ok'); });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  const port = hook.address().port;
  const names = ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', 'localhost', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]'];
  const allow = names.flatMap((n) => ['--callback-allow', n.replace(/^\[|\]$/g, '')]);
  const s = await startServer({ args: ['--allow-weak-sandbox', ...allow] });
  try {
    const J = s.url + '/judge0';
    for (const n of names) {
      const r = await postJSON(`${J}/submissions?wait=true`, { language_id: PY, source_code: 'print(1)', callback_url: `http://${n}:${port}/hook` });
      assert.equal(r.status, 201, `${n}: ${r.text}`);
    }
    await waitUntil(() => (s.logs().match(/the host resolves to a loopback, private or link-local address/g) || []).length +
      (s.logs().match(/callback: PUT http:\/\/\S+ failed: (?!the host resolves)/g) || []).length >= names.length,
    { timeout: 30000, what: 'every callback refused' });
    await sleep(300);
    assert.deepEqual(got, [], 'nothing reached the loopback server');
  } finally {
    await s.stop();
    hook.close();
  }
});

test('callback_url to a port that never answers: at most --callback-max in flight, the rest dropped and counted', async () => {
  const CAP = 3;
  const open = new Set();
  let most = 0;
  let accepted = 0;
  const hold = net.createServer((sock) => {	// accepts, reads, never answers
    accepted++;
    open.add(sock);
    most = Math.max(most, open.size);
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => open.delete(sock));
  });
  await new Promise((r) => hold.listen(0, '127.0.0.1', r));
  const port = hold.address().port;
  const s = await startServer({ args: ['--allow-weak-sandbox', '--callback-allow', '127.0.0.1', '--callback-allow-private',
    '--callback-max', String(CAP)] });
  try {
    const J = s.url + '/judge0';
    const tokens = [];
    for (let i = 0; i < 10; i++) {
      const r = await postJSON(`${J}/submissions?wait=true`, { language_id: PY, source_code: `print(${i})`, callback_url: `http://127.0.0.1:${port}/h${i}` });
      assert.equal(r.status, 201, r.text);
      tokens.push(r.json.token);
    }
    // the first CAP hold their connections (5 s a try); the others came while they did
    const h = await waitUntil(async () => { const x = await health(s.url); return x.judge0.callbacks_dropped > 0 && x; },
      { timeout: 30000, what: 'a callback dropped' });
    assert.ok(h.judge0.callbacks_in_flight <= CAP, JSON.stringify(h.judge0));
    assert.match(s.logs(), /callback: PUT http:\/\/127\.0\.0\.1:\d+\/h\d dropped: 3 in flight \(--callback-max\)/);
    assert.ok(most <= CAP, `${most} callbacks held connections at once`);
    assert.ok(accepted >= 1);
    // a dropped callback's result is still there by its token
    const last = await httpRequest(`${J}/submissions/${tokens[9]}`);
    assert.equal(last.status, 200);
    assert.equal(last.json.stdout, '9\n');
  } finally {
    await s.stop();
    for (const sock of open) sock.destroy();
    hold.close();
  }
});

test('answers nobody reads cannot take the memory: --http-out-bytes, then 503 + Retry-After', async () => {
  const s = await startServer({ args: ['--allow-weak-sandbox', '--http-out-bytes', String(6 << 20)] });
  const socks = [];
  try {
    const J = s.url + '/judge0';
    const pad = 'x'.repeat(900000);
    const r = await postJSON(`${J}/submissions?wait=true`, { language_id: PY,
      source_code: `x = "${pad}"\nimport sys\nsys.stdout.write("a" * 1000000)\nsys.stderr.write("b" * 1000000)\n` });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status.id, 3, r.text);
    const path = `/judge0/submissions/${r.json.token}?base64_encoded=true&fields=*`;
    const port = new URL(s.url).port;
    for (let i = 0; i < 3; i++) {	// ask, never read: ~4 MiB each
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      c.pause();
      socks.push(c);
    }
    const h = await waitUntil(async () => { const x = await health(s.url); return x.limited.http_out_refused > 0 && x; },
      { timeout: 20000, what: 'an answer refused' });
    assert.ok(h.limited.http_out_bytes <= 6 << 20, JSON.stringify(h.limited));
    const refused = await httpRequest(s.url + path);
    assert.equal(refused.status, 503, refused.text.slice(0, 200));
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(refused.json.error, /answers waiting to be sent/);
    assert.match(s.logs(), /http: a \d+-byte answer .* refused: \d+ bytes of answers are waiting to be sent \(--http-out-bytes\)/);
    // small answers still go
    assert.equal((await httpRequest(`${J}/submissions/${r.json.token}?fields=status`)).status, 200);
    // once they go, so does the memory: the big answer again
    for (const c of socks) c.destroy();
    const again = await waitUntil(async () => { const g = await httpRequest(s.url + path); return g.status === 200 && g; },
      { timeout: 20000, interval: 200, what: 'the big answer again' });
    assert.ok(again.json.stdout.length > 1000000);
  } finally {
    for (const c of socks) c.destroy();
    await s.stop();
  }
});

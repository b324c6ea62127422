// generate.test.mjs - POST /api/generate: code from a prompt, streamed from
// an OpenAI-compatible model endpoint. The endpoint is the stand-in of
// tests/lib/model.mjs (the only stand-in server in the project: the real
// one is an external service), replaying the recorded shapes of OpenAI,
// Ollama, llama.cpp and vLLM cut at arbitrary bytes, and their errors.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, httpRequest, postJSON } from '../lib/clients.mjs';
import { startModel, recordedText } from '../lib/model.mjs';

const KEY = 'sk-test-5f0c9a2e-not-a-real-key';
const CODE = '# greet in two languages\nprint("hello, 日本 👋")\nfor i in range(3):\n    print(i)\n';

let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-gen-'));
  fs.writeFileSync(path.join(tmp, 'key'), `${KEY}\n`, { mode: 0o600 });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// POST /api/generate, the answer read as it comes: the server-sent events
// parsed, and how many separate body chunks carried deltas.
function generate(url, body, { timeout = 30000, onChunk } = {}) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(`${url}/api/generate`, {
      method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': data.length },
    }, (res) => {
      let text = '';
      let deltaChunks = 0;
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
        if (c.includes('"type":"delta"')) deltaChunks++;
        onChunk?.(c, req);
      });
      res.on('end', () => {
        const events = [];
        for (const block of text.split('\n\n')) {
          if (!block.startsWith('data: ')) continue;
          events.push(JSON.parse(block.slice(6)));
        }
        let json;
        try { json = JSON.parse(text); } catch { /* a stream */ }
        resolve({ status: res.statusCode, headers: res.headers, text, events, json, deltaChunks });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

// Stops a server; its exit must be clean (a sanitizer build reports
// memory errors and leaks there).
async function stopClean(srv) {
  if (!srv) return;
  const code = await srv.stop();
  if (code !== 0) console.log(`# server exit code ${code}; log tail:\n${srv.logs().slice(-3000)}`);
  assert.equal(code, 0, 'the server exits cleanly');
}

const deltas = (r) => r.events.filter((e) => e.type === 'delta').map((e) => e.text).join('');

describe('without --ai-url', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await stopClean(srv); });

  test('POST /api/generate is 503: not configured, nothing pretends', async () => {
    const r = await generate(srv.url, { prompt: 'hello world', language: 'python' });
    assert.equal(r.status, 503);
    assert.equal(r.json.code, 'not_configured');
    assert.match(r.json.error, /not configured.*--ai-url/);
    assert.equal(r.headers['retry-after'], undefined, 'retrying will not help');
  });

  test('hello says there is no generator; health too', async () => {
    const c = await CoderoomClient.connect(srv.wsUrl);
    try { assert.equal(c.hello.generate, null); } finally { await c.close(); }
    const h = await httpRequest(`${srv.url}/api/health`);
    assert.deepEqual(h.json.generate, { enabled: false });
  });
});

describe('with a model endpoint over http', () => {
  let srv, model;
  before(async () => {
    model = await startModel();
    srv = await startServer({
      args: ['--ai-url', model.url, '--ai-model', 'test-model', '--ai-key-file', path.join(tmp, 'key'),
        '--ai-timeout-ms', '4000', '--ai-max-bytes', '4096', '--ai-rate', '1000'],
    });
  });
  after(async () => {
    await stopClean(srv);
    await model?.stop();
  });

  test('hello advertises the generator and its model', async () => {
    const c = await CoderoomClient.connect(srv.wsUrl);
    try { assert.deepEqual(c.hello.generate, { model: 'test-model' }); } finally { await c.close(); }
  });

  for (const file of ['openai', 'ollama', 'llamacpp', 'vllm']) {
    test(`${file}: the answer streams without its fences, cut anywhere on the way`, async () => {
      const before = model.requests.length;
      const r = await generate(srv.url, { prompt: `[scenario:replay:${file}] greet me`, language: 'python', code: 'print(0)\n' });
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /^text\/event-stream/);
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.deepEqual(r.events[0], { type: 'start', model: 'test-model' });
      assert.equal(deltas(r), CODE, 'the deltas are the code, fences and the sentence after them gone');
      const done = r.events.at(-1);
      assert.equal(done.type, 'done');
      assert.equal(done.text, CODE);
      assert.equal(done.finish_reason, 'stop');
      assert.equal(done.truncated, false);
      assert.ok(recordedText(file).includes('This prints'), 'the recording has prose after its code');

      // what went to the model endpoint
      const sent = model.requests[before];
      assert.equal(sent.url, '/v1/chat/completions');
      assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
      assert.match(sent.headers.accept, /text\/event-stream/);
      assert.equal(sent.body.model, 'test-model');
      assert.equal(sent.body.stream, true);
      assert.equal(sent.body.messages[0].role, 'system');
      assert.match(sent.body.messages[0].content, /Python/);
      assert.match(sent.body.messages[0].content, /main\.py/);
      assert.equal(sent.body.messages[1].role, 'user');
      assert.match(sent.body.messages[1].content, /greet me/);
      assert.match(sent.body.messages[1].content, /print\(0\)/, 'the current code goes along');
    });
  }

  test('the key never reaches the client or the log', async () => {
    const r = await generate(srv.url, { prompt: 'x [scenario:replay:openai]', language: 'python' });
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(KEY) && !JSON.stringify(r.headers).includes(KEY));
    assert.ok(!srv.logs().includes(KEY), 'the server log holds no key');
    assert.match(srv.logs(), /generate: 127\.0\.0\.1 test-model: done/);
  });

  test('a slow answer arrives piece by piece, as the model writes it', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:slow:openai]', language: 'python' });
    assert.equal(r.status, 200);
    assert.equal(deltas(r), CODE);
    assert.ok(r.deltaChunks >= 5, `deltas came in ${r.deltaChunks} pieces`);
  });

  test('an error in the middle of the stream reaches the client', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:replay:error-midstream]', language: 'python' });
    assert.equal(r.status, 200);
    const e = r.events.at(-1);
    assert.equal(e.type, 'error');
    assert.equal(e.code, 'model_error');
    assert.match(e.message, /reported an error: the model ran out of memory/);
    assert.ok(!r.events.some((x) => x.type === 'done'));
  });

  test('a stream cut short is an error, not a done', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:replay:cut]', language: 'python' });
    const e = r.events.at(-1);
    assert.equal(e.type, 'error');
    assert.equal(e.code, 'cut');
    assert.match(e.message, /ended its answer before it was complete/);
  });

  test('a stream that is not OpenAI-compatible is an error', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:replay:malformed]', language: 'python' });
    const e = r.events.at(-1);
    assert.equal(e.type, 'error');
    assert.equal(e.code, 'malformed');
  });

  test('a 200 that is not a stream is a 502 that says so', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:json]', language: 'python' });
    assert.equal(r.status, 502);
    assert.equal(r.json.code, 'malformed');
    assert.match(r.json.error, /did not answer with a stream.*application\/json/);
  });

  const statuses = [
    [401, 502, 'unauthorized', /refused the server's API key \(401\): Incorrect API key provided/],
    [403, 502, 'unauthorized', /refused the server's API key \(403\): You are not allowed/],
    [404, 502, 'not_found', /no such model or path \(404\): model "nosuch" not found/],
    [429, 503, 'rate_limited', /rate limiting this server \(429\).*Rate limit reached/],
    [500, 502, 'upstream', /failed \(500\): The server had an error/],
  ];
  for (const [up, want, code, re] of statuses) {
    test(`the model endpoint answers ${up}: ${want} with its reason`, async () => {
      const r = await generate(srv.url, { prompt: `[scenario:status:${up}]`, language: 'python' });
      assert.equal(r.status, want, r.text);
      assert.equal(r.json.code, code);
      assert.match(r.json.error, re);
      if (up === 429) assert.equal(r.headers['retry-after'], '20', "the endpoint's Retry-After");
    });
  }

  test('a stall after the start ends with a timeout event', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:stall]', language: 'python' });
    assert.equal(r.status, 200);
    assert.equal(deltas(r), 'print("sta');
    const e = r.events.at(-1);
    assert.equal(e.type, 'error');
    assert.equal(e.code, 'timeout');
    assert.match(e.message, /did not finish its answer in time.*within 4 s/);
  });

  test('no answer at all: 504', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:silent]', language: 'python' });
    assert.equal(r.status, 504);
    assert.equal(r.json.code, 'timeout');
  });

  test('an answer over --ai-max-bytes is cut, and says so', async () => {
    const r = await generate(srv.url, { prompt: '[scenario:big]', language: 'python' });
    assert.equal(r.status, 200);
    const done = r.events.at(-1);
    assert.equal(done.type, 'done');
    assert.equal(done.truncated, true);
    assert.equal(done.finish_reason, 'length');
    assert.ok(done.text.length <= 4096 && done.text.length > 3000, `${done.text.length} bytes`);
    assert.equal(deltas(r), done.text);
  });

  test('a client that leaves cancels the request to the model', async () => {
    const before = model.requests.length;
    await new Promise((resolve) => {
      generate(srv.url, { prompt: '[scenario:slow:llamacpp]', language: 'python' }, {
        onChunk: (c, req) => { if (c.includes('"type":"delta"')) { req.destroy(); resolve(); } },
      }).catch(() => resolve());
    });
    const rec = model.requests[before];
    for (let i = 0; i < 100 && !rec.aborted; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(rec.aborted, true, 'the server closed its request to the model');
    // and the server is fine
    const h = await httpRequest(`${srv.url}/api/health`);
    assert.equal(h.json.generate.active, 0);
  });

  const bad = [
    [{ language: 'python' }, 'prompt'],
    [{ prompt: '', language: 'python' }, 'prompt'],
    [{ prompt: '   \n', language: 'python' }, 'prompt'],
    [{ prompt: 'x'.repeat(4001), language: 'python' }, 'prompt'],
    [{ prompt: 5, language: 'python' }, 'prompt'],
    [{ prompt: 'hi' }, 'language'],
    [{ prompt: 'hi', language: 'klingon' }, 'language'],
    [{ prompt: 'hi', language: 'python', code: 7 }, 'code'],
    [{ prompt: 'hi', language: 'python', code: 'x'.repeat(64 * 1024 + 1) }, 'code'],
    [{ prompt: 'hi', language: 'python', temperature: 2 }, undefined],
  ];
  for (const [body, field] of bad) {
    test(`400 for ${JSON.stringify(body).slice(0, 60)}`, async () => {
      const before = model.requests.length;
      const r = await postJSON(`${srv.url}/api/generate`, body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.field, field);
      assert.equal(typeof r.json.error, 'string');
      assert.equal(model.requests.length, before, 'nothing went to the model');
    });
  }

  test('GET /api/generate: 405', async () => {
    const r = await httpRequest(`${srv.url}/api/generate`);
    assert.equal(r.status, 405);
  });
});

describe('big and paused answers (--ai-max-bytes 1 MiB, --http-send-timeout-s 1)', () => {
  let srv, model;
  before(async () => {
    model = await startModel();
    srv = await startServer({
      args: ['--ai-url', model.url, '--ai-model', 'm', '--ai-max-bytes', '1048576', '--ai-rate', '1000',
        '--http-send-timeout-s', '1'],
    });
  });
  after(async () => {
    await stopClean(srv);
    await model?.stop();
  });

  test('an answer at the largest cap, every character escaped, still ends with its done', async () => {
    // 1 MiB of U+0001: ~6 MiB of deltas, then a done event of ~6 MiB
    // alone (its whole text), which must fit the stream's queue
    const r = await generate(srv.url, { prompt: '[scenario:ctl:2000]', language: 'python' }, { timeout: 120000 });
    assert.equal(r.status, 200);
    const done = r.events.at(-1);
    assert.equal(done?.type, 'done', `the last event: ${JSON.stringify(done)?.slice(0, 200)}`);
    assert.equal(done.truncated, true);
    assert.equal(done.text.length, 1048576);
    assert.ok(/^\u0001+$/.test(done.text));
    assert.equal(deltas(r), done.text);
  });

  test('a model that pauses longer than the send timeout: the reading client is kept', async () => {
    // the send timeout runs only while something waits for the client
    const r = await generate(srv.url, { prompt: '[scenario:pause:2500]', language: 'python' });
    assert.equal(r.status, 200);
    assert.equal(r.events.at(-1).type, 'done');
    assert.equal(deltas(r), CODE);
  });
});

describe('limits per client', () => {
  let srv, model;
  before(async () => {
    model = await startModel();
    srv = await startServer({ args: ['--ai-url', model.url, '--ai-model', 'm', '--ai-rate', '2'] });
  });
  after(async () => {
    await stopClean(srv);
    await model?.stop();
  });

  test('--ai-rate: the third generation within a minute is 429 with Retry-After', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await generate(srv.url, { prompt: 'p', language: 'python' });
      assert.equal(r.status, 200);
    }
    const before = model.requests.length;
    const r = await generate(srv.url, { prompt: 'p', language: 'python' });
    assert.equal(r.status, 429);
    assert.equal(r.json.code, 'rate_limited');
    const wait = Number(r.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 30, `Retry-After ${r.headers['retry-after']}`);
    assert.equal(model.requests.length, before);
  });
});

describe('an unreachable endpoint', () => {
  let srv;
  before(async () => {
    const port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
    srv = await startServer({ args: ['--ai-url', `http://127.0.0.1:${port}/v1`, '--ai-model', 'm'] });
  });
  after(async () => { await stopClean(srv); });

  test('502: cannot reach it, connection refused', async () => {
    const r = await generate(srv.url, { prompt: 'p', language: 'python' });
    assert.equal(r.status, 502);
    assert.equal(r.json.code, 'unreachable');
    assert.match(r.json.error, /cannot reach the model endpoint: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
  });
});

describe('with a model endpoint over https', () => {
  let model, certDir;
  before(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'), '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    model = await startModel({
      tls: { key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) },
    });
  });
  after(async () => {
    await model?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  test('with its CA trusted (--ai-ca-file), the answer streams over TLS', async () => {
    const srv = await startServer({
      args: ['--ai-url', model.url, '--ai-model', 'tls-model', '--ai-key-file', path.join(tmp, 'key'),
        '--ai-ca-file', path.join(certDir, 'cert.pem')],
    });
    try {
      const r = await generate(srv.url, { prompt: '[scenario:replay:vllm] hi', language: 'python' });
      assert.equal(r.status, 200, r.text);
      assert.equal(deltas(r), CODE);
      assert.equal(r.events.at(-1).type, 'done');
      assert.equal(model.requests.at(-1).headers.authorization, `Bearer ${KEY}`);
    } finally { await stopClean(srv); }
  });

  test('a certificate nobody vouches for is refused, and the reason shown', async () => {
    const srv = await startServer({ args: ['--ai-url', model.url, '--ai-model', 'm', '--ai-key-file', path.join(tmp, 'key')] });
    try {
      const before = model.requests.length;
      const r = await generate(srv.url, { prompt: 'hi', language: 'python' });
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.code, 'unreachable');
      assert.match(r.json.error, /TLS with 127\.0\.0\.1:\d+: certificate verify failed \(self.signed certificate\)/);
      assert.equal(model.requests.length, before, 'the key never left');
    } finally { await stopClean(srv); }
  });
});

describe('bad configuration stops the start', () => {
  test('--ai-url without --ai-model, a bad URL, a missing key file', async () => {
    const { runBinary } = await import('../lib/server.mjs');
    const cases = [
      [['--ai-url', 'http://127.0.0.1:1/v1'], /needs --ai-model/],
      [['--ai-url', 'ftp://x/v1', '--ai-model', 'm'], /--ai-url wants http\(s\)/],
      [['--ai-url', 'http://127.0.0.1:1/v1', '--ai-model', 'm', '--ai-key-file', '/nonexistent/key'], /cannot read the API key file/],
    ];
    for (const [args, re] of cases) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-cfg-'));
      const r = await runBinary(['--listen', '127.0.0.1:0', '--data-dir', dir, ...args]);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, re);
    }
  });
});

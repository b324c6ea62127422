// http-root.test.mjs - the health checks the replaced apps' users kept:
// GET / answers the health JSON to a client that asks for JSON (the
// Next.js runner's check at "/"), the IDE to everyone else; GET
// /api/execute answers as that runner's health route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import WebSocket from 'ws';
import { httpRequest } from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

test('GET / with Accept: application/json is the health JSON', async () => {
  for (const accept of ['application/json', 'application/json, text/plain, */*', 'Application/JSON;q=0.9']) {
    const r = await httpRequest(`${srv.url}/`, { headers: { Accept: accept } });
    assert.equal(r.status, 200, accept);
    assert.match(r.headers['content-type'], /^application\/json/, accept);
    assert.equal(r.json?.status, 'ok', `${accept}: ${r.text.slice(0, 200)}`);
    assert.equal(typeof r.json.version, 'string');
    assert.equal(typeof r.json.sandbox, 'object');
  }
});

test('GET / from a browser, curl or with no Accept is the IDE', async () => {
  const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  for (const headers of [{ Accept: browser }, { Accept: '*/*' }, {}, { Accept: 'text/html, application/json' }]) {
    const r = await httpRequest(`${srv.url}/`, { headers });
    assert.equal(r.status, 200, JSON.stringify(headers));
    assert.match(r.headers['content-type'], /^text\/html/, JSON.stringify(headers));
    assert.match(r.text, /<!doctype html>/i);
    assert.match(r.headers['content-security-policy'] || '', /script-src 'self'/, 'the page keeps its CSP');
  }
});

test('a room page is still the IDE, whatever the Accept', async () => {
  const r = await httpRequest(`${srv.url}/some/client/route`, { headers: { Accept: 'application/json' } });
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/html/);
});

test('POST / is not allowed', async () => {
  const r = await httpRequest(`${srv.url}/`, { method: 'POST', headers: { 'Content-Length': 0 } });
  assert.equal(r.status, 405);
  assert.match(r.headers.allow, /GET/);
});

test('a POST to a page says the path has no API (a Judge0 client without --judge0-root)', async () => {
  const body = JSON.stringify({ source_code: 'print(1)', language_id: 71 });
  const r = await httpRequest(`${srv.url}/submissions?wait=true`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
  });
  assert.equal(r.status, 405);
  assert.match(r.headers.allow, /GET/);
  assert.match(r.json?.error ?? '', /^method not allowed: '\/submissions' is a page of the IDE .*no API/, r.text);
  // the path is the client's: quoted in valid JSON whatever it holds
  const odd = await httpRequest(`${srv.url}/a%22b%5C%ff`, { method: 'DELETE' });
  assert.equal(odd.status, 405);
  assert.match(odd.json?.error ?? '', /^method not allowed: '\/a/, odd.text);
});

/* The HTTP answer to a WebSocket upgrade: its status (101: it opened), or
 * 0 and the error when the connection closed with no answer. */
function upgrade(url, protocol, opts = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocol, opts);
    ws.on('open', () => { ws.close(); resolve({ status: 101 }); });
    ws.on('unexpected-response', (req, res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', () => resolve({ status: res.statusCode, text }));
    });
    ws.on('error', (e) => resolve({ status: 0, error: e.message }));
  });
}

test('a WebSocket to a path with no endpoint is answered 404, not dropped', async () => {
  const base = srv.url.replace(/^http/, 'ws');
  // a client that appended /ws twice: the mistake a user makes
  for (const path of ['/ws/ws', '/nope', '/api/v2/connectx']) {
    const r = await upgrade(base + path, 'coderoom.v1');
    assert.equal(r.status, 404, `${path}: ${JSON.stringify(r)}`);
    assert.equal(JSON.parse(r.text).error, 'no WebSocket endpoint at this path', `${path}: ${r.text}`);
  }
  assert.equal((await upgrade(`${base}/ws`, 'coderoom.v1')).status, 101, 'the real one still opens');
  // refused for its origin: an answer in JSON too
  const x = await upgrade(`${base}/ws`, 'coderoom.v1', { origin: 'http://elsewhere.example' });
  assert.equal(x.status, 403, JSON.stringify(x));
  assert.match(JSON.parse(x.text).error, /another origin/, x.text);
});

test('GET /api/execute still answers as the Next.js runner\'s health route', async () => {
  const r = await httpRequest(`${srv.url}/api/execute`);
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ok');
  assert.equal(typeof r.json.message, 'string');
  assert.equal(typeof r.json.platform, 'string');
});

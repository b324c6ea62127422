// cli-static.test.mjs - command line (--version, --help, PORT), /api/health,
// and static files from --web-root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runBinary, serverBinary, startServer } from '../lib/server.mjs';
import { CoderoomClient, health, httpRequest, rawTcp, waitUntil } from '../lib/clients.mjs';

const INDEX = '<!doctype html><title>coderoom fixture</title><p>index-fixture</p>\n';
const FILES = {
  'index.html': INDEX,
  'app.js': 'console.log("app-fixture");\n',
  'style.css': 'body { color: red } /* css-fixture */\n',
  'mod.mjs': 'export const x = 1;\n',
  'data.json': '{"json":"fixture"}\n',
  'icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
  'app.js.map': '{"version":3}\n',
  'assets/deep/file.txt': 'deep-fixture\n',
};
// Beside the web root (not in it): a file no request may ever return,
// planted as symlinks inside the root too. The IDE is read into memory at
// start-up, so traversal can only matter there: following a link.
const OUTSIDE = `outside-secret-${process.pid}-${Date.now()}`;
let base, webRoot, srv;
before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-web-'));
  webRoot = path.join(base, 'root');
  for (const [name, body] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(webRoot, name)), { recursive: true });
    fs.writeFileSync(path.join(webRoot, name), body);
  }
  fs.mkdirSync(path.join(base, 'private'));
  fs.writeFileSync(path.join(base, 'secret.txt'), OUTSIDE + '\n');
  fs.writeFileSync(path.join(base, 'private', 'key.txt'), OUTSIDE + '\n');
  fs.symlinkSync('../secret.txt', path.join(webRoot, 'link.txt'));
  fs.symlinkSync(path.join(base, 'private'), path.join(webRoot, 'linkdir'));
  srv = await startServer({ webRoot });
});
after(async () => {
  await srv?.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

test('--version prints the version and exits 0', async () => {
  const r = await runBinary(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
  const h = await health(srv.url);
  assert.ok(r.stdout.includes(h.version), `--version "${r.stdout.trim()}" and /api/health version "${h.version}" agree`);
});

test('--help lists every documented option and exits 0', async () => {
  const r = await runBinary(['--help']);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout + r.stderr;
  const missing = ['--listen', '--data-dir', '--web-root', '--log-level', '--help', '--version',
    '--cpu-ms', '--wall-ms', '--output-bytes', '--batch-cpu-ms', '--batch-wall-ms', '--batch-output-bytes',
    '--max-message-bytes', '--max-body-bytes', '--reattach-grace-ms'].filter((f) => !text.includes(f));
  assert.deepEqual(missing, [], `--help does not mention: ${missing.join(' ')}`);
});

test('an unknown option or a bad value is refused with a message and a non-zero exit', async () => {
  const r = await runBinary(['--no-such-option']);
  assert.notEqual(r.code, 0);
  assert.ok((r.stderr + r.stdout).includes('--no-such-option'), `the message names the option: ${r.stderr}`);
  const r2 = await runBinary(['--cpu-ms', 'lots', '--listen', '127.0.0.1:0']);
  assert.notEqual(r2.code, 0, 'a non-numeric --cpu-ms is refused');
  const r3 = await runBinary(['--listen', 'not-an-address:99999']);
  assert.notEqual(r3.code, 0, 'an invalid --listen is refused');
});

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('the binary is linked with full RELRO: a read-only GOT, every symbol bound at start', () => {
  // What each process the spawner forks for a run would otherwise do
  // again: resolve, through ld.so, every libc call it makes first.
  const bin = serverBinary();
  const dyn = execFileSync('readelf', ['-d', '-W', bin], { encoding: 'utf8' });
  assert.match(dyn, /\(FLAGS\)\s+BIND_NOW/, `${bin}: DT_FLAGS has BIND_NOW`);
  assert.match(dyn, /\(FLAGS_1\)\s+Flags:.*\bNOW\b/, `${bin}: DT_FLAGS_1 has NOW`);
  const seg = execFileSync('readelf', ['-l', '-W', bin], { encoding: 'utf8' });
  assert.match(seg, /GNU_RELRO/, `${bin}: a RELRO segment`);
});

test('PORT is honoured when --listen is not given', async () => {
  const port = await freePort();
  const s = await startServer({ listen: null, env: { PORT: String(port) }, webRoot });
  try {
    assert.equal(s.port, port, `listening line: ${s.logs().split('\n').find((l) => l.includes('listening'))}`);
    const h = await health(`http://127.0.0.1:${port}`);
    assert.equal(h.status, 'ok');
  } finally { await s.stop(); }
});

test('the "listening on" line appears exactly once', () => {
  const n = srv.logs().split('\n').filter((l) => l.includes('listening on http://')).length;
  assert.equal(n, 1, srv.logs());
});

test('/api/health: fields, counters follow runs and connections', async () => {
  const r = await httpRequest(srv.url + '/api/health');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /application\/json/);
  const h = r.json;
  assert.equal(h.status, 'ok');
  assert.equal(typeof h.version, 'string');
  assert.equal(typeof h.uptime_s, 'number');
  assert.ok(h.uptime_s >= 0);
  assert.equal(h.runs_active, 0);
  assert.equal(typeof h.connections, 'number');
  assert.equal(typeof h.sandbox, 'object');
  assert.notEqual(h.sandbox, null);

  const clients = await Promise.all([1, 2, 3].map(() => CoderoomClient.connect(srv.wsUrl)));
  try {
    const h2 = await health(srv.url);
    assert.ok(h2.connections >= h.connections + 3, `connections ${h.connections} -> ${h2.connections} after 3 sockets`);
    await clients[0].run("import time\nprint('r', flush=True)\ntime.sleep(30)\n");
    await clients[0].waitOutput('r');
    assert.equal((await health(srv.url)).runs_active, 1);
    clients[0].stop();
    await clients[0].waitExit();
    await waitUntil(async () => (await health(srv.url)).runs_active === 0, { timeout: 5000, what: 'runs_active 0' });
  } finally { await Promise.all(clients.map((c) => c.close())); }
  await waitUntil(async () => (await health(srv.url)).connections <= h.connections, { timeout: 5000, what: 'connections back down' });
  const later = await health(srv.url);
  assert.ok(later.uptime_s >= h.uptime_s);
});

test('static files: bytes, MIME types, Cache-Control', async () => {
  const want = {
    '/': [/^text\/html/, INDEX],
    '/index.html': [/^text\/html/, INDEX],
    '/app.js': [/^(text|application)\/javascript/, FILES['app.js']],
    '/style.css': [/^text\/css/, FILES['style.css']],
    '/mod.mjs': [/^(text|application)\/javascript/, FILES['mod.mjs']],
    '/data.json': [/^application\/json/, FILES['data.json']],
    '/icon.svg': [/^image\/svg\+xml/, FILES['icon.svg']],
    '/app.js.map': [/^application\/(json|octet-stream)/, FILES['app.js.map']],
    '/assets/deep/file.txt': [/^text\/plain/, FILES['assets/deep/file.txt']],
  };
  const problems = [];
  for (const [p, [mime, body]] of Object.entries(want)) {
    const r = await httpRequest(srv.url + p);
    if (r.status !== 200) { problems.push(`${p}: status ${r.status}`); continue; }
    if (!mime.test(r.headers['content-type'] || '')) problems.push(`${p}: content-type ${r.headers['content-type']}`);
    if (r.text !== body) problems.push(`${p}: body ${JSON.stringify(r.text.slice(0, 80))}`);
    if (!r.headers['cache-control']) problems.push(`${p}: no Cache-Control`);
  }
  assert.deepEqual(problems, []);
});

test('unknown non-API paths get index.html; unknown API paths get 404 JSON', async () => {
  // (/editor/ID is the rooms' page: an unknown room is a 404 page,
  // rooms-limits.test.mjs)
  for (const p of ['/room/abc123', '/editors/xyz', '/some/deep/path']) {
    const r = await httpRequest(srv.url + p);
    assert.equal(r.status, 200, `${p}: ${r.status}`);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.equal(r.text, INDEX, p);
  }
  const r = await httpRequest(srv.url + '/api/nope');
  assert.equal(r.status, 404);
  assert.match(r.headers['content-type'], /application\/json/);
  assert.equal(typeof r.json?.error, 'string', r.text);
});

test('nothing outside the web root is served: traversal, symlinks in the root', async () => {
  const attempts = ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2f..%2fsecret.txt',
    '/..%5csecret.txt', '//secret.txt', '/link.txt', '/linkdir/key.txt', '/linkdir/', '/assets/../link.txt',
    '/../private/key.txt', '/../../../../etc/passwd'];
  for (const p of attempts) {
    const r = await rawTcp(srv.port, [`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`], { timeout: 3000 });
    const text = r.data.toString('latin1');
    assert.ok(!text.includes(OUTSIDE), `${p} served a file from outside the web root`);
    assert.ok(!text.includes('root:x:0:0'), `${p} served /etc/passwd`);
    // a missing asset is a 404; any other path the IDE's index.html
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
    assert.ok(status === '404' || status === '400' || (status === '200' && text.includes('index-fixture')),
      `${p}: ${JSON.stringify(text.slice(0, 80))}`);
  }
  // the links were seen at start-up and not followed
  assert.equal((await httpRequest(srv.url + '/link.txt')).status, 404);
  assert.equal((await httpRequest(srv.url + '/linkdir/key.txt')).status, 404);
});

// deploy.test.mjs - deploy/: the systemd unit and the Docker image.
//
// Where a Docker engine answers, the image is built and run, and must
// serve the IDE and run a program; elsewhere that test is skipped by name.
// Everywhere: every library the binary links comes from a package the
// image installs; the unit passes systemd-analyze verify; and the server,
// started with exactly the unit's capability bounding set and
// no_new_privs, still has a strong sandbox that runs programs, sees input
// waits and restarts a killed spawner.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asanBuild, repoRoot, runBinary, serverBinary, startServer } from '../lib/server.mjs';
import {
  CoderoomClient, assertServerWorks, health, httpRequest, postJSON, waitUntil,
} from '../lib/clients.mjs';
import { safeKill, spawnerOf } from '../lib/procs.mjs';

const unitFile = path.join(repoRoot, 'deploy/coderoom.service');
const dockerfile = path.join(repoRoot, 'deploy/Dockerfile');
const have = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 20000 }).status === 0;
const dockerEngine = have('docker', ['info']);
const systemdAnalyze = have('systemd-analyze', ['--version']);

/* The values of 'Key=' lines of the unit (the last wins, as in systemd). */
function unitValue(key) {
  const m = [...fs.readFileSync(unitFile, 'utf8').matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))];
  return m.length ? m[m.length - 1][1].trim() : null;
}

const isAsan = asanBuild();

test('every library the binary links is installed by the image',
  { skip: isAsan && 'the binary is an ASan build; the image uses the plain one' }, () => {
  const ldd = execFileSync('ldd', [serverBinary()], { encoding: 'utf8' });
  const libs = [...ldd.matchAll(/=> (\/\S+)/g)].map((m) => m[1]);
  const pkgs = new Set();
  for (const l of libs) {
    // merged /usr: dpkg knows a file by one of its names only
    const real = fs.realpathSync(l);
    const names = [l, real, ...[l, real].map((x) => x.startsWith('/usr/') ? x.slice(4) : '/usr' + x)];
    const owner = names.map((n) => spawnSync('dpkg', ['-S', n], { encoding: 'utf8' }))
      .find((r) => r.status === 0)?.stdout.split(':')[0];
    assert.ok(owner, `a Debian package owns ${l}`);
    pkgs.add(owner);
  }
  // libwebsockets loads its libuv support as a plugin (not in ldd)
  pkgs.add('libwebsockets-evlib-uv');
  const text = fs.readFileSync(dockerfile, 'utf8');
  // the last stage, without its comments
  const runtime = text.slice(text.lastIndexOf('\nFROM ')).split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  // what comes with any Debian image anyway
  const base = new Set(['libc6', 'libgcc-s1', 'libssl3', 'zlib1g', 'libcap2', 'libzstd1', 'liblzma5', 'libgcrypt20', 'libgpg-error0', 'liblz4-1', 'libsystemd0', 'libcrypt1']);
  const missing = [...pkgs].filter((p) => !base.has(p) && !new RegExp(`\\b${p.replace(/[.+]/g, '\\$&')}\\b`).test(runtime));
  assert.deepEqual(missing, [], `packages the runtime image does not install: ${missing}`);
  for (const p of pkgs) assert.equal(spawnSync('apt-cache', ['show', p], { stdio: 'ignore' }).status, 0, `${p} is a Debian package`);
});

test('the Docker image builds and serves the IDE and runs a program',
  { skip: !dockerEngine && 'no Docker engine here (docker info fails)', timeout: 30 * 60000 }, async () => {
    const tag = `coderoom-test:${process.pid}`;
    let id;
    try {
      execFileSync('docker', ['build', '-f', dockerfile, '-t', tag, repoRoot], { stdio: 'inherit', timeout: 25 * 60000 });
      id = execFileSync('docker', ['run', '-d', '--privileged', '-p', '127.0.0.1::8080', tag], { encoding: 'utf8' }).trim();
      const port = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').pop();
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(async () => (await httpRequest(url + '/api/health').catch(() => null))?.status === 200, { timeout: 60000, what: 'the container answers' });
      const h = await health(url);
      assert.equal(h.sandbox.strong, true, JSON.stringify(h.sandbox));
      const page = await httpRequest(url + '/');
      assert.equal(page.status, 200);
      assert.match(page.text, /<html/i);
      const r = await postJSON(url + '/api/runs', { language: 'python', code: 'print(6 * 7)' });
      assert.equal(r.json?.run?.stdout, '42\n', r.text);
    } finally {
      if (id) spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
      spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    }
  });

test('the systemd unit passes systemd-analyze verify',
  { skip: !systemdAnalyze && 'systemd-analyze not installed' }, () => {
    // its binary where the unit expects it: the one under test
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-unit-'));
    try {
      const unit = fs.readFileSync(unitFile, 'utf8').replaceAll('/opt/coderoom/bin/coderoom', serverBinary());
      fs.writeFileSync(path.join(dir, 'coderoom.service'), unit);
      const r = spawnSync('systemd-analyze', ['verify', path.join(dir, 'coderoom.service')], { encoding: 'utf8' });
      const out = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() && !/Failed to (connect|open) .*bus|Operation not permitted/.test(l));
      assert.deepEqual(out, [], 'no complaints');
      assert.equal(unitValue('Delegate'), 'yes');
      assert.equal(unitValue('NoNewPrivileges'), 'yes');
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });

test('the example config file is valid', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-conf-'));
  try {
    const conf = fs.readFileSync(path.join(repoRoot, 'deploy/coderoom.conf'), 'utf8')
      .replace('/var/lib/coderoom', path.join(dir, 'data'))
      .replace('/opt/coderoom/languages', path.join(repoRoot, 'languages'))
      .replace(/^web-root = .*$/m, '');
    fs.writeFileSync(path.join(dir, 'c.conf'), conf);
    const r = await runBinary(['--config', path.join(dir, 'c.conf'), '--check-config']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^log-format = json$/m);
    assert.match(r.stdout, /^listen = 0\.0\.0\.0:8080$/m);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

let capped;
after(async () => { await capped?.stop(); });

test("with only the unit's capabilities and no_new_privs the sandbox still works", async () => {
  const caps = unitValue('CapabilityBoundingSet').split(/\s+/).map((c) => c.replace(/^CAP_/, '').toLowerCase());
  assert.ok(caps.includes('sys_admin') && caps.length < 20, caps.join());
  capped = await startServer({
    wrapper: ['setpriv', `--bounding-set=-all,${caps.map((c) => '+' + c).join(',')}`, '--no-new-privs', '--'],
  });
  const status = fs.readFileSync(`/proc/${capped.pid}/status`, 'utf8');
  assert.match(status, /^NoNewPrivs:\s+1$/m, 'the server runs with no_new_privs');
  const h = await health(capped.url);
  assert.equal(h.sandbox.strong, true, `missing: ${h.sandbox.missing}`);
  // a terminal run that waits for input, and a batch run on pipes
  const c = await CoderoomClient.connect(capped.wsUrl);
  try {
    await c.run("print('hi', input('? '))\n");
    await c.waitType('waiting_for_input', { timeout: 15000 });
    c.input('caps\r');
    assert.equal((await c.waitExit()).status, 'ok');
    assert.match(c.out, /hi caps/);
  } finally { await c.close(); }
  const r = await postJSON(capped.url + '/api/runs', { language: 'python', code: 'import os\nprint(os.getuid())' });
  assert.equal(r.json.run.stdout, '1000\n', r.text);
  // the supervisor can still start a spawner
  const sp = spawnerOf(capped.pid);
  safeKill(sp, 'SIGKILL');
  await waitUntil(async () => { const x = await health(capped.url); return x.spawner.restarts === 1 && x.spawner.state === 'up'; },
    { timeout: 20000, what: 'the spawner restarted' });
  await assertServerWorks(capped.wsUrl, 'after a restart under the unit\'s capabilities');
});

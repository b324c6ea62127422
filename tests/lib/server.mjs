// server.mjs - start the real coderoom binary for a test, and stop it.
//
// startServer() spawns build/coderoom (or $CODEROOM_BIN) on 127.0.0.1:0 with
// a fresh temporary data directory, waits for its one "listening on
// http://HOST:PORT" line and resolves with
//
//   { url, wsUrl, port, host, proc, dataDir, logs(), stop(), kill() }
//
// url is "http://127.0.0.1:PORT", wsUrl "ws://127.0.0.1:PORT". stop() sends
// SIGTERM, waits for the exit (SIGKILL after killAfterMs, default 5 s) and
// resolves with the exit code (128 + signal number when killed by a signal).
// If the line does not appear within timeoutMs, startServer() rejects with the
// server's output in the message. That is a hang guard, so it is well above
// the longest start the server allows itself: every language's version
// command gets 10 s (src/run/lang.c), and on a loaded 2-core machine the
// JVM-based ones and ghc use all of it (a fresh-clone CI saw a 14 s start). Every server still running when the test
// process exits is SIGKILLed, so a failed test never leaves one behind.
//
// Used by tests/integration, tests/browser and bench/.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/* Whether the server binary is an AddressSanitizer build (build-san/). */
export function asanBuild(bin = serverBinary()) {
  return /libasan/.test(execFileSync('ldd', [bin], { encoding: 'utf8' }));
}

/* The binary under test: $CODEROOM_BIN, relative paths against the repo root. */
export function serverBinary() {
  const bin = process.env.CODEROOM_BIN || 'build/coderoom';
  return path.isAbsolute(bin) ? bin : path.join(repoRoot, bin);
}

/* The web root: $CODEROOM_WEB_ROOT, else web/dist, else null. */
export function defaultWebRoot() {
  const env = process.env.CODEROOM_WEB_ROOT;
  if (env) return path.isAbsolute(env) ? env : path.join(repoRoot, env);
  const dist = path.join(repoRoot, 'web/dist');
  return fs.existsSync(dist) ? dist : null;
}

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

const LISTEN_RE = /listening on http:\/\/([0-9.]+|\[[0-9a-f:]+\]|[a-z0-9.-]+):(\d+)/i;

/**
 * Start a server.
 * @param {object} o
 * @param {string[]} [o.args]     extra command-line arguments
 * @param {object} [o.env]        extra environment variables
 * @param {string[]} [o.wrapper]  command to run the binary under (valgrind ...)
 * @param {string|null} [o.webRoot] --web-root (default: defaultWebRoot(); null = none)
 * @param {number} [o.timeoutMs]  how long to wait for "listening on" (60 s)
 * @param {number} [o.killAfterMs] SIGTERM -> SIGKILL delay in stop() (5 s)
 * @param {string} [o.logLevel]   --log-level (default: none passed)
 * @param {string|null} [o.listen] --listen value (default 127.0.0.1:0; null = omit)
 * @param {string} [o.dataDir]    use this --data-dir and leave it behind on
 *                                stop (restart tests); default: a fresh one
 */
export async function startServer(o = {}) {
  const {
    args = [], env = {}, wrapper = [], timeoutMs = 60000, killAfterMs = 5000,
    logLevel,
  } = o;
  const webRoot = o.webRoot === undefined ? defaultWebRoot() : o.webRoot;
  const bin = serverBinary();
  if (!fs.existsSync(bin)) throw new Error(`server binary not found: ${bin} (run make all)`);
  const keepData = Boolean(o.dataDir);
  const dataDir = o.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-test-'));
  const argv = ['--data-dir', dataDir];
  if (o.listen !== null) argv.unshift('--listen', o.listen || '127.0.0.1:0');
  if (webRoot) argv.push('--web-root', webRoot);
  if (logLevel) argv.push('--log-level', logLevel);
  argv.push(...args);
  const cmd = wrapper.length ? wrapper[0] : bin;
  const cmdArgs = wrapper.length ? [...wrapper.slice(1), bin, ...argv] : argv;
  const penv = { ...process.env };
  // The server reads its options from CODEROOM_<OPTION> variables: only a
  // test that sets one (or PORT) gets it, not whatever the harness
  // exported (CODEROOM_WEB_ROOT is an option too). CODEROOM_VM_* are for
  // tests/vm/service.sh, which starts the server inside the VM.
  for (const k of Object.keys(penv)) {
    if (k === 'PORT' || (k.startsWith('CODEROOM_') && !k.startsWith('CODEROOM_VM_'))) delete penv[k];
  }
  Object.assign(penv, env);
  const proc = spawn(cmd, cmdArgs, { cwd: repoRoot, env: penv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);

  let out = '';
  const logs = () => out;
  let stopping = null;
  let listening = false;
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      exitInfo = { code, signal };
      if (listening && !stopping && !SENT_SIGNALS.has(signal) && code !== 0) {
        reportUnexpectedExit(proc.pid, code, signal, out);
      }
      resolve(code ?? 128 + (os.constants.signals[signal] || 0));
    });
  });
  proc.on('error', (e) => { out += `\n[spawn error] ${e.message}\n`; });

  const ready = new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk) => {
      const s = chunk.toString();
      out += s;
      if (out.length > 4 * 1024 * 1024) out = out.slice(-2 * 1024 * 1024);
      buf += s;
      const m = LISTEN_RE.exec(buf);
      if (m) { buf = ''; resolve({ host: m[1], port: Number(m[2]) }); }
      else if (buf.length > 65536) buf = buf.slice(-1024);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    exited.then((code) => reject(new Error(
      `server exited (${code}${exitInfo?.signal ? ' ' + exitInfo.signal : ''}) before listening:\n${tail(out)}`)));
    setTimeout(() => reject(new Error(
      `server did not print "listening on" within ${timeoutMs} ms:\n${tail(out)}`)), timeoutMs).unref();
  });

  let hp;
  try {
    hp = await ready;
    listening = true;
  } catch (e) {
    try { proc.kill('SIGKILL'); } catch { /* gone */ }
    await exited;
    if (!keepData) rmrf(dataDir);
    throw e;
  }
  const host = hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host;
  const port = hp.port;

  const stop = (signal = 'SIGTERM') => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (!exitInfo) {
        try { proc.kill(signal); } catch { /* gone */ }
        const t = setTimeout(() => {
          out += `\n[test] server did not exit ${killAfterMs} ms after ${signal}: SIGKILL\n`;
          try { proc.kill('SIGKILL'); } catch { /* gone */ }
        }, killAfterMs);
        const code = await exited;
        clearTimeout(t);
        if (!keepData) rmrf(dataDir);
        return code;
      }
      if (!keepData) rmrf(dataDir);
      return exited;
    })();
    return stopping;
  };

  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    host,
    port,
    proc,
    pid: proc.pid,
    dataDir,
    logs,
    exited,
    exitInfo: () => exitInfo,
    stop,
    kill: () => stop('SIGKILL'),
  };
}

/*
 * A server that exits without being asked to (a crash, an abort) would
 * otherwise show only as the next request's ECONNREFUSED: its last output,
 * where glibc and libuv say why they aborted, goes to the test's stderr and
 * to tests/artifacts/server-exits.log, which tests/run-all.sh prints.
 */
const SENT_SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT']); // a test's own
function reportUnexpectedExit(pid, code, signal, out) {
  const what = signal ? `signal ${signal}` : `code ${code}`;
  const msg = `[test] server ${pid} (${serverBinary()}) exited unasked, ${what}; its last output:\n${tail(out)}\n`;
  process.stderr.write(msg);
  const dir = path.join(repoRoot, 'tests/artifacts');
  try {
    if (fs.existsSync(dir)) fs.appendFileSync(path.join(dir, 'server-exits.log'), `${process.argv[1] || ''}\n${msg}\n`);
  } catch { /* the report on stderr stands */ }
}

/* Run the binary to completion with args (for --help / --version). */
export function runBinary(args, { timeoutMs = 10000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(serverBinary(), args, {
      cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    let stdout = '', stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(t); reject(e); });
    proc.on('exit', (code, signal) => {
      clearTimeout(t);
      live.delete(proc);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function rmrf(dir) {
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
}

export function tail(s, n = 3000) {
  return s.length > n ? '...' + s.slice(-n) : s;
}

// term.mjs - what the terminal benchmarks share: the C client
// (bench/term_client.c, built as build/bench/term-client) and ttyd, the
// baseline terminal server, when one is installed.
//
// ttyd is not in Debian 12's archive: TTYD=/path/to/ttyd names one built
// or installed by hand; without it the ttyd rows say so.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchDir } from './lib.mjs';

export const CLIENT = path.join(benchDir, '..', 'build', 'bench', 'term-client');

/* Runs the C client; returns its JSON line. */
export function termClient(...args) {
  if (!fs.existsSync(CLIENT)) throw new Error(`${CLIENT} is missing (make build/bench/term-client)`);
  const out = execFileSync(CLIENT, args.map(String), { encoding: 'utf8', timeout: 600000 });
  return JSON.parse(out.trim().split('\n').pop());
}

/* The same, without blocking the event loop. */
export function termClientAsync(...args) {
  return new Promise((resolve, reject) => {
    execFile(CLIENT, args.map(String), { encoding: 'utf8', timeout: 600000 }, (err, out) => {
      if (err) reject(err); else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

/*
 * CPU time a process has used, in ns, all its threads (not its children):
 * the sum of /proc/PID/task/* /schedstat's first field. Not a wall-clock
 * figure: what a keystroke or a MB costs the server, whatever else runs.
 */
export function cpuNs(pid) {
  let sum = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try { sum += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* gone */ }
  }
  return sum;
}

/* The ttyd binary: $TTYD, else one on PATH, else null. */
export function ttydPath() {
  if (process.env.TTYD) return fs.existsSync(process.env.TTYD) ? process.env.TTYD : null;
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir || '.', 'ttyd');
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

export function ttydVersion(bin) {
  try { return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().replace(/^ttyd version /, ''); } catch { return '?'; }
}

/*
 * Starts ttyd on 127.0.0.1, a free port, writable, running argv for every
 * connection. Resolves with { url, stop() }.
 */
export function startTtyd(bin, argv) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['-p', '0', '-i', '127.0.0.1', '-W', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`ttyd did not start: ${log.slice(-300)}`)); }, 10000);
    const onData = (d) => {
      log += d;
      const m = /Listening on port: (\d+)/.exec(log);
      if (m) {
        clearTimeout(t);
        resolve({
          url: `ws://127.0.0.1:${m[1]}/ws`,
          pid: p.pid,
          stop: () => new Promise((r) => { if (p.exitCode !== null) r(); else { p.once('exit', r); p.kill('SIGTERM'); } }),
        });
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.once('exit', (code) => { clearTimeout(t); reject(new Error(`ttyd exited (${code}): ${log.slice(-300)}`)); });
  });
}

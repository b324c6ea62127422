// procs.mjs - a server's helper processes, found in /proc by pid only.
//
// The server forks the sandbox supervisor (comm "coderoom-sup"), which
// starts the spawner ("coderoom-spawn"). Tests that kill or stop one find
// it by walking the server's children, never by name across the host
// (other servers run here too), and signal it with safeKill(), which
// refuses anything but one real process: process.kill(-1) would signal
// every process on the machine.
import fs from 'node:fs';

/* The direct children of pid (every thread's), [] when it is gone. */
export function children(pid) {
  const out = [];
  let tasks = [];
  try { tasks = fs.readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tasks) {
    let s = '';
    try { s = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1'); } catch { continue; }
    for (const c of s.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

export function comm(pid) {
  try { return fs.readFileSync(`/proc/${pid}/comm`, 'latin1').trim(); } catch { return null; }
}

/* Every descendant of pid, depth first. */
export function descendants(pid, depth = 4) {
  if (depth === 0) return [];
  const out = [];
  for (const c of children(pid)) out.push(c, ...descendants(c, depth - 1));
  return out;
}

/* The live process whose comm starts with prefix below serverPid, or null. */
export function helperOf(serverPid, prefix) {
  for (const p of descendants(serverPid, 2)) {
    const c = comm(p);
    if (c && c.startsWith(prefix) && !isZombie(p)) return p;
  }
  return null;
}

export const spawnerOf = (serverPid) => helperOf(serverPid, 'coderoom-spawn');
export const supervisorOf = (serverPid) => helperOf(serverPid, 'coderoom-sup');

export function isZombie(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).startsWith('Z');
  } catch { return true; }
}

export function alive(pid) {
  return fs.existsSync(`/proc/${pid}`) && !isZombie(pid);
}

/* process.kill for one real process only (an integer > 1, not us). */
export function safeKill(pid, signal) {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) {
    throw new Error(`refusing to signal pid ${pid}`);
  }
  process.kill(pid, signal);
}

/* System call numbers by process.arch, for blockedIn(). */
export const SYSCALLS = {
  x64: { recvmsg: 47 },
  arm64: { recvmsg: 212 },
}[process.arch] || {};

/*
 * Whether pid is blocked in the system call named (/proc/PID/syscall, which
 * root may read of any process: "running", or the number and arguments of
 * the call it sleeps in). A process's place in a handshake, where its /proc
 * status alone would show a moment between two steps.
 */
export function blockedIn(pid, name) {
  const nr = SYSCALLS[name];
  if (nr === undefined) throw new Error(`no system call number for ${name} on ${process.arch}`);
  let s;
  try { s = fs.readFileSync(`/proc/${pid}/syscall`, 'latin1'); } catch { return false; }
  return Number(s.split(' ')[0]) === nr && !isZombie(pid);
}

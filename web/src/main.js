// main.js - the coderoom IDE: editor + terminal + the /ws protocol
// (docs/protocol.md, coderoom.v1). On "/" it is one person's editor; on
// "/editor/ID" (or after Share) it is a member of room ID (room.js), where
// the document, the run and the terminal are shared.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { CodeEditor } from './editor.js';
import { RunTerminal } from './terminal.js';
import { Connection, defaultUrl } from './connection.js';
import { canonicalLanguage, exampleFor, fileNameFor, projectFor } from './examples.js';
import { RoomClient, roomKeys } from './room.js';
import { DraftsView, RoomView, askName, setupShareDialog, showShare } from './roomui.js';
import { remoteCursorList } from './cursors.js';
import { Settings, setupSettingsDialog, setupShortcutsDialog } from './settings.js';
import { ProjectView, confirmDialog } from './project.js';
import { UsageView, describeLimits, fmtBytes, fmtMs } from './usage.js';
import { RunHistory } from './history.js';
import { Generator, generateExtension } from './generate.js';

const $ = (id) => document.getElementById(id);
const KEY_LANG = 'coderoom:language';
const KEY_INPUT = 'coderoom:runinput';
const KEY_SPLIT = 'coderoom:split';
const KEY_RUN = 'coderoom:run'; // sessionStorage: run id to re-attach after a reload
const MESSAGE_MAX = 1024 * 1024; // the server's --max-message-bytes default
const OUT_STDOUT = 0x01;
const OUT_STDERR = 0x02;
const IN_STDIN = 0x00;

const store = {
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode, quota */ } },
  remove(k) { try { localStorage.removeItem(k); } catch { /* ignore */ } },
};
const session = {
  get(k) { try { return sessionStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { if (v == null) sessionStorage.removeItem(k); else sessionStorage.setItem(k, v); } catch { /* ignore */ } },
};

// ---------------------------------------------------------------- state

const ui = {
  run: $('run'), stop: $('stop'), clear: $('clear'), example: $('example'),
  language: $('language'), conn: $('conn'), connText: $('conn-text'),
  status: $('status'), statusText: $('status-text'), statusDetail: $('status-detail'),
  langInfo: $('lang-info'), serverInfo: $('server-info'),
  cursorInfo: $('cursor-info'), workspace: $('workspace'), splitter: $('splitter'),
  share: $('share'), download: $('download'), upload: $('upload'), uploadFile: $('upload-file'),
  roleChip: $('role-chip'), termChip: $('term-chip'), readonly: $('readonly-notice'),
  sync: $('sync'), syncText: $('sync-text'), roomInfo: $('room-info'), roomInfoSep: $('room-info-sep'),
  history: $('history'), settings: $('settings'), inputToggle: $('input-toggle'), inputBadge: $('input-badge'),
  runInput: $('runinput'), args: $('run-args'), argsError: $('run-args-error'), stdinOn: $('run-stdin-on'),
  stdin: $('run-stdin'), confirm: $('confirm-dialog'),
};

// The room this page is in: from the address (/editor/ID), or after Share.
const ROOM_PATH = /^\/editor\/([A-Za-z0-9_-]{1,64})\/?$/;
let room = null;
// A project shared as a room: its entry is the room's file 0; the other
// files are added once the host has joined.
let shareFiles = null;
const initialRoom = ROOM_PATH.exec(location.pathname)?.[1] || null;

let languages = [{ id: 'python', name: 'Python', version: '', available: true }];
let language = canonicalLanguage(store.get(KEY_LANG) || 'python');
let languageRaw = store.get(KEY_LANG) || 'python'; // the server's id, as sent in `run`

const run = {
  id: null,          // from `started`
  state: 'idle',     // idle | starting | running | waiting | exited | failed
  pending: false,    // `run` sent, `started` not yet received
  attaching: false,  // `attach` sent, `attached` not yet received
  startedAt: 0,
  lastByte: 0x0a,    // last output byte, to end the summary on a fresh line
  hadOutput: false,
};

// ---------------------------------------------------------------- editor

function langInfo(id) {
  return languages.find((l) => l.id === id) || languages.find((l) => canonicalLanguage(l.id) === canonicalLanguage(id));
}

// Settings first: the editor and the terminal start with them.
let uiReady = false; // the editor and the terminal exist
let generating = false; // code from a prompt is streaming in
const settings = new Settings(store, (v, changed) => applySettings(v, changed));
function editorSettings() { return { ...settings.all, theme: settings.effectiveTheme }; }
function applySettings(v, changed) {
  if (!uiReady) return; // they start with the settings
  editor.applySettings(editorSettings(), changed);
  if (changed.includes('theme')) terminal.setTheme(settings.effectiveTheme);
  if (changed.includes('fontSize')) terminal.setFontSize(v.fontSize);
}

const editor = new CodeEditor($('editor'), {
  doc: '',
  language,
  onRun: () => startRun(),
  onChange: () => {
    if (room) return; // a room's document lives on the server
    project.scheduleSave();
  },
  onCursor: (line, col) => { ui.cursorInfo.textContent = `Ln ${line}, Col ${col}`; },
  settings: editorSettings(),
  extra: generateExtension,
});
window.addEventListener('pagehide', () => project.saveNow());
// Edits the server has not confirmed would be lost with the tab: ask first.
window.addEventListener('beforeunload', (ev) => {
  if (room && room.unconfirmed > 0) {
    ev.preventDefault();
    ev.returnValue = '';
  }
});

// ---------------------------------------------------------------- terminal

const terminal = new RunTerminal($('terminal'), {
  onInput: (bytes) => {
    if (!run.id || !(run.state === 'running' || run.state === 'waiting')) return;
    if (room && !room.canWrite) return; // readers watch (the server refuses too)
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = IN_STDIN;
    frame.set(bytes, 1);
    conn.sendBinary(frame);
  },
  onResize: (rows, cols) => scheduleResize(rows, cols),
  onAck: (bytes) => (run.id ? conn.sendJSON({ type: 'ack', bytes }) : false),
  theme: settings.effectiveTheme,
  fontSize: settings.get('fontSize'),
});
uiReady = true;

// ---------------------------------------------------------------- project, panels

function toast(text, action = null, ms = 5000) { roomView.toast(text, ms, action); }

const project = new ProjectView({
  editor,
  store,
  toast,
  language: () => languageRaw,
  mode: () => langInfo(languageRaw)?.editor,
  canEdit: () => (!room || room.canWrite) && !generating,
  onSwitch: () => updateButtons(),
});

const usageView = new UsageView();

const runHistory = new RunHistory(store, {
  open: (entry, files) => reopen(entry, files),
});

const generator = new Generator({
  editor,
  language: () => languageRaw,
  canEdit: () => !room || room.canWrite,
  busy: (on) => {
    generating = on;
    editor.setReadOnly(on || Boolean(room && !room.canWrite));
    document.body.classList.toggle('is-generating', on);
    project.render();
    updateButtons();
  },
});

const settingsDialog = setupSettingsDialog(settings);
setupShortcutsDialog();

// Program arguments and prepared standard input (runs alone: a room runs
// its document as it is).
const runInput = (() => {
  let saved = {};
  try { saved = JSON.parse(store.get(KEY_INPUT) || '{}') || {}; } catch { saved = {}; }
  ui.args.value = typeof saved.args === 'string' ? saved.args : '';
  ui.stdin.value = typeof saved.stdin === 'string' ? saved.stdin : '';
  ui.stdinOn.checked = saved.on === true;
  const badge = () => {
    const parts = [];
    if (ui.args.value.trim()) parts.push('args');
    if (ui.stdinOn.checked) parts.push('stdin');
    ui.inputBadge.hidden = !parts.length;
    ui.inputBadge.textContent = parts.join(' + ');
    ui.inputToggle.title = parts.length ? `This run gets: ${parts.join(' and ')}` : 'Program arguments and prepared input';
  };
  const save = () => {
    store.set(KEY_INPUT, JSON.stringify({ args: ui.args.value, stdin: ui.stdin.value, on: ui.stdinOn.checked }));
    badge();
  };
  ui.args.addEventListener('input', () => { ui.argsError.textContent = ''; save(); });
  ui.stdin.addEventListener('input', () => {
    if (ui.stdin.value && !ui.stdinOn.checked) ui.stdinOn.checked = true;
    save();
  });
  ui.stdinOn.addEventListener('change', save);
  ui.inputToggle.addEventListener('click', () => {
    const open = ui.runInput.hidden;
    ui.runInput.hidden = !open;
    ui.inputToggle.setAttribute('aria-expanded', String(open));
    if (open) ui.args.focus();
    terminal.fitNow();
  });
  badge();
  return {
    // {args, stdin?} for a run, or null (and the field says why) when the
    // arguments do not parse
    get() {
      let args;
      try { args = splitArgs(ui.args.value); } catch (e) {
        ui.argsError.textContent = e.message;
        if (ui.runInput.hidden) ui.inputToggle.click();
        ui.args.focus();
        return null;
      }
      return ui.stdinOn.checked ? { args, stdin: ui.stdin.value } : { args };
    },
  };
})();

// Arguments the way a shell splits them: white space between words,
// '...' and "..." keep spaces, a backslash escapes the next character.
function splitArgs(s) {
  const out = [];
  let cur = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (/\s/.test(ch)) { if (cur !== null) { out.push(cur); cur = null; } continue; }
    cur = cur ?? '';
    if (ch === '\\' && i + 1 < s.length) { cur += s[++i]; continue; }
    if (ch === "'" || ch === '"') {
      const end = s.indexOf(ch, i + 1);
      if (end < 0) throw new Error(`The ${ch === "'" ? 'single' : 'double'} quote opened at character ${i + 1} is never closed.`);
      cur += s.slice(i + 1, end);
      i = end;
      continue;
    }
    cur += ch;
  }
  if (cur !== null) out.push(cur);
  if (out.length > 256) throw new Error('At most 256 arguments.');
  return out;
}
terminal.term.attachCustomKeyEventHandler((ev) => {
  if (ev.type === 'keydown' && ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !isActive()) {
    ev.preventDefault();
    startRun();
    return false;
  }
  // With no program to receive it, Tab moves the focus on (no keyboard trap).
  if (ev.key === 'Tab' && !ev.ctrlKey && !ev.altKey && !ev.metaKey && !isActive()) return false;
  return true;
});

let resizeTimer = null;
function scheduleResize(rows, cols) {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (room && !room.canWrite) return; // the room's terminal has the writers' size
    if (run.id && isActive()) conn.sendJSON({ type: 'resize', rows, cols });
  }, 80);
}

function writeNote(text, tone = 'dim') {
  const color = { dim: '\x1b[2m', ok: '\x1b[32m', bad: '\x1b[31m', warn: '\x1b[33m' }[tone] || '';
  const nl = run.lastByte === 0x0a ? '' : '\r\n';
  terminal.writeText(`${nl}${color}${text}\x1b[0m\r\n`);
  run.lastByte = 0x0a;
}

// ---------------------------------------------------------------- connection

const conn = new Connection(defaultUrl(), {
  onState: showConnection,
  onHello: handleHello,
  onMessage: handleMessage,
  onBinary: handleBinary,
});

function showConnection(state, detail) {
  ui.conn.dataset.state = state;
  clearInterval(showConnection.timer);
  const text = () => {
    if (state === 'connected') {
      return conn.rtt != null ? `Connected · ${Math.round(conn.rtt)} ms` : 'Connected';
    }
    if (state === 'connecting') return 'Connecting…';
    const wait = detail?.retryAt ? Math.max(0, Math.ceil((detail.retryAt - Date.now()) / 1000)) : 0;
    const label = state === 'offline' ? 'Offline' : 'Reconnecting';
    return wait > 0 ? `${label} · retry in ${wait} s` : `${label}…`;
  };
  ui.connText.textContent = text();
  ui.conn.title = state === 'connected' ? 'Connected to the coderoom server' : 'Not connected to the coderoom server';
  if (state === 'reconnecting' || state === 'offline') {
    showConnection.timer = setInterval(() => { ui.connText.textContent = text(); }, 1000);
    if (run.id && isActive()) setStatus(run.state === 'waiting' ? 'waiting' : 'running', 'Connection lost — will re-attach', true);
  }
  if (state !== 'connected' && room) room.onDisconnected();
}

function handleHello(msg) {
  if (Array.isArray(msg.languages) && msg.languages.length) {
    languages = msg.languages.filter((l) => l && typeof l.id === 'string')
      .sort((a, b) => String(a.name || a.id).localeCompare(String(b.name || b.id), 'en', { sensitivity: 'base' }));
    fillLanguages();
  }
  ui.serverInfo.textContent = `coderoom ${msg.version || ''}`.trim();
  const lim = describeLimits(msg.limits);
  ui.serverInfo.title = lim ? `Limits per run: ${lim}` : '';
  generator.setAvailable(msg.generate);

  // In a room, the run is the room's: joining replays it (no attach).
  if (room) {
    room.onHello();
    return;
  }

  // Re-attach to the run this page (or this tab, before a reload) was showing.
  const id = run.id || session.get(KEY_RUN);
  if (id && (isActive() || !run.id)) {
    attach(id);
  } else if (run.pending) {
    // The socket died between `run` and `started`: that run is out of reach.
    run.pending = false;
    finishRun('failed', 'Connection lost before the run started — press Run again');
  }
}

function attach(id) {
  run.id = id;
  run.attaching = true;
  terminal.reset();          // the server replays the scrollback
  terminal.resetAck();
  run.lastByte = 0x0a;
  if (run.state === 'idle' || run.state === 'exited' || run.state === 'failed') {
    run.state = 'running';
    run.startedAt = performance.now();
  }
  setStatus(run.state === 'waiting' ? 'waiting' : 'running', 'Re-attaching…');
  updateButtons();
  conn.sendJSON({ type: 'attach', run: id, ack: true });
  conn.sendJSON({ type: 'resize', rows: terminal.rows, cols: terminal.cols });
}

function handleMessage(msg) {
  if (room && room.handle(msg)) return;
  switch (msg.type) {
    case 'queued':
      // The server is full: the run waits its turn (Stop leaves the queue).
      run.pending = false;
      run.id = msg.run;
      if (!room) session.set(KEY_RUN, msg.run);
      run.state = 'starting';
      setStatus('queued', `${msg.ahead} ahead`, true);
      updateButtons();
      break;
    case 'started': {
      const mine = !room || (run.pending && msg.by === room.me?.id);
      if (room && !mine) {
        // Another member started the room's run: everyone sees it from the start.
        terminal.reset();
        run.lastByte = 0x0a;
        run.hadOutput = false;
      }
      terminal.resetAck();
      // In a room, whoever started it, no run of mine is pending any more
      // (mine, if I pressed Run too, is refused as busy).
      if (mine || room) { run.pending = false; run.afterSync = false; }
      run.id = msg.run;
      if (!room) session.set(KEY_RUN, msg.run);
      run.state = 'running';
      run.startedAt = performance.now();
      terminal.setConvertEol(msg.input === 'stdin');
      usageView.start(msg.limits);
      if (mine && run.sent) runHistory.started(run.sent);
      run.sent = null;
      const by = room && !mine ? room.members.get(msg.by)?.name : null;
      setStatus('running', by ? `started by ${by}` : '');
      updateButtons();
      if (mine) terminal.focus();
      break;
    }
    case 'attached':
      if (msg.run !== run.id) break;
      run.attaching = false;
      if (msg.state === 'exited') {
        // The `exited` event with the details may follow; if not, say what we know.
        run.state = 'exited';
        setTimeout(() => { if (run.id === msg.run && run.state === 'exited') finishRun('exited', 'Finished while you were away'); }, 1500);
      } else if (msg.state === 'queued') {
        run.state = 'starting';
        setStatus('queued', '', true);
      } else {
        run.state = msg.state === 'waiting_for_input' ? 'waiting' : 'running';
        setStatus(run.state);
      }
      updateButtons();
      break;
    case 'waiting_for_input':
      if (msg.run && msg.run !== run.id) break;
      if (isActive()) { run.state = 'waiting'; setStatus('waiting'); }
      break;
    case 'running':
      if (msg.run && msg.run !== run.id) break;
      if (isActive()) { run.state = 'running'; setStatus('running'); }
      break;
    case 'exited':
      if (msg.run && run.id && msg.run !== run.id) break;
      handleExited(msg);
      break;
    case 'usage':
      if (msg.run && msg.run === run.id && isActive()) usageView.sample(msg);
      break;
    case 'error':
      handleError(msg);
      break;
    case 'reconnecting':
      // cluster mode: the server lost its Redis; the program goes on
      if (msg.run === run.id && isActive())
        setStatus(run.state, 'the server is reconnecting to its cluster; output will follow', true);
      break;
    case 'reconnected':
      if (msg.run === run.id && isActive()) setStatus(run.state, '', true);
      break;
    default:
      console.debug('coderoom: unhandled message', msg);
  }
}

function handleBinary(bytes) {
  if (bytes.length < 1) return;
  const kind = bytes[0];
  const payload = bytes.subarray(1);
  if (kind !== OUT_STDOUT && kind !== OUT_STDERR) return;
  if (payload.length === 0) return;
  if (kind === OUT_STDERR) terminal.writeText('\x1b[31m');
  terminal.write(payload);
  if (kind === OUT_STDERR) terminal.writeText('\x1b[39m');
  run.lastByte = payload[payload.length - 1];
  run.hadOutput = true;
}

function handleExited(msg) {
  const s = msg.status;
  let label;
  let tone = 'bad';
  if (s === 'ok') { label = `Exited with code ${msg.code ?? 0}`; tone = 'ok'; }
  else if (s === 'runtime_error') label = `Exited with code ${msg.code}`;
  else if (s === 'signal') label = msg.message ? capitalize(msg.message) : `Killed by signal ${msg.signal || ''}`.trim();
  else if (s === 'killed') {
    // "stopped" when the user pressed Stop; else why the server killed it.
    label = !msg.message || /^stopped$/i.test(msg.message) ? 'Stopped (killed)' : capitalize(msg.message);
    tone = 'warn';
  } else if (s === 'compile_error') label = msg.message ? capitalize(msg.message) : 'Compilation failed';
  else if (msg.message) label = capitalize(msg.message);
  else if (msg.code != null) label = `Exited with code ${msg.code}`;
  else label = `Ended (${s || 'unknown'})`;

  const times = [];
  if (Number.isFinite(msg.wall_ms)) times.push(`${fmtMs(msg.wall_ms)} wall`);
  if (Number.isFinite(msg.cpu_ms)) times.push(`${fmtMs(msg.cpu_ms)} CPU`);
  if (Number.isFinite(msg.memory_bytes) && msg.memory_bytes > 0) times.push(`peak ${fmtBytes(msg.memory_bytes)}`);
  const detail = times.join(' · ');
  usageView.end(msg);
  runHistory.finished(msg, label);
  // The server's words, when they add something to the label.
  const extra = msg.message && !label.toLowerCase().includes(msg.message.toLowerCase()) && s !== 'ok' && s !== 'runtime_error' && s !== 'killed'
    ? msg.message : '';
  if (msg.truncated) writeNote('[output truncated]', 'dim');

  // The summary line in the terminal; short on narrow terminals (phones).
  const note = terminal.cols >= 70
    ? `── ${label}${extra ? ` — ${extra}` : ''}${detail ? ` · ${detail}` : ''} ──`
    : `── ${label}${Number.isFinite(msg.wall_ms) ? ` · ${fmtMs(msg.wall_ms)}` : ''} ──`;
  writeNote(note, tone);
  finishRun(s === 'ok' ? 'ok' : s === 'killed' ? 'killed' : 'error', label, detail, extra);
}

function handleError(msg) {
  const text = msg.message || msg.code || 'error';
  console.warn('coderoom: server error', msg);
  switch (msg.code) {
    case 'no_such_run':
      if (run.attaching || run.id) {
        run.attaching = false;
        finishRun('failed', 'The run ended while the connection was down');
        writeNote('── the run is no longer available ──', 'dim');
      }
      return;
    case 'rate_limited':
      return; // acks and resizes are cumulative / idempotent: the next one fixes it
    case 'no_run':
      if (!run.pending) return;
      break;
    default:
      break;
  }
  if (run.pending) {
    run.pending = false;
    finishRun('failed', `Could not start: ${text}`);
  } else {
    flashError(text);
  }
}

// ---------------------------------------------------------------- run control

function isActive() {
  return run.pending || run.state === 'starting' || run.state === 'running' || run.state === 'waiting';
}

function startRun() {
  if (isActive()) return;
  if (!conn.connected) {
    flashError('Not connected to the server — the run will need a connection');
    return;
  }
  if (room) {
    startRoomRun();
    return;
  }
  if (generator.running) {
    flashError('Generating code — wait for it, or stop it, then run');
    return;
  }
  const input = runInput.get();
  if (!input) return;
  const files = project.snapshot();
  project.saveNow();
  terminal.reset();
  terminal.resetAck();
  terminal.fitNow();
  run.id = null;
  session.set(KEY_RUN, null);
  run.pending = true;
  run.state = 'starting';
  run.lastByte = 0x0a;
  run.hadOutput = false;
  run.startedAt = performance.now();
  setStatus('starting');
  updateButtons();
  usageView.hide();
  run.sent = { files, language: languageRaw, languageName: langInfo(languageRaw)?.name };
  const msg = {
    type: 'run',
    language: languageRaw,
    rows: terminal.rows,
    cols: terminal.cols,
    ack: true,
    usage: true,
    ...input,
  };
  // one file: code, as ever; a project: every file, the entry first
  if (files.length > 1) msg.files = files.map((f) => ({ name: f.name, content: f.text }));
  else msg.code = files[0].text;
  if (!msg.args.length) delete msg.args;
  const text = JSON.stringify(msg);
  if (text.length > MESSAGE_MAX / 3 && new TextEncoder().encode(text).length > MESSAGE_MAX - 1024) {
    finishRun('failed', `The project is too large to send (${fmtBytes(MESSAGE_MAX)} at most in one message)`);
    return;
  }
  conn.sendText(text);
}

// The room's run runs the server's document: my last edits go first.
function startRoomRun() {
  if (!room.joined) {
    flashError('Joining the room — press Run again in a moment');
    return;
  }
  if (!room.canWrite) {
    flashError('Read-only: ask the host for write access to run the code');
    return;
  }
  terminal.reset();
  terminal.resetAck();
  terminal.fitNow();
  run.id = null;
  run.pending = true;
  run.state = 'starting';
  run.lastByte = 0x0a;
  run.hadOutput = false;
  run.startedAt = performance.now();
  run.afterSync = room.unconfirmed > 0;
  setStatus('starting', run.afterSync ? 'saving your edits' : '');
  updateButtons();
  usageView.hide();
  if (!run.afterSync) sendRoomRun();
}

function sendRoomRun() {
  run.afterSync = false;
  run.sent = { files: room.snapshot(), language: room.language || languageRaw, languageName: langInfo(room.language || languageRaw)?.name, room: room.id };
  conn.sendJSON({ type: 'run', rows: terminal.rows, cols: terminal.cols, ack: true });
}

function stopRun() {
  if (room && !room.canWrite) return;
  if (!run.id || !isActive()) return;
  conn.sendJSON({ type: 'stop' });
  setStatus(run.state, 'Stopping…');
}

function finishRun(kind, label, detail = '', extra = '') {
  if (kind === 'failed') {
    runHistory.finished(null, label);
    usageView.end(null);
  }
  run.sent = null;
  run.state = kind === 'failed' ? 'failed' : 'exited';
  run.pending = false;
  run.afterSync = false;
  run.attaching = false;
  run.id = null;
  session.set(KEY_RUN, null);
  terminal.sendAck(performance.now());
  terminal.resetAck();
  stopTicker();
  document.body.classList.remove('is-waiting');
  document.title = 'coderoom';
  ui.status.dataset.state = kind;
  ui.statusText.textContent = label;
  ui.statusDetail.textContent = detail;
  ui.status.title = extra || label;
  updateButtons();
}

// ---------------------------------------------------------------- status UI

const STATUS_TEXT = {
  idle: 'Ready', starting: 'Starting…', queued: 'Waiting for a free slot', running: 'Running',
  waiting: 'Waiting for input',
};
let ticker = null;
let RUN_TITLE = 'Run (Ctrl+Enter)';

function setStatus(state, note = '', keepTicker = false) {
  ui.status.dataset.state = state;
  document.body.classList.toggle('is-waiting', state === 'waiting');
  document.title = state === 'waiting' ? 'Waiting for input · coderoom' : state === 'running' ? 'Running · coderoom' : 'coderoom';
  ui.statusText.textContent = note ? `${STATUS_TEXT[state] || state} — ${note}` : STATUS_TEXT[state] || state;
  ui.status.title = '';
  if (state === 'running' || state === 'waiting' || state === 'starting' || state === 'queued') {
    if (!ticker || !keepTicker) startTicker();
  } else {
    stopTicker();
    ui.statusDetail.textContent = '';
  }
}

function startTicker() {
  stopTicker();
  const tick = () => { ui.statusDetail.textContent = run.startedAt == null ? '' : fmtMs(performance.now() - run.startedAt, true); };
  tick();
  ticker = setInterval(tick, 200);
}

function stopTicker() {
  clearInterval(ticker);
  ticker = null;
}

let flashTimer = null;
function flashError(text) {
  const prev = { state: ui.status.dataset.state, text: ui.statusText.textContent, detail: ui.statusDetail.textContent };
  ui.status.dataset.state = 'error';
  ui.statusText.textContent = text;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => {
    if (ui.statusText.textContent !== text) return;
    if (isActive()) setStatus(run.state, '', true);
    else { ui.status.dataset.state = prev.state === 'error' ? 'idle' : prev.state; ui.statusText.textContent = prev.state === 'error' ? 'Ready' : prev.text; ui.statusDetail.textContent = prev.detail; }
  }, 4000);
}

function updateButtons() {
  const active = isActive();
  const write = !room || room.canWrite;
  const gen = generating;
  ui.run.disabled = active || !write || gen;
  ui.run.setAttribute('aria-disabled', String(ui.run.disabled));
  ui.run.title = write ? RUN_TITLE : 'Read-only: ask the host for write access';
  ui.stop.disabled = !(active && run.id && write);
  ui.language.disabled = active || gen || (room ? !room.isHost : false);
  ui.language.title = room && !room.isHost ? 'The host chooses the room\u2019s language' : '';
  ui.example.disabled = !write || gen;
  ui.upload.disabled = !write || gen;
  ui.share.disabled = !room && active;
  ui.share.title = room ? 'Copy the link to this room' : active ? 'Stop the program first, then share' : 'Share: a room others can join with a link';
  ui.upload.title = !write ? 'Read-only: ask the host for write access'
    : room ? 'Replace the room\u2019s file with a file from this device' : 'Add files (or open a .zip) from this device';
  ui.download.title = project?.multi ? 'Download the project as a .zip' : 'Download the file';
  document.body.classList.toggle('is-running', active);
}

// ---------------------------------------------------------------- languages

function fillLanguages() {
  const sel = ui.language;
  sel.textContent = '';
  for (const l of languages) {
    const o = document.createElement('option');
    o.value = l.id;
    o.textContent = l.available === false ? `${l.name || l.id} (not installed)` : (l.name || l.id);
    o.disabled = l.available === false;
    sel.append(o);
  }
  // Keep the stored choice when the server offers it; else Python; else the first usable one.
  const usable = languages.filter((l) => l.available !== false);
  const pick = usable.find((l) => l.id === languageRaw)
    || usable.find((l) => canonicalLanguage(l.id) === language)
    || usable.find((l) => canonicalLanguage(l.id) === 'python')
    || usable[0] || languages[0];
  if (pick) selectLanguage(pick.id, { initial: true });
}

function selectLanguage(id, { initial = false } = {}) {
  if (room) {
    // The room's language is the host's to change; everyone follows room_settings.
    if (!initial && room.isHost && room.language && id !== room.language) {
      room.setLanguage(id);
      ui.language.value = room.language;
    } else {
      showRoomLanguage();
    }
    return;
  }
  const next = canonicalLanguage(id);
  const changed = next !== language;
  languageRaw = id;
  language = next;
  ui.language.value = id;
  store.set(KEY_LANG, id);
  const info = languages.find((l) => l.id === id);
  // each language has its project (saved as it was left)
  if (project.lang !== next) project.open(next, info?.example);
  const mode = project.modeOf(project.active);
  editor.setLanguage(mode || next, mode ? undefined : info?.editor);
  ui.langInfo.textContent = info ? `${info.name || info.id}${info.version ? ` ${info.version}` : ''}` : id;
  if (changed && !initial) editor.focus();
}

// The room's language in the picker, the editor's mode and the file name.
function showRoomLanguage() {
  if (!room?.language) return;
  const id = room.language;
  languageRaw = id;
  language = canonicalLanguage(id);
  const info = languages.find((l) => l.id === id);
  if ([...ui.language.options].some((o) => o.value === id)) ui.language.value = id;
  if (editor.languageId !== language) editor.setLanguage(language, info?.editor);
  project.setRoomFileName(room.file || fileNameFor(language));
  ui.langInfo.textContent = info ? `${info.name || info.id}${info.version ? ` ${info.version}` : ''}` : id;
}

function capitalize(s) { return s ? s[0].toUpperCase() + s.slice(1) : s; }

// ---------------------------------------------------------------- layout

function setupSplitter() {
  const ws = ui.workspace;
  const saved = Number(store.get(KEY_SPLIT));
  if (saved >= 20 && saved <= 80) ws.style.setProperty('--split', `${saved}%`);
  const vertical = () => getComputedStyle(ws).getPropertyValue('--stacked').trim() === '1';
  const setPct = (pct) => {
    const p = Math.min(80, Math.max(20, pct));
    ws.style.setProperty('--split', `${p}%`);
    ui.splitter.setAttribute('aria-valuenow', String(Math.round(p)));
    store.set(KEY_SPLIT, String(Math.round(p)));
  };
  ui.splitter.setAttribute('aria-valuemin', '20');
  ui.splitter.setAttribute('aria-valuemax', '80');
  ui.splitter.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    ui.splitter.setPointerCapture(ev.pointerId);
    document.body.classList.add('is-dragging');
    const r = ws.getBoundingClientRect();
    const move = (e) => {
      setPct(vertical() ? ((e.clientY - r.top) / r.height) * 100 : ((e.clientX - r.left) / r.width) * 100);
    };
    const up = () => {
      ui.splitter.removeEventListener('pointermove', move);
      ui.splitter.removeEventListener('pointerup', up);
      ui.splitter.removeEventListener('pointercancel', up);
      document.body.classList.remove('is-dragging');
    };
    ui.splitter.addEventListener('pointermove', move);
    ui.splitter.addEventListener('pointerup', up);
    ui.splitter.addEventListener('pointercancel', up);
  });
  ui.splitter.addEventListener('keydown', (ev) => {
    const cur = parseFloat(getComputedStyle(ws).getPropertyValue('--split')) || 55;
    const dec = vertical() ? 'ArrowUp' : 'ArrowLeft';
    const inc = vertical() ? 'ArrowDown' : 'ArrowRight';
    if (ev.key === dec) { setPct(cur - 5); ev.preventDefault(); }
    else if (ev.key === inc) { setPct(cur + 5); ev.preventDefault(); }
  });
}

// ---------------------------------------------------------------- rooms

const roomView = new RoomView({
  setRole: (member, role) => room?.setRole(member, role),
  handOver: (member) => room?.handOver(member),
  setOpenEdit: (on) => room?.setOpenEdit(on),
  chat: (text) => room?.chat(text),
  refresh: () => room && roomView.renderMembers(room),
});
const draftsView = new DraftsView({
  getDrafts: () => room?.drafts || [],
  canApply: () => Boolean(room?.canWrite),
  apply: (text) => room?.applyText(text),
  discard: (i) => room?.dropDraft(i),
});

function roomUrl(id) { return `${location.origin}/editor/${id}`; }

// Becomes a member of room id: asks for a name once, then joins on every
// (re)connection with the member's token.
async function enterRoom(id) {
  room = new RoomClient(id, {
    conn,
    editor,
    store,
    on: {
      joined: onRoomJoined,
      members: () => { roomView.renderMembers(room); showRoomInfo(); },
      chat: (lines, replace) => roomView.addChat(lines, replace, room),
      role: showRole,
      settings: () => { showRoomLanguage(); roomView.renderMembers(room); },
      sync: showSync,
      drafts: (drafts, announce) => draftsView.update(announce),
      notice: onRoomNotice,
      removed: onRemoved,
      files: (list, activeId, opts) => { project.setRoomFiles(list, activeId, opts); updateButtons(); },
    },
  });
  document.body.classList.add('in-room');
  // the room's files are the tabs from now on
  project.roomMode({
    show: (id) => room.showFile(id),
    add: (name, text) => room.addFile(name, text),
    rename: (id, name) => room.renameFile(id, name),
    remove: (id) => room.deleteFile(id),
    entry: (id) => room.setEntry(id),
    snapshot: () => room.snapshot(),
    supported: () => room.filesSupported,
  });
  ui.runInput.hidden = true;
  ui.inputToggle.hidden = true;
  terminal.reset();
  run.lastByte = 0x0a;
  roomView.show(true);
  editor.setReadOnly(true); // until joined, and then as the role says
  document.title = 'Room · coderoom';
  draftsView.update(false);
  showSync(room.syncState());
  const name = store.get(roomKeys.name) || await askName('');
  room.setName(name);
  if (conn.connected) room.onHello();
}

function onRoomJoined(msg, { rejoin }) {
  const wasRunning = Boolean(run.id);
  if (shareFiles && room.canWrite && room.filesSupported) {
    const { entry, rest, active } = shareFiles;
    shareFiles = null;
    if (entry && entry !== room.file) room.renameFile(0, entry);
    // the view stays on the file I was on (file 0 shows first)
    for (const f of rest) room.addFile(f.name, f.text, { show: f.name === active });
  } else if (shareFiles && room.canWrite && !room.filesSupported) {
    // a server whose rooms keep one file (a cluster's): say what stayed
    const { rest } = shareFiles;
    shareFiles = null;
    if (rest.length) toast(`This server's rooms keep one file: ${rest.length} other file${rest.length === 1 ? '' : 's'} stayed in this browser's project`, null, 8000);
  }
  roomView.chatMax = room.limits.chat_bytes || 2000;
  showRoomLanguage();
  roomView.renderMembers(room);
  showRoomInfo();
  if (msg.run && msg.run.id) {
    // The room's run is on: its scrollback follows, then `attached`, then live output.
    terminal.reset();
    terminal.resetAck();
    run.id = msg.run.id;
    run.attaching = true;
    run.pending = false;
    run.state = msg.run.state === 'waiting_for_input' ? 'waiting' : 'running';
    run.lastByte = 0x0a;
    if (!wasRunning) run.startedAt = null; // started before I came: no clock
    setStatus(run.state, rejoin ? 'Re-joined' : 'Joined mid-run');
  } else if (wasRunning && isActive()) {
    finishRun('exited', 'The run ended while you were away');
  } else if (run.pending && !run.afterSync) {
    finishRun('failed', 'Connection lost before the run started — press Run again');
  } else if (!rejoin) {
    terminal.writeText('\x1b[2mThe room\'s program runs here: everyone in the room sees the same terminal.\x1b[0m\r\n');
  }
  updateButtons();
}

function showRole(role, prev) {
  const write = room.canWrite;
  editor.setReadOnly(!write);
  terminal.term.options.disableStdin = !write;
  ui.roleChip.hidden = !role;
  ui.roleChip.textContent = role === 'host' ? 'Host' : role === 'writer' ? 'Can edit' : 'Read-only';
  ui.roleChip.dataset.role = role || '';
  ui.readonly.hidden = write;
  ui.termChip.hidden = write;
  document.body.classList.toggle('is-reader', !write);
  updateButtons();
  if (prev && role !== prev) {
    if (role === 'host') roomView.toast('You are now the host of this room.');
    else if (write && prev === 'reader') roomView.toast('You can now edit, run and type into the terminal.');
    else if (!write) roomView.toast('The host made you a reader: the room is read-only for you now.');
  }
}

function showRoomInfo() {
  const n = room.members.size;
  ui.roomInfo.hidden = ui.roomInfoSep.hidden = false;
  ui.roomInfo.textContent = `Room ${room.id.slice(0, 6)}… · ${n} ${n === 1 ? 'person' : 'people'}`;
  ui.roomInfo.title = roomUrl(room.id);
}

const SYNC_TEXT = {
  synced: () => 'Saved',
  sending: (n) => `Saving ${n} edit${n === 1 ? '' : 's'}…`,
  joining: (n) => (n ? `Joining · ${n} unsent` : 'Joining…'),
  offline: (n) => (n ? `Offline · ${n} unsent edit${n === 1 ? '' : 's'} kept` : 'Offline'),
};

function showSync({ state, unsent }) {
  ui.sync.hidden = false;
  if (ui.sync.dataset.state !== state || ui.sync.dataset.unsent !== String(unsent)) {
    ui.sync.dataset.state = state;
    ui.sync.dataset.unsent = String(unsent);
    ui.syncText.textContent = SYNC_TEXT[state](unsent);
    ui.sync.title = state === 'offline'
      ? 'Not connected: keep typing; your edits are sent when the connection is back'
      : state === 'synced' ? 'Every edit of yours is saved in the room' : '';
  }
  // A Run pressed with edits unsent starts once they are in.
  if (run.afterSync && state === 'synced' && run.pending) sendRoomRun();
}

function onRoomNotice(n) {
  if (n.kind === 'join') {
    const text = n.code === 'not_found' ? 'This room does not exist (any more). Check the link.'
      : n.code === 'room_full' ? 'This room is full. Try again later.' : n.message || n.code;
    setStatus('idle');
    flashError(text);
    roomView.toast(text, 15000);
    if (n.code === 'bad_field') askName(room.name).then((name) => { room.setName(name); room.join(); });
    return;
  }
  if (n.kind === 'chat') roomView.restoreChat(n.text);
  roomView.toast(n.message || n.code);
}

function onRemoved(reason) {
  if (reason !== 'replaced') {
    // The server is stopping: keep typing, the page joins again when it is back.
    roomView.toast(reason === 'closing' ? 'The server is restarting: your edits are kept and sent when it is back.'
      : 'Out of the room for a moment: your edits are kept and sent when the page is back in.', 8000);
    return;
  }
  const text = 'This room is now open in another tab or window, and continues there. Reload this page to use it here.';
  editor.setReadOnly(true);
  roomView.toast(text, 600000);
  ui.sync.dataset.state = 'offline';
  ui.syncText.textContent = 'Not in the room';
  if (isActive()) finishRun('failed', 'Watching from another tab');
}

// Share: in a room, the link; alone, a new room with my code, then the link.
async function share() {
  if (room) {
    showShare(roomUrl(room.id));
    return;
  }
  ui.share.disabled = true;
  try {
    // a room shares one document: the entry file (the others stay in this
    // browser's project)
    const files = project.snapshot();
    const entryName = project.entry;
    const res = await fetch('/create_session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ language: languageRaw, code: files[0].text }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || typeof body.session_id !== 'string') throw new Error(body.message || body.error || `HTTP ${res.status}`);
    project.saveNow();
    // the other files (and the entry's own name) follow once joined
    shareFiles = { entry: entryName, rest: files.slice(1), active: project.active };
    history.pushState({ room: body.session_id }, '', `/editor/${body.session_id}`);
    await enterRoom(body.session_id); // asks for a name first, if need be
    showShare(roomUrl(body.session_id));
  } catch (e) {
    flashError(`Could not create a room: ${e.message}`);
  } finally {
    ui.share.disabled = false;
  }
}

// The code as a file (the room's name, or the file shown), or the project
// as a ZIP when it has several files.
async function download() {
  let name;
  let blob;
  if (project.multi) {
    name = `coderoom-${language}.zip`;
    try { blob = await project.zipBlob(); } catch (e) { toast(`Could not make the ZIP: ${e.message}`); return; }
  } else {
    name = room?.file || project.active || fileNameFor(language);
    name = name.split('/').pop();
    blob = new Blob([editor.code], { type: 'text/plain;charset=utf-8' });
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// A file from this device replaces the code (writers), within the size cap.
async function uploadFile(file) {
  const docMax = room ? room.limits.doc_bytes : MESSAGE_MAX;
  const label = `\u201c${file.name}\u201d`;
  if (file.size > docMax) {
    roomView.toast(`${label} is ${fmtBytes(file.size)}; the file can hold at most ${fmtBytes(docMax)}. Nothing was changed.`, 8000);
    return;
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    roomView.toast(`${label} is not a text file (UTF-8). Nothing was changed.`, 8000);
    return;
  }
  if (text.includes('\0')) {
    roomView.toast(`${label} is a binary file. Nothing was changed.`, 8000);
    return;
  }
  text = text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
  if (!room.canWrite) {
    roomView.toast('Read-only: ask the host for write access.');
    return;
  }
  const msg = JSON.stringify({ type: 'upload', text, name: file.name });
  if (new TextEncoder().encode(msg).length > MESSAGE_MAX - 256) {
    roomView.toast(`${label} is too large to send in one message (${fmtBytes(MESSAGE_MAX)} at most). Nothing was changed.`, 8000);
    return;
  }
  if (!conn.connected || !room.joined) {
    roomView.toast('Not connected: upload the file again when the connection is back.');
    return;
  }
  const before = editor.code;
  if (before.trim() && before !== text) room.addDraft(before, 'upload', false);
  room.upload(text, file.name);
  roomView.toast(`${label} replaces the room\u2019s file. The previous text is kept as a recovery draft.`);
}

ui.share.addEventListener('click', () => share());
ui.download.addEventListener('click', () => download());
ui.upload.addEventListener('click', () => ui.uploadFile.click());
ui.uploadFile.addEventListener('change', () => {
  const files = [...(ui.uploadFile.files || [])];
  ui.uploadFile.value = '';
  if (!files.length) return;
  if (room) uploadFile(files[0]); // a room has one document
  else project.upload(files);
});
ui.history.addEventListener('click', () => runHistory.show());
ui.settings.addEventListener('click', () => settingsDialog.open());

// A run of the history, opened again: its files replace the project (of
// its language), Undo brings the project back; in a room, its one file
// becomes an ordinary edit.
async function reopen(entry, files) {
  if (room) {
    if (!room.canWrite) { toast('Read-only: ask the host for write access.'); return; }
    if (files.length > 1) { toast('That run had several files: open it outside the room, or add its files to the room\u2019s tabs.'); return; }
    room.applyText(files[0].text);
    editor.focus();
    return;
  }
  if (isActive()) { toast('Stop the program first, then open another version.'); return; }
  const target = languages.find((l) => l.id === entry.language) || languages.find((l) => canonicalLanguage(l.id) === canonicalLanguage(entry.language));
  if (target && canonicalLanguage(target.id) !== language) selectLanguage(target.id);
  const before = project.replaceAll(files, files[0].name);
  toast(`Opened the code of that run (${files.length} file${files.length === 1 ? '' : 's'}).`, { label: 'Undo', run: () => project.replaceAll(before.files, before.active) });
  editor.focus();
}
window.addEventListener('popstate', () => {
  // The page is what its address says: a room, or the editor alone.
  if ((ROOM_PATH.exec(location.pathname)?.[1] || null) !== (room?.id || null)) location.reload();
});

// ---------------------------------------------------------------- wiring

ui.run.addEventListener('click', () => startRun());
ui.stop.addEventListener('click', () => stopRun());
ui.clear.addEventListener('click', () => {
  if (isActive()) terminal.clear(); else terminal.reset();
  run.lastByte = 0x0a;
  if (!isActive()) {
    ui.status.dataset.state = 'idle';
    ui.statusText.textContent = 'Ready';
    ui.statusDetail.textContent = '';
  }
});
ui.example.addEventListener('click', async () => {
  if (room) {
    room.applyText(exampleFor(language, langInfo(languageRaw)?.example));
    editor.focus();
    return;
  }
  const files = projectFor(language, langInfo(languageRaw)?.example);
  if (project.files.length === 1 && files.length === 1) {
    editor.setCode(files[0].text); // one undoable change
    editor.focus();
    return;
  }
  const ok = await confirmDialog(ui.confirm, 'Start from the example?', `Its ${files.length} file${files.length === 1 ? '' : 's'} replace the ${project.files.length} of this project (Undo brings them back).`, 'Replace');
  if (!ok) return;
  const before = project.replaceAll(files, files[0].name);
  toast('The example replaces the project.', { label: 'Undo', run: () => project.replaceAll(before.files, before.active) });
  editor.focus();
});
ui.language.addEventListener('change', () => selectLanguage(ui.language.value));
document.addEventListener('keydown', (ev) => {
  // Ctrl/Cmd-Enter anywhere outside the editor and terminal runs too.
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !ev.defaultPrevented) {
    if (ev.target.closest?.('.cm-editor, .xterm')) return;
    ev.preventDefault();
    startRun();
  }
});

if (/Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)) {
  // Cmd instead of Ctrl in the hints on Apple keyboards (the shortcut takes both).
  for (const k of document.querySelectorAll('#editor-hint kbd')) if (k.textContent === 'Ctrl') k.textContent = '⌘';
  RUN_TITLE = 'Run (⌘+Enter)';
}
fillLanguages();
setupSplitter();
setupShareDialog();
updateButtons();
if (initialRoom) enterRoom(initialRoom);
conn.start();
if (!initialRoom) terminal.writeText('\x1b[2mPress \x1b[0mRun\x1b[2m (Ctrl+Enter) and the program\'s output appears here. Type into this terminal when it asks for input.\x1b[0m\r\n');

// A small handle for debugging from the console and for browser tests.
window.coderoom = {
  get code() { return editor.code; },
  setCode: (text) => editor.setCode(text),
  get run() { return { ...run }; },
  get connection() { return conn.state; },
  reconnect: () => conn.drop(), // drop the socket (tests, debugging): the client reconnects and re-attaches
  send: (msg) => conn.sendJSON(msg), // a raw message (tests: what the server refuses)
  editor: editor.view,
  terminal: terminal.term,
  get project() { return { names: project.names, active: project.active, entry: project.entry, files: project.snapshot() }; },
  get settings() { return settings.all; },
  get theme() { return settings.effectiveTheme; },
  get room() {
    if (!room) return null;
    return {
      id: room.id, me: room.me, role: room.role, joined: room.joined, version: room.version,
      unconfirmed: room.unconfirmed, clientID: room.clientID, members: [...room.members.values()],
      drafts: room.drafts.map((d) => ({ ...d })), cursors: remoteCursorList(editor.view.state),
      sync: room.syncState().state,
      files: room.fileList().map((f) => ({ ...f, text: room.files.get(f.id).text, version: room.files.get(f.id).version })),
      entry: room.entry, active: room.activeId,
    };
  },
};

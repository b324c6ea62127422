// main.js - the coderoom IDE: editor + terminal + the /ws protocol
// (docs/protocol.md, coderoom.v1).
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { CodeEditor } from './editor.js';
import { RunTerminal } from './terminal.js';
import { Connection, defaultUrl } from './connection.js';
import { canonicalLanguage, exampleFor, fileNameFor } from './examples.js';

const $ = (id) => document.getElementById(id);
const KEY_LANG = 'coderoom:language';
const KEY_CODE = (lang) => `coderoom:code:${lang}`;
const KEY_SPLIT = 'coderoom:split';
const KEY_RUN = 'coderoom:run'; // sessionStorage: run id to re-attach after a reload
const OUT_STDOUT = 0x01;
const OUT_STDERR = 0x02;
const IN_STDIN = 0x00;

const store = {
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode, quota */ } },
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
  fileName: $('file-name'), langInfo: $('lang-info'), serverInfo: $('server-info'),
  cursorInfo: $('cursor-info'), workspace: $('workspace'), splitter: $('splitter'),
};

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

function savedCode(lang) {
  const c = store.get(KEY_CODE(lang));
  return c == null ? exampleFor(lang, langInfo(lang)?.example) : c;
}

let saveTimer = null;
const editor = new CodeEditor($('editor'), {
  doc: savedCode(language),
  language,
  onRun: () => startRun(),
  onChange: (text) => {
    clearTimeout(saveTimer);
    const lang = language;
    saveTimer = setTimeout(() => store.set(KEY_CODE(lang), text), 250);
  },
  onCursor: (line, col) => { ui.cursorInfo.textContent = `Ln ${line}, Col ${col}`; },
});
window.addEventListener('pagehide', () => {
  clearTimeout(saveTimer);
  store.set(KEY_CODE(language), editor.code);
});

// ---------------------------------------------------------------- terminal

const terminal = new RunTerminal($('terminal'), {
  onInput: (bytes) => {
    if (!run.id || !(run.state === 'running' || run.state === 'waiting')) return;
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = IN_STDIN;
    frame.set(bytes, 1);
    conn.sendBinary(frame);
  },
  onResize: (rows, cols) => scheduleResize(rows, cols),
  onAck: (bytes) => (run.id ? conn.sendJSON({ type: 'ack', bytes }) : false),
});
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
}

function handleHello(msg) {
  if (Array.isArray(msg.languages) && msg.languages.length) {
    languages = msg.languages.filter((l) => l && typeof l.id === 'string')
      .sort((a, b) => String(a.name || a.id).localeCompare(String(b.name || b.id), 'en', { sensitivity: 'base' }));
    fillLanguages();
  }
  ui.serverInfo.textContent = `coderoom ${msg.version || ''}`.trim();
  ui.serverInfo.title = describeLimits(msg.limits);

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
  switch (msg.type) {
    case 'queued':
      // The server is full: the run waits its turn (Stop leaves the queue).
      run.pending = false;
      run.id = msg.run;
      session.set(KEY_RUN, msg.run);
      run.state = 'starting';
      setStatus('queued', `${msg.ahead} ahead`, true);
      updateButtons();
      break;
    case 'started':
      run.pending = false;
      run.id = msg.run;
      session.set(KEY_RUN, msg.run);
      run.state = 'running';
      run.startedAt = performance.now();
      setStatus('running');
      updateButtons();
      terminal.focus();
      break;
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
    case 'error':
      handleError(msg);
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
  if (Number.isFinite(msg.memory_bytes) && msg.memory_bytes > 0) times.push(fmtBytes(msg.memory_bytes));
  const detail = times.join(' · ');
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
  const code = editor.code;
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
  conn.sendJSON({
    type: 'run',
    language: languageRaw,
    code,
    rows: terminal.rows,
    cols: terminal.cols,
    ack: true,
  });
}

function stopRun() {
  if (!run.id || !isActive()) return;
  conn.sendJSON({ type: 'stop' });
  setStatus(run.state, 'Stopping…');
}

function finishRun(kind, label, detail = '', extra = '') {
  run.state = kind === 'failed' ? 'failed' : 'exited';
  run.pending = false;
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
  const tick = () => { ui.statusDetail.textContent = fmtMs(performance.now() - run.startedAt, true); };
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
  ui.run.disabled = active;
  ui.run.setAttribute('aria-disabled', String(active));
  ui.stop.disabled = !(active && run.id);
  ui.language.disabled = active;
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
  const next = canonicalLanguage(id);
  const changed = next !== language;
  if (changed) {
    clearTimeout(saveTimer);
    store.set(KEY_CODE(language), editor.code);
  }
  languageRaw = id;
  language = next;
  ui.language.value = id;
  store.set(KEY_LANG, id);
  if (changed || (initial && store.get(KEY_CODE(next)) == null && editor.code !== savedCode(next))) {
    editor.setCode(savedCode(next));
  }
  const info = languages.find((l) => l.id === id);
  editor.setLanguage(next, info?.editor);
  ui.fileName.textContent = fileNameFor(next);
  ui.langInfo.textContent = info ? `${info.name || info.id}${info.version ? ` ${info.version}` : ''}` : id;
  if (changed && !initial) editor.focus();
}

function describeLimits(limits) {
  if (!limits || typeof limits !== 'object') return '';
  const parts = [];
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number') continue;
    const name = k.replace(/_(ms|bytes|s)$/, '').replace(/_/g, ' ');
    if (k.endsWith('_ms')) parts.push(`${name}: ${fmtMs(v)}`);
    else if (k.endsWith('_bytes')) parts.push(`${name}: ${fmtBytes(v)}`);
    else parts.push(`${name}: ${v}`);
  }
  return parts.length ? `Limits per run — ${parts.join(', ')}` : '';
}

// ---------------------------------------------------------------- formatting

function fmtMs(ms, live = false) {
  if (ms < 1000 && !live) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(live ? 1 : 2)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.floor(s % 60)} s`;
}

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
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
ui.example.addEventListener('click', () => {
  editor.setCode(exampleFor(language, langInfo(languageRaw)?.example));
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
  ui.run.title = 'Run (⌘+Enter)';
}
fillLanguages();
setupSplitter();
updateButtons();
conn.start();
terminal.writeText('\x1b[2mPress \x1b[0mRun\x1b[2m (Ctrl+Enter) and the program\'s output appears here. Type into this terminal when it asks for input.\x1b[0m\r\n');

// A small handle for debugging from the console and for browser tests.
window.coderoom = {
  get code() { return editor.code; },
  setCode: (text) => editor.setCode(text),
  get run() { return { ...run }; },
  get connection() { return conn.state; },
  reconnect: () => conn.drop(), // drop the socket (tests, debugging): the client reconnects and re-attaches
  editor: editor.view,
  terminal: terminal.term,
};

// usage.js - what a run uses while it runs: CPU and memory from the
// server's "usage" samples (docs/protocol.md), a sparkline of memory, the
// peak at the end, and the limits in force (on hover, and in a panel).
const $ = (id) => document.getElementById(id);
const POINTS = 60; // samples in the sparkline (about 18 s at ~300 ms)

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function fmtMs(ms, live = false) {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000 && !live) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(live ? 1 : 2)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.floor(s % 60)} s`;
}

const LIMIT_NAMES = {
  cpu_ms: ['CPU time', fmtMs], wall_ms: ['Wall time', fmtMs], memory_bytes: ['Memory', fmtBytes],
  output_bytes: ['Output', fmtBytes], pids: ['Processes and threads', String],
};

export function describeLimits(limits) {
  if (!limits || typeof limits !== 'object') return '';
  return Object.entries(LIMIT_NAMES)
    .filter(([k]) => typeof limits[k] === 'number')
    .map(([k, [name, fmt]]) => `${name}: ${fmt(limits[k])}`).join(', ');
}

export class UsageView {
  constructor() {
    this.el = {
      box: $('usage'), text: $('usage-text'), line: $('usage-spark-line'), area: $('usage-spark-area'),
      button: $('limits-button'), dialog: $('limits-dialog'), table: $('limits-table'), note: $('limits-note'),
    };
    this.limits = null;
    this.samples = [];
    this.last = null;
    this.peak = 0;
    this.exited = null;
    this.el.button.addEventListener('click', () => this.openPanel());
    $('limits-close').addEventListener('click', () => this.el.dialog.close());
  }

  // A run begins (or is joined): its limits, no samples yet.
  start(limits) {
    this.limits = limits || null;
    this.samples = [];
    this.last = null;
    this.peak = 0;
    this.exited = null;
    this.el.box.hidden = false;
    this.el.box.dataset.state = 'running';
    this.el.text.textContent = '';
    this.draw();
    this.title();
  }

  sample(u) {
    if (!u || !Number.isFinite(u.memory_bytes)) return;
    this.last = u;
    this.peak = Math.max(this.peak, u.memory_peak || 0, u.memory_bytes);
    this.samples.push(u.memory_bytes);
    if (this.samples.length > POINTS) this.samples.shift();
    const step = u.step === 'compile' ? 'compiling · ' : '';
    this.el.text.textContent = `${step}CPU ${fmtMs(u.cpu_ms, true)} · ${fmtBytes(u.memory_bytes)}`;
    this.el.box.dataset.memory = String(u.memory_bytes); // for tests: the figure shown
    this.draw();
    this.title();
    if (this.el.dialog.open) this.fillPanel();
  }

  // The end: the peak and the CPU time of the run step.
  end(ex) {
    this.exited = ex;
    this.el.box.dataset.state = 'exited';
    if (Number.isFinite(ex?.memory_bytes) && ex.memory_bytes > 0) this.peak = Math.max(this.peak, ex.memory_bytes);
    if (!this.limits && !this.samples.length && !this.peak) { this.el.box.hidden = true; return; }
    this.el.text.textContent = this.peak ? `peak ${fmtBytes(this.peak)}` : '';
    this.el.box.dataset.memory = String(this.peak);
    this.draw();
    this.title();
    if (this.el.dialog.open) this.fillPanel();
  }

  hide() {
    this.el.box.hidden = true;
    this.samples = [];
  }

  title() {
    const lim = describeLimits(this.limits);
    const now = this.last ? `Now: CPU ${fmtMs(this.last.cpu_ms)}, memory ${fmtBytes(this.last.memory_bytes)}, ${this.last.pids} task${this.last.pids === 1 ? '' : 's'}. ` : '';
    const peak = this.peak ? `Peak memory ${fmtBytes(this.peak)}. ` : '';
    const t = `${now}${peak}${lim ? `Limits of this run: ${lim}.` : ''}`;
    this.el.box.title = t;
    this.el.button.setAttribute('aria-label', `Resources and limits of the run. ${t}`);
  }

  // The memory sparkline: the samples against the most of them (or the
  // limit, when near it), as an SVG polyline (no canvas, no inline script).
  draw() {
    const s = this.samples;
    const W = 60;
    const H = 16;
    if (s.length < 2) { this.el.line.setAttribute('points', ''); this.el.area.setAttribute('points', ''); return; }
    const lim = this.limits?.memory_bytes || 0;
    let top = Math.max(...s, 1);
    if (lim && top > lim * 0.5) top = lim; // near the limit: show how near
    const pts = s.map((v, i) => `${((i / (POINTS - 1)) * W).toFixed(1)},${(H - 1 - (Math.min(v, top) / top) * (H - 2)).toFixed(1)}`);
    this.el.line.setAttribute('points', pts.join(' '));
    const lastX = (((s.length - 1) / (POINTS - 1)) * W).toFixed(1);
    this.el.area.setAttribute('points', `0,${H} ${pts.join(' ')} ${lastX},${H}`);
  }

  openPanel() {
    this.fillPanel();
    this.el.dialog.showModal();
  }

  fillPanel() {
    const t = this.el.table;
    t.textContent = '';
    const row = (name, used, limit) => {
      const tr = document.createElement('tr');
      for (const v of [name, used, limit]) {
        const td = document.createElement(v === name ? 'th' : 'td');
        if (v === name) td.scope = 'row';
        td.textContent = v;
        tr.append(td);
      }
      t.append(tr);
    };
    const l = this.limits || {};
    const u = this.last;
    const ex = this.exited;
    row('CPU time', ex ? fmtMs(ex.cpu_ms) : u ? fmtMs(u.cpu_ms) : '—', l.cpu_ms ? fmtMs(l.cpu_ms) : '—');
    row('Wall time', ex ? fmtMs(ex.wall_ms) : u ? fmtMs(u.wall_ms) : '—', l.wall_ms ? fmtMs(l.wall_ms) : '—');
    row('Memory now', ex ? '—' : u ? fmtBytes(u.memory_bytes) : '—', l.memory_bytes ? fmtBytes(l.memory_bytes) : '—');
    row('Memory, peak', this.peak ? fmtBytes(this.peak) : '—', l.memory_bytes ? fmtBytes(l.memory_bytes) : '—');
    row('Processes and threads', ex ? '—' : u ? String(u.pids) : '—', l.pids ? String(l.pids) : '—');
    row('Output', ex && Number.isFinite(ex.output_bytes) ? fmtBytes(ex.output_bytes) : '—', l.output_bytes ? fmtBytes(l.output_bytes) : '—');
    this.el.note.textContent = this.limits
      ? 'Measured by the server from the run\u2019s control group (every process of the program), a few times a second. A run that passes a limit is stopped.'
      : 'No run yet: the limits show once a program runs.';
  }
}

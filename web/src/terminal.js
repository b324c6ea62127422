// terminal.js - xterm.js in its pane: fitted and following resizes, DOM
// renderer with screen-reader mode, output written with a callback so the
// bytes can be acknowledged after xterm.js has parsed them (flow control).
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

const ACK_EVERY = 16 * 1024;   // acknowledge at least every 16 KiB parsed ...
const ACK_MIN_GAP = 40;        // ... but at most one ack per 40 ms (rate limits) ...
const ACK_URGENT = 128 * 1024; // ... unless half the server's 256 KiB window is waiting.
const ACK_IDLE = 100;          // trailing ack this long after the last write

const LIGHT = {
  background: '#fbfbfc',
  foreground: '#1f2430',
  cursor: '#1f2430',
  cursorAccent: '#fbfbfc',
  selectionBackground: '#b9d3f5',
  black: '#1f2430', red: '#c4262e', green: '#17803d', yellow: '#946300',
  blue: '#1f5fbf', magenta: '#8a3ab9', cyan: '#0f7a87', white: '#c7cbd3',
  brightBlack: '#5c6370', brightRed: '#d93a42', brightGreen: '#1f9a4c', brightYellow: '#a87400',
  brightBlue: '#2f74d8', brightMagenta: '#9b4fca', brightCyan: '#17909e', brightWhite: '#8a909c',
};

const THEME = {
  background: '#0d1014',
  foreground: '#d7dce2',
  cursor: '#d7dce2',
  cursorAccent: '#0d1014',
  selectionBackground: '#3a4a63',
  black: '#1b1f27', red: '#ef6b73', green: '#6bd08a', yellow: '#e5c07b',
  blue: '#61afef', magenta: '#c678dd', cyan: '#56b6c2', white: '#d7dce2',
  brightBlack: '#5c6370', brightRed: '#ff8a92', brightGreen: '#8be5a6', brightYellow: '#f2d59b',
  brightBlue: '#82c3ff', brightMagenta: '#dc9af0', brightCyan: '#7fd3dd', brightWhite: '#ffffff',
};

export class RunTerminal {
  constructor(parent, { onInput, onResize, onAck, theme = 'dark', fontSize = 14 }) {
    this.onAck = onAck;
    this.baseFont = fontSize;
    this.term = new Terminal({
      fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--mono').trim() || 'monospace',
      fontSize: this.fontFor(fontSize),
      lineHeight: 1.2,
      cursorBlink: true,
      cursorStyle: 'bar',
      cursorInactiveStyle: 'outline',
      scrollback: 5000,
      screenReaderMode: true,
      convertEol: false,
      allowProposedApi: false,
      theme: theme === 'light' ? LIGHT : THEME,
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(parent);
    this.term.textarea?.setAttribute('aria-label', 'Terminal input');
    this.term.onData((s) => onInput(new TextEncoder().encode(s)));
    // In screen-reader mode xterm.js leaves text that comes with no key
    // press (an emoji picker, an IME that commits without composing,
    // dictation) in its textarea: the program would never get it. Keys go
    // through keypress (between keydown and keyup), compositions through
    // xterm.js's own handling: only the rest is sent from here.
    const ta = this.term.textarea;
    if (ta) {
      let keyHeld = false;
      ta.addEventListener('keydown', () => { keyHeld = true; });
      ta.addEventListener('keyup', () => { keyHeld = false; });
      ta.addEventListener('blur', () => { keyHeld = false; });
      ta.addEventListener('input', (ev) => {
        if (ev.inputType !== 'insertText' || !ev.data || ev.isComposing || keyHeld) return;
        onInput(new TextEncoder().encode(ev.data));
      });
    }
    this.term.onBinary((s) => {
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
      onInput(b);
    });
    this.term.onResize(({ rows, cols }) => onResize(rows, cols));
    this.resetAck();

    let pending = null;
    const refit = () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => this.fitNow());
    };
    new ResizeObserver(refit).observe(parent);
    window.addEventListener('resize', refit);
    if (document.fonts?.ready) document.fonts.ready.then(refit);
    this.fitNow();
  }

  // Phones get one pixel less than the editor's size.
  fontFor(px) {
    return window.matchMedia('(max-width: 640px)').matches ? Math.max(10, px - 1) : px;
  }

  setTheme(theme) {
    this.term.options.theme = theme === 'light' ? LIGHT : THEME;
  }

  setFontSize(px) {
    this.baseFont = px;
    this.term.options.fontSize = this.fontFor(px);
    this.fitNow();
  }

  // A run on pipes (prepared input) writes "\n": the terminal starts each
  // line at its left edge itself then.
  setConvertEol(on) {
    this.term.options.convertEol = on;
  }

  fitNow() {
    const el = this.term.element;
    if (!el || !el.offsetParent) return; // hidden: nothing to measure
    try { this.fit.fit(); } catch { /* not measurable yet */ }
  }

  get rows() { return this.term.rows; }
  get cols() { return this.term.cols; }

  // Flow control bookkeeping: bytes processed (parsed) since the run started
  // or since the last attach, and the last count reported.
  resetAck() {
    this.gen = (this.gen || 0) + 1; // writes queued before this do not count
    this.processed = 0;
    this.acked = 0;
    this.lastAckAt = 0;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  write(bytes, countForAck = true) {
    const n = bytes.length;
    const gen = this.gen;
    this.term.write(bytes, () => {
      if (!countForAck || gen !== this.gen) return;
      this.processed += n;
      this.maybeAck();
    });
  }

  writeText(text) { this.term.write(text); }

  maybeAck() {
    const owed = this.processed - this.acked;
    if (owed <= 0) return;
    const now = performance.now();
    if (owed >= ACK_URGENT || (owed >= ACK_EVERY && now - this.lastAckAt >= ACK_MIN_GAP)) {
      this.sendAck(now);
      return;
    }
    clearTimeout(this.ackTimer);
    this.ackTimer = setTimeout(() => this.sendAck(performance.now()), ACK_IDLE);
  }

  sendAck(now) {
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.processed === this.acked) return;
    if (this.onAck(this.processed)) {
      this.acked = this.processed;
      this.lastAckAt = now;
    }
  }

  clear() { this.term.clear(); }
  reset() { this.term.reset(); }
  focus() { this.term.focus(); }
  blur() { this.term.blur(); }
}

// cursors.js - the other members' cursors and selections in the editor: a
// state field of {member -> {anchor, head, name, color}} in positions of the
// current document, mapped through every change (mine and remote ones), drawn
// as a coloured bar with the member's name and a tinted selection.
//
// Names are set with textContent and colours are checked to be #rrggbb before
// they reach a style, so nothing a member sends is ever read as markup or CSS.
import { EditorSelection, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, WidgetType } from '@codemirror/view';

// {member, anchor, head, name, color}: show or move a member's cursor.
export const setRemoteCursor = StateEffect.define({
  map: (v, changes) => {
    const r = EditorSelection.range(v.anchor, v.head).map(changes);
    return { ...v, anchor: r.anchor, head: r.head };
  },
});
// member id: hide that member's cursor.
export const removeRemoteCursor = StateEffect.define();
// {member -> {name, color}}: new names or colours; members not in it vanish.
export const syncRemoteMembers = StateEffect.define();

const COLOR_RE = /^#[0-9a-fA-F]{6}$/;
export function safeColor(c) { return typeof c === 'string' && COLOR_RE.test(c) ? c : '#8d97a7'; }

function tint(color, alpha) {
  const n = parseInt(safeColor(color).slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// The bar stays; the name shows when the member moves, then fades (CSS), so
// labels do not hide the code for long. 'seq' counts the member's moves: a
// new one makes a new label, which starts its fade again.
class CursorWidget extends WidgetType {
  constructor(member, name, color, labelBelow, seq) {
    super();
    this.member = member;
    this.name = name;
    this.color = color;
    this.labelBelow = labelBelow;
    this.seq = seq;
  }

  eq(o) {
    return o.member === this.member && o.name === this.name && o.color === this.color &&
      o.labelBelow === this.labelBelow && o.seq === this.seq;
  }

  toDOM() {
    const bar = document.createElement('span');
    bar.className = 'cm-remote-cursor';
    bar.dataset.member = this.member;
    bar.style.setProperty('--who', safeColor(this.color));
    bar.setAttribute('aria-hidden', 'true');
    const label = document.createElement('span');
    label.className = this.labelBelow ? 'cm-remote-label cm-remote-label-below' : 'cm-remote-label';
    label.textContent = this.name;
    bar.append(label);
    return bar;
  }

  ignoreEvent() { return true; }
}

const remoteField = StateField.define({
  create: () => new Map(),
  update(map, tr) {
    let next = map;
    const copy = () => { if (next === map) next = new Map(map); return next; };
    if (tr.docChanged) {
      for (const [id, c] of map) {
        const r = EditorSelection.range(c.anchor, c.head).map(tr.changes);
        copy().set(id, { ...c, anchor: r.anchor, head: r.head });
      }
    }
    for (const e of tr.effects) {
      if (e.is(setRemoteCursor)) {
        const len = tr.state.doc.length;
        const v = e.value;
        const clamp = (n) => Math.min(Math.max(0, n), len);
        const seq = (next.get(v.member)?.seq || 0) + 1;
        copy().set(v.member, { anchor: clamp(v.anchor), head: clamp(v.head), name: v.name, color: v.color, seq });
      } else if (e.is(removeRemoteCursor)) {
        if (next.has(e.value)) copy().delete(e.value);
      } else if (e.is(syncRemoteMembers)) {
        for (const [id, c] of next) {
          const m = e.value.get(id);
          if (!m) copy().delete(id);
          else if (m.name !== c.name || m.color !== c.color) copy().set(id, { ...c, name: m.name, color: m.color });
        }
      }
    }
    return next;
  },
  provide: (f) => EditorView.decorations.compute([f], (state) => {
    const ranges = [];
    for (const [id, c] of state.field(f)) {
      const from = Math.min(c.anchor, c.head);
      const to = Math.max(c.anchor, c.head);
      if (from < to) {
        ranges.push(Decoration.mark({
          class: 'cm-remote-selection',
          attributes: { style: `background-color: ${tint(c.color, 0.28)}`, 'data-member': id },
        }).range(from, to));
      }
      // On the first line the label would leave the editor: put it below.
      const below = state.doc.lineAt(c.head).number === 1;
      ranges.push(Decoration.widget({ widget: new CursorWidget(id, c.name, c.color, below, c.seq), side: 1 }).range(c.head));
    }
    return Decoration.set(ranges, true);
  }),
});

const cursorTheme = EditorView.baseTheme({
  '.cm-remote-cursor': {
    position: 'relative',
    display: 'inline-block',
    width: '0',
    height: '1.2em',
    verticalAlign: 'text-bottom',
    borderLeft: '2px solid var(--who)',
    marginLeft: '-1px',
    marginRight: '-1px',
    pointerEvents: 'none',
  },
  '.cm-remote-label': {
    position: 'absolute',
    left: '-2px',
    bottom: '100%',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    background: 'var(--who)',
    color: '#0b0d10',
    font: '600 10.5px/1.45 var(--ui, sans-serif)',
    whiteSpace: 'nowrap',
    maxWidth: '14em',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    zIndex: '5',
    opacity: '0.92',
    animation: 'cm-remote-label-fade 0.6s ease-in 4s forwards',
  },
  '@keyframes cm-remote-label-fade': { to: { opacity: '0', visibility: 'hidden' } },
  '.cm-remote-label-below': { bottom: 'auto', top: '100%', borderRadius: '0 3px 3px 3px' },
});

// The extension: add it to a room's editor state.
export function remoteCursors() { return [remoteField, cursorTheme]; }

// The members whose cursors are shown (tests, debugging).
export function remoteCursorList(state) {
  const f = state.field(remoteField, false);
  return f ? [...f].map(([member, c]) => ({ member, ...c })) : [];
}

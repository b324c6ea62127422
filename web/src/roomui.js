// roomui.js - the room's panels and dialogs: the member list with roles,
// colours and the host's controls, the chat, the name / share / recovery
// draft dialogs, and short notices.
//
// Everything a member sends (names, chat lines, file names) reaches the page
// through textContent only, and colours through the CSSOM after a #rrggbb
// check: nothing from another member is ever parsed as markup.
import { safeColor } from './cursors.js';

const $ = (id) => document.getElementById(id);
const CHAT_KEEP = 200;
// Stacked layout (style.css): the room's panels fold under the workspace.
const PHONE = window.matchMedia('(max-width: 820px)');

const ROLE_LABEL = { host: 'Host', writer: 'Writer', reader: 'Reader' };

export class RoomView {
  // actions: {setRole(id, role), handOver(id), setOpenEdit(on), chat(text)}
  constructor(actions) {
    this.actions = actions;
    this.el = {
      room: $('room'), members: $('members'), peopleCount: $('people-count'),
      openEditRow: $('open-edit-row'), openEdit: $('open-edit'),
      chatLog: $('chat-log'), chatForm: $('chat-form'), chatInput: $('chat-input'), chatUnread: $('chat-unread'),
      peopleToggle: $('people-toggle'), chatToggle: $('chat-toggle'), people: $('people'), chat: $('chat'),
      toast: $('toast'),
    };
    this.unread = 0;
    this.confirmHost = null; // member id whose "make host" awaits a second press
    this.chatMax = 2000;

    this.el.peopleToggle.addEventListener('click', () => this.toggle('people'));
    this.el.chatToggle.addEventListener('click', () => this.toggle('chat'));
    this.el.openEdit.addEventListener('change', () => this.actions.setOpenEdit(this.el.openEdit.checked));
    this.el.chatForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = this.el.chatInput.value.trim();
      if (!text) return;
      const bytes = new TextEncoder().encode(text).length;
      if (bytes > this.chatMax) {
        this.toast(`A chat line holds at most ${this.chatMax} bytes; this one has ${bytes}.`);
        return;
      }
      if (this.actions.chat(text)) this.el.chatInput.value = '';
      else this.toast('Not connected: the message was not sent.');
    });
    this.el.members.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-action]');
      if (b) this.memberAction(b.dataset.action, b.dataset.member);
    });
    // Phones: the panels start folded, and one opens at a time.
    this.applyLayout();
    PHONE.addEventListener?.('change', () => this.applyLayout());
  }

  show(on) { this.el.room.hidden = !on; }

  applyLayout() {
    const phone = PHONE.matches;
    this.setOpen('people', !phone);
    this.setOpen('chat', !phone);
  }

  isOpen(which) { return this.el[`${which}Toggle`].getAttribute('aria-expanded') === 'true'; }

  setOpen(which, open) {
    this.el[`${which}Toggle`].setAttribute('aria-expanded', String(open));
    this.el[which].hidden = !open;
    this.el.room.dataset[which] = open ? 'open' : 'closed';
    if (which === 'chat' && open) this.setUnread(0);
  }

  toggle(which) {
    const open = !this.isOpen(which);
    if (open && PHONE.matches) this.setOpen(which === 'chat' ? 'people' : 'chat', false);
    this.setOpen(which, open);
    if (open && which === 'chat') {
      this.scrollChat();
      this.el.chatInput.focus();
    }
  }

  // ------------------------------------------------------------ members

  renderMembers(room) {
    const { members, me, host, openEdit } = room;
    const list = this.el.members;
    const focused = document.activeElement?.closest?.('#members button');
    const refocus = focused ? `${focused.dataset.action}:${focused.dataset.member}` : null;
    list.textContent = '';
    const amHost = me?.role === 'host';
    const sorted = [...members.values()].sort((a, b) => rank(a, me, host) - rank(b, me, host));
    for (const m of sorted) {
      const li = document.createElement('li');
      li.className = 'member';
      li.dataset.member = m.id;
      li.dataset.role = m.role;
      const dot = document.createElement('span');
      dot.className = 'member-dot';
      dot.style.backgroundColor = safeColor(m.color);
      dot.setAttribute('aria-hidden', 'true');
      const name = document.createElement('span');
      name.className = 'member-name';
      name.textContent = m.name;
      name.title = m.name;
      li.append(dot, name);
      if (m.id === me?.id) {
        const you = document.createElement('span');
        you.className = 'member-you';
        you.textContent = '(you)';
        li.append(you);
      }
      const role = document.createElement('span');
      role.className = `role role-${m.role}`;
      role.textContent = ROLE_LABEL[m.role] || m.role;
      li.append(role);
      if (amHost && m.id !== me.id) {
        const actions = document.createElement('span');
        actions.className = 'member-actions';
        const writer = m.role === 'writer';
        actions.append(button(writer ? 'Make reader' : 'Let edit', writer ? 'revoke' : 'grant', m.id,
          writer ? `Make ${m.name} a reader again` : `Let ${m.name} edit, run and type`));
        const confirming = this.confirmHost === m.id;
        actions.append(button(confirming ? 'Confirm' : 'Make host', 'host', m.id,
          confirming ? `Press again to make ${m.name} the host; you stay a writer` : `Hand the host role over to ${m.name}`,
          confirming ? 'btn-warn' : ''));
        li.append(actions);
      }
      list.append(li);
    }
    this.el.peopleCount.textContent = String(members.size);
    this.el.peopleToggle.setAttribute('aria-label', `People: ${members.size} in the room`);
    this.el.openEditRow.hidden = !amHost;
    this.el.openEdit.checked = Boolean(openEdit);
    if (refocus) {
      const [action, member] = refocus.split(':');
      const again = list.querySelector(`button[data-member="${CSS.escape(member)}"][data-action="${action}"]`)
        || list.querySelector(`button[data-member="${CSS.escape(member)}"]`);
      (again || this.el.members).focus?.();
    }
  }

  memberAction(action, member) {
    if (action === 'grant') this.actions.setRole(member, 'writer');
    else if (action === 'revoke') this.actions.setRole(member, 'reader');
    else if (action === 'host') {
      if (this.confirmHost === member) {
        this.confirmHost = null;
        this.actions.handOver(member);
      } else {
        this.confirmHost = member;
        clearTimeout(this.confirmTimer);
        this.confirmTimer = setTimeout(() => { this.confirmHost = null; this.actions.refresh(); }, 5000);
      }
      this.actions.refresh();
    }
  }

  // ------------------------------------------------------------ chat

  // lines: [{id, member, name, text, ts}]; replace: the whole history (join).
  addChat(lines, replace, room) {
    const log = this.el.chatLog;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    if (replace) log.textContent = '';
    let last = log.lastElementChild ? Number(log.lastElementChild.dataset.id) : -1;
    let fresh = 0;
    for (const l of lines) {
      if (!l || typeof l.text !== 'string') continue;
      if (Number.isFinite(l.id) && l.id <= last) continue; // seen (a re-join repeats the history)
      log.append(chatLine(l, room));
      if (Number.isFinite(l.id)) last = l.id;
      if (l.member !== room.me?.id) fresh++;
    }
    while (log.childElementCount > CHAT_KEEP) log.firstElementChild.remove();
    if (!replace && fresh && !this.isOpen('chat')) this.setUnread(this.unread + fresh);
    if (replace || atBottom || lines.some((l) => l.member === room.me?.id)) this.scrollChat();
  }

  scrollChat() { this.el.chatLog.scrollTop = this.el.chatLog.scrollHeight; }

  setUnread(n) {
    this.unread = n;
    this.el.chatUnread.hidden = n === 0;
    this.el.chatUnread.textContent = n > 99 ? '99+' : String(n);
    this.el.chatToggle.setAttribute('aria-label', n ? `Chat: ${n} new` : 'Chat');
  }

  restoreChat(text) {
    if (!this.el.chatInput.value) this.el.chatInput.value = text;
  }

  // ------------------------------------------------------------ notices

  // action: {label, run()}: a button in the message (Undo), which stays
  // longer then.
  toast(text, ms = 5000, action = null) {
    const t = this.el.toast;
    t.textContent = text;
    if (action) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn btn-tiny toast-action';
      b.textContent = action.label;
      b.addEventListener('click', () => { t.hidden = true; action.run(); });
      t.append(' ', b);
      ms = Math.max(ms, 10000);
    }
    t.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { t.hidden = true; }, ms);
  }
}

function rank(m, me, host) {
  if (m.id === me?.id) return 0;
  if (m.id === host) return 1;
  return m.role === 'writer' ? 2 : 3;
}

function button(label, action, member, title, extra = '') {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `btn btn-tiny ${extra}`.trim();
  b.dataset.action = action;
  b.dataset.member = member;
  b.textContent = label;
  b.title = title;
  b.setAttribute('aria-label', title);
  return b;
}

function chatLine(l, room) {
  const li = document.createElement('li');
  li.className = l.member === room.me?.id ? 'chat-line chat-mine' : 'chat-line';
  if (Number.isFinite(l.id)) li.dataset.id = String(l.id);
  li.dataset.member = String(l.member || '');
  const meta = document.createElement('div');
  meta.className = 'chat-meta';
  const who = document.createElement('span');
  who.className = 'chat-name';
  who.textContent = String(l.name || 'someone');
  const m = room.members.get(l.member);
  if (m) who.style.color = safeColor(m.color);
  const when = document.createElement('time');
  const d = new Date(Number(l.ts) || Date.now());
  when.dateTime = d.toISOString();
  when.textContent = fmtTime(d);
  when.title = d.toLocaleString();
  meta.append(who, when);
  const text = document.createElement('div');
  text.className = 'chat-text';
  text.textContent = l.text;
  li.append(meta, text);
  return li;
}

function fmtTime(d) {
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const today = new Date();
  return d.toDateString() === today.toDateString() ? hm : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${hm}`;
}

// ------------------------------------------------------------ dialogs

// Asks for a name once (the dialog cannot be dismissed empty); resolves with it.
export function askName(suggestion) {
  const dialog = $('name-dialog');
  const input = $('name-input');
  input.value = suggestion || '';
  return new Promise((resolve) => {
    const submit = (ev) => {
      ev.preventDefault();
      const name = input.value.trim().replace(/\s+/g, ' ');
      if (!name) { input.focus(); return; }
      $('name-form').removeEventListener('submit', submit);
      dialog.removeEventListener('cancel', cancel);
      dialog.close();
      resolve(name.slice(0, 64));
    };
    const cancel = (ev) => { ev.preventDefault(); };
    $('name-form').addEventListener('submit', submit);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    input.focus();
    input.select();
  });
}

export function showShare(url) {
  const dialog = $('share-dialog');
  const link = $('share-link');
  const status = $('share-status');
  link.value = url;
  status.textContent = '';
  if (!dialog.open) dialog.showModal();
  $('share-copy').focus();
}

export function setupShareDialog() {
  const dialog = $('share-dialog');
  const link = $('share-link');
  const status = $('share-status');
  $('share-close').addEventListener('click', () => dialog.close());
  $('share-copy').addEventListener('click', async () => {
    if (await copyText(link.value, link)) status.textContent = 'Copied. Send it to the people you want in this room.';
    else status.textContent = 'Select the link and copy it (Ctrl+C).';
  });
  link.addEventListener('focus', () => link.select());
}

// The clipboard API where allowed (secure pages), else the selection.
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch { /* not a secure context, or no permission */ }
  if (input) {
    input.focus();
    input.select();
    try { return document.execCommand('copy'); } catch { return false; }
  }
  return false;
}

const DRAFT_WHY = {
  resync: 'The room changed too much while you were offline to merge your unsent edits, so the editor reloaded the room\u2019s file.',
  'new-member': 'The room did not recognise you any more (your membership expired), so the editor reloaded the room\u2019s file.',
  upload: 'A file upload replaced the code.',
};

// The recovery drafts: see, copy, re-apply (writers) or discard them.
export class DraftsView {
  constructor({ getDrafts, canApply, apply, discard }) {
    this.getDrafts = getDrafts;
    this.canApply = canApply;
    this.i = 0;
    this.dialog = $('drafts-dialog');
    this.button = $('drafts-button');
    this.text = $('draft-text');
    this.status = $('drafts-status');
    this.button.addEventListener('click', () => this.open());
    $('drafts-close').addEventListener('click', () => this.dialog.close());
    $('draft-copy').addEventListener('click', async () => {
      this.status.textContent = (await copyText(this.text.value, this.text)) ? 'Copied.' : 'Select the text and copy it (Ctrl+C).';
    });
    $('draft-apply').addEventListener('click', () => {
      apply(this.getDrafts()[this.i].text);
      this.status.textContent = 'Your version is now the room\u2019s file (Ctrl+Z in the editor undoes it).';
    });
    $('draft-discard').addEventListener('click', () => {
      discard(this.i);
      if (!this.getDrafts().length) this.dialog.close();
      else this.render();
    });
    $('draft-prev').addEventListener('click', () => { this.i = Math.max(0, this.i - 1); this.render(); });
  }

  update(announce) {
    const n = this.getDrafts().length;
    this.button.hidden = n === 0;
    this.button.textContent = n > 1 ? `Recovery drafts (${n})` : 'Recovery draft';
    if (announce && n) {
      this.i = n - 1;
      this.open();
    } else if (this.dialog.open) {
      this.render();
    }
  }

  open() {
    const n = this.getDrafts().length;
    if (!n) return;
    this.i = Math.min(this.i, n - 1);
    this.render();
    this.status.textContent = '';
    if (!this.dialog.open) this.dialog.showModal();
  }

  render() {
    const drafts = this.getDrafts();
    if (!drafts.length) return;
    this.i = Math.min(this.i, drafts.length - 1);
    const d = drafts[this.i];
    this.text.value = d.text;
    const when = new Date(d.at || Date.now()).toLocaleString();
    $('drafts-desc').textContent = `${DRAFT_WHY[d.why] || DRAFT_WHY.resync} Your version of the file, as it was (${when}), is kept here: copy it, or make it the room\u2019s file again.`;
    $('draft-apply').disabled = !this.canApply();
    $('draft-apply').title = this.canApply() ? 'Replace the room\u2019s file with this text (as your own edit)' : 'Readers cannot edit: ask the host for write access';
    $('draft-prev').hidden = this.i === 0;
  }
}

// rooms.mjs - helpers for the rooms tests: create a room, join it with a
// plain CoderoomClient, read it back over HTTP.
import assert from 'node:assert/strict';
import { CoderoomClient, getJSON, postJSON } from './clients.mjs';

export async function createRoom(base, body = {}) {
  const r = await postJSON(`${base}/create_session`, body);
  assert.equal(r.status, 200, r.text);
  return r.json.session_id;
}

export async function roomInfo(base, id) {
  const r = await getJSON(`${base}/api/rooms/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/* A CoderoomClient joined to a room: resolves with {c, joined}. */
export async function joinRoom(wsBase, room, name, extra = {}) {
  const c = await CoderoomClient.connect(wsBase);
  const since = c.events.length;
  c.send({ type: 'join', room, name, ...extra });
  const ev = await c.waitFor((e) => e.kind === 'json' && (e.msg.type === 'joined' || e.msg.type === 'error'),
    { since, what: 'joined' });
  if (ev.msg.type === 'error') throw new Error(`join refused: ${JSON.stringify(ev.msg)}`);
  c.joined = ev.msg;
  return c;
}

/* Sends msg and resolves with the next error frame after it. */
export async function expectError(c, msg, code) {
  const since = c.events.length;
  c.send(msg);
  const ev = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error', { since, what: `error ${code} for ${JSON.stringify(msg).slice(0, 80)}` });
  assert.equal(ev.msg.code, code, `${JSON.stringify(msg).slice(0, 80)} -> ${JSON.stringify(ev.msg)}`);
  assert.ok(ev.msg.message && ev.msg.message.length > 5, 'the error says why');
  return ev.msg;
}

/* Sends a ping and waits for its pong: everything sent before is handled. */
export async function roundTrip(c) {
  const tag = Math.random().toString(36).slice(2);
  const since = c.events.length;
  c.send({ type: 'ping', tag });
  await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.tag === tag, { since, what: 'pong' });
  return c.events.slice(since);
}

/*
 * scripts.c - the cluster's Lua scripts (see scripts.h for the keys).
 *
 * They use only the keys they are about; none blocks. A missing consumer
 * group (a Redis that restarted without its data) is created again where
 * a script needs it, starting from the stream's first entry.
 */
#include "cluster/scripts.h"

#define P "'" KEY_PREFIX

/* Appends a job to its class's stream when fewer than max wait there
 * (waiting = entries not yet delivered to a worker), and writes the run's
 * record.
 * ARGV: max, job, run id, gateway, mode, lang, ttl ms, class (i or b).
 * Returns {entry id, waiting} or {0, waiting} when full. */
const char SCRIPT_ENQUEUE[] =
	"local jobs = " P "jobs:' .. ARGV[8]\n"
	"local ok, p = pcall(redis.call, 'XPENDING', jobs, 'workers')\n"
	"if not ok then\n"
	"  redis.call('XGROUP', 'CREATE', jobs, 'workers', '0', 'MKSTREAM')\n"
	"  p = {0}\n"
	"end\n"
	"local waiting = redis.call('XLEN', jobs) - p[1]\n"
	"if waiting >= tonumber(ARGV[1]) then return {0, waiting} end\n"
	"local id = redis.call('XADD', jobs, '*', 'j', ARGV[2], 'r', ARGV[3])\n"
	"local m = " P "run:' .. ARGV[3]\n"
	"redis.call('HSET', m, 'gw', ARGV[4], 'mode', ARGV[5], 'lang', ARGV[6],\n"
	"  'st', 'queued', 'job', id, 'w', '', 'q', ARGV[8])\n"
	"redis.call('PEXPIRE', m, ARGV[7])\n"
	"return {id, waiting + 1}\n";

/* A gateway's queued run after a reconnect: if neither its record nor its
 * job survived (a Redis restart without its data), queue it again.
 * ARGV: run id, job, gateway, mode, lang, ttl ms, class (i or b).
 * Returns the record's state: "run", "exited", "queued" or "requeued". */
const char SCRIPT_REQUEUE_IF_LOST[] =
	"local jobs = " P "jobs:' .. ARGV[7]\n"
	"local m = " P "run:' .. ARGV[1]\n"
	"local st = redis.call('HGET', m, 'st')\n"
	"if st == 'run' or st == 'exited' then return st end\n"
	"if st == 'queued' then\n"
	"  local job = redis.call('HGET', m, 'job')\n"
	"  if job and #redis.call('XRANGE', jobs, job, job) > 0 then\n"
	"    return 'queued'\n"
	"  end\n"
	"end\n"
	"local ok = pcall(redis.call, 'XPENDING', jobs, 'workers')\n"
	"if not ok then\n"
	"  redis.call('XGROUP', 'CREATE', jobs, 'workers', '0', 'MKSTREAM')\n"
	"end\n"
	"local id = redis.call('XADD', jobs, '*', 'j', ARGV[2], 'r', ARGV[1])\n"
	"redis.call('HSET', m, 'gw', ARGV[3], 'mode', ARGV[4], 'lang', ARGV[5],\n"
	"  'st', 'queued', 'job', id, 'w', '', 'q', ARGV[7])\n"
	"redis.call('PEXPIRE', m, ARGV[6])\n"
	"return 'requeued'\n";

/* A node's heartbeat, and what it sees.
 * ARGV: node id, ttl ms, then the node's fields as name, value pairs.
 * Returns {waiting jobs, {id, last seen ms, {fields...}, ...},
 *          {dead consumers...}}: the jobs waiting in both classes, every
 * live node, and the consumers of the job groups whose node has no
 * heartbeat any more. */
const char SCRIPT_HEARTBEAT[] =
	"local me = ARGV[1]\n"
	"local key = " P "node:' .. me\n"
	"redis.call('DEL', key)\n"
	"redis.call('HSET', key, unpack(ARGV, 3))\n"
	"redis.call('PEXPIRE', key, ARGV[2])\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"redis.call('ZADD', " P "nodes', now, me)\n"
	"local nodes = {}\n"
	"local all = redis.call('ZRANGE', " P "nodes', 0, -1, 'WITHSCORES')\n"
	"for i = 1, #all, 2 do\n"
	"  local h = redis.call('HGETALL', " P "node:' .. all[i])\n"
	"  if #h > 0 then\n"
	"    nodes[#nodes + 1] = all[i]\n"
	"    nodes[#nodes + 1] = all[i + 1]\n"
	"    nodes[#nodes + 1] = h\n"
	"  end\n"
	"end\n"
	"local waiting, dead, seen = 0, {}, {}\n"
	"for _, q in ipairs({'i', 'b'}) do\n"
	"  local jobs = " P "jobs:' .. q\n"
	"  local ok, p = pcall(redis.call, 'XPENDING', jobs, 'workers')\n"
	"  if ok then\n"
	"    waiting = waiting + redis.call('XLEN', jobs) - p[1]\n"
	"    local cons = redis.call('XINFO', 'CONSUMERS', jobs, 'workers')\n"
	"    for _, c in ipairs(cons) do\n"
	"      local name\n"
	"      for i = 1, #c, 2 do\n"
	"        if c[i] == 'name' then name = c[i + 1] end\n"
	"      end\n"
	"      if name and not seen[name] and\n"
	"         redis.call('EXISTS', " P "node:' .. name) == 0 then\n"
	"        seen[name] = true\n"
	"        dead[#dead + 1] = name\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return {waiting, nodes, dead}\n";

/* Reclaims what a dead worker held: each job it had claimed is either
 * over (the run had started: worker_lost is written to its events and
 * record), or queued again (it never started: another worker takes it).
 * Then the consumer, its control stream and its node entry go.
 * ARGV: dead node id, the exit event (worker_lost), the same result
 * alone, linger ms.
 * Returns {{runs lost...}, {runs queued again...}}. */
const char SCRIPT_REAP[] =
	"local dead = ARGV[1]\n"
	"local lost, again = {}, {}\n"
	"for _, q in ipairs({'i', 'b'}) do\n"
	"  local jobs = " P "jobs:' .. q\n"
	"  local ok, p = pcall(redis.call, 'XPENDING', jobs, 'workers', '-', '+',\n"
	"    10000, dead)\n"
	"  if ok then\n"
	"    for _, e in ipairs(p) do\n"
	"      local id = e[1]\n"
	"      local got = redis.call('XRANGE', jobs, id, id)\n"
	"      if #got > 0 then\n"
	"        local f = got[1][2]\n"
	"        local job, run\n"
	"        for i = 1, #f, 2 do\n"
	"          if f[i] == 'j' then job = f[i + 1] end\n"
	"          if f[i] == 'r' then run = f[i + 1] end\n"
	"        end\n"
	"        local m = " P "run:' .. run\n"
	"        local ev = " P "ev:' .. run\n"
	"        local st = redis.call('HGET', m, 'st')\n"
	"        if st == 'run' then\n"
	"          redis.call('XADD', ev, 'MAXLEN', '~', '10000', '*', 'e', ARGV[2])\n"
	"          redis.call('HSET', m, 'st', 'exited', 'res', ARGV[3], 'job', '')\n"
	"          redis.call('PEXPIRE', m, ARGV[4])\n"
	"          redis.call('PEXPIRE', ev, ARGV[4])\n"
	"          lost[#lost + 1] = run\n"
	"        elseif st ~= 'exited' then\n"
	"          local nid = redis.call('XADD', jobs, '*', 'j', job, 'r', run)\n"
	"          if st then\n"
	"            redis.call('HSET', m, 'st', 'queued', 'job', nid, 'w', '',\n"
	"              'q', q)\n"
	"          end\n"
	"          again[#again + 1] = run\n"
	"        end\n"
	"      end\n"
	"      redis.call('XACK', jobs, 'workers', id)\n"
	"      redis.call('XDEL', jobs, id)\n"
	"    end\n"
	"    redis.call('XGROUP', 'DELCONSUMER', jobs, 'workers', dead)\n"
	"  end\n"
	"end\n"
	"redis.call('DEL', " P "ctl:' .. dead)\n"
	"redis.call('ZREM', " P "nodes', dead)\n"
	"return {lost, again}\n";

/* A worker started a job's run: the record says so, and its events name
 * the worker, unless the run was stopped while it waited (then the job
 * is dropped).
 * ARGV: run id, worker id, claimed event, job entry id, ttl ms, class.
 * Returns {1, gateway} (gateway: the one following it, or "") or {0}. */
const char SCRIPT_CLAIM[] =
	"local m = " P "run:' .. ARGV[1]\n"
	"local jobs = " P "jobs:' .. ARGV[6]\n"
	"local st = redis.call('HGET', m, 'st')\n"
	"if st == 'exited' then\n"
	"  redis.call('XACK', jobs, 'workers', ARGV[4])\n"
	"  redis.call('XDEL', jobs, ARGV[4])\n"
	"  return {0}\n"
	"end\n"
	"redis.call('HSET', m, 'w', ARGV[2], 'st', 'run', 'job', ARGV[4],\n"
	"  'q', ARGV[6])\n"
	"redis.call('PEXPIRE', m, ARGV[5])\n"
	"local ev = " P "ev:' .. ARGV[1]\n"
	"redis.call('XADD', ev, 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])\n"
	"redis.call('PEXPIRE', ev, ARGV[5])\n"
	"return {1, redis.call('HGET', m, 'gw') or ''}\n";

/* A run's end on its worker: the exit event, the record, the job done.
 * ARGV: run id, job entry id, exit event, result, linger ms, class. */
const char SCRIPT_FINISH[] =
	"local m = " P "run:' .. ARGV[1]\n"
	"local ev = " P "ev:' .. ARGV[1]\n"
	"if redis.call('HGET', m, 'st') ~= 'exited' then\n"
	"  redis.call('XADD', ev, 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])\n"
	"  redis.call('HSET', m, 'st', 'exited', 'res', ARGV[4], 'job', '')\n"
	"end\n"
	"redis.call('PEXPIRE', m, ARGV[5])\n"
	"redis.call('PEXPIRE', ev, ARGV[5])\n"
	"if ARGV[2] ~= '' then\n"
	"  local jobs = " P "jobs:' .. ARGV[6]\n"
	"  redis.call('XACK', jobs, 'workers', ARGV[2])\n"
	"  redis.call('XDEL', jobs, ARGV[2])\n"
	"end\n"
	"return 1\n";

/* Stops a run whose worker the gateway does not know yet: a claimed job
 * gets the kill on its worker's control stream; a waiting one leaves the
 * queue and ends here (the exit event and the record say why: killed, or
 * server_busy for one that waited too long). With 'only waiting' set, a
 * claimed job is left alone.
 * ARGV: run id, kill control entry, exit event, result, linger, only
 * waiting (1 or 0).
 * Returns "sent", "dequeued", "exited", "gone" or "started". */
const char SCRIPT_KILL[] =
	"local m = " P "run:' .. ARGV[1]\n"
	"local jobs = " P "jobs:' .. (redis.call('HGET', m, 'q') or 'i')\n"
	"local st = redis.call('HGET', m, 'st')\n"
	"if st == 'exited' then return 'exited' end\n"
	"local w = redis.call('HGET', m, 'w')\n"
	"if w and w ~= '' and ARGV[6] == '1' then return 'started' end\n"
	"if w and w ~= '' then\n"
	"  redis.call('XADD', " P "ctl:' .. w, 'MAXLEN', '~', '10000', '*',\n"
	"    'e', ARGV[2])\n"
	"  return 'sent'\n"
	"end\n"
	"local job = redis.call('HGET', m, 'job')\n"
	"if not job or job == '' then return 'gone' end\n"
	"local ok, p = pcall(redis.call, 'XPENDING', jobs, 'workers', job, job, 1)\n"
	"if ok and #p > 0 and ARGV[6] == '1' then return 'started' end\n"
	"if ok and #p > 0 then\n"
	"  redis.call('XADD', " P "ctl:' .. p[1][2], 'MAXLEN', '~', '10000', '*',\n"
	"    'e', ARGV[2])\n"
	"  return 'sent'\n"
	"end\n"
	"if #redis.call('XRANGE', jobs, job, job) == 0 then return 'gone' end\n"
	"redis.call('XDEL', jobs, job)\n"
	"local ev = " P "ev:' .. ARGV[1]\n"
	"redis.call('XADD', ev, 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])\n"
	"redis.call('HSET', m, 'st', 'exited', 'res', ARGV[4], 'job', '')\n"
	"redis.call('PEXPIRE', m, ARGV[5])\n"
	"redis.call('PEXPIRE', ev, ARGV[5])\n"
	"return 'dequeued'\n";

/* A gateway no longer follows a run: its worker hears "bye"; a run not
 * claimed yet will start without this gateway as a reader.
 * ARGV: run id, bye control entry. Returns "bye", "queued" or "exited". */
const char SCRIPT_RELEASE[] =
	"local m = " P "run:' .. ARGV[1]\n"
	"local st = redis.call('HGET', m, 'st')\n"
	"if st == 'exited' or not st then return 'exited' end\n"
	"local w = redis.call('HGET', m, 'w')\n"
	"if w and w ~= '' then\n"
	"  redis.call('XADD', " P "ctl:' .. w, 'MAXLEN', '~', '10000', '*',\n"
	"    'e', ARGV[2])\n"
	"  return 'bye'\n"
	"end\n"
	"redis.call('HSET', m, 'gw', '')\n"
	"return 'queued'\n";

/* A run whose worker vanished without the reaper noticing (its job entry
 * was lost with a Redis restart): worker_lost, unless it ended already.
 * ARGV: run id, exit event, result, linger ms. Returns 1 or 0. */
const char SCRIPT_LOST[] =
	"local m = " P "run:' .. ARGV[1]\n"
	"if redis.call('HGET', m, 'st') == 'exited' then return 0 end\n"
	"local ev = " P "ev:' .. ARGV[1]\n"
	"redis.call('XADD', ev, 'MAXLEN', '~', '10000', '*', 'e', ARGV[2])\n"
	"redis.call('HSET', m, 'st', 'exited', 'res', ARGV[3], 'job', '')\n"
	"redis.call('PEXPIRE', m, ARGV[4])\n"
	"redis.call('PEXPIRE', ev, ARGV[4])\n"
	"return 1\n";

/* A worker back on a Redis that may have lost or reaped its runs: a run
 * that ended meanwhile (worker_lost) is to be killed; otherwise its
 * record says again where it runs.
 * ARGV: run id, worker id, mode, lang, job entry id, ttl ms, class.
 * Returns 1 (keep running) or 0 (kill it). */
const char SCRIPT_REASSERT[] =
	"local m = " P "run:' .. ARGV[1]\n"
	"if redis.call('HGET', m, 'st') == 'exited' then return 0 end\n"
	"redis.call('HSET', m, 'w', ARGV[2], 'st', 'run', 'mode', ARGV[3],\n"
	"  'lang', ARGV[4], 'job', ARGV[5], 'q', ARGV[7])\n"
	"redis.call('PEXPIRE', m, ARGV[6])\n"
	"return 1\n";

/* ---- rooms (cluster/room_store.c, cluster/room_bus.c) ----------------------
 * A room's keys: room:ID:rec (hash: lang, open, host, version, chat_seq,
 * created, updated, run), room:ID:snap (hash: v, text), room:ID:log (sorted
 * set: log entries by version), room:ID:chat (list), room:ID:mem (hash:
 * member id -> record), room:ID:tok (hash: hex SHA-256(token) -> member
 * id), room:ID:on (hash: member id -> its 'O' event: who is online where);
 * rooms (set of ids); the channel room:ID carries the events. */
#define R "local k = " P "room:' .. ARGV[1]\n"

/* ARGV: id, lang, open, now ms, text. Returns 1, or 0 if it exists. */
const char SCRIPT_ROOM_CREATE[] =
	R
	"if redis.call('EXISTS', k .. ':rec') == 1 then return 0 end\n"
	"redis.call('HSET', k .. ':rec', 'lang', ARGV[2], 'open', ARGV[3],\n"
	"  'host', '', 'version', 0, 'chat_seq', 0, 'created', ARGV[4],\n"
	"  'updated', ARGV[4], 'run', '')\n"
	"redis.call('HSET', k .. ':snap', 'v', 0, 'text', ARGV[5])\n"
	"redis.call('SADD', " P "rooms', ARGV[1])\n"
	"return 1\n";

/* The compare-and-append: the entries take versions base .. only if the
 * room is at base; then the 'U' event goes to every gateway.
 * ARGV: id, base, now ms, the 'U' event, the entries ('L' ...).
 * Returns {1, new version}, {0, the room's version} (stale) or {-1, 0}. */
const char SCRIPT_ROOM_APPEND[] =
	R
	"local v = tonumber(redis.call('HGET', k .. ':rec', 'version'))\n"
	"if not v then return {-1, 0} end\n"
	"if v ~= tonumber(ARGV[2]) then return {0, v} end\n"
	"for i = 5, #ARGV do\n"
	"  redis.call('ZADD', k .. ':log', v + i - 5, ARGV[i])\n"
	"end\n"
	"local nv = v + #ARGV - 4\n"
	"redis.call('HSET', k .. ':rec', 'version', nv, 'updated', ARGV[3])\n"
	"redis.call('PUBLISH', k, ARGV[4])\n"
	"return {1, nv}\n";

/* A snapshot, kept if newer; the log before keep_from goes.
 * ARGV: id, version, text, keep_from. */
const char SCRIPT_ROOM_SNAPSHOT[] =
	R
	"local cur = tonumber(redis.call('HGET', k .. ':snap', 'v') or '-1')\n"
	"if tonumber(ARGV[2]) > cur then\n"
	"  redis.call('HSET', k .. ':snap', 'v', ARGV[2], 'text', ARGV[3])\n"
	"end\n"
	"local snap = tonumber(redis.call('HGET', k .. ':snap', 'v'))\n"
	"local keep = math.min(tonumber(ARGV[4]), snap)\n"
	"redis.call('ZREMRANGEBYSCORE', k .. ':log', '-inf', '(' .. keep)\n"
	"return 1\n";

/* A chat line: numbered here, kept (the newest 'keep'), sent to every
 * gateway. ARGV: id, 'C', the rest of the line, keep. Returns its id. */
const char SCRIPT_ROOM_CHAT[] =
	R
	"if redis.call('EXISTS', k .. ':rec') == 0 then return 0 end\n"
	"local id = redis.call('HINCRBY', k .. ':rec', 'chat_seq', 1)\n"
	"local line = ARGV[2] .. struct.pack('>I8', id) .. ARGV[3]\n"
	"redis.call('RPUSH', k .. ':chat', line)\n"
	"redis.call('LTRIM', k .. ':chat', -tonumber(ARGV[4]), -1)\n"
	"redis.call('PUBLISH', k, line)\n"
	"return id\n";

/* A member's record (and its token's hash, when given), sent to every
 * gateway. ARGV: id, member id, record ('M' ...), hex token hash or ''. */
const char SCRIPT_ROOM_MEMBER[] =
	R
	"redis.call('HSET', k .. ':mem', ARGV[2], ARGV[3])\n"
	"if ARGV[4] ~= '' then redis.call('HSET', k .. ':tok', ARGV[4], ARGV[2]) end\n"
	"redis.call('PUBLISH', k, ARGV[3])\n"
	"return 1\n";

/* The settings and the host; with claim "1" the host is only taken when
 * the room has none yet (two first members on two gateways: one wins).
 * Every gateway gets what Redis then holds.
 * ARGV: id, lang, open, host, claim, now ms. */
const char SCRIPT_ROOM_SETTINGS[] =
	R
	"local host = ARGV[4]\n"
	"if ARGV[5] == '1' then\n"
	"  local h = redis.call('HGET', k .. ':rec', 'host')\n"
	"  if h and h ~= '' then host = h end\n"
	"end\n"
	"redis.call('HSET', k .. ':rec', 'lang', ARGV[2], 'open', ARGV[3],\n"
	"  'host', host, 'updated', ARGV[6])\n"
	"redis.call('PUBLISH', k, 'S' .. ARGV[2] .. '\\0' .. ARGV[3] .. '\\0' ..\n"
	"  host .. '\\0')\n"
	"return 1\n";

/* Everything a gateway needs to open a room, at one instant.
 * ARGV: id, chat lines, history entries before the snapshot.
 * Returns 0 (no such room) or {rec, {snap v, text}, log after the
 * snapshot, history (newest first), chat, members, online}. */
const char SCRIPT_ROOM_FETCH[] =
	R
	"local rec = redis.call('HGETALL', k .. ':rec')\n"
	"if #rec == 0 then return 0 end\n"
	"local snap = redis.call('HMGET', k .. ':snap', 'v', 'text')\n"
	"local sv = snap[1] or '0'\n"
	"local log = redis.call('ZRANGEBYSCORE', k .. ':log', sv, '+inf')\n"
	"local hist = redis.call('ZREVRANGEBYSCORE', k .. ':log', '(' .. sv,\n"
	"  '-inf', 'LIMIT', 0, tonumber(ARGV[3]))\n"
	"local chat = redis.call('LRANGE', k .. ':chat', -tonumber(ARGV[2]), -1)\n"
	"local mem = redis.call('HVALS', k .. ':mem')\n"
	"local on = redis.call('HVALS', k .. ':on')\n"
	"return {rec, {sv, snap[2] or ''}, log, hist, chat, mem, on}\n";

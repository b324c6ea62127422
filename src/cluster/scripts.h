/*
 * scripts.h - the cluster's keys in Redis, and the Lua scripts that change
 * several of them at once (each runs atomically in Redis, so two nodes
 * doing the same thing at the same moment cannot interleave).
 *
 * Keys (all under "coderoom:", so a Redis database can hold one cluster):
 *   jobs:i, jobs:b  streams of jobs, interactive and batch (run.h's
 *                   classes: a worker claims from a class only while it
 *                   has a free slot of it), consumer group "workers" on
 *                   each; a job's entry: j = the job (cluster/job.h),
 *                   r = its run id
 *   node:ID         hash: a node's heartbeat (role, slots, load, ...),
 *                   expires 3 heartbeats after the last one
 *   nodes           sorted set: node ids by the time of their heartbeat
 *   run:RUN         hash: a run's record: gw (asking gateway, "" once it
 *                   left before the claim), mode, lang, st (queued, run,
 *                   exited), job (entry id while queued or running), q
 *                   (its class's stream: i or b), w
 *                   (worker), res (result, cluster/entry.h, once ended)
 *   ev:RUN          stream: the run's events (cluster/entry.h), field e
 *   ctl:NODE        stream: control entries for the runs on worker NODE
 *   room:ID:...     a room's record, snapshot, log, chat, members, tokens,
 *                   who is online where (scripts.c, "rooms"); the channel
 *                   room:ID carries its events (cluster/room_wire.h)
 *   rooms           set of the rooms' ids
 *
 * Each SCRIPT_* is run with EVAL (Redis caches the compiled script); its
 * arguments are in the comment above it in scripts.c.
 */
#ifndef CODEROOM_SCRIPTS_H
#define CODEROOM_SCRIPTS_H

#define KEY_PREFIX "coderoom:"
#define KEY_JOBS_I KEY_PREFIX "jobs:i"	/* interactive runs */
#define KEY_JOBS_B KEY_PREFIX "jobs:b"	/* batch runs */
#define KEY_NODES KEY_PREFIX "nodes"
#define JOBS_GROUP "workers"

extern const char SCRIPT_ENQUEUE[];
extern const char SCRIPT_REQUEUE_IF_LOST[];
extern const char SCRIPT_HEARTBEAT[];
extern const char SCRIPT_REAP[];
extern const char SCRIPT_CLAIM[];
extern const char SCRIPT_FINISH[];
extern const char SCRIPT_KILL[];
extern const char SCRIPT_RELEASE[];
extern const char SCRIPT_LOST[];
extern const char SCRIPT_REASSERT[];
extern const char SCRIPT_ROOM_CREATE[];
extern const char SCRIPT_ROOM_APPEND[];
extern const char SCRIPT_ROOM_SNAPSHOT[];
extern const char SCRIPT_ROOM_CHAT[];
extern const char SCRIPT_ROOM_MEMBER[];
extern const char SCRIPT_ROOM_SETTINGS[];
extern const char SCRIPT_ROOM_FETCH[];

#endif

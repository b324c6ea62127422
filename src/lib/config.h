/*
 * config.h - configuration of the server: defaults, then a file
 * (--config FILE or CODEROOM_CONFIG), then the environment
 * (CODEROOM_<OPTION>), then the command line; a later source wins.
 *
 * Strings point into argv, or into cfg->arena for values read from the
 * file or the environment: config_release() frees those.
 */
#ifndef CODEROOM_CONFIG_H
#define CODEROOM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/limit.h"
#include "lib/log.h"

/* A string read from the file or the environment (cfg->arena). */
struct config_str {
	struct config_str *next;
	char s[];
};

struct config {
	char host[256];			/* listen address */
	int port;			/* 0: any free port */
	const char *data_dir;
	const char *web_root;
	const char *languages_dir;
	const char *user;		/* drop to this user when root */
	enum log_level log_level;
	struct limits tty;		/* interactive maxima */
	struct limits batch;		/* batch maxima */
	uint64_t reattach_grace_ms;
	size_t max_message_bytes;	/* one WebSocket message */
	size_t max_body_bytes;		/* one HTTP request body */
	unsigned max_runs;		/* interactive runs at once; 0: derived */
	struct limits compile;		/* compile step maxima */
	uint64_t cache_bytes;		/* compile cache bound */
	unsigned api_concurrency;	/* API runs at once; 0: the CPU count */
	unsigned api_queue;		/* API runs waiting, at most */
	const char *api_tokens[16];	/* --api-token, NULL-terminated */
	const char *api_token_file;	/* one token a line */
	bool allow_weak_sandbox;
	/* cluster mode (cluster/cluster.h) */
	const char *redis_url;		/* --redis, or NULL: a single node */
	const char *role;		/* --role: gateway, worker or all */
	const char *node_id;		/* --node-id, or NULL: hostname-pid */
	bool judge0_root;		/* Judge0's paths also at the root */
	uint64_t judge0_keep_s;		/* a finished submission's lifetime */
	const char *callback_hosts[16];	/* --callback-allow, NULL-terminated */
	bool callback_private;		/* callbacks may reach private addrs */
	/* Socket.IO on /socket.io/ */
	const char *cors_origins[16];	/* --cors-origin, NULL-terminated */
	unsigned sio_max_sessions;	/* Engine.IO sessions at once */
	uint64_t sio_ping_interval_ms;	/* heartbeat, as Engine.IO's */
	uint64_t sio_ping_timeout_ms;
	uint64_t sio_connect_timeout_ms; /* to the first Socket.IO CONNECT */
	/* rooms (room/room.h: struct room_limits) */
	uint64_t room_doc_bytes;	/* a document's UTF-8 bytes */
	uint64_t room_log;		/* updates kept for reconnects */
	uint64_t room_chat_bytes;	/* a chat line */
	unsigned room_members;		/* members connected to a room */
	unsigned max_rooms;		/* rooms open at once */
	uint64_t max_stored_rooms;	/* rooms in the database */
	unsigned room_rate;		/* room messages a second a member */
	unsigned room_snapshot_every;	/* updates between snapshots */
	/* WebSocket liveness: a ping after this much silence, a close
	 * after --ws-timeout-ms without anything from the peer */
	uint64_t ws_ping_ms;
	uint64_t ws_timeout_ms;
	/* admission (lib/sizing.h); 0: derived from the machine */
	uint64_t runs_memory_bytes;	/* every run together */
	uint64_t runs_pids;		/* every run together */
	uint64_t run_memory_reserve;	/* counted per run before it grows */
	uint64_t run_pids_reserve;
	unsigned queue;			/* interactive runs waiting */
	uint64_t queue_wait_ms;		/* longest wait in that queue */
	unsigned client_runs;		/* one client's interactive runs */
	unsigned client_queue;		/* one client's interactive waiting */
	unsigned api_client_queue;	/* one client's API runs waiting */
	uint64_t idle_timeout_ms;	/* interactive run idle at input; 0 off */
	uint64_t max_open_files;	/* RLIMIT_NOFILE the server raises to */
	uint64_t spawner_timeout_ms;	/* a silent spawner is replaced */
	uint64_t server_memory_bytes;	/* RLIMIT_DATA of the server itself */
	uint32_t run_uid_first;		/* --run-uids; 0: choose a free range */
	uint32_t run_uid_last;		/* 0: first + the slots - 1 */
	enum log_format log_format;	/* text or json lines */
	const char *config_file;	/* NULL when none */
	bool check_config;		/* --check-config: check, print, exit */
	unsigned nsettings;		/* settings from the file and env */
	struct config_str *arena;	/* strings owned by the config */
	/* an HTTP body must arrive within this much of its headers */
	uint64_t request_timeout_ms;
	/* bytes a second a WebSocket may send (burst: twice the message
	 * cap) before the server stops reading it for a while */
	uint64_t ws_read_rate;
	/* WebSockets one client address may hold (at most 1000000) */
	unsigned ws_per_client;
	/* HTTP answer bodies held for clients at once (http.h) */
	uint64_t http_out_bytes;
	/* an answer waiting for its client must see a piece taken within
	 * this many seconds (1 .. 86400; lws's timeouts are whole seconds) */
	unsigned http_send_timeout_s;
	/* rooms one client may create a minute (a burst of as many) */
	unsigned room_create_rate;
	/* bytes of Judge0 submissions kept in the database */
	uint64_t judge0_max_bytes;
	/* Judge0 callbacks in flight at once */
	unsigned callback_max;
	/* code from a prompt (proto/generate.h); off without ai_url */
	const char *ai_url;		/* OpenAI-compatible base URL */
	const char *ai_model;
	const char *ai_key_file;
	const char *ai_ca_file;
	uint64_t ai_timeout_ms;
	uint64_t ai_max_bytes;
	unsigned ai_rate;		/* generations a minute per address */
};

enum config_result { CONFIG_OK, CONFIG_EXIT_OK, CONFIG_ERROR };

/*
 * Fills 'cfg' from defaults, the config file, the environment (PORT and
 * CODEROOM_*) and argv. Prints --help / --version itself
 * (CONFIG_EXIT_OK), and errors to stderr naming the file and line or the
 * variable they came from (CONFIG_ERROR). Reads nothing but that file
 * and the environment; for tests. On CONFIG_OK release it with
 * config_release() (a no-op when nothing came from the file or env).
 */
enum config_result config_parse(struct config *cfg, int argc, char **argv);
void config_release(struct config *cfg);

/*
 * --check-config: prints the effective configuration to 'out' in the
 * file's "key = value" format, API tokens masked, then what is wrong
 * with it as "# error: ..." lines (a directory that cannot be used, an
 * unreadable token file, no such user...). Returns the number of errors.
 */
int config_check(const struct config *cfg, FILE *out);

/* Whether s is an origin as browsers send it (scheme://host[:port], http
 * or https, no path) or "*". */
bool config_origin_valid(const char *s);
/* The server's own memory limit when not configured: a quarter of the
 * machine's memory, at least 256 MiB. */
uint64_t config_default_server_memory(void);
/* Parses "FIRST" or "FIRST-LAST" (host uids, FIRST >= 1000, FIRST <=
 * LAST < 2^32 - 1); *last is 0 for "FIRST". 0 or -EINVAL. Pure. */
int config_parse_uid_range(const char *s, uint32_t *first, uint32_t *last);
/* Parses "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT". 0 or -EINVAL. */
int config_parse_listen(const char *s, char *host, size_t hostlen, int *port);

#endif

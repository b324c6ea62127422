/*
 * config.h - command-line configuration of the server.
 */
#ifndef CODEROOM_CONFIG_H
#define CODEROOM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/limit.h"
#include "lib/log.h"

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
	unsigned max_runs;		/* concurrent runs (sandbox slots) */
	struct limits compile;		/* compile step maxima */
	uint64_t cache_bytes;		/* compile cache bound */
	unsigned api_concurrency;	/* API runs at once (admission) */
	unsigned api_queue;		/* API runs waiting, at most */
	const char *api_tokens[16];	/* --api-token, NULL-terminated */
	const char *api_token_file;	/* one token a line */
	bool allow_weak_sandbox;
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
 * Fills 'cfg' from defaults, the environment (PORT) and argv. Prints
 * --help / --version itself (CONFIG_EXIT_OK), and errors to stderr
 * (CONFIG_ERROR). Pure apart from that printing; for tests.
 */
enum config_result config_parse(struct config *cfg, int argc, char **argv);
/* Parses "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT". 0 or -EINVAL. */
int config_parse_listen(const char *s, char *host, size_t hostlen, int *port);

#endif

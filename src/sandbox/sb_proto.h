/*
 * sb_proto.h - the messages between the sandbox library and its spawner.
 *
 * Internal to src/sandbox/. Transport: a SOCK_SEQPACKET socketpair, one
 * message per packet: a fixed header (struct sb_msg), then 'len' body bytes,
 * with up to SB_MAX_FDS descriptors attached by SCM_RIGHTS. The spawn spec
 * is too large for one packet (the code may be ~1 MiB): it travels as a
 * sealed memfd holding the encoding of sb_spec_encode().
 *
 * Everything here is pure (no syscalls): the encoders and the validating
 * decoders are unit tested and safe on any input.
 */
#ifndef CODEROOM_SB_PROTO_H
#define CODEROOM_SB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox/sandbox.h"

#define SB_MSG_MAGIC  0x63727362u /* "crsb" */
#define SB_SPEC_MAGIC 0x63727370u /* "crsp" */
#define SB_MAX_FDS    3
#define SB_MAX_PACKET 4096

/* Bounds the spawner enforces on every spec. */
#define SB_MAX_SPEC_BYTES (64u << 20)  /* whole encoding */
#define SB_MAX_ARGS	  4096	       /* argv entries */
#define SB_MAX_ENVS	  4096	       /* envp entries */
#define SB_MAX_STRING	  (128u << 10) /* one argv/envp string */
#define SB_MAX_FILES	  256	       /* files in the work dir */
#define SB_MAX_NAME	  255	       /* one file name */
#define SB_MAX_FILE_BYTES SANDBOX_BYTES_MAX /* all files together */
#define SB_MAX_COLLECT	  32	       /* collect patterns */
#define SB_MAX_CPU_WEIGHT 10000	       /* limits.cpu_weight */

/* SB_MSG_EXIT flags: a memfd with the collected files is attached. */
#define SB_EXIT_COLLECT 2u

enum sb_msg_type {
	SB_MSG_HELLO = 1, /* spawner -> lib: arg = its pid;
			     body = struct sb_wire_features */
	SB_MSG_SPAWN,	  /* lib -> spawner: id; 1 fd: memfd with the spec,
			     sealed (write, shrink; else refused) */
	SB_MSG_KILL,	  /* lib -> spawner: id */
	SB_MSG_SIGNAL,	  /* lib -> spawner: id, arg = signal number */
	SB_MSG_PROBE,	  /* lib -> spawner: id (0: a heartbeat, answered
			     with PROBED id 0) */
	SB_MSG_SPAWNED,	  /* spawner -> lib: id, arg = host pid; fds */
	SB_MSG_PROBED,	  /* spawner -> lib: id, arg = 0 or 1 */
	SB_MSG_EXIT,	  /* spawner -> lib: id; body = struct sb_wire_result;
			     flags & SB_EXIT_COLLECT: 1 fd (collected files) */
	SB_MSG_USAGE,	  /* spawner -> lib: what the runs use together:
			     arg = memory bytes, flags = processes */
	SB_MSG_RUN_USAGE, /* lib -> spawner: id */
	SB_MSG_RUN_USAGE_REPORT, /* spawner -> lib: id, arg = 1 when the run
				    is live and body holds its figures, 0
				    when not (body zeroed); body = struct
				    sb_wire_usage */
	SB_MSG_TYPE_MAX,
};

struct sb_msg {
	uint32_t magic; /* SB_MSG_MAGIC */
	uint16_t type;	/* enum sb_msg_type */
	uint16_t nfds;	/* descriptors the sender attached */
	uint64_t id;	/* run id, 0 for HELLO */
	int64_t arg;	/* per type, see enum sb_msg_type */
	uint32_t len;	/* body bytes after the header */
	uint32_t flags; /* SPAWNED: 1 = tty (1 fd), 0 = pipes (3 fds) */
};

/* Features as sent in HELLO (both ends run the same binary). */
struct sb_wire_features {
	uint8_t userns, pidns, netns, mountns, seccomp;
	uint8_t cgroup_memory, cgroup_pids, cgroup_cpu, cgroup_kill, strong;
	uint8_t cgroup_cpu_weight;
	char backend[8];   /* NUL-terminated */
	char missing[256]; /* NUL-terminated */
};

struct sb_wire_result {
	int32_t status;
	int32_t error;
	uint32_t killed;
	uint32_t hit;
	uint64_t cpu_ms;
	uint64_t wall_ms;
	uint64_t memory_peak;
	uint32_t collect_overflow;
	uint32_t pad;
	char message[256]; /* NUL-terminated */
};

struct sb_wire_usage {
	uint64_t cpu_ms;
	uint64_t wall_ms;
	uint64_t memory_bytes;
	uint64_t memory_peak;
	uint32_t pids;
	uint32_t pad; /* 0 */
};

/* A decoded, validated spec: every pointer owned by the struct. */
struct sb_file {
	char *name; /* validated: see sb_name_ok() */
	uint8_t *data;
	size_t len;
	unsigned mode; /* & 0777 */
};

struct sb_spec {
	char **argv; /* NULL-terminated, argv[0]: see sb_exec_path_ok() */
	char **envp; /* NULL-terminated, each "NAME=value" */
	struct sb_file *files;
	size_t nfiles;
	bool tty;
	uint16_t rows, cols;
	struct sandbox_limits limits;
	char **collect; /* NULL-terminated patterns, or NULL */
	uint64_t collect_max;
};

/*
 * Check a message header received with 'got' bytes and 'nfds' descriptors.
 * Returns 0 or -EBADMSG. Checks magic, type range, that len matches the
 * packet, and the descriptor count expected for the type.
 */
int sb_msg_check(const struct sb_msg *m, size_t got, unsigned nfds);

/* The direction of a message type: a request the library sends, or what
 * the spawner sends (HELLO and the answers). Each end takes only the
 * other's. */
bool sb_msg_is_request(uint16_t type);

/* A work dir file name: 1..255 bytes, no '/', no NUL, not "." or "..". */
bool sb_name_ok(const char *name, size_t len);

/* What a run may exec: an absolute path, or "./NAME" with NAME a work dir
 * file name (sb_name_ok()): a program the run's own files hold (a compiled
 * one), exec'd from the work dir init changes to. */
bool sb_exec_path_ok(const char *path);

/*
 * Validate 'spec' and encode it. On success returns 0 and *out (malloc'd,
 * caller frees) / *outlen hold the bytes. Returns -EINVAL for an invalid
 * spec, -E2BIG past the bounds above, -ENOMEM.
 */
int sb_spec_encode(const struct sandbox_spec *spec, uint8_t **out,
		   size_t *outlen);

/*
 * Decode and validate 'len' bytes into *spec (zeroed first). Returns 0, or
 * -EBADMSG / -E2BIG / -ENOMEM, and then *spec holds nothing to free.
 */
int sb_spec_decode(const uint8_t *buf, size_t len, struct sb_spec *spec);

/* The same for what the program itself needs (the terminal, the limits,
 * argv and envp): the files and the rest are neither read nor checked,
 * and *spec has none. */
int sb_spec_decode_head(const uint8_t *buf, size_t len, struct sb_spec *spec);

/* Free what sb_spec_decode() allocated; safe on a zeroed struct. */
void sb_spec_release(struct sb_spec *spec);

void sb_result_to_wire(const struct sandbox_result *r,
		       struct sb_wire_result *w);
void sb_result_from_wire(const struct sb_wire_result *w,
			 struct sandbox_result *r);

#endif /* CODEROOM_SB_PROTO_H */

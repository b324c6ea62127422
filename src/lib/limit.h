/*
 * limit.h - the limits of a run, and how a request may lower them.
 *
 * The server has configured maxima for interactive and batch runs; a request
 * may ask for less, never for more. 0 in a request means "the server's".
 */
#ifndef CODEROOM_LIMIT_H
#define CODEROOM_LIMIT_H

#include <stddef.h>
#include <stdint.h>

struct limits {
	uint64_t cpu_ms;	/* CPU time of the whole process tree */
	uint64_t wall_ms;	/* wall-clock time from start */
	uint64_t memory_bytes;	/* cgroup memory */
	uint64_t output_bytes;	/* per output stream */
	uint64_t tmpfs_bytes;	/* /tmp and the work dir, each */
	uint32_t pids;		/* processes and threads */
	uint32_t nofile;	/* open files per process */
};

/* The defaults of DESIGN.md / the sandbox issue. */
void limit_default_interactive(struct limits *l);
void limit_default_batch(struct limits *l);
/* Compile steps: more memory, threads and time than a small program. */
void limit_default_compile(struct limits *l);

/* out = max, lowered field by field where req asks for less (req 0: keep). */
void limit_lower(const struct limits *max, const struct limits *req,
		  struct limits *out);

/* Formats ms as "1.5 s" / "250 ms" / "30 min" into out; returns out. */
const char *limit_fmt_ms(uint64_t ms, char *out, size_t outlen);
/* Formats bytes as "512 MiB" / "1 KiB" / "17 bytes" into out. */
const char *limit_fmt_bytes(uint64_t b, char *out, size_t outlen);

#endif

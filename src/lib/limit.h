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
	uint64_t output_bytes;	/* per output stream (interactive: in all) */
	uint64_t output_rate;	/* bytes a second once the burst is spent;
				 * 0: no rate limit (batch and compile) */
	uint64_t output_burst;	/* bytes at once above the rate */
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

/*
 * A token bucket (the interactive output rate): up to 'burst' bytes at
 * once, refilled at 'rate' bytes a second. Pure: the caller passes the
 * time in ms (monotonic).
 */
struct limit_bucket {
	uint64_t tokens;	/* bytes allowed now */
	uint64_t ms;		/* the time 'tokens' was counted at */
};
/* Full: 'burst' tokens at 'now_ms'. */
void limit_bucket_fill(struct limit_bucket *b, uint64_t now_ms, uint64_t burst);
/* Refills for the time since the last call, then takes up to n tokens and
 * returns how many it took: fewer than n means the rate was exceeded.
 * rate <= 2^40, burst <= 2^50 (no overflow); rate 0: nothing refills. */
uint64_t limit_bucket_take(struct limit_bucket *b, uint64_t now_ms, uint64_t n,
			   uint64_t rate, uint64_t burst);

/* Formats ms as "1.5 s" / "250 ms" / "30 min" into out; returns out. */
const char *limit_fmt_ms(uint64_t ms, char *out, size_t outlen);
/* Formats bytes as "512 MiB" / "1 KiB" / "17 bytes" into out. */
const char *limit_fmt_bytes(uint64_t b, char *out, size_t outlen);

#endif

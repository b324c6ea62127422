/*
 * limit.c - the limits of a run.
 */
#include <stdio.h>

#include "lib/limit.h"

#define MiB (1024ull * 1024)

void limit_default_interactive(struct limits *l)
{
	*l = (struct limits){
		.cpu_ms = 60 * 1000,
		.wall_ms = 30 * 60 * 1000,	/* they wait for a person */
		.memory_bytes = 512 * MiB,
		/* flow control bounds what the server holds: the limits
		 * are for what a terminal can show, by rate, and a
		 * generous total */
		.output_bytes = 1024 * MiB,
		.output_rate = 1 * MiB,
		.output_burst = 16 * MiB,
		.tmpfs_bytes = 64 * MiB,
		.pids = 128,
		.nofile = 256,
	};
}

void limit_default_batch(struct limits *l)
{
	*l = (struct limits){
		.cpu_ms = 10 * 1000,
		.wall_ms = 20 * 1000,
		.memory_bytes = 512 * MiB,
		.output_bytes = 1 * MiB,	/* per stream */
		.tmpfs_bytes = 64 * MiB,
		.pids = 128,
		.nofile = 256,
	};
}

void limit_default_compile(struct limits *l)
{
	*l = (struct limits){
		.cpu_ms = 60 * 1000,
		.wall_ms = 60 * 1000,
		.memory_bytes = 1024 * MiB,
		.output_bytes = 1 * MiB,	/* per stream */
		.tmpfs_bytes = 256 * MiB,
		.pids = 256,
		.nofile = 1024,
	};
}

void limit_bucket_fill(struct limit_bucket *b, uint64_t now_ms, uint64_t burst)
{
	b->tokens = burst;
	b->ms = now_ms;
}

uint64_t limit_bucket_take(struct limit_bucket *b, uint64_t now_ms, uint64_t n,
			   uint64_t rate, uint64_t burst)
{
	uint64_t t = b->tokens < burst ? b->tokens : burst;

	if (now_ms > b->ms) {
		uint64_t dt = now_ms - b->ms, room = burst - t;
		if (!rate) {
			b->ms = now_ms;
		} else if (dt >= 1000 * (room / rate + 1)) {
			t = burst;	/* long enough to fill it */
			b->ms = now_ms;
		} else {
			/* dt * rate < 1000 * (room + rate) < 2^61: no
			 * overflow; the clock advances by the time the
			 * whole bytes gained stand for, so a slow rate
			 * read often still refills */
			uint64_t gained = dt * rate / 1000;
			t += gained;
			b->ms += gained * 1000 / rate;
			if (t > burst)
				t = burst;
		}
	}
	if (n > t)
		n = t;
	b->tokens = t - n;
	return n;
}

#define LOWER(f) out->f = (req->f && req->f < max->f) ? req->f : max->f

void limit_lower(const struct limits *max, const struct limits *req,
		  struct limits *out)
{
	LOWER(cpu_ms);
	LOWER(wall_ms);
	LOWER(memory_bytes);
	LOWER(output_bytes);
	LOWER(output_rate);
	LOWER(output_burst);
	LOWER(tmpfs_bytes);
	LOWER(pids);
	LOWER(nofile);
}

const char *limit_fmt_ms(uint64_t ms, char *out, size_t outlen)
{
	if (ms < 1000)
		snprintf(out, outlen, "%llu ms", (unsigned long long)ms);
	else if (ms % 60000 == 0 && ms >= 60000)
		snprintf(out, outlen, "%llu min", (unsigned long long)ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(out, outlen, "%llu s", (unsigned long long)ms / 1000);
	else
		snprintf(out, outlen, "%llu.%llu s", (unsigned long long)ms / 1000,
			 (unsigned long long)ms % 1000 / 100);	/* 1999: 1.9 s */
	return out;
}

const char *limit_fmt_bytes(uint64_t b, char *out, size_t outlen)
{
	if (b >= MiB && b % MiB == 0)
		snprintf(out, outlen, "%llu MiB", (unsigned long long)(b / MiB));
	else if (b >= 1024 && b % 1024 == 0)
		snprintf(out, outlen, "%llu KiB", (unsigned long long)(b / 1024));
	else
		snprintf(out, outlen, "%llu bytes", (unsigned long long)b);
	return out;
}

/*
 * term_client.c - one client loop for the terminal benchmarks, the same
 * against every target, so the figures differ only by what is behind it.
 *
 *   term-client echo pty N                 cat on a local pty (no server)
 *   term-client echo coderoom WSURL N      cat as a coderoom run, over /ws
 *   term-client echo ttyd WSURL N          ttyd running cat (ttyd -W cat)
 *   term-client tput pty FILE              python3 FILE on a local pty
 *   term-client tput coderoom WSURL FILE   FILE as a coderoom Python run
 *   term-client tput ttyd WSURL            ttyd running the producer
 *
 * echo: one byte in, wait until its echo comes back, 2 ms pause, again;
 * every 100th key is a carriage return (the canonical line buffer holds
 * 4095 bytes). Prints {"n","p50_ms","p99_ms","mean_ms","max_ms",
 * "samples_us"} (the samples sorted, for pooling several runs).
 * tput: read everything the program writes until it ends, the clock from
 * the first output byte to the last. Prints {"bytes","seconds","mb_s"}.
 *
 * The WebSocket client is the smallest that speaks RFC 6455 to these two
 * servers: one connection, TCP_NODELAY, masked frames out, unfragmented
 * frames in (continuations are accepted), pings answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 10000

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "term-client: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- targets ------------------------------------------------------------ */

enum kind { PTY, CODEROOM, TTYD };

struct target {
	enum kind kind;
	int fd;			/* pty master or socket */
	pid_t child;		/* PTY: the program */
	unsigned char *in;	/* socket bytes not parsed yet */
	size_t in_len, in_cap;	/* bytes in 'in', its size */
	size_t consumed;	/* bytes of 'in' already parsed */
};

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n;

	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
			wait_fd(fd, POLLOUT, WAIT_MS);
			continue;
		}
		if (w <= 0)
			die("write: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

static void pty_open(struct target *t, char *const argv[])
{
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);

	if (pid < 0)
		die("forkpty: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	t->fd = master;
	t->child = pid;
}

/* ---- a minimal WebSocket client ----------------------------------------- */

static void ws_send(struct target *t, int opcode, const void *p, size_t n)
{
	unsigned char hdr[14], mask[4];
	size_t h = 0;
	unsigned char *frame;
	uint32_t r = (uint32_t)now_ns() * 2654435761u;

	hdr[h++] = (unsigned char)(0x80 | opcode);
	if (n < 126) {
		hdr[h++] = (unsigned char)(0x80 | n);
	} else if (n < 65536) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char)(n >> 8);
		hdr[h++] = (unsigned char)n;
	} else {
		hdr[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			hdr[h++] = (unsigned char)((uint64_t)n >> (8 * i));
	}
	memcpy(mask, &r, 4);
	memcpy(hdr + h, mask, 4);
	h += 4;
	frame = malloc(h + n);
	if (!frame)
		die("out of memory");
	memcpy(frame, hdr, h);
	for (size_t i = 0; i < n; i++)
		frame[h + i] = ((const unsigned char *)p)[i] ^ mask[i & 3];
	write_all(t->fd, frame, h + n);
	free(frame);
}

/* Reads what the socket has (waiting up to ms); 0 at EOF. */
static ssize_t ws_fill(struct target *t, int ms)
{
	ssize_t n;

	if (t->in_cap - t->in_len < 65536) {
		t->in_cap = t->in_cap ? t->in_cap * 2 : 1 << 20;
		t->in = realloc(t->in, t->in_cap);
		if (!t->in)
			die("out of memory");
	}
	if (wait_fd(t->fd, POLLIN, ms) <= 0)
		die("nothing from the server within %d ms", ms);
	n = read(t->fd, t->in + t->in_len, t->in_cap - t->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n < 0)
		die("read: %s", strerror(errno));
	t->in_len += (size_t)n;
	return n;
}

/*
 * The next whole frame: its opcode, payload and length (the payload
 * points into t->in and lives until the next call). -1 at EOF.
 */
static int ws_next(struct target *t, const unsigned char **payload,
		   size_t *len)
{
	size_t *consumed = &t->consumed;

	for (;;) {
		unsigned char *b = t->in + *consumed;
		size_t have = t->in_len - *consumed;
		if (have >= 2) {
			size_t h = 2;
			uint64_t n = b[1] & 0x7f;
			if (n == 126 && have >= 4) {
				n = (uint64_t)b[2] << 8 | b[3];
				h = 4;
			} else if (n == 127 && have >= 10) {
				n = 0;
				for (int i = 0; i < 8; i++)
					n = n << 8 | b[2 + i];
				h = 10;
			} else if (n >= 126) {
				h = 0;
			}
			if (h && have >= h + n) {
				*payload = b + h;
				*len = (size_t)n;
				*consumed += h + (size_t)n;
				return b[0] & 0x0f;
			}
		}
		/* keep the unparsed tail at the front, then read more */
		if (*consumed) {
			memmove(t->in, t->in + *consumed, t->in_len - *consumed);
			t->in_len -= *consumed;
			*consumed = 0;
		}
		if (ws_fill(t, WAIT_MS) == 0)
			return -1;
	}
}

static void ws_open(struct target *t, const char *url, const char *proto)
{
	char host[256], path[256] = "/", req[1024];
	int port = 80, one = 1;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char portstr[16];

	if (sscanf(url, "ws://%255[^:/]:%d%255s", host, &port, path) < 2)
		die("bad url '%s' (ws://HOST:PORT/PATH)", url);
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(host, portstr, &hints, &ai))
		die("cannot resolve '%s'", host);
	t->fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (t->fd < 0 || connect(t->fd, ai->ai_addr, ai->ai_addrlen))
		die("connect %s: %s", url, strerror(errno));
	freeaddrinfo(ai);
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Protocol: %s\r\n\r\n", path, host, port, proto);
	write_all(t->fd, req, strlen(req));
	for (;;) {
		ws_fill(t, WAIT_MS);
		unsigned char *end = memmem(t->in, t->in_len, "\r\n\r\n", 4);
		if (!end)
			continue;
		if (t->in_len < 12 || memcmp(t->in + 9, "101", 3))
			die("upgrade refused: %.*s", (int)(end - t->in),
			    (char *)t->in);
		size_t hl = (size_t)(end + 4 - t->in);
		memmove(t->in, t->in + hl, t->in_len - hl);
		t->in_len -= hl;
		return;
	}
}

/* ---- what each target says ----------------------------------------------- */

/*
 * Waits for the next output bytes of the program: copies up to cap into
 * out, returns how many (0 when the program ended). Text messages other
 * than coderoom's "exited" (the end) are skipped.
 */
static size_t t_read(struct target *t, unsigned char *out, size_t cap)
{
	const unsigned char *p;
	size_t n;
	int op;

	if (t->kind == PTY) {
		ssize_t r;
		if (wait_fd(t->fd, POLLIN, WAIT_MS) <= 0)
			die("no output within %d ms", WAIT_MS);
		r = read(t->fd, out, cap);
		if (r < 0 && errno == EIO)	/* the program's side closed */
			return 0;
		if (r < 0)
			die("read pty: %s", strerror(errno));
		return (size_t)r;
	}
	for (;;) {
		op = ws_next(t, &p, &n);
		if (op < 0 || op == 8)
			return 0;
		if (op == 9) {
			ws_send(t, 10, p, n);
			continue;
		}
		if (t->kind == CODEROOM) {
			if (op == 2 && n >= 1 && (p[0] == 1 || p[0] == 2)) {
				n--;
				p++;
			} else if (op == 1 && memmem(p, n, "\"exited\"", 8)) {
				return 0;
			} else if (op == 1 && memmem(p, n, "\"error\"", 7)) {
				die("server error: %.*s", (int)n, (const char *)p);
			} else {
				continue;
			}
		} else { /* ttyd: '0' + output; '1' title, '2' preferences */
			if (n < 1 || p[0] != '0')
				continue;
			n--;
			p++;
		}
		if (n == 0)
			continue;
		if (n > cap)
			die("a frame of %zu bytes does not fit %zu", n, cap);
		memcpy(out, p, n);
		return n;
	}
}

static void t_key(struct target *t, char ch)
{
	unsigned char m[2];

	if (t->kind == PTY) {
		write_all(t->fd, &ch, 1);
		return;
	}
	m[0] = t->kind == CODEROOM ? 0 : '0';
	m[1] = (unsigned char)ch;
	ws_send(t, 2, m, 2);
}

static void json_str(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s && o + 8 < cap; s++) {
		if (*s == '"' || *s == '\\') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[65536];
	size_t n;

	if (!f)
		die("cannot open '%s'", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Connects to the target; for coderoom, starts 'code' as a Python run. */
static void t_open(struct target *t, const char *kind, const char *where,
		   const char *code, char *const argv[])
{
	if (strcmp(kind, "pty") == 0) {
		t->kind = PTY;
		pty_open(t, argv);
	} else if (strcmp(kind, "coderoom") == 0) {
		static char msg[140000], esc[131072];
		t->kind = CODEROOM;
		ws_open(t, where, "coderoom.v1");
		json_str(esc, sizeof(esc), code);
		snprintf(msg, sizeof(msg),
			 "{\"type\":\"run\",\"language\":\"python\",\"code\":\"%s\"}",
			 esc);
		ws_send(t, 1, msg, strlen(msg));
	} else if (strcmp(kind, "ttyd") == 0) {
		static const char init[] = "{\"AuthToken\":\"\",\"columns\":80,\"rows\":24}";
		t->kind = TTYD;
		ws_open(t, where, "tty");
		ws_send(t, 2, init, strlen(init));
	} else {
		die("unknown target '%s' (pty, coderoom, ttyd)", kind);
	}
}

static void t_close(struct target *t)
{
	if (t->kind == PTY && t->child > 0) {
		kill(t->child, SIGKILL);
		waitpid(t->child, NULL, 0);
	}
	close(t->fd);
}

/* ---- the two loops -------------------------------------------------------- */

static unsigned char rbuf[1 << 20];

/* Reads output until 'ch' arrives (the line's echo may come in pieces). */
static void wait_echo(struct target *t, char ch)
{
	for (;;) {
		size_t n = t_read(t, rbuf, sizeof(rbuf));
		if (n == 0)
			die("the program ended while waiting for an echo");
		if (memchr(rbuf, ch, n))
			return;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void echo(struct target *t, int n)
{
	uint64_t *s = calloc((size_t)n, sizeof(*s));
	int k = 0;
	double sum = 0;

	if (!s)
		die("out of memory");
	t_key(t, 'w');	/* the first echo proves cat reads its terminal */
	wait_echo(t, 'w');
	for (int i = 0; i < n; i++) {
		if (i % 100 == 99) {
			t_key(t, '\r');
			wait_echo(t, '\n');
			pause_ms(2);
			continue;
		}
		char ch = (char)('a' + i % 26);
		uint64_t t0 = now_ns();
		t_key(t, ch);
		wait_echo(t, ch);
		s[k++] = now_ns() - t0;
		pause_ms(2);
	}
	qsort(s, (size_t)k, sizeof(*s), cmp_u64);
	for (int i = 0; i < k; i++)
		sum += (double)s[i];
	printf("{\"n\":%d,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"mean_ms\":%.4f,"
	       "\"max_ms\":%.4f,\"samples_us\":[", k, s[k / 2] / 1e6,
	       s[(size_t)((double)k * 0.99)] / 1e6, sum / k / 1e6,
	       s[k - 1] / 1e6);
	for (int i = 0; i < k; i++)
		printf("%s%.1f", i ? "," : "", s[i] / 1e3);
	printf("]}\n");
	free(s);
}

static void tput(struct target *t)
{
	uint64_t bytes = 0, first = 0, last = 0;
	size_t n;

	while ((n = t_read(t, rbuf, sizeof(rbuf))) > 0) {
		last = now_ns();
		if (!first)
			first = last;
		bytes += n;
	}
	double secs = (double)(last - first) / 1e9;
	printf("{\"bytes\":%llu,\"seconds\":%.4f,\"mb_s\":%.2f}\n",
	       (unsigned long long)bytes, secs,
	       secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
}

int main(int argc, char **argv)
{
	struct target t = { 0 };

	signal(SIGPIPE, SIG_IGN);
	if (argc < 4)
		die("usage: term-client echo|tput pty|coderoom|ttyd [WSURL] N|FILE");
	bool is_pty = strcmp(argv[2], "pty") == 0;
	const char *where = is_pty ? NULL : argv[3];
	const char *arg = is_pty ? argv[3] : argc > 4 ? argv[4] : "";

	if (strcmp(argv[1], "echo") == 0) {
		char cat0[] = "cat", *cat[] = { cat0, NULL };
		t_open(&t, argv[2], where,
		       "import os\nos.execvp('cat', ['cat'])\n", cat);
		echo(&t, atoi(arg));
	} else if (strcmp(argv[1], "tput") == 0) {
		char py0[] = "python3", *py[] = { py0, (char *)arg, NULL };
		t_open(&t, argv[2], where,
		       strcmp(argv[2], "coderoom") == 0 ? slurp(arg) : "", py);
		tput(&t);
	} else {
		die("unknown mode '%s' (echo, tput)", argv[1]);
	}
	t_close(&t);
	return 0;
}

/*
 * config.c - configuration of the server: defaults, a file, the
 * environment, the command line, in that order (a later source wins).
 *
 * One parser for all four: the file's "key = value" lines and the
 * CODEROOM_KEY environment variables become "--key=value" arguments put
 * before the real ones, and getopt_long reads them all. So every option
 * works the same way everywhere, with the same checks and messages, and
 * an option added to the table below is at once a file key and an
 * environment variable.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"

static const char usage[] =
"usage: coderoom [options]\n"
"\n"
"Runs the coderoom server: a browser IDE, live interactive runs in a sandbox,\n"
"and HTTP/WebSocket APIs for programs.\n"
"\n"
"  --listen HOST:PORT        address to listen on (default 127.0.0.1:8080;\n"
"                            port 0 picks a free port; env PORT sets the port)\n"
"  --data-dir DIR            where coderoom keeps its data (default ./data)\n"
"  --web-root DIR            the built IDE (default: web/dist of the install)\n"
"  --languages-dir DIR       the language table (default: languages/)\n"
"  --user NAME               when started as root, run as this user (default:\n"
"                            coderoom, which scripts/setup.sh creates; never\n"
"                            root or nobody)\n"
"  --log-level LEVEL         debug, info, warn or error (default info)\n"
"\n"
"Limits of interactive runs (a request may lower them, never raise them):\n"
"  --cpu-ms N                CPU time (default 60000)\n"
"  --wall-ms N               wall time (default 1800000)\n"
"  --output-bytes N          output in all (default 1073741824)\n"
"  --output-rate N           output bytes a second, once the burst is spent\n"
"                            (default 1048576)\n"
"  --output-burst N          output bytes at once above the rate\n"
"                            (default 16777216)\n"
"  --memory-bytes N          memory, both kinds of run (default 536870912)\n"
"  --pids N                  processes and threads, both kinds (default 128)\n"
"Limits of batch runs (HTTP API):\n"
"  --batch-cpu-ms N          CPU time (default 10000)\n"
"  --batch-wall-ms N         wall time (default 20000)\n"
"  --batch-output-bytes N    output per stream (default 1048576)\n"
"\n"
"  --reattach-grace-ms N     how long a run waits for its client to come back\n"
"                            (default 10000)\n"
"  --max-message-bytes N     largest WebSocket message (default 1048576)\n"
"  --max-body-bytes N        largest HTTP request body (default 1048576)\n"
"  --max-runs N              interactive runs at once (default: derived from\n"
"                            memory, pids and open files; see Sizing below)\n"
"  --request-timeout-ms N    an HTTP request body must arrive within N ms of\n"
"                            its headers, else 408 (default 60000)\n"
"  --ws-read-rate N          bytes a second one WebSocket may send (burst:\n"
"                            twice --max-message-bytes); past it the server\n"
"                            stops reading it for a while (default 262144)\n"
"  --ws-per-client N         WebSockets one client address (IPv6: its /64)\n"
"                            may hold; one more is closed (default 256)\n"
"  --http-out-bytes N        HTTP answers held for clients that have not read\n"
"                            them yet, bytes; a big answer past it is 503\n"
"                            (default 268435456)\n"
"  --http-send-timeout-s N   a client that takes no part of an answer waiting\n"
"                            for it for N seconds is closed (default 20)\n"
"\n"
"Compile steps and the batch API:\n"
"  --compile-cpu-ms N        CPU time of a compile step (default 60000)\n"
"  --compile-wall-ms N       wall time of a compile step (default 60000)\n"
"  --compile-memory-bytes N  memory of a compile step (default 1073741824)\n"
"  --cache-bytes N           compile cache size on disk (default 268435456)\n"
"  --api-concurrency N       API runs at once (default: the CPU count)\n"
"  --api-queue N             API runs waiting for a slot before 503 (default 64)\n"
"  --api-client-queue N      one client's API runs waiting (default: half of\n"
"                            --api-queue)\n"
"  --api-token TOKEN         require 'Authorization: Bearer TOKEN' (or\n"
"                            X-Api-Token) on the run APIs; repeatable\n"
"  --api-token-file FILE     the same, one token a line\n"
"  --judge0-root             the Judge0 API also at the root paths\n"
"                            (/submissions, /languages, ...)\n"
"  --judge0-keep-s N         keep a finished Judge0 submission N seconds\n"
"                            (default 86400)\n"
"  --judge0-max-bytes N      bytes of Judge0 submissions kept in the\n"
"                            database; past it the finished ones go, oldest\n"
"                            first, then new ones get 503 (default 1 GiB)\n"
"  --callback-allow HOST     Judge0 callback_url may name HOST (a name or\n"
"                            an address); repeatable; default: none\n"
"  --callback-max N          Judge0 callbacks in flight at once; more are\n"
"                            dropped (default 64)\n"
"  --callback-allow-private  callbacks may reach loopback, private and\n"
"                            link-local addresses (refused by default)\n"
"  --allow-weak-sandbox      run code even where the host cannot give every\n"
"                            isolation feature (the missing ones are logged)\n"
"  --spawner-timeout-ms N    a sandbox spawner that has work and does not\n"
"                            answer for this long is replaced (default 15000)\n"
"  --run-uids FIRST[-LAST]   the host uids programs run as (default: the first\n"
"                            free range of as many uids as runs from 200000);\n"
"                            refused when it holds a user, group or\n"
"                            subordinate id of the host, or another coderoom's\n"
"  --server-memory-bytes N   the server's own memory limit (RLIMIT_DATA: heap\n"
"                            and anonymous memory; default: a quarter of the\n"
"                            machine's, at least 256 MiB); runs are not under it\n"
"\n"
"Operations:\n"
"  --log-format FORMAT       text or json (one JSON object a line)\n"
"  --config FILE             read options from FILE first: one 'key = value'\n"
"                            a line, keys are these option names without\n"
"                            '--', '#' starts a comment (docs/operations.md)\n"
"  --check-config            check the configuration, print it (secrets\n"
"                            masked) and exit: 0 when it is usable\n"
"\n"
"Rooms (shared documents; kept in DIR/coderoom.db):\n"
"  --room-doc-bytes N        largest document, UTF-8 bytes (default 524288;\n"
"                            keep it well under --max-message-bytes)\n"
"  --room-log N              updates kept for reconnecting clients, >= 100\n"
"                            (default 1000)\n"
"  --room-chat-bytes N       longest chat line, bytes (default 2000)\n"
"  --room-members N          members connected to one room (default 50)\n"
"  --max-rooms N             rooms open (in memory) at once (default 1000)\n"
"  --max-stored-rooms N      rooms in the database (default 100000)\n"
"  --room-create-rate N      rooms one client (address; IPv6: its /64) may\n"
"                            create a minute, in a burst of N (default 30)\n"
"  --room-rate N             room messages a second per member (default 50)\n"
"  --room-snapshot-every N   updates between snapshots (default 100)\n"
"  --ws-ping-ms N            ping a silent WebSocket after N ms (default 2500)\n"
"  --ws-timeout-ms N         close a WebSocket silent for N ms, or one taking\n"
"                            none of its output for N ms (default 10000)\n"
"\n"
"Sizing: what admits interactive runs (the defaults are derived from the\n"
"machine and printed at start-up and in /api/health):\n"
"  --runs-memory-bytes N     memory of every run together (default: memory\n"
"                            minus max(1 GiB, 1/8))\n"
"  --runs-pids N             processes of every run together (default: half of\n"
"                            the smallest of pid_max, threads-max, pids.max)\n"
"  --run-memory-reserve N    memory counted for a run before it uses it\n"
"                            (default 16777216)\n"
"  --run-pids-reserve N      processes counted likewise (default 8)\n"
"  --queue N                 interactive runs waiting for a slot (default 256)\n"
"  --queue-wait-ms N         longest wait there before 'server_busy'\n"
"                            (default 300000)\n"
"  --client-runs N           one client's interactive runs at once (a token, or\n"
"                            an address when anonymous; default: a quarter of\n"
"                            --max-runs, at least min(48, half))\n"
"  --client-queue N          one client's runs waiting (default 64)\n"
"  --idle-timeout-ms N       end an interactive run that waits for input with\n"
"                            nobody typing (default 600000; 0: never)\n"
"  --max-open-files N        the server raises its RLIMIT_NOFILE to this\n"
"                            (default: the hard limit, at least 65536 as root)\n"
"Cluster mode (docs/operations.md, \"Cluster\"):\n"
"  --redis URL               join the cluster of this Redis:\n"
"                            redis://[:PASSWORD@]HOST[:PORT][/DB]\n"
"  --role ROLE               gateway (serves clients), worker (runs programs)\n"
"                            or all (both; the default)\n"
"  --node-id ID              this node's name in the cluster (default:\n"
"                            hostname-pid; letters, digits, '.', '_', '-')\n"
"\n"
"Code from a prompt (off unless --ai-url is given; docs/operations.md):\n"
"  --ai-url URL              an OpenAI-compatible API's base URL, e.g.\n"
"                            https://api.openai.com/v1 or http://127.0.0.1:11434/v1\n"
"  --ai-model NAME           the model to ask (required with --ai-url)\n"
"  --ai-key-file FILE        the API key, first line of FILE (sent as a Bearer\n"
"                            token to the endpoint only)\n"
"  --ai-ca-file FILE         more CA certificates (PEM) to trust for https\n"
"  --ai-timeout-ms N         one answer, whole (default 120000)\n"
"  --ai-max-bytes N          one answer's code (default 65536)\n"
"  --ai-rate N               generations a minute per client address (default 10)\n"
"\n"
"  --help                    this text\n"
"  --version                 the version\n"
"\n"
"Every option can also be set in the environment as CODEROOM_<NAME>\n"
"(CODEROOM_DATA_DIR=/srv/data); the command line wins over the\n"
"environment, which wins over the file. CODEROOM_CONFIG names the file.\n";

enum {
	OPT_LISTEN = 256, OPT_DATA, OPT_WEB, OPT_LANGS, OPT_USER, OPT_LOG,
	OPT_CPU, OPT_WALL, OPT_OUT, OPT_MEM, OPT_PIDS, OPT_BCPU, OPT_BWALL,
	OPT_BOUT, OPT_GRACE, OPT_MSG, OPT_BODY, OPT_RUNS, OPT_CCPU, OPT_CWALL,
	OPT_CMEM, OPT_CACHE, OPT_APICONC, OPT_APIQ, OPT_WEAK, OPT_HELP,
	OPT_VERSION, OPT_TOKEN, OPT_TOKENFILE, OPT_J0ROOT, OPT_J0KEEP,
	OPT_CBALLOW, OPT_CBPRIV,
	OPT_CORS, OPT_SIOMAX,
	OPT_SIOPING, OPT_SIOPINGTO, OPT_SIOCONNTO,
	OPT_RDOC, OPT_RLOG, OPT_RCHAT, OPT_RMEMBERS, OPT_MAXROOMS,
	OPT_MAXSTORED, OPT_RRATE, OPT_RSNAP, OPT_WSPING, OPT_WSTIMEOUT,
	OPT_RUNSMEM, OPT_RUNSPIDS,
	OPT_MEMRES, OPT_PIDSRES, OPT_QUEUE, OPT_QWAIT, OPT_CLRUNS, OPT_CLQUEUE,
	OPT_APICLQ, OPT_IDLE, OPT_NOFILE,
	OPT_STALL, OPT_LOGFMT, OPT_CONFIG, OPT_CHECK,
	OPT_ORATE, OPT_OBURST, OPT_RUNUIDS, OPT_SRVMEM,
	OPT_REDIS, OPT_ROLE, OPT_NODE,
	OPT_REQTIMEOUT, OPT_WSREAD, OPT_RCREATE, OPT_J0BYTES,
	OPT_CBMAX, OPT_HTTPOUT, OPT_HTTPSEND, OPT_WSCLIENT,
	OPT_AIURL, OPT_AIMODEL, OPT_AIKEY, OPT_AICA, OPT_AITIMEOUT,
	OPT_AIMAX, OPT_AIRATE,
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "data-dir", required_argument, NULL, OPT_DATA },
	{ "web-root", required_argument, NULL, OPT_WEB },
	{ "languages-dir", required_argument, NULL, OPT_LANGS },
	{ "user", required_argument, NULL, OPT_USER },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "cpu-ms", required_argument, NULL, OPT_CPU },
	{ "wall-ms", required_argument, NULL, OPT_WALL },
	{ "output-bytes", required_argument, NULL, OPT_OUT },
	{ "memory-bytes", required_argument, NULL, OPT_MEM },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "batch-cpu-ms", required_argument, NULL, OPT_BCPU },
	{ "batch-wall-ms", required_argument, NULL, OPT_BWALL },
	{ "batch-output-bytes", required_argument, NULL, OPT_BOUT },
	{ "reattach-grace-ms", required_argument, NULL, OPT_GRACE },
	{ "max-message-bytes", required_argument, NULL, OPT_MSG },
	{ "max-body-bytes", required_argument, NULL, OPT_BODY },
	{ "max-runs", required_argument, NULL, OPT_RUNS },
	{ "compile-cpu-ms", required_argument, NULL, OPT_CCPU },
	{ "compile-wall-ms", required_argument, NULL, OPT_CWALL },
	{ "compile-memory-bytes", required_argument, NULL, OPT_CMEM },
	{ "cache-bytes", required_argument, NULL, OPT_CACHE },
	{ "api-concurrency", required_argument, NULL, OPT_APICONC },
	{ "api-queue", required_argument, NULL, OPT_APIQ },
	{ "allow-weak-sandbox", no_argument, NULL, OPT_WEAK },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "api-token", required_argument, NULL, OPT_TOKEN },
	{ "api-token-file", required_argument, NULL, OPT_TOKENFILE },
	{ "judge0-root", no_argument, NULL, OPT_J0ROOT },
	{ "judge0-keep-s", required_argument, NULL, OPT_J0KEEP },
	{ "callback-allow", required_argument, NULL, OPT_CBALLOW },
	{ "callback-allow-private", no_argument, NULL, OPT_CBPRIV },
	{ "cors-origin", required_argument, NULL, OPT_CORS },
	{ "sio-max-sessions", required_argument, NULL, OPT_SIOMAX },
	{ "sio-ping-interval-ms", required_argument, NULL, OPT_SIOPING },
	{ "sio-ping-timeout-ms", required_argument, NULL, OPT_SIOPINGTO },
	{ "sio-connect-timeout-ms", required_argument, NULL, OPT_SIOCONNTO },
	{ "room-doc-bytes", required_argument, NULL, OPT_RDOC },
	{ "room-log", required_argument, NULL, OPT_RLOG },
	{ "room-chat-bytes", required_argument, NULL, OPT_RCHAT },
	{ "room-members", required_argument, NULL, OPT_RMEMBERS },
	{ "max-rooms", required_argument, NULL, OPT_MAXROOMS },
	{ "max-stored-rooms", required_argument, NULL, OPT_MAXSTORED },
	{ "room-rate", required_argument, NULL, OPT_RRATE },
	{ "room-snapshot-every", required_argument, NULL, OPT_RSNAP },
	{ "ws-ping-ms", required_argument, NULL, OPT_WSPING },
	{ "ws-timeout-ms", required_argument, NULL, OPT_WSTIMEOUT },
	{ "runs-memory-bytes", required_argument, NULL, OPT_RUNSMEM },
	{ "runs-pids", required_argument, NULL, OPT_RUNSPIDS },
	{ "run-memory-reserve", required_argument, NULL, OPT_MEMRES },
	{ "run-pids-reserve", required_argument, NULL, OPT_PIDSRES },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "queue-wait-ms", required_argument, NULL, OPT_QWAIT },
	{ "client-runs", required_argument, NULL, OPT_CLRUNS },
	{ "client-queue", required_argument, NULL, OPT_CLQUEUE },
	{ "api-client-queue", required_argument, NULL, OPT_APICLQ },
	{ "idle-timeout-ms", required_argument, NULL, OPT_IDLE },
	{ "max-open-files", required_argument, NULL, OPT_NOFILE },
	{ "spawner-timeout-ms", required_argument, NULL, OPT_STALL },
	{ "log-format", required_argument, NULL, OPT_LOGFMT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "output-rate", required_argument, NULL, OPT_ORATE },
	{ "output-burst", required_argument, NULL, OPT_OBURST },
	{ "run-uids", required_argument, NULL, OPT_RUNUIDS },
	{ "server-memory-bytes", required_argument, NULL, OPT_SRVMEM },
	{ "redis", required_argument, NULL, OPT_REDIS },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "node-id", required_argument, NULL, OPT_NODE },
	{ "request-timeout-ms", required_argument, NULL, OPT_REQTIMEOUT },
	{ "ws-read-rate", required_argument, NULL, OPT_WSREAD },
	{ "room-create-rate", required_argument, NULL, OPT_RCREATE },
	{ "judge0-max-bytes", required_argument, NULL, OPT_J0BYTES },
	{ "callback-max", required_argument, NULL, OPT_CBMAX },
	{ "http-out-bytes", required_argument, NULL, OPT_HTTPOUT },
	{ "http-send-timeout-s", required_argument, NULL, OPT_HTTPSEND },
	{ "ws-per-client", required_argument, NULL, OPT_WSCLIENT },
	{ "ai-url", required_argument, NULL, OPT_AIURL },
	{ "ai-model", required_argument, NULL, OPT_AIMODEL },
	{ "ai-key-file", required_argument, NULL, OPT_AIKEY },
	{ "ai-ca-file", required_argument, NULL, OPT_AICA },
	{ "ai-timeout-ms", required_argument, NULL, OPT_AITIMEOUT },
	{ "ai-max-bytes", required_argument, NULL, OPT_AIMAX },
	{ "ai-rate", required_argument, NULL, OPT_AIRATE },
	{ NULL, 0, NULL, 0 },
};

/* Options that only make sense on the command line. */
static bool cli_only(int opt)
{
	return opt == OPT_HELP || opt == OPT_VERSION || opt == OPT_CONFIG ||
	       opt == OPT_CHECK;
}

#define CONFIG_FILE_MAX (64 * 1024)
#define CONFIG_ARGS_MAX 512

/* The "--key=value" arguments made from the file and the environment. */
struct synth {
	char *argv[CONFIG_ARGS_MAX];
	char where[CONFIG_ARGS_MAX][160];	/* "FILE:LINE" or the variable */
	int n;
};

static const struct option *option_named(const char *name, size_t len)
{
	for (const struct option *o = options; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

/* Adds "--name=value" ("--name" for a flag) to 's', the string owned by
 * cfg's arena. 0 or -ENOMEM / -E2BIG. */
static int synth_add(struct config *cfg, struct synth *s, const char *name,
		     const char *value, bool flag)
{
	size_t len = strlen(name) + (value ? strlen(value) : 0) + 4;
	struct config_str *str;

	if (s->n >= CONFIG_ARGS_MAX)
		return -E2BIG;
	str = malloc(sizeof(*str) + len);
	if (!str)
		return -ENOMEM;
	if (flag)
		snprintf(str->s, len, "--%s", name);
	else
		snprintf(str->s, len, "--%s=%s", name, value);
	str->next = cfg->arena;
	cfg->arena = str;
	s->argv[s->n++] = str->s;
	return 0;
}

/* A boolean's words. 1 true, 0 false, -1 neither. */
static int parse_bool(const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* One setting from the file or the environment ('where' names it in
 * messages). 0 or -EINVAL (printed). */
static int synth_setting(struct config *cfg, struct synth *s, const char *where,
			 const char *key, size_t klen, const char *value)
{
	const struct option *o = option_named(key, klen);

	if (!o || cli_only(o->val)) {
		fprintf(stderr, "coderoom: %s: %s option '%.*s'\n", where,
			o ? "command-line only" : "unknown", (int)klen, key);
		return -EINVAL;
	}
	if (o->has_arg == no_argument) {
		int b = parse_bool(value);
		if (b < 0) {
			fprintf(stderr, "coderoom: %s: '%s' wants true or "
				"false, not '%s'\n", where, o->name, value);
			return -EINVAL;
		}
		if (b && synth_add(cfg, s, o->name, NULL, true))
			goto too_many;
		if (b)
			snprintf(s->where[s->n - 1], sizeof(s->where[0]), "%s",
				 where);
		return 0;
	}
	if (!*value) {
		fprintf(stderr, "coderoom: %s: '%s' has no value\n", where,
			o->name);
		return -EINVAL;
	}
	if (synth_add(cfg, s, o->name, value, false))
		goto too_many;
	snprintf(s->where[s->n - 1], sizeof(s->where[0]), "%s", where);
	return 0;
too_many:
	fprintf(stderr, "coderoom: %s: too many settings\n", where);
	return -EINVAL;
}

/* Reads the "key = value" lines of 'path'. 0 or -errno (printed). */
static int read_file(struct config *cfg, struct synth *s, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4096], where[PATH_MAX + 32];
	struct stat st;
	unsigned lineno = 0;
	int e = 0;

	if (!f || fstat(fileno(f), &st)) {
		e = -errno;
		fprintf(stderr, "coderoom: cannot read the config file '%s': "
			"%s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		fprintf(stderr, "coderoom: the config file '%s' is not a "
			"regular file of at most %d bytes\n", path,
			CONFIG_FILE_MAX);
		fclose(f);
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq, *end;
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "coderoom: %s: line too long\n", where);
			e = -EINVAL;
			break;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		eq = strchr(p, '=');
		if (!eq) {
			fprintf(stderr, "coderoom: %s: expected 'key = value', "
				"not '%s'\n", where, p);
			e = -EINVAL;
			break;
		}
		char *kend = eq;
		while (kend > p && isspace((unsigned char)kend[-1]))
			kend--;
		char *v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		if ((e = synth_setting(cfg, s, where, p, (size_t)(kend - p), v)))
			break;
	}
	fclose(f);
	return e;
}

/* CODEROOM_<NAME> for every option that may come from there. */
static int read_env(struct config *cfg, struct synth *s)
{
	for (const struct option *o = options; o->name; o++) {
		char var[64], where[80];
		size_t i = 0;
		const char *v;

		if (cli_only(o->val))
			continue;
		i = (size_t)snprintf(var, sizeof(var), "CODEROOM_");
		for (const char *n = o->name; *n && i + 1 < sizeof(var); n++)
			var[i++] = *n == '-' ? '_' : (char)toupper((unsigned char)*n);
		var[i] = '\0';
		if (!(v = getenv(var)))
			continue;
		snprintf(where, sizeof(where), "%s", var);
		if (synth_setting(cfg, s, where, o->name, strlen(o->name), v))
			return -EINVAL;
	}
	return 0;
}

/* The --config argument of the command line, if any (exact spelling). */
static const char *config_arg(int argc, char **argv)
{
	const char *found = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			found = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			found = argv[i] + 9;
	}
	return found;
}

void config_release(struct config *cfg)
{
	while (cfg->arena) {
		struct config_str *s = cfg->arena;
		cfg->arena = s->next;
		free(s);
	}
}

int config_parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *digits;
	char *end;
	long p;

	if (s[0] == '[') {	/* [v6]:port */
		const char *close = strchr(s, ']');
		if (!close || close == s + 1 || close[1] != ':')
			return -EINVAL;	/* "[]" would mean every interface */
		if ((size_t)(close - s - 1) >= hostlen)
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		digits = close + 2;
	} else if ((colon = strrchr(s, ':'))) {
		if ((size_t)(colon - s) >= hostlen)
			return -EINVAL;
		if (colon != s) {
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = '\0';
		}
		digits = colon + 1;
	} else {
		digits = s;	/* only a port */
	}
	errno = 0;
	p = strtol(digits, &end, 10);
	if (errno || end == digits || *end || p < 0 || p > 65535 ||
	    *digits < '0' || *digits > '9')
		return -EINVAL;
	*port = (int)p;
	return 0;
}

uint64_t config_default_server_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	uint64_t quarter = pages > 0 && size > 0
				   ? (uint64_t)pages * (uint64_t)size / 4
				   : 0;

	return quarter > (256ull << 20) ? quarter : 256ull << 20;
}

static bool parse_uid(const char *p, const char **end, uint32_t *out)
{
	unsigned long long v;
	char *e;

	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	v = strtoull(p, &e, 10);
	if (errno || v < 1000 || v >= 0xffffffffull)
		return false;
	*out = (uint32_t)v;
	*end = e;
	return true;
}

int config_parse_uid_range(const char *s, uint32_t *first, uint32_t *last)
{
	const char *e;

	if (!parse_uid(s, &e, first))
		return -EINVAL;
	*last = 0;
	if (*e == '-' && (!parse_uid(e + 1, &e, last) || *last < *first))
		return -EINVAL;
	return *e ? -EINVAL : 0;
}

static int parse_u64(const char *name, const char *s, uint64_t min,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')	/* strtoull takes " -1" and wraps it */
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "coderoom: --%s wants a whole number >= %llu, not '%s'\n",
		name, (unsigned long long)min, s);
	return -EINVAL;
}

bool config_origin_valid(const char *s)
{
	const char *host;

	if (strcmp(s, "*") == 0)
		return true;
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	if (!*host || strlen(s) > 255)
		return false;
	for (const char *p = host; *p; p++)	/* no path, no spaces */
		if (*p == '/' || *p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

static enum config_result parse_args(struct config *cfg, int argc,
				     char **argv);

enum config_result config_parse(struct config *cfg, int argc, char **argv)
{
	struct synth *s;
	char **av;
	int ac = 0;
	enum config_result r = CONFIG_ERROR;

	memset(cfg, 0, sizeof(*cfg));
	s = calloc(1, sizeof(*s));
	if (!s)
		return CONFIG_ERROR;
	cfg->config_file = config_arg(argc, argv);
	if (!cfg->config_file && (cfg->config_file = getenv("CODEROOM_CONFIG")) &&
	    !*cfg->config_file)
		cfg->config_file = NULL;
	if (cfg->config_file && read_file(cfg, s, cfg->config_file))
		goto out;
	if (read_env(cfg, s))
		goto out;
	av = calloc((size_t)s->n + (size_t)argc + 1, sizeof(*av));
	if (!av)
		goto out;
	av[ac++] = argc > 0 ? argv[0] : (char *)"coderoom";
	for (int i = 0; i < s->n; i++)
		av[ac++] = s->argv[i];
	for (int i = 1; i < argc; i++)
		av[ac++] = argv[i];
	av[ac] = NULL;
	cfg->nsettings = (unsigned)s->n;
	r = parse_args(cfg, ac, av);
	/* A bad value from the file or the environment: say where. */
	if (r == CONFIG_ERROR && optind >= 2 && optind - 1 <= s->n)
		fprintf(stderr, "coderoom: (that is '%s', from %s)\n",
			av[optind - 1], s->where[optind - 2]);
	free(av);
out:
	free(s);
	if (r != CONFIG_OK)
		config_release(cfg);
	return r;
}

static enum config_result parse_args(struct config *cfg, int argc, char **argv)
{
	const char *env_port = getenv("PORT");
	const char *config_file = cfg->config_file;
	struct config_str *arena = cfg->arena;
	unsigned nsettings = cfg->nsettings;
	uint64_t v;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->config_file = config_file;
	cfg->arena = arena;
	cfg->nsettings = nsettings;
	snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
	cfg->port = 8080;
	cfg->data_dir = "./data";
	cfg->log_level = LOG_INFO;
	limit_default_interactive(&cfg->tty);
	limit_default_batch(&cfg->batch);
	cfg->reattach_grace_ms = 10000;
	cfg->max_message_bytes = 1024 * 1024;
	cfg->max_body_bytes = 1024 * 1024;
	limit_default_compile(&cfg->compile);
	cfg->cache_bytes = 256ull << 20;
	cfg->api_queue = 64;
	cfg->judge0_keep_s = 86400;
	cfg->sio_max_sessions = 1000;
	cfg->sio_ping_interval_ms = 25000;
	cfg->sio_ping_timeout_ms = 20000;
	cfg->sio_connect_timeout_ms = 45000;
	cfg->room_doc_bytes = 512 * 1024;	/* fits a 1 MiB message as JSON */
	cfg->room_log = 1000;
	cfg->room_chat_bytes = 2000;
	cfg->room_members = 50;
	cfg->max_rooms = 1000;
	cfg->max_stored_rooms = 100000;
	cfg->room_rate = 50;
	cfg->room_snapshot_every = 100;
	cfg->ws_ping_ms = 2500;
	cfg->ws_timeout_ms = 10000;
	cfg->queue_wait_ms = 300000;
	cfg->idle_timeout_ms = 600000;
	cfg->spawner_timeout_ms = 15000;
	cfg->server_memory_bytes = config_default_server_memory();
	cfg->request_timeout_ms = 60000;
	cfg->ws_read_rate = 256 * 1024;
	cfg->room_create_rate = 30;
	cfg->judge0_max_bytes = 1ull << 30;
	cfg->callback_max = 64;
	cfg->http_out_bytes = 256u << 20;
	cfg->http_send_timeout_s = 20;
	cfg->ws_per_client = 256;
	cfg->ai_timeout_ms = 120000;
	cfg->ai_max_bytes = 65536;
	cfg->ai_rate = 10;

	if (env_port && *env_port) {
		char dummy[8];
		if (config_parse_listen(env_port, dummy, sizeof(dummy),
					&cfg->port)) {
			fprintf(stderr, "coderoom: PORT='%s' is not a port\n",
				env_port);
			return CONFIG_ERROR;
		}
	}
	optind = 0;	/* glibc: reinitialize fully (a short option leaves state) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			if (config_parse_listen(optarg, cfg->host,
						sizeof(cfg->host), &cfg->port)) {
				fprintf(stderr, "coderoom: --listen wants "
					"HOST:PORT, not '%s'\n", optarg);
				return CONFIG_ERROR;
			}
			break;
		case OPT_DATA: cfg->data_dir = optarg; break;
		case OPT_WEB: cfg->web_root = optarg; break;
		case OPT_LANGS: cfg->languages_dir = optarg; break;
		case OPT_USER: cfg->user = optarg; break;
		case OPT_LOG:
			if (log_parse_level(optarg, &cfg->log_level)) {
				fprintf(stderr, "coderoom: --log-level wants "
					"debug, info, warn or error\n");
				return CONFIG_ERROR;
			}
			break;
		case OPT_WEAK: cfg->allow_weak_sandbox = true; break;
		case OPT_TOKEN: {
			size_t n = 0;
			while (cfg->api_tokens[n])
				n++;
			if (n + 1 >= sizeof(cfg->api_tokens) /
					     sizeof(cfg->api_tokens[0]) ||
			    !*optarg) {
				fprintf(stderr, "coderoom: --api-token: at most "
					"15, not empty\n");
				return CONFIG_ERROR;
			}
			cfg->api_tokens[n] = optarg;
			break;
		}
		case OPT_TOKENFILE: cfg->api_token_file = optarg; break;
		case OPT_REDIS: cfg->redis_url = optarg; break;
		case OPT_ROLE:
			if (strcmp(optarg, "gateway") && strcmp(optarg, "worker") &&
			    strcmp(optarg, "all")) {
				fprintf(stderr, "coderoom: --role wants gateway, "
					"worker or all, not '%s'\n", optarg);
				return CONFIG_ERROR;
			}
			cfg->role = optarg;
			break;
		case OPT_NODE: {
			size_t n = strlen(optarg);
			bool ok = n > 0 && n <= 64;
			for (size_t i = 0; i < n && ok; i++) {
				char ch = optarg[i];
				ok = (ch >= 'a' && ch <= 'z') ||
				     (ch >= 'A' && ch <= 'Z') ||
				     (ch >= '0' && ch <= '9') || ch == '.' ||
				     ch == '_' || ch == '-';
			}
			if (!ok) {
				fprintf(stderr, "coderoom: --node-id wants 1 to 64 "
					"letters, digits, '.', '_' or '-'\n");
				return CONFIG_ERROR;
			}
			cfg->node_id = optarg;
			break;
		}
		case OPT_AIURL: cfg->ai_url = optarg; break;
		case OPT_AIMODEL: cfg->ai_model = optarg; break;
		case OPT_AIKEY: cfg->ai_key_file = optarg; break;
		case OPT_AICA: cfg->ai_ca_file = optarg; break;
		case OPT_J0ROOT: cfg->judge0_root = true; break;
		case OPT_CBPRIV: cfg->callback_private = true; break;
		case OPT_CBALLOW: {
			size_t n = 0;
			while (cfg->callback_hosts[n])
				n++;
			if (n + 1 >= sizeof(cfg->callback_hosts) /
					     sizeof(cfg->callback_hosts[0]) ||
			    !*optarg) {
				fprintf(stderr, "coderoom: --callback-allow: at "
					"most 15, not empty\n");
				return CONFIG_ERROR;
			}
			cfg->callback_hosts[n] = optarg;
			break;
		}
		case OPT_LOGFMT:
			if (log_parse_format(optarg, &cfg->log_format)) {
				fprintf(stderr, "coderoom: --log-format wants "
					"text or json\n");
				return CONFIG_ERROR;
			}
			break;
		case OPT_CONFIG:	/* read before the others */
			if (!cfg->config_file ||
			    strcmp(optarg, cfg->config_file)) {
				fprintf(stderr, "coderoom: give one --config, "
					"spelled out\n");
				return CONFIG_ERROR;
			}
			break;
		case OPT_CHECK: cfg->check_config = true; break;
		case OPT_CORS: {
			size_t n = 0;
			while (cfg->cors_origins[n])
				n++;
			if (n + 1 >= sizeof(cfg->cors_origins) /
					     sizeof(cfg->cors_origins[0]) ||
			    !config_origin_valid(optarg)) {
				fprintf(stderr, "coderoom: --cors-origin wants "
					"scheme://host[:port] or *, at most 15, "
					"not '%s'\n", optarg);
				return CONFIG_ERROR;
			}
			cfg->cors_origins[n] = optarg;
			break;
		}
		case OPT_RUNUIDS:
			if (config_parse_uid_range(optarg, &cfg->run_uid_first,
						   &cfg->run_uid_last)) {
				fprintf(stderr, "coderoom: --run-uids wants "
					"FIRST or FIRST-LAST (1000 <= FIRST <= "
					"LAST < 4294967295), not '%s'\n",
					optarg);
				return CONFIG_ERROR;
			}
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			return CONFIG_EXIT_OK;
		case OPT_VERSION:
			printf("coderoom %s\n", CODEROOM_VERSION);
			return CONFIG_EXIT_OK;
		case '?':
			fprintf(stderr, "coderoom: unknown or incomplete option "
				"'%s' (see --help)\n", argv[optind - 1]);
			return CONFIG_ERROR;
		default:
			if (parse_u64(options[opt - OPT_LISTEN].name, optarg,
				      opt == OPT_IDLE ? 0 : 1, &v))
				return CONFIG_ERROR;
			switch (opt) {
			case OPT_CPU: cfg->tty.cpu_ms = v; break;
			case OPT_WALL: cfg->tty.wall_ms = v; break;
			case OPT_OUT: cfg->tty.output_bytes = v; break;
			/* capped so the rate limit's arithmetic cannot
			 * overflow (run_io.c) */
			case OPT_ORATE:
				cfg->tty.output_rate = v > (1ull << 40) ? 1ull << 40 : v;
				break;
			case OPT_OBURST:
				cfg->tty.output_burst = v > (1ull << 50) ? 1ull << 50 : v;
				break;
			case OPT_MEM:
				cfg->tty.memory_bytes = cfg->batch.memory_bytes = v;
				break;
			case OPT_PIDS:
				if (v > 100000) v = 100000;
				cfg->tty.pids = cfg->batch.pids = (uint32_t)v;
				break;
			case OPT_BCPU: cfg->batch.cpu_ms = v; break;
			case OPT_BWALL: cfg->batch.wall_ms = v; break;
			case OPT_BOUT: cfg->batch.output_bytes = v; break;
			case OPT_GRACE: cfg->reattach_grace_ms = v; break;
			case OPT_MSG: cfg->max_message_bytes = (size_t)v; break;
			case OPT_BODY: cfg->max_body_bytes = (size_t)v; break;
			case OPT_RUNS:
				cfg->max_runs = v > 4096 ? 4096 : (unsigned)v;
				break;
			case OPT_CCPU: cfg->compile.cpu_ms = v; break;
			case OPT_CWALL: cfg->compile.wall_ms = v; break;
			case OPT_CMEM: cfg->compile.memory_bytes = v; break;
			case OPT_CACHE: cfg->cache_bytes = v; break;
			case OPT_APICONC:
				cfg->api_concurrency = v > 4096 ? 4096 : (unsigned)v;
				break;
			case OPT_APIQ:
				cfg->api_queue = v > 100000 ? 100000 : (unsigned)v;
				break;
			case OPT_J0KEEP: cfg->judge0_keep_s = v; break;
			case OPT_SIOMAX:
				cfg->sio_max_sessions = v > 1000000 ? 1000000
								    : (unsigned)v;
				break;
			case OPT_SIOPING:
				cfg->sio_ping_interval_ms = v > 86400000 ? 86400000 : v;
				break;
			case OPT_SIOPINGTO:
				cfg->sio_ping_timeout_ms = v > 86400000 ? 86400000 : v;
				break;
			case OPT_SIOCONNTO:
				cfg->sio_connect_timeout_ms = v > 86400000 ? 86400000 : v;
				break;
			case OPT_RDOC:
				cfg->room_doc_bytes = v > (64u << 20) ? 64u << 20 : v;
				break;
			case OPT_RLOG:
				if (v < 100) {	/* a push holds up to 100 */
					fprintf(stderr, "coderoom: --room-log "
						"wants at least 100 (one push "
						"may hold 100 updates)\n");
					return CONFIG_ERROR;
				}
				cfg->room_log = v > 1000000 ? 1000000 : v;
				break;
			case OPT_RCHAT:
				cfg->room_chat_bytes = v > 65536 ? 65536 : v;
				break;
			case OPT_RMEMBERS:
				cfg->room_members = v > 10000 ? 10000 : (unsigned)v;
				break;
			case OPT_MAXROOMS:
				cfg->max_rooms = v > 1000000 ? 1000000 : (unsigned)v;
				break;
			case OPT_MAXSTORED: cfg->max_stored_rooms = v; break;
			case OPT_RRATE:
				cfg->room_rate = v > 100000 ? 100000 : (unsigned)v;
				break;
			case OPT_RSNAP:
				cfg->room_snapshot_every = v > 1000000 ? 1000000 :
							   (unsigned)v;
				break;
			case OPT_WSPING: cfg->ws_ping_ms = v; break;
			case OPT_WSTIMEOUT: cfg->ws_timeout_ms = v; break;
			case OPT_RUNSMEM: cfg->runs_memory_bytes = v; break;
			case OPT_RUNSPIDS: cfg->runs_pids = v; break;
			case OPT_MEMRES: cfg->run_memory_reserve = v; break;
			case OPT_PIDSRES: cfg->run_pids_reserve = v; break;
			case OPT_QUEUE:
				cfg->queue = v > 100000 ? 100000 : (unsigned)v;
				break;
			case OPT_QWAIT: cfg->queue_wait_ms = v; break;
			case OPT_CLRUNS:
				cfg->client_runs = v > 100000 ? 100000 : (unsigned)v;
				break;
			case OPT_CLQUEUE:
				cfg->client_queue = v > 100000 ? 100000 : (unsigned)v;
				break;
			case OPT_APICLQ:
				cfg->api_client_queue =
					v > 100000 ? 100000 : (unsigned)v;
				break;
			case OPT_IDLE: cfg->idle_timeout_ms = v; break;
			case OPT_NOFILE:
				cfg->max_open_files = v > (1u << 30) ? 1u << 30 : v;
				break;
			case OPT_STALL: cfg->spawner_timeout_ms = v; break;
			case OPT_SRVMEM:
				if (v < (64ull << 20)) {
					fprintf(stderr, "coderoom: "
						"--server-memory-bytes: at "
						"least 67108864 (64 MiB)\n");
					return CONFIG_ERROR;
				}
				cfg->server_memory_bytes = v;
				break;
			case OPT_REQTIMEOUT: cfg->request_timeout_ms = v; break;
			case OPT_WSREAD: cfg->ws_read_rate = v; break;
			case OPT_RCREATE:
				cfg->room_create_rate = v > 1000000 ? 1000000 :
							(unsigned)v;
				break;
			case OPT_J0BYTES: cfg->judge0_max_bytes = v; break;
			case OPT_HTTPOUT: cfg->http_out_bytes = v; break;
			case OPT_HTTPSEND:
				if (v < 1 || v > 86400) {
					fprintf(stderr, "coderoom: "
						"--http-send-timeout-s: from "
						"1 to 86400\n");
					return CONFIG_ERROR;
				}
				cfg->http_send_timeout_s = (unsigned)v;
				break;
			case OPT_WSCLIENT:
				cfg->ws_per_client = v > 1000000 ? 1000000 :
						     (unsigned)v;
				break;
			case OPT_CBMAX:
				cfg->callback_max = v > 100000 ? 100000 :
						    (unsigned)v;
				break;
			case OPT_AITIMEOUT: cfg->ai_timeout_ms = v; break;
			case OPT_AIMAX:
				cfg->ai_max_bytes = v > (1u << 20) ? 1u << 20 : v;
				break;
			case OPT_AIRATE:
				cfg->ai_rate = v > 100000 ? 100000 : (unsigned)v;
				break;
			}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "coderoom: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return CONFIG_ERROR;
	}
	if ((cfg->role || cfg->node_id) && !cfg->redis_url) {
		fprintf(stderr, "coderoom: --role and --node-id need --redis (a "
			"single node has no role)\n");
		return CONFIG_ERROR;
	}
	return CONFIG_OK;
}

/* --- --check-config ------------------------------------------------------ */

static int check_dir(FILE *out, const char *what, const char *path,
		     bool may_create)
{
	struct stat st;

	if (!path) {
		fprintf(out, "# error: %s: not set and not found next to the "
			"binary\n", what);
		return 1;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode) && access(path, R_OK | X_OK) == 0)
			return 0;
		fprintf(out, "# error: %s '%s' is not a readable directory\n",
			what, path);
		return 1;
	}
	if (may_create) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", path);
		char *slash = strrchr(parent, '/');
		if (!slash)
			snprintf(parent, sizeof(parent), ".");
		else if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
		if (stat(parent, &st) == 0 && S_ISDIR(st.st_mode) &&
		    access(parent, W_OK | X_OK) == 0)
			return 0;
	}
	fprintf(out, "# error: %s '%s': %s\n", what, path, strerror(errno));
	return 1;
}

/* "key = N", or "key = 0  # derived from the machine" */
static void print_derived(FILE *out, const char *key, uint64_t v)
{
	fprintf(out, "%s = %llu%s\n", key, (unsigned long long)v,
		v ? "" : "  # derived from the machine");
}

int config_check(const struct config *cfg, FILE *out)
{
	const struct limits *t = &cfg->tty, *b = &cfg->batch, *c = &cfg->compile;
	const char *lvl[] = {"debug", "info", "warn", "error"};
	int errors = 0;
	size_t ntok = 0;

	while (ntok < sizeof(cfg->api_tokens) / sizeof(cfg->api_tokens[0]) &&
	       cfg->api_tokens[ntok])
		ntok++;
	fprintf(out, "# coderoom %s: the effective configuration\n",
		CODEROOM_VERSION);
	fprintf(out, "# (defaults, then %s%s%s, then the environment, then "
		"the command line)\n", cfg->config_file ? "'" : "",
		cfg->config_file ? cfg->config_file : "no config file",
		cfg->config_file ? "'" : "");
	fprintf(out, "listen = %s%s%s:%d\n", strchr(cfg->host, ':') ? "[" : "",
		cfg->host, strchr(cfg->host, ':') ? "]" : "", cfg->port);
	fprintf(out, "data-dir = %s\n", cfg->data_dir);
	if (cfg->web_root)
		fprintf(out, "web-root = %s\n", cfg->web_root);
	else
		fprintf(out, "# web-root: none found: the APIs work, the IDE "
			"is not served\n");
	fprintf(out, "languages-dir = %s\n",
		cfg->languages_dir ? cfg->languages_dir : "");
	if (cfg->user)
		fprintf(out, "user = %s\n", cfg->user);
	else
		fprintf(out, "# user: coderoom (when started as "
			"root)\n");
	fprintf(out, "log-level = %s\n", lvl[cfg->log_level]);
	fprintf(out, "log-format = %s\n",
		cfg->log_format == LOG_FORMAT_JSON ? "json" : "text");
	fprintf(out, "cpu-ms = %llu\n", (unsigned long long)t->cpu_ms);
	fprintf(out, "wall-ms = %llu\n", (unsigned long long)t->wall_ms);
	fprintf(out, "output-bytes = %llu\n",
		(unsigned long long)t->output_bytes);
	fprintf(out, "output-rate = %llu\n",
		(unsigned long long)t->output_rate);
	fprintf(out, "output-burst = %llu\n",
		(unsigned long long)t->output_burst);
	fprintf(out, "memory-bytes = %llu\n",
		(unsigned long long)t->memory_bytes);
	fprintf(out, "pids = %u\n", t->pids);
	fprintf(out, "batch-cpu-ms = %llu\n", (unsigned long long)b->cpu_ms);
	fprintf(out, "batch-wall-ms = %llu\n", (unsigned long long)b->wall_ms);
	fprintf(out, "batch-output-bytes = %llu\n",
		(unsigned long long)b->output_bytes);
	fprintf(out, "reattach-grace-ms = %llu\n",
		(unsigned long long)cfg->reattach_grace_ms);
	fprintf(out, "max-message-bytes = %zu\n", cfg->max_message_bytes);
	fprintf(out, "max-body-bytes = %zu\n", cfg->max_body_bytes);
	fprintf(out, "request-timeout-ms = %llu\n",
		(unsigned long long)cfg->request_timeout_ms);
	fprintf(out, "ws-read-rate = %llu\n",
		(unsigned long long)cfg->ws_read_rate);
	fprintf(out, "ws-per-client = %u\n", cfg->ws_per_client);
	fprintf(out, "http-out-bytes = %llu\n",
		(unsigned long long)cfg->http_out_bytes);
	fprintf(out, "http-send-timeout-s = %u\n", cfg->http_send_timeout_s);
	fprintf(out, "room-create-rate = %u\n", cfg->room_create_rate);
	fprintf(out, "judge0-max-bytes = %llu\n",
		(unsigned long long)cfg->judge0_max_bytes);
	fprintf(out, "callback-max = %u\n", cfg->callback_max);
	fprintf(out, "max-runs = %u\n", cfg->max_runs);
	fprintf(out, "compile-cpu-ms = %llu\n", (unsigned long long)c->cpu_ms);
	fprintf(out, "compile-wall-ms = %llu\n", (unsigned long long)c->wall_ms);
	fprintf(out, "compile-memory-bytes = %llu\n",
		(unsigned long long)c->memory_bytes);
	fprintf(out, "cache-bytes = %llu\n",
		(unsigned long long)cfg->cache_bytes);
	fprintf(out, "api-concurrency = %u\n", cfg->api_concurrency);
	fprintf(out, "api-queue = %u\n", cfg->api_queue);
	if (ntok)
		fprintf(out, "# api-token = ******** (%zu given, not shown)\n",
			ntok);
	if (cfg->api_token_file)
		fprintf(out, "api-token-file = %s\n", cfg->api_token_file);
	fprintf(out, "allow-weak-sandbox = %s\n",
		cfg->allow_weak_sandbox ? "true" : "false");
	fprintf(out, "spawner-timeout-ms = %llu\n",
		(unsigned long long)cfg->spawner_timeout_ms);
	if (cfg->run_uid_last)
		fprintf(out, "run-uids = %u-%u\n", cfg->run_uid_first,
			cfg->run_uid_last);
	else if (cfg->run_uid_first)
		fprintf(out, "run-uids = %u\n", cfg->run_uid_first);
	else
		fprintf(out, "# run-uids = (the first free range, chosen at "
			"start)\n");
	fprintf(out, "server-memory-bytes = %llu\n",
		(unsigned long long)cfg->server_memory_bytes);
	fprintf(out, "judge0-root = %s\n", cfg->judge0_root ? "true" : "false");
	fprintf(out, "judge0-keep-s = %llu\n",
		(unsigned long long)cfg->judge0_keep_s);
	for (size_t i = 0; i < sizeof(cfg->callback_hosts) /
				   sizeof(cfg->callback_hosts[0]) &&
			   cfg->callback_hosts[i];
	     i++)
		fprintf(out, "callback-allow = %s\n", cfg->callback_hosts[i]);
	if (!cfg->callback_hosts[0])
		fprintf(out, "# callback-allow: none\n");
	fprintf(out, "callback-allow-private = %s\n",
		cfg->callback_private ? "true" : "false");
	fprintf(out, "room-doc-bytes = %llu\n",
		(unsigned long long)cfg->room_doc_bytes);
	fprintf(out, "room-log = %llu\n", (unsigned long long)cfg->room_log);
	fprintf(out, "room-chat-bytes = %llu\n",
		(unsigned long long)cfg->room_chat_bytes);
	fprintf(out, "room-members = %u\n", cfg->room_members);
	fprintf(out, "max-rooms = %u\n", cfg->max_rooms);
	fprintf(out, "max-stored-rooms = %llu\n",
		(unsigned long long)cfg->max_stored_rooms);
	fprintf(out, "room-rate = %u\n", cfg->room_rate);
	fprintf(out, "room-snapshot-every = %u\n", cfg->room_snapshot_every);
	fprintf(out, "ws-ping-ms = %llu\n", (unsigned long long)cfg->ws_ping_ms);
	fprintf(out, "ws-timeout-ms = %llu\n",
		(unsigned long long)cfg->ws_timeout_ms);
	for (size_t i = 0; i < sizeof(cfg->cors_origins) /
				   sizeof(cfg->cors_origins[0]) &&
			   cfg->cors_origins[i];
	     i++)
		fprintf(out, "cors-origin = %s\n", cfg->cors_origins[i]);
	if (!cfg->cors_origins[0])
		fprintf(out, "# cors-origin = (none: Socket.IO serves "
			"same-origin pages only)\n");
	fprintf(out, "sio-max-sessions = %u\n", cfg->sio_max_sessions);
	fprintf(out, "sio-ping-interval-ms = %llu\n",
		(unsigned long long)cfg->sio_ping_interval_ms);
	fprintf(out, "sio-ping-timeout-ms = %llu\n",
		(unsigned long long)cfg->sio_ping_timeout_ms);
	fprintf(out, "sio-connect-timeout-ms = %llu\n",
		(unsigned long long)cfg->sio_connect_timeout_ms);
	/* admission: 0 is "derived from the machine" (the start-up log and
	 * /api/health show what it came to) */
	print_derived(out, "runs-memory-bytes", cfg->runs_memory_bytes);
	print_derived(out, "runs-pids", cfg->runs_pids);
	print_derived(out, "run-memory-reserve", cfg->run_memory_reserve);
	print_derived(out, "run-pids-reserve", cfg->run_pids_reserve);
	print_derived(out, "queue", cfg->queue);
	fprintf(out, "queue-wait-ms = %llu\n",
		(unsigned long long)cfg->queue_wait_ms);
	print_derived(out, "client-runs", cfg->client_runs);
	print_derived(out, "client-queue", cfg->client_queue);
	print_derived(out, "api-client-queue", cfg->api_client_queue);
	fprintf(out, "idle-timeout-ms = %llu%s\n",
		(unsigned long long)cfg->idle_timeout_ms,
		cfg->idle_timeout_ms ? "" : "  # never");
	print_derived(out, "max-open-files", cfg->max_open_files);
	if (cfg->redis_url) {	/* a password in it is not shown */
		const char *at = strrchr(cfg->redis_url, '@');
		const char *sl = strstr(cfg->redis_url, "//");
		if (at && sl && sl < at)
			fprintf(out, "redis = %.*s:********%s\n",
				(int)(sl + 2 - cfg->redis_url), cfg->redis_url, at);
		else
			fprintf(out, "redis = %s\n", cfg->redis_url);
		fprintf(out, "role = %s\n", cfg->role ? cfg->role : "all");
		if (cfg->node_id)
			fprintf(out, "node-id = %s\n", cfg->node_id);
		else
			fprintf(out, "# node-id = (hostname-pid)\n");
	} else {
		fprintf(out, "# redis = (none: a single node)\n");
		fprintf(out, "# role = (cluster mode only)\n");
		fprintf(out, "# node-id = (cluster mode only)\n");
	}
	if (cfg->ai_url)
		fprintf(out, "ai-url = %s\n", cfg->ai_url);
	else
		fprintf(out, "# ai-url = (none: code from a prompt is off)\n");
	if (cfg->ai_model)
		fprintf(out, "ai-model = %s\n", cfg->ai_model);
	else
		fprintf(out, "# ai-model = (none)\n");
	if (cfg->ai_key_file)	/* its path; the key stays in the file */
		fprintf(out, "ai-key-file = %s\n", cfg->ai_key_file);
	else
		fprintf(out, "# ai-key-file = (none: no API key is sent)\n");
	if (cfg->ai_ca_file)
		fprintf(out, "ai-ca-file = %s\n", cfg->ai_ca_file);
	else
		fprintf(out, "# ai-ca-file = (none: the system's CAs)\n");
	fprintf(out, "ai-timeout-ms = %llu\n",
		(unsigned long long)cfg->ai_timeout_ms);
	fprintf(out, "ai-max-bytes = %llu\n",
		(unsigned long long)cfg->ai_max_bytes);
	fprintf(out, "ai-rate = %u\n", cfg->ai_rate);

	errors += check_dir(out, "data-dir", cfg->data_dir, true);
	errors += check_dir(out, "languages-dir", cfg->languages_dir, false);
	if (cfg->web_root && check_dir(out, "web-root", cfg->web_root, false))
		errors++;
	if (cfg->api_token_file && access(cfg->api_token_file, R_OK)) {
		fprintf(out, "# error: api-token-file '%s': %s\n",
			cfg->api_token_file, strerror(errno));
		errors++;
	}
	/* the service user, as main.c will want it */
	const char *uname = cfg->user ? cfg->user : "coderoom";
	struct passwd *pw = getpwnam(uname);
	if (!pw) {
		fprintf(out, "# error: user '%s': no such user%s\n", uname,
			cfg->user ? "" : " (scripts/setup.sh creates it)");
		errors++;
	} else if (pw->pw_uid == 0 || pw->pw_uid == 65534 ||
		   !strcmp(pw->pw_name, "nobody")) {
		fprintf(out, "# error: user '%s' is refused: the server runs "
			"as a user of its own, never root or nobody\n", uname);
		errors++;
	}
	if (cfg->ai_url && (!cfg->ai_model || !*cfg->ai_model)) {
		fprintf(out, "# error: ai-url needs ai-model\n");
		errors++;
	}
	if (cfg->ai_key_file && access(cfg->ai_key_file, R_OK)) {
		fprintf(out, "# error: ai-key-file '%s': %s\n",
			cfg->ai_key_file, strerror(errno));
		errors++;
	}
	if (cfg->ai_ca_file && access(cfg->ai_ca_file, R_OK)) {
		fprintf(out, "# error: ai-ca-file '%s': %s\n",
			cfg->ai_ca_file, strerror(errno));
		errors++;
	}
	if (cfg->api_concurrency > cfg->max_runs)
		fprintf(out, "# note: api-concurrency %u is more than max-runs "
			"%u: at most %u API runs will run at once\n",
			cfg->api_concurrency, cfg->max_runs, cfg->max_runs);
	fprintf(out, "# %d error%s\n", errors, errors == 1 ? "" : "s");
	return errors;
}

/*
 * config.c - command-line configuration of the server.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
"  --user NAME               when started as root, run as this user\n"
"                            (default: coderoom, else nobody)\n"
"  --log-level LEVEL         debug, info, warn or error (default info)\n"
"\n"
"Limits of interactive runs (a request may lower them, never raise them):\n"
"  --cpu-ms N                CPU time (default 60000)\n"
"  --wall-ms N               wall time (default 1800000)\n"
"  --output-bytes N          output (default 16777216)\n"
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
"  --max-runs N              concurrent runs (default 4 per CPU)\n"
"\n"
"Compile steps and the batch API:\n"
"  --compile-cpu-ms N        CPU time of a compile step (default 60000)\n"
"  --compile-wall-ms N       wall time of a compile step (default 60000)\n"
"  --compile-memory-bytes N  memory of a compile step (default 1073741824)\n"
"  --cache-bytes N           compile cache size on disk (default 268435456)\n"
"  --api-concurrency N       API runs at once (default: the CPU count)\n"
"  --api-queue N             API runs waiting for a slot before 503 (default 64)\n"
"  --api-token TOKEN         require 'Authorization: Bearer TOKEN' (or\n"
"                            X-Api-Token) on the run APIs; repeatable\n"
"  --api-token-file FILE     the same, one token a line\n"
"  --allow-weak-sandbox      run code even where the host cannot give every\n"
"                            isolation feature (the missing ones are logged)\n"
"\n"
"Rooms (shared documents; kept in DIR/coderoom.db):\n"
"  --room-doc-bytes N        largest document, UTF-8 bytes (default 1048576)\n"
"  --room-log N              updates kept for reconnecting clients (default 1000)\n"
"  --room-chat-bytes N       longest chat line, bytes (default 2000)\n"
"  --room-members N          members connected to one room (default 50)\n"
"  --max-rooms N             rooms open (in memory) at once (default 1000)\n"
"  --max-stored-rooms N      rooms in the database (default 100000)\n"
"  --room-rate N             room messages a second per member (default 50)\n"
"  --room-snapshot-every N   updates between snapshots (default 100)\n"
"  --ws-ping-ms N            ping a silent WebSocket after N ms (default 2500)\n"
"  --ws-timeout-ms N         close a WebSocket silent for N ms (default 10000)\n"
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
"  --version                 the version\n";

enum {
	OPT_LISTEN = 256, OPT_DATA, OPT_WEB, OPT_LANGS, OPT_USER, OPT_LOG,
	OPT_CPU, OPT_WALL, OPT_OUT, OPT_MEM, OPT_PIDS, OPT_BCPU, OPT_BWALL,
	OPT_BOUT, OPT_GRACE, OPT_MSG, OPT_BODY, OPT_RUNS, OPT_CCPU, OPT_CWALL,
	OPT_CMEM, OPT_CACHE, OPT_APICONC, OPT_APIQ, OPT_WEAK, OPT_HELP,
	OPT_VERSION, OPT_TOKEN, OPT_TOKENFILE,
	OPT_RDOC, OPT_RLOG, OPT_RCHAT, OPT_RMEMBERS, OPT_MAXROOMS,
	OPT_MAXSTORED, OPT_RRATE, OPT_RSNAP, OPT_WSPING, OPT_WSTIMEOUT,
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
	{ "ai-url", required_argument, NULL, OPT_AIURL },
	{ "ai-model", required_argument, NULL, OPT_AIMODEL },
	{ "ai-key-file", required_argument, NULL, OPT_AIKEY },
	{ "ai-ca-file", required_argument, NULL, OPT_AICA },
	{ "ai-timeout-ms", required_argument, NULL, OPT_AITIMEOUT },
	{ "ai-max-bytes", required_argument, NULL, OPT_AIMAX },
	{ "ai-rate", required_argument, NULL, OPT_AIRATE },
	{ NULL, 0, NULL, 0 },
};

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

enum config_result config_parse(struct config *cfg, int argc, char **argv)
{
	const char *env_port = getenv("PORT");
	uint64_t v;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
	cfg->port = 8080;
	cfg->data_dir = "./data";
	cfg->log_level = LOG_INFO;
	limit_default_interactive(&cfg->tty);
	limit_default_batch(&cfg->batch);
	cfg->reattach_grace_ms = 10000;
	cfg->max_message_bytes = 1024 * 1024;
	cfg->max_body_bytes = 1024 * 1024;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->max_runs = (unsigned)(ncpu > 0 ? ncpu : 1) * 4;
	limit_default_compile(&cfg->compile);
	cfg->cache_bytes = 256ull << 20;
	cfg->api_concurrency = (unsigned)(ncpu > 0 ? ncpu : 1);
	cfg->api_queue = 64;
	cfg->room_doc_bytes = 1024 * 1024;
	cfg->room_log = 1000;
	cfg->room_chat_bytes = 2000;
	cfg->room_members = 50;
	cfg->max_rooms = 1000;
	cfg->max_stored_rooms = 100000;
	cfg->room_rate = 50;
	cfg->room_snapshot_every = 100;
	cfg->ws_ping_ms = 2500;
	cfg->ws_timeout_ms = 10000;
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
		case OPT_AIURL: cfg->ai_url = optarg; break;
		case OPT_AIMODEL: cfg->ai_model = optarg; break;
		case OPT_AIKEY: cfg->ai_key_file = optarg; break;
		case OPT_AICA: cfg->ai_ca_file = optarg; break;
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
			if (parse_u64(options[opt - OPT_LISTEN].name, optarg, 1, &v))
				return CONFIG_ERROR;
			switch (opt) {
			case OPT_CPU: cfg->tty.cpu_ms = v; break;
			case OPT_WALL: cfg->tty.wall_ms = v; break;
			case OPT_OUT: cfg->tty.output_bytes = v; break;
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
			case OPT_RDOC:
				cfg->room_doc_bytes = v > (64u << 20) ? 64u << 20 : v;
				break;
			case OPT_RLOG:
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
	return CONFIG_OK;
}

/*
 * main.c - start-up, privilege drop, signals and an orderly shutdown.
 *
 * Start-up order matters: everything that needs root happens first (the
 * spawner is forked, the port bound, the web root and language table read,
 * since the checkout may sit where the service user cannot read), then the
 * server drops to an unprivileged user for good and only then serves.
 *
 * Shutdown (SIGINT/SIGTERM): every run is killed and its exit delivered to
 * its clients; then every WebSocket is closed with 1001; then (cluster
 * mode) the node leaves the cluster once its runs' ends are in Redis;
 * then lws, the sandbox and the loop are torn down, with nothing left
 * behind. A second signal skips the waiting. A gateway's remote runs are
 * not killed: they run on workers, and their clients may come back
 * through another gateway.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "cluster/cluster.h"
#include "cluster/rooms.h"
#include "lib/config.h"
#include "lib/keyrate.h"
#include "lib/log.h"
#include "lib/sizing.h"
#include "lib/metrics.h"
#include "net/server.h"
#include "net/webroot.h"
#include "proto/api.h"
#include "proto/api_judge0.h"
#include "proto/app.h"
#include "proto/auth.h"
#include "proto/generate.h"
#include "proto/routes.h"
#include "proto/sio_transport.h"
#include "room/room.h"
#include "room/room_sqlite.h"
#include "run/cache.h"
#include "run/lang.h"
#include "run/run.h"
#include "sandbox/sandbox.h"
#include "store/store.h"

#define WEBROOT_MAX (64u * 1024 * 1024)

static struct {
	struct config cfg;
	uv_loop_t loop;
	struct server srv;
	struct app app;
	struct run_engine engine;
	struct lang_table langs;
	struct cache cache;
	struct auth auth;
	struct webroot web;
	struct store store;
	struct room_store room_store;
	struct rooms rooms;
	struct keyrate room_creates;	/* --room-create-rate, per client */
	struct generator gen;
	struct sandbox *sb;
	struct cluster cluster;
	bool clustered;			/* --redis */
	enum cluster_role role;
	struct host_facts host;
	struct sizing sizing;
	struct metrics *metrics;
	uv_signal_t sigint, sigterm;
	uv_timer_t shutdown_timer;
	int phase;			/* 0 serving, 1 runs ending, 2 closing,
					   3 leaving the cluster, 4 done */
	uint64_t phase_start;
} g;

/* A directory next to the binary's ("<exe>/../<rel>"), if it exists. */
static const char *beside_exe(const char *rel, char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/../%s", exe, rel) >= len)
		return NULL;
	char *real = realpath(out, NULL);
	if (!real)
		return NULL;
	snprintf(out, len, "%s", real);
	free(real);
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? out : NULL;
}

/*
 * The service user: 'coderoom' (scripts/setup.sh creates it) unless
 * --user says otherwise; never root, and never 'nobody', whose uid every
 * other daemon that "drops privileges" shares (any of them could rewrite
 * what the server owns). NULL when there is none (logged).
 */
static struct passwd *service_user(void)
{
	const char *name = g.cfg.user ? g.cfg.user : "coderoom";
	struct passwd *pw = getpwnam(name);

	if (!pw) {
		log_error("main: no user '%s' to run as%s", name,
			  g.cfg.user ? "" : ": scripts/setup.sh creates it "
					    "(useradd --system coderoom), or "
					    "pass --user NAME");
		return NULL;
	}
	if (pw->pw_uid == 0) {
		log_error("main: refusing to serve as root ('%s')", pw->pw_name);
		return NULL;
	}
	if (!strcmp(pw->pw_name, "nobody") || pw->pw_uid == 65534) {
		log_error("main: refusing to serve as '%s': its uid is shared "
			  "with other daemons; use a user of coderoom's own "
			  "(scripts/setup.sh creates 'coderoom')", pw->pw_name);
		return NULL;
	}
	return pw;
}

static int drop_privileges(const char *data_dir)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (!(pw = service_user()))
		return -EPERM;
	if (chown(data_dir, pw->pw_uid, pw->pw_gid))
		log_warn("main: cannot hand '%s' to '%s': %s", data_dir,
			 pw->pw_name, strerror(errno));
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		log_error("main: cannot become '%s': %s", pw->pw_name,
			  strerror(errno));
		return -errno;
	}
	if (setuid(0) == 0) {	/* must be impossible now */
		log_error("main: privileges were not dropped");
		return -EPERM;
	}
	/* (the uid change made us non-dumpable: another process of the
	 * service user can neither trace us nor read our memory, where
	 * the cache's secret is) */
	log_info("main: serving as user '%s' (uid %d)", pw->pw_name,
		 (int)pw->pw_uid);
	return 0;
}

/*
 * Raises RLIMIT_NOFILE before anything sizes itself by it (lws's tables,
 * the spawner, which inherits it): to the target, raising the hard limit
 * too while root; else to the hard limit.
 */
static void raise_open_files(void)
{
	uint64_t was = g.host.nofile, t;
	struct rlimit rl;

	t = sizing_nofile_target(&g.host, g.cfg.max_open_files);
	rl.rlim_cur = rl.rlim_max = t;
	if (t > g.host.nofile_hard && setrlimit(RLIMIT_NOFILE, &rl)) {
		log_info("main: open files: cannot go past the hard limit %llu "
			 "to %llu (%s: raising it needs CAP_SYS_RESOURCE)",
			 (unsigned long long)g.host.nofile_hard,
			 (unsigned long long)t, strerror(errno));
		rl.rlim_cur = rl.rlim_max = g.host.nofile_hard;
		if (t < g.host.nofile_hard)
			rl.rlim_cur = t;
		setrlimit(RLIMIT_NOFILE, &rl);
	} else if (t <= g.host.nofile_hard) {
		rl.rlim_max = g.host.nofile_hard;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sizing_probe(&g.host);
	if (g.host.nofile != was)
		log_info("main: open files: %llu (was %llu)",
			 (unsigned long long)g.host.nofile,
			 (unsigned long long)was);
}

/* Bytes for people: "21.0 GiB", "512.0 MiB". */
static const char *human(uint64_t b, char *out, size_t len)
{
	if (b >= (1ull << 30))
		snprintf(out, len, "%.1f GiB", (double)b / (1ull << 30));
	else
		snprintf(out, len, "%.1f MiB", (double)b / (1ull << 20));
	return out;
}

/* What admits runs, from the flags and the machine; logged. */
static void size_admission(void)
{
	struct sizing *s = &g.sizing;
	char a[32], b[32], c[32];

	*s = (struct sizing){
		.runs_memory = g.cfg.runs_memory_bytes,
		.runs_pids = g.cfg.runs_pids,
		.run_memory_reserve = g.cfg.run_memory_reserve,
		.run_pids_reserve = g.cfg.run_pids_reserve,
		.max_runs = g.cfg.max_runs,
		.queue = g.cfg.queue,
		.client_runs = g.cfg.client_runs,
		.client_queue = g.cfg.client_queue,
		.api_concurrency = g.cfg.api_concurrency,
		.api_queue = g.cfg.api_queue,
		.api_client_queue = g.cfg.api_client_queue,
	};
	sizing_apply(&g.host, s);
	log_info("sizing: host %u CPUs, %s memory%s%s, pid_max %llu, "
		 "threads-max %llu%s, open files %llu",
		 g.host.cpus, human(g.host.mem_total, a, sizeof(a)),
		 g.host.mem_cgroup ? ", cgroup limit " : "",
		 g.host.mem_cgroup ? human(g.host.mem_cgroup, b,
						     sizeof(b)) : "",
		 (unsigned long long)g.host.pid_max,
		 (unsigned long long)g.host.threads_max,
		 g.host.pids_cgroup ? " (cgroup pids.max set)" : "",
		 (unsigned long long)g.host.nofile);
	log_info("sizing: %u interactive runs at once (bound by %s), %u per "
		 "client; %u may wait (%u per client, %s at most)",
		 s->max_runs, s->bound, s->client_runs, s->queue,
		 s->client_queue, limit_fmt_ms(g.cfg.queue_wait_ms, a, sizeof(a)));
	log_info("sizing: every run together: %s of memory (%s counted per "
		 "run), %llu processes (%llu per run); batch runs: %u at "
		 "once, %u waiting (%u per client); idle timeout %s",
		 human(s->runs_memory, b, sizeof(b)),
		 human(s->run_memory_reserve, c, sizeof(c)),
		 (unsigned long long)s->runs_pids,
		 (unsigned long long)s->run_pids_reserve, s->api_concurrency,
		 s->api_queue, s->api_client_queue,
		 g.cfg.idle_timeout_ms ? limit_fmt_ms(g.cfg.idle_timeout_ms, a,
						      sizeof(a))
				       : "off");
}

static void on_closed_noop(uv_handle_t *h)
{
	(void)h;
}

static void finalize(void)
{
	uv_timer_stop(&g.shutdown_timer);
	sio_hub_free(g.app.sio);	/* before lws drops the requests it holds */
	g.app.sio = NULL;
	server_stop(&g.srv);
	if (g.sb) {
		sandbox_close(g.sb);
		g.sb = NULL;
		g.app.sb = NULL;
	}
	rooms_release(&g.rooms);
	g.app.room_creates = NULL;
	keyrate_release(&g.room_creates);
	/* every exit is delivered: what is left of Judge0's is waiting */
	judge0_close(g.app.judge0);
	g.app.judge0 = NULL;
	run_engine_release(&g.engine);
	uv_close((uv_handle_t *)&g.sigint, on_closed_noop);
	uv_close((uv_handle_t *)&g.sigterm, on_closed_noop);
	uv_close((uv_handle_t *)&g.shutdown_timer, on_closed_noop);
	g.phase = 4;
}

static void on_cluster_left(struct cluster *c)
{
	(void)c;
	g.clustered = false;
	if (g.phase == 3)
		finalize();
}

/* Leaves the cluster (if in one), then finalize(). */
static void leave(void)
{
	uv_timer_stop(&g.shutdown_timer);
	if (!g.clustered) {
		finalize();
		return;
	}
	g.phase = 3;
	/* the rooms use the cluster's store and bus: they go first, while
	 * Redis still takes their last snapshots */
	rooms_release(&g.rooms);
	cluster_shutdown(&g.cluster, on_cluster_left);
}

static void on_shutdown_tick(uv_timer_t *t)
{
	uint64_t waited = server_now_ms() - g.phase_start;

	if (g.phase == 1 && (g.engine.active == 0 || waited > 3000)) {
		/* every member hears "removed {closing}" before its close
		 * frame; every open room leaves a snapshot */
		rooms_release(&g.rooms);
		sio_hub_shutdown(g.app.sio);
		server_begin_shutdown(&g.srv);
		g.phase = 2;
		g.phase_start = server_now_ms();
		return;
	}
	if (g.phase == 2 && (!g.srv.conns || waited > 2000))
		leave();
}

static void on_signal(uv_signal_t *h, int signum)
{
	if (g.phase == 0) {
		log_info("main: %s: shutting down (%u runs, %u connections)",
			 strsignal(signum), g.engine.active, g.srv.connections);
		g.phase = 1;
		g.phase_start = server_now_ms();
		judge0_shutdown(g.app.judge0);
		run_engine_kill_all(&g.engine);
		uv_timer_start(&g.shutdown_timer, on_shutdown_tick, 0, 20);
	} else if (g.phase < 4) {
		log_warn("main: second signal: closing at once");
		finalize();
	}
}

int main(int argc, char **argv)
{
	char webdir[PATH_MAX], langdir[PATH_MAX];
	int err, rc = 1;

	sandbox_spawner_main(argc, argv);	/* returns unless a spawner */
	switch (config_parse(&g.cfg, argc, argv)) {
	case CONFIG_EXIT_OK: return 0;
	case CONFIG_ERROR: return 2;
	case CONFIG_OK: break;
	}
	log_set_level(g.cfg.log_level);
	log_set_format(g.cfg.log_format);
	signal(SIGPIPE, SIG_IGN);
	if (g.cfg.redis_url) {	/* before anything starts: a clear error */
		struct redis_url u;
		char uerr[256];
		if (redis_url_parse(g.cfg.redis_url, &u, uerr, sizeof(uerr))) {
			fprintf(stderr, "coderoom: --redis: %s\n", uerr);
			return 2;
		}
	}
	sizing_probe(&g.host);
	raise_open_files();
	size_admission();

	if (!g.cfg.web_root)
		g.cfg.web_root = beside_exe("web/dist", webdir, sizeof(webdir));
	if (!g.cfg.languages_dir)
		g.cfg.languages_dir = beside_exe("languages", langdir,
						 sizeof(langdir));
	if (!g.cfg.languages_dir)
		g.cfg.languages_dir = "languages";
	if (g.cfg.check_config) {
		rc = config_check(&g.cfg, stdout) ? 2 : 0;
		config_release(&g.cfg);
		return rc;
	}

	if (mkdir(g.cfg.data_dir, 0750) && errno != EEXIST) {
		log_error("main: cannot create data dir '%s': %s",
			  g.cfg.data_dir, strerror(errno));
		return 1;
	}
	if ((err = auth_load(&g.auth, g.cfg.api_tokens, g.cfg.api_token_file))) {
		log_error("main: cannot read the API tokens from '%s': %s",
			  g.cfg.api_token_file, strerror(-err));
		return 1;
	}
	if (auth_enabled(&g.auth))
		log_info("main: the run APIs need a token (%zu configured)",
			 g.auth.n);
	uint64_t t0 = server_now_ms();
	if ((err = lang_table_load(&g.langs, g.cfg.languages_dir))) {
		log_error("main: cannot read languages from '%s': %s",
			  g.cfg.languages_dir, strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < g.langs.n; i++) {
		const struct lang *l = &g.langs.v[i];
		if (l->available)
			log_info("lang: %s %s", l->id, l->version);
		else
			log_warn("lang: %s unavailable: %s", l->id, l->why);
	}
	log_info("lang: %zu languages read and probed in %llu ms", g.langs.n,
		 (unsigned long long)(server_now_ms() - t0));
	if (!g.cfg.web_root ||
	    (err = webroot_load(&g.web, g.cfg.web_root, WEBROOT_MAX))) {
		log_warn("main: no IDE to serve from '%s' (%s); the APIs work, "
			 "build it with 'make web'",
			 g.cfg.web_root ? g.cfg.web_root : "web/dist",
			 g.cfg.web_root ? strerror(-err) : "not found");
	}

	uv_loop_init(&g.loop);
	/* the key and CA files are read now, as root, like the rest (a
	 * gateway too: it answers /api/generate) */
	struct generate_config gc = {
		.url = g.cfg.ai_url,
		.model = g.cfg.ai_model,
		.key_file = g.cfg.ai_key_file,
		.ca_file = g.cfg.ai_ca_file,
		.timeout_ms = g.cfg.ai_timeout_ms,
		.max_bytes = (size_t)g.cfg.ai_max_bytes,
		.rate = g.cfg.ai_rate,
	};
	char gwhy[512];
	if ((err = generator_init(&g.gen, &g.loop, &gc, gwhy,
				   sizeof(gwhy)))) {
		log_error("main: %s", gwhy);
		goto out_loop;
	}
	if (g.gen.enabled)
		log_info("generate: model '%s' at %s%s", g.gen.model, g.gen.base,
			 g.gen.auth ? " (with an API key)" : "");
	if (g.cfg.ai_ca_file && g.gen.enabled && !g.gen.url.tls)
		log_warn("generate: --ai-ca-file is not used with an http:// "
			 "--ai-url");
	if (!g.gen.enabled && (g.cfg.ai_model || g.cfg.ai_key_file))
		log_warn("generate: --ai-model and --ai-key-file do nothing "
			 "without --ai-url");
	g.clustered = g.cfg.redis_url != NULL;
	g.role = CLUSTER_ALL;
	if (g.cfg.role)
		cluster_role_parse(g.cfg.role, &g.role);
	if (g.clustered && g.role == CLUSTER_GATEWAY) {
		/* a gateway runs nothing itself: no spawner, no sandbox */
		log_info("main: gateway: programs run on the cluster's workers");
		goto engine;
	}
	char why[512] = "";
	uint32_t ufirst = g.cfg.run_uid_first, ulast = g.cfg.run_uid_last;
	unsigned slots = g.sizing.max_runs + g.sizing.api_concurrency;
	if (ulast && ulast - ufirst + 1 < slots) {
		log_error("main: --run-uids %u-%u holds %u uids; %u runs at once "
			  "need %u (--max-runs %u + --api-concurrency %u)",
			  ufirst, ulast, ulast - ufirst + 1, slots, slots,
			  g.sizing.max_runs, g.sizing.api_concurrency);
		goto out_loop;
	}
	struct sandbox_config sc = {
		.state_dir = NULL,
		.uid_base = ufirst,
		.uid_count = ulast ? ulast - ufirst + 1 : 0,
		.slots = slots,
		.runs_memory = g.sizing.runs_memory,
		.runs_pids = g.sizing.runs_pids > UINT32_MAX
				     ? UINT32_MAX
				     : (uint32_t)g.sizing.runs_pids,
		.allow_weak = g.cfg.allow_weak_sandbox,
		.stall_ms = g.cfg.spawner_timeout_ms,
		.why = why,
		.why_len = sizeof(why),
	};
	if ((err = sandbox_open(&g.loop, &sc, &g.sb))) {
		log_error("main: cannot start the sandbox: %s",
			  why[0] ? why : strerror(-err));
		goto out_loop;
	}
	const struct sandbox_features *f = sandbox_features(g.sb);
	if (f && !f->strong) {
		if (g.cfg.allow_weak_sandbox)
			log_warn("sandbox: weak: missing %s (allowed by "
				 "--allow-weak-sandbox)", f->missing);
		else
			log_error("sandbox: this host cannot give %s; runs are "
				  "refused (start with --allow-weak-sandbox to "
				  "run anyway)", f->missing);
	} else if (f) {
		log_info("sandbox: ready (cgroup %s)", f->cgroup_backend);
	}
	if (f && !f->cgroup_cpu_weight)
		log_warn("sandbox: no cgroup cpu controller: runs share the CPU "
			 "as threads, not as runs (a program with many threads "
			 "gets more)");
	if (f)
		log_info("sandbox: run uids %u-%u (%s)", (unsigned)f->uid_first,
			 (unsigned)f->uid_last,
			 f->uids_configured ? "--run-uids"
					    : "the first free range, chosen");


engine:
	/* The server's own memory limit, now that the spawner (if any) is
	 * forked (it and the runs are not under it): a backstop, so that a bug or
	 * an amplification makes allocations fail with ENOMEM (the request
	 * gets an error) rather than the host run out of memory. */
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of shadow memory, which
	 * RLIMIT_DATA counts: its allocator's next mmap would fail. A
	 * sanitizer build is for tests, not for a service. */
	log_warn("main: no server memory limit under AddressSanitizer");
#else
	struct rlimit dl = { .rlim_cur = g.cfg.server_memory_bytes,
			     .rlim_max = g.cfg.server_memory_bytes };
	if (setrlimit(RLIMIT_DATA, &dl))
		log_warn("main: cannot limit the server's memory to %llu bytes: "
			 "%s", (unsigned long long)dl.rlim_cur, strerror(errno));
	else
		log_info("main: server memory limit %llu MiB (RLIMIT_DATA)",
			 (unsigned long long)dl.rlim_cur >> 20);
#endif

	run_engine_init(&g.engine, &g.loop, g.sb, &g.langs);
	g.engine.max_tty = g.cfg.tty;
	g.engine.max_pipes = g.cfg.batch;
	g.engine.orphan_ms = g.cfg.reattach_grace_ms;
	g.engine.max_compile = g.cfg.compile;
	struct run_admission adm = {
		.slots = { g.sizing.max_runs, g.sizing.api_concurrency },
		.queue = { g.sizing.queue, g.sizing.api_queue },
		.client_runs = g.sizing.client_runs,
		.client_queue = { g.sizing.client_queue,
				  g.sizing.api_client_queue },
		.queue_wait_ms = g.cfg.queue_wait_ms,
		.idle_ms = g.cfg.idle_timeout_ms,
		.runs_memory = g.sizing.runs_memory,
		.run_memory_reserve = g.sizing.run_memory_reserve,
		.runs_pids = g.sizing.runs_pids,
		.run_pids_reserve = g.sizing.run_pids_reserve,
	};
	run_engine_admission(&g.engine, &adm);

	g.app.cfg = &g.cfg;
	g.app.engine = &g.engine;
	g.app.langs = &g.langs;
	g.app.sb = g.sb;
	g.app.auth = &g.auth;
	g.app.gen = &g.gen;
	if (g.clustered) {
		struct cluster_config cc = {
			.url = g.cfg.redis_url,
			.role = g.role,
			.node_id = g.cfg.node_id,
			/* the classes' bounds, as a single node's */
			.queue_max = { g.sizing.queue, g.sizing.api_queue },
			.slots = { g.sizing.max_runs,
				   g.sizing.api_concurrency },
			.linger_ms = g.cfg.reattach_grace_ms > 60000 ?
				     g.cfg.reattach_grace_ms : 60000,
		};
		char cerr[256];
		if ((err = cluster_init(&g.cluster, &g.loop, &cc, &g.engine,
					&g.langs, cerr, sizeof(cerr)))) {
			log_error("main: --redis: %s", cerr);
			rc = 2;
			goto out_sandbox;
		}
		g.app.cluster = &g.cluster;
	}
	g.app.host = &g.host;
	g.app.sizing = &g.sizing;
	g.app.sio = sio_hub_new(&g.loop, &g.app, proto_sio_modules);
	if (!g.app.sio) {
		log_error("main: out of memory");
		goto out_sandbox;
	}

	g.srv.loop = &g.loop;
	g.srv.cfg = &g.cfg;
	g.srv.web = &g.web;
	/* a worker serves health and the cluster's view, not clients */
	bool worker_only = g.clustered && g.role == CLUSTER_WORKER;
	g.srv.routes = worker_only ? proto_routes_worker :
		       g.cfg.judge0_root ? proto_routes_judge0_root
					 : proto_routes;
	g.srv.dialects = worker_only ? proto_dialects_none : proto_dialects;
	g.srv.app = &g.app;
	g.srv.start_ms = server_now_ms();
	if (!(g.metrics = metrics_new()) ||
	    run_engine_metrics(&g.engine, g.metrics) ||
	    api_metrics_init(&g.srv, g.metrics))
		log_warn("main: out of memory for the metrics: /metrics is "
			 "incomplete");
	g.app.metrics = g.metrics;
	if ((err = server_start(&g.srv)))
		goto out_sandbox;
	/* The cache's secret: read (or made) while root, from a root-owned
	 * 0600 file the service user can neither read nor forge. */
	unsigned char secret[CACHE_SECRET_BYTES];
	char kpath[PATH_MAX];
	snprintf(kpath, sizeof(kpath), "%s/cache.key", g.cfg.data_dir);
	int kerr = geteuid() == 0 ? cache_secret_load(kpath, secret) : -EPERM;
	if (kerr)
		log_warn("main: no cache secret in '%s' (%s): no compile cache",
			 kpath, strerror(-kerr));
	if (drop_privileges(g.cfg.data_dir))
		goto out_server;
	/* after the drop: the cache files belong to the service user */
	char cdir[PATH_MAX];
	snprintf(cdir, sizeof(cdir), "%s/compile-cache", g.cfg.data_dir);
	if (!kerr && (err = cache_open(&g.cache, cdir, g.cfg.cache_bytes,
				       secret)))
		log_warn("main: no compile cache in '%s': %s", cdir,
			 strerror(-err));
	else if (!kerr)
		g.engine.cache = &g.cache;
	explicit_bzero(secret, sizeof(secret));
	/* the database too: its files belong to the service user */
	if ((err = store_open(&g.store, g.cfg.data_dir))) {
		log_error("main: cannot open the database in '%s': %s",
			  g.cfg.data_dir, strerror(-err));
		goto out_server;
	}
	if ((err = store_checkpoints_start(&g.store, &g.loop)))
		log_warn("main: checkpoints stay on the loop: %s", strerror(-err));
	struct room_limits rl;
	room_limits_default(&rl);
	rl.doc_bytes = (size_t)g.cfg.room_doc_bytes;
	rl.log = (size_t)g.cfg.room_log;
	rl.chat_bytes = (size_t)g.cfg.room_chat_bytes;
	rl.members = g.cfg.room_members;
	rl.rooms = g.cfg.max_rooms;
	rl.stored_rooms = g.cfg.max_stored_rooms;
	rl.rate = g.cfg.room_rate;
	rl.snapshot_every = g.cfg.room_snapshot_every;
	/* cluster mode: a gateway's rooms live in Redis, shared by every
	 * gateway (cluster/rooms.h); else in this node's SQLite */
	bool shared_rooms = g.clustered && g.cluster.rooms;
	if (shared_rooms)
		room_cluster_store(&g.room_store, g.cluster.rooms);
	else
		room_sqlite_init(&g.room_store, &g.store);
	rooms_init(&g.rooms, &g.room_store, &rl, &g.engine, &g.langs);
	if (shared_rooms)
		room_cluster_attach(g.cluster.rooms, &g.rooms);
	g.app.rooms = &g.rooms;
	/* a bucket per client address, in a table of 4096 */
	if (keyrate_init(&g.room_creates, 4096, g.cfg.room_create_rate,
			 g.cfg.room_create_rate) == 0)
		g.app.room_creates = &g.room_creates;
	/* Judge0's submissions, in the same database */
	struct judge0_options jo = {
		.store = &g.store,
		.keep_ms = g.cfg.judge0_keep_s * 1000,
		.max_bytes = g.cfg.judge0_max_bytes,
		.callback_hosts = g.cfg.callback_hosts,
		.callback_private = g.cfg.callback_private,
		.callback_max = g.cfg.callback_max,
	};
	g.app.judge0 = judge0_open(&g.app, &g.loop, &jo);

	if (g.clustered)
		cluster_start(&g.cluster);

	uv_signal_init(&g.loop, &g.sigint);
	uv_signal_init(&g.loop, &g.sigterm);
	uv_timer_init(&g.loop, &g.shutdown_timer);
	uv_signal_start(&g.sigint, on_signal, SIGINT);
	uv_signal_start(&g.sigterm, on_signal, SIGTERM);

	const char *h = g.cfg.host;
	printf("coderoom %s listening on http://%s%s%s:%d\n", CODEROOM_VERSION,
	       strchr(h, ':') ? "[" : "", h, strchr(h, ':') ? "]" : "",
	       g.srv.port);
	fflush(stdout);
	log_info("main: ready, data in '%s'", g.cfg.data_dir);

	uv_run(&g.loop, UV_RUN_DEFAULT);
	rc = 0;
	goto out_loop;

out_server:
	server_stop(&g.srv);
out_sandbox:
	sio_hub_free(g.app.sio);
	g.app.sio = NULL;
	if (g.clustered && g.app.cluster) {
		g.phase = 5;	/* failed start: on_cluster_left() finalizes not */
		cluster_shutdown(&g.cluster, on_cluster_left);
		uv_run(&g.loop, UV_RUN_DEFAULT);
	}
	if (g.sb)
		sandbox_close(g.sb);
	run_engine_release(&g.engine);
	uv_run(&g.loop, UV_RUN_DEFAULT);
out_loop:
	server_finish(&g.srv);
	if (uv_loop_close(&g.loop) == UV_EBUSY)
		log_warn("main: handles left open at exit");
	webroot_release(&g.web);
	lang_table_release(&g.langs);
	cache_close(&g.cache);
	store_close(&g.store);
	auth_release(&g.auth);
	generator_release(&g.gen);
	metrics_free(g.metrics);
	run_engine_metrics_release(&g.engine);
	log_info("main: bye");
	config_release(&g.cfg);
	return rc;
}

/*
 * test_webroot.c - the in-memory web root: MIME types, hashed-name
 * detection (table-driven), and loading a directory without following
 * symlinks, within a byte cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/webroot.h"

static void test_mime(void **state)
{
	static const struct {
		const char *name, *mime;
	} t[] = {
	    {"index.html", "text/html; charset=utf-8"},
	    {"/INDEX.HTML", "text/html; charset=utf-8"},
	    {"app-3KX2QZ7A.js", "text/javascript; charset=utf-8"},
	    {"mod.mjs", "text/javascript; charset=utf-8"},
	    {"app.css", "text/css; charset=utf-8"},
	    {"data.json", "application/json"},
	    {"app.js.map", "application/json"},
	    {"site.webmanifest", "application/manifest+json"},
	    {"logo.svg", "image/svg+xml"},
	    {"a.png", "image/png"},
	    {"favicon.ico", "image/x-icon"},
	    {"a.jpg", "image/jpeg"},
	    {"a.webp", "image/webp"},
	    {"x.wasm", "application/wasm"},
	    {"f.woff2", "font/woff2"},
	    {"f.woff", "font/woff"},
	    {"f.ttf", "font/ttf"},
	    {"app.css.LEGAL.txt", "text/plain; charset=utf-8"},
	    {"Makefile", "application/octet-stream"},
	    {"archive.tar.gz", "application/octet-stream"},
	    {"trailing.", "application/octet-stream"},
	    {"", "application/octet-stream"},
	    {"dir.js/file", "application/octet-stream"},
	    {"a.jsx", "application/octet-stream"},
	    {"a.htm", "application/octet-stream"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(webroot_mime(t[i].name), t[i].mime))
			fail_msg("mime('%s') = '%s', want '%s'", t[i].name,
				 webroot_mime(t[i].name), t[i].mime);
}

static void test_hashed(void **state)
{
	static const struct {
		const char *name;
		bool hashed;
	} t[] = {
	    {"app-3KX2QZ7A.js", true},
	    {"app-3KX2QZ7A.css", true},
	    {"chunk-25QUGSA6.js", true},
	    {"chunk-25QUGSA6.js.map", true},
	    {"app-RQO5XD53.css.LEGAL.txt", true},
	    {"/assets/app-3KX2QZ7A.js", true},
	    {"my-app-3KX2QZ7A.js", true}, /* last dash counts */
	    {"index.html", false},
	    {"a-b.js", false},
	    {"app-3KX2QZ7.js", false}, /* 7 chars */
	    {"app-3KX2QZ7A", false},   /* no extension */
	    {"app-3KX2_Z7A.js", false},
	    {"app-.js", false},
	    {"-3KX2QZ7A.js", true},
	    {"app-3KX2QZ7A.js/", false},	/* a directory */
	    {"web-3KX2QZ7A/index.html", false}, /* hash in a dir */
	    /* words are not hashes: these must be revalidated */
	    {"lang-javascript.js", false},
	    {"vendor-codemirror.js", false},
	    {"editor-settings.json", false},
	    {"app-3kx2qz7a.js", false},		/* esbuild: upper case */
	    {"app-3KX2QZ7A3KX2QZ7A.js", false}, /* esbuild: 8 chars */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (webroot_is_hashed(t[i].name) != t[i].hashed)
			fail_msg("is_hashed('%s') = %d, want %d", t[i].name,
				 !t[i].hashed, t[i].hashed);
}

static char root[] = "/tmp/test_webroot.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void sub(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int make_root(void **state)
{
	char outside[600];

	if (!mkdtemp(root))
		return -1;
	put("index.html", "<!doctype html><p>hi</p>\n");
	sub("assets");
	put("assets/app-3KX2QZ7A.js", "console.log(1)\n");
	sub("assets/deep");
	put("assets/deep/style.css", "p{}\n");
	put("assets/deep/same.txt", "<!doctype html><p>hi</p>\n");
	put(".hidden", "secret\n");
	put("empty.txt", "");
	/* outside the root, reachable only through symlinks */
	snprintf(outside, sizeof(outside), "%s.outside", root);
	FILE *f = fopen(outside, "w");
	if (!f)
		return -1;
	fputs("outside\n", f);
	fclose(f);
	link_to(outside, "leak.txt");
	link_to("index.html", "alias.html");
	link_to("assets", "assets-link");
	link_to("/etc", "etc");
	return 0;
}

static int remove_root(void **state)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.outside'", root, root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_load(void **state)
{
	struct webroot w;
	const struct webfile *f;

	assert_int_equal(webroot_load(&w, root, 1 << 20), 0);
	/* index.html, app js, style.css, same.txt, empty.txt */
	assert_int_equal(w.n, 5);
	assert_int_equal(w.total, 25 + 15 + 4 + 25 + 0);

	f = webroot_find(&w, "/");
	assert_non_null(f);
	assert_string_equal(f->path, "/index.html");
	assert_int_equal(f->len, 25);
	assert_memory_equal(f->data, "<!doctype html><p>hi</p>\n", 25);
	assert_string_equal(f->mime, "text/html; charset=utf-8");
	assert_false(f->immutable);
	assert_int_equal(strlen(f->etag), 18);
	assert_int_equal(f->etag[0], '"');
	assert_int_equal(f->etag[17], '"');
	assert_ptr_equal(webroot_find(&w, "/index.html"), f);

	const struct webfile *js = webroot_find(&w, "/assets/app-3KX2QZ7A.js");
	assert_non_null(js);
	assert_true(js->immutable);
	assert_string_equal(js->mime, "text/javascript; charset=utf-8");
	assert_memory_equal(js->data, "console.log(1)\n", 15);

	const struct webfile *css = webroot_find(&w, "/assets/deep/style.css");
	assert_non_null(css);
	assert_string_equal(css->mime, "text/css; charset=utf-8");

	/* ETag follows content: same bytes, same tag; other bytes, other */
	const struct webfile *same = webroot_find(&w, "/assets/deep/same.txt");
	assert_non_null(same);
	assert_string_equal(same->etag, f->etag);
	assert_string_not_equal(js->etag, f->etag);

	const struct webfile *empty = webroot_find(&w, "/empty.txt");
	assert_non_null(empty);
	assert_int_equal(empty->len, 0);

	/* not followed, not served */
	assert_null(webroot_find(&w, "/leak.txt"));
	assert_null(webroot_find(&w, "/alias.html"));
	assert_null(webroot_find(&w, "/assets-link/app-3KX2QZ7A.js"));
	assert_null(webroot_find(&w, "/etc/passwd"));
	assert_null(webroot_find(&w, "/.hidden"));
	/* lookups are exact */
	assert_null(webroot_find(&w, "/assets"));
	assert_null(webroot_find(&w, "/assets/"));
	assert_null(webroot_find(&w, "index.html"));
	assert_null(webroot_find(&w, "/INDEX.HTML"));
	assert_null(webroot_find(&w, "/assets/../index.html"));
	assert_null(webroot_find(&w, ""));

	for (size_t i = 0; i < w.n; i++)
		assert_null(strstr(w.v[i].path, "outside"));
	webroot_release(&w);
	assert_int_equal(w.n, 0);
	assert_null(w.v);
}

static void test_cap(void **state)
{
	struct webroot w;

	/* exactly the total fits */
	assert_int_equal(webroot_load(&w, root, 69), 0);
	assert_int_equal(w.total, 69);
	webroot_release(&w);
	/* one byte less does not, and nothing is kept */
	assert_int_equal(webroot_load(&w, root, 68), -EFBIG);
	assert_int_equal(w.n, 0);
	assert_null(w.v);
	assert_int_equal(w.total, 0);
	/* a single file over the cap */
	assert_int_equal(webroot_load(&w, root, 10), -EFBIG);
	assert_int_equal(w.n, 0);
}

static void test_missing_dir(void **state)
{
	struct webroot w;
	char path[600];

	assert_int_equal(webroot_load(&w, "/nonexistent/web/dist", 1 << 20),
			 -ENOENT);
	assert_int_equal(w.n, 0);
	snprintf(path, sizeof(path), "%s/index.html", root);
	assert_int_equal(webroot_load(&w, path, 1 << 20), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mime),	cmocka_unit_test(test_hashed),
	    cmocka_unit_test(test_load),	cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_missing_dir),
	};
	return cmocka_run_group_tests(tests, make_root, remove_root);
}

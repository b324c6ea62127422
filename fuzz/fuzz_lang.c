/*
 * fuzz_lang.c - lang_parse() on JSON loaded from arbitrary bytes.
 *
 * Checks on success: the invariants the rest of the server relies on
 * ('run' starts with an absolute path, 'file' is a plain name, aliases is
 * a vector), that lang_find() finds it by id and every alias, and that
 * lang_table_json() serialises it. On failure: an error text and nothing
 * left allocated (LeakSanitizer).
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "run/lang.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *obj;
	struct lang l;
	char err[256];

	obj = json_loadb((const char *)data, size,
			 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!obj)
		return 0;
	err[0] = '\0';
	if (lang_parse(obj, &l, err, sizeof(err))) {
		CHECK(err[0] != '\0');
		CHECK(l.id == NULL && l.run == NULL);
		json_decref(obj);
		return 0;
	}
	CHECK(l.id && l.id[0]);
	CHECK(l.file && l.file[0] && !strchr(l.file, '/'));
	CHECK(l.run && l.run[0] && l.run[0][0] == '/');
	CHECK(l.aliases != NULL);
	CHECK(l.name && l.version && l.editor && l.example);

	struct lang_table t = {.v = &l, .n = 1};
	CHECK(lang_find(&t, l.id) == &l);
	for (char **a = l.aliases; *a; a++)
		CHECK(lang_find(&t, *a) == &l);
	json_t *j = lang_table_json(&t, true);
	CHECK(j && json_array_size(j) == 1);
	char *s = json_dumps(j, JSON_COMPACT);
	CHECK(s != NULL);
	free(s);
	json_decref(j);
	lang_release(&l);
	json_decref(obj);
	return 0;
}

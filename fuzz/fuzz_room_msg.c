/*
 * fuzz_room_msg.c - room_msg_parse() (src/proto/room_msg.c), the parser of
 * the native protocol's room messages.
 *
 * Input: one message as JSON text. Checks: the result is -1, 0 or 1; a
 * refusal names its code and field and says why in valid UTF-8; an
 * accepted message has every field its type requires, within the ranges
 * docs/protocol.md gives; parsing twice gives the same answer.
 */
#include <string.h>

#include "fuzz.h"
#include "lib/utf8.h"
#include "proto/room_msg.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct room_msg m, m2;
	struct room_msg_error e, e2;
	json_error_t jerr;
	json_t *j, *type;
	int r;

	if (size > 1 << 16)
		return 0;
	j = json_loadb((const char *)data, size,
		       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
		       &jerr);
	if (!j)
		return 0;
	type = json_object_get(j, "type");
	if (!json_is_object(j) || !json_is_string(type)) {
		json_decref(j);
		return 0;
	}
	r = room_msg_parse(json_string_value(type), j, &m, &e);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == -1) {
		CHECK(e.code && strcmp(e.code, "bad_field") == 0);
		CHECK(e.field);
		CHECK(strlen(e.message) > 0);
		CHECK(utf8_valid_prefix(e.message, strlen(e.message)) ==
		      strlen(e.message));
	}
	if (r == 1) {
		switch (m.type) {
		case RMSG_JOIN:
			CHECK(m.room && m.name);
			break;
		case RMSG_PUSH:
			CHECK(json_is_array(m.updates));
			CHECK(m.version < ((uint64_t)1 << 53));
			break;
		case RMSG_CHAT:
		case RMSG_UPLOAD:
			CHECK(m.text);
			break;
		case RMSG_ROLE:
		case RMSG_HOST:
			CHECK(m.member);
			break;
		case RMSG_SETTINGS:
			CHECK(m.open_edit >= -1 && m.open_edit <= 1);
			CHECK(m.open_edit != -1 || m.language);
			break;
		case RMSG_FILE_ADD:
			CHECK(m.text && m.file_name);
			CHECK(strlen(m.file_name) <= m.file_name_len);
			break;
		case RMSG_FILE_RENAME:
			CHECK(m.file_name);
			break;
		default:
			break;
		}
	}
	CHECK(room_msg_parse(json_string_value(type), j, &m2, &e2) == r);
	if (r == -1)
		CHECK(strcmp(e.message, e2.message) == 0);
	json_decref(j);
	return 0;
}

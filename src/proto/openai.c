/*
 * openai.c - chat completion requests and streamed chunks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "proto/openai.h"

json_t *openai_chat_request(const char *model, const char *system,
			    const char *user)
{
	return json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:b}",
			 "model", model,
			 "messages",
			 "role", "system", "content", system,
			 "role", "user", "content", user,
			 "stream", 1);
}

void openai_event_release(struct openai_event *ev)
{
	free(ev->text);
	ev->text = NULL;
	ev->len = 0;
}

static int set_text(struct openai_event *ev, const char *s, size_t n)
{
	ev->text = malloc(n + 1);
	if (!ev->text)
		return -ENOMEM;
	memcpy(ev->text, s, n);
	ev->text[n] = '\0';
	ev->len = n;
	return 0;
}

/* The message of an "error" member: a string, or an object's "message"
 * (llama.cpp, vLLM, Ollama: {"message", "type", "code"}), else its JSON. */
static int error_of(json_t *err, struct openai_event *ev)
{
	json_t *m = json_is_object(err) ? json_object_get(err, "message") : err;
	char *dump;
	int r;

	ev->kind = OPENAI_ERROR;
	if (json_is_string(m))
		return set_text(ev, json_string_value(m), json_string_length(m));
	dump = json_dumps(err, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!dump)
		return -ENOMEM;
	r = set_text(ev, dump, strlen(dump));
	free(dump);
	return r;
}

int openai_parse_event(const char *type, const char *data, size_t len,
		       struct openai_event *ev)
{
	json_t *j, *choices, *c0, *delta, *content, *fin, *err;
	json_error_t jerr;
	int r = -EBADMSG;

	memset(ev, 0, sizeof(*ev));
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		ev->kind = OPENAI_DONE;
		return 0;
	}
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		/* a named "error" event may carry plain text */
		if (type && !strcmp(type, "error") &&
		    utf8_valid_prefix(data, len) == len) {
			ev->kind = OPENAI_ERROR;
			return set_text(ev, data, len);
		}
		return -EBADMSG;
	}
	if (!json_is_object(j))
		goto out;
	if ((err = json_object_get(j, "error")) && !json_is_null(err)) {
		r = error_of(err, ev);
		goto out;
	}
	if (json_is_string(json_object_get(j, "object")) &&
	    !strcmp(json_string_value(json_object_get(j, "object")), "error")) {
		r = error_of(j, ev);	/* vLLM: {"object": "error", "message"} */
		goto out;
	}
	ev->kind = OPENAI_DELTA;
	choices = json_object_get(j, "choices");
	if (!choices || json_is_null(choices)) {
		/* a chunk without choices (a usage report): nothing to say */
		r = set_text(ev, "", 0);
		goto out;
	}
	if (!json_is_array(choices))
		goto out;
	c0 = json_array_get(choices, 0);
	if (!c0) {
		r = set_text(ev, "", 0);
		goto out;
	}
	if (!json_is_object(c0))
		goto out;
	delta = json_object_get(c0, "delta");
	if (delta && !json_is_null(delta) && !json_is_object(delta))
		goto out;
	content = json_is_object(delta) ? json_object_get(delta, "content")
					 : NULL;
	if (content && !json_is_null(content) && !json_is_string(content))
		goto out;
	fin = json_object_get(c0, "finish_reason");
	if (fin && !json_is_null(fin)) {
		if (!json_is_string(fin) ||
		    json_string_length(fin) >= sizeof(ev->finish))
			goto out;
		memcpy(ev->finish, json_string_value(fin),
		       json_string_length(fin) + 1);
	}
	r = json_is_string(content)
		    ? set_text(ev, json_string_value(content),
			       json_string_length(content))
		    : set_text(ev, "", 0);
out:
	json_decref(j);
	if (r == -EBADMSG)
		openai_event_release(ev);
	return r;
}

/* Copies s[0..n) into out, cut at a character boundary, on one line. */
static void copy_text(const char *s, size_t n, char *out, size_t outlen)
{
	size_t k = 0;

	if (n > outlen - 1)
		n = outlen - 1;
	n = utf8_valid_prefix(s, n);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\r' || ch == '\n') {
			if (k && out[k - 1] != ' ')
				out[k++] = ' ';
			continue;
		}
		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			continue;
		out[k++] = ch;
	}
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

void openai_error_text(const char *body, size_t len, char *out,
		       size_t outlen)
{
	json_error_t jerr;
	json_t *j, *m = NULL;
	const char *eol;

	if (!outlen)
		return;
	out[0] = '\0';
	if (!body || !len)
		return;
	j = json_loadb(body, len, 0, &jerr);
	if (json_is_object(j)) {
		json_t *e = json_object_get(j, "error");
		if (json_is_object(e))
			m = json_object_get(e, "message");
		else if (json_is_string(e))
			m = e;
		if (!json_is_string(m))
			m = json_object_get(j, "detail");
		if (!json_is_string(m))
			m = json_object_get(j, "message");
		if (json_is_string(m))
			copy_text(json_string_value(m), json_string_length(m),
				  out, outlen);
		json_decref(j);
		return;
	}
	json_decref(j);
	/* text: its first line, when it is not markup */
	if (utf8_valid_prefix(body, len) != len || body[0] == '<')
		return;
	eol = memchr(body, '\n', len);
	copy_text(body, eol ? (size_t)(eol - body) : len, out, outlen);
}

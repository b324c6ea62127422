/*
 * openai.h - the OpenAI-compatible chat completions wire format, as the
 * code generator speaks it to a model endpoint; pure.
 *
 * Written against what these servers send for POST /v1/chat/completions
 * with "stream": true (docs/operations.md, "Code from a prompt"): OpenAI,
 * Ollama's OpenAI compatibility layer, llama.cpp's llama-server and vLLM.
 * The answer is a server-sent events stream (lib/sse.h) whose events'
 * data are chunk objects
 *   {"choices":[{"index":0,"delta":{"role"?,"content"?},
 *                "finish_reason":null|"stop"|"length"|...}], ...}
 * and, last, the literal "[DONE]". A server that fails mid-stream sends
 * an object with an "error" member instead (a string, or an object with
 * a "message"), or vLLM's {"object": "error", "message"}. Before the stream, a failed request is a non-200 status
 * with a JSON (or text) body saying why.
 */
#ifndef CODEROOM_OPENAI_H
#define CODEROOM_OPENAI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * The request body: a system message, the user's message, "stream": true.
 * A new reference, or NULL (out of memory, or text that is not UTF-8).
 */
json_t *openai_chat_request(const char *model, const char *system,
			    const char *user);

enum openai_kind {
	OPENAI_DELTA,	/* text (possibly empty) and/or a finish reason */
	OPENAI_DONE,	/* "[DONE]": the stream is complete */
	OPENAI_ERROR,	/* the server says it failed: 'text' is why */
};

struct openai_event {
	enum openai_kind kind;
	char *text;		/* DELTA: the content (malloc'd, may be "");
				   ERROR: the server's message */
	size_t len;
	char finish[32];	/* DELTA: the finish reason, "" if none */
};

/*
 * One event of the stream: its type (the SSE event name, "" by default)
 * and data. Returns 0 and fills 'ev' (release it with
 * openai_event_release()), or -EBADMSG when the data is none of the
 * shapes above (not JSON, "choices" not an array, "content" not a string
 * or null...), or -ENOMEM.
 */
int openai_parse_event(const char *type, const char *data, size_t len,
		       struct openai_event *ev);
void openai_event_release(struct openai_event *ev);

/*
 * What a failed response says: 'body' (up to 'len' bytes, any content)
 * of a response with HTTP 'status' becomes a short UTF-8 text in 'out':
 * the "message" of {"error": {"message"}}, the string of {"error": "..."},
 * {"detail": ...} or {"message": ...}, else the body's first line if it
 * is text, else nothing. Always NUL-terminates 'out'.
 */
void openai_error_text(const char *body, size_t len, char *out,
		       size_t outlen);

#endif

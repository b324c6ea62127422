/*
 * callback.h - HTTP PUT of a JSON body to a URL that the operator allows,
 * on the loop, never blocking it (Judge0's callback_url).
 *
 * Only http://HOST[:PORT]/PATH URLs (no TLS client here). HOST must be in
 * the allow list (--callback-allow, exact host name or address; empty
 * list: nothing is allowed). The name is resolved on the thread pool, the
 * address is checked and the connection goes to that same address, so no
 * second resolution (DNS rebinding) can move it: loopback, private,
 * link-local, unique-local, unspecified, multicast and broadcast
 * addresses are refused unless 'allow_private' (--callback-allow-private).
 * One exchange is bounded by 'timeout_ms'; a failed connection or a
 * timeout is tried again up to 'tries' times in all. The outcome is
 * logged ("callback: PUT http://... -> 200").
 *
 * The parsing and the policy checks are pure, for tests and fuzzers.
 */
#ifndef CODEROOM_CALLBACK_H
#define CODEROOM_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <uv.h>

struct callback_policy {
	const char *const *hosts;	/* NULL-terminated; NULL: none */
	bool allow_private;
	uint64_t timeout_ms;		/* one try */
	unsigned tries;
};

struct callbacks {
	uv_loop_t *loop;
	const struct callback_policy *policy;
	struct callback_req *live;	/* in flight */
	bool closing;
	uint64_t sent, failed;		/* counters */
};

/* Splits http://HOST[:PORT][/PATH]; 0 or -EINVAL (another scheme, no
 * host, userinfo, a bad port). HOST may be a [v6] literal (brackets
 * removed). Pure. */
int callback_url_parse(const char *url, char *host, size_t hostlen,
		       uint16_t *port, char *path, size_t pathlen);
/* Whether 'host' is in the policy's list (case-insensitive). Pure. */
bool callback_host_allowed(const struct callback_policy *p,
			   const char *host);
/* Whether an address is one a callback may never reach by default
 * (loopback, private, link-local, ...). Pure. */
bool callback_addr_private(const struct sockaddr *sa);
/* Whether 'url' may be used at all (parses, its host is allowed). 0, or
 * -EINVAL (bad URL) / -EACCES (host not allowed), with a reason. Pure. */
int callback_check(const struct callback_policy *p, const char *url,
		   char *why, size_t whylen);

void callbacks_init(struct callbacks *cb, uv_loop_t *loop,
		    const struct callback_policy *p);
/* Starts one PUT; 'body' is copied. 0, or -EINVAL/-EACCES as
 * callback_check() says, -ENOMEM. Done when logged. */
int callback_put(struct callbacks *cb, const char *url, const char *body,
		 size_t len);
/* Abandons every callback in flight (at shutdown). */
void callbacks_close(struct callbacks *cb);

#endif

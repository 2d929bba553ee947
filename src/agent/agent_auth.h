/*
 * agent_auth.h - auto-auth: the agent's own token, kept alive.
 *
 *   no token --login ok--> token --renew ok--> token (renewed)
 *      ^  |                  |  \--ttl near its max--> log in again
 *      |  +--login failed: wait 1s, 2s, 4s ... 5m, try again
 *      +----renewal failed, or the server refuses the token
 *
 * A token is renewed (auth/token/renew-self) when two thirds of its TTL
 * have passed. When a renewal fails, grants less than the last TTL (the
 * token nears its max TTL), or the token turns out to be revoked, the
 * agent logs in again. Failed logins are retried with a backoff that
 * starts at 1 s and doubles up to 5 minutes, each one logged as
 * "auth: login failed, retrying in 4s: <reason>".
 *
 * Credential files are read at every login. A file that has gone (a
 * secret-id file removed after reading, as remove_secret_id_file_after_
 * reading asks) is replaced by the value read last, held in memory that is
 * wiped when the agent stops; a restarted agent has no such copy and needs
 * the file again.
 *
 * Only the main loop calls agent_auth_step and agent_auth_check; the
 * token may be read from any thread (the proxy's workers).
 */
#ifndef COFFER_AGENT_AGENT_AUTH_H
#define COFFER_AGENT_AGENT_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent_config.h"
#include "agent/agent_http.h"
#include "base/error.h"

#define AGENT_BACKOFF_MIN 1   /* seconds */
#define AGENT_BACKOFF_MAX 300 /* seconds */

struct agent_auth;

/*
 * Prepares auto-auth for method m; nothing is sent yet. m and http must
 * outlive the result, which the caller frees with agent_auth_free.
 * ERR_NOMEM on failure.
 */
err_t agent_auth_new(const struct agent_method *m, struct agent_http *http,
                     struct agent_auth **out);

/* Wipes the token and the credentials held, and frees a; NULL is fine. */
void agent_auth_free(struct agent_auth *a);

/*
 * Does whatever is due at now_ms (monotonic milliseconds): a login, a
 * retry, a renewal. Sets *next_ms to when it wants to run again (INT64_MAX
 * when nothing is scheduled). Returns true when a new token was obtained,
 * so the caller writes the sinks and re-renders.
 */
bool agent_auth_step(struct agent_auth *a, int64_t now_ms, int64_t *next_ms);

/* When agent_auth_step wants to run next (INT64_MAX: nothing planned). */
int64_t agent_auth_next(const struct agent_auth *a);

/*
 * Asks the server whether the token is still good (lookup-self), after
 * the server refused a request made with it. When the token is refused
 * too, it is dropped and a login is due at once. Main loop only.
 */
void agent_auth_check(struct agent_auth *a, int64_t now_ms);

/*
 * A copy of the current token, or NULL when there is none (or memory ran
 * out). The caller wipes and frees it with secret_free. Any thread.
 */
char *agent_auth_token(struct agent_auth *a);

/* Whether there is a token now; any thread. */
bool agent_auth_ready(struct agent_auth *a);

/* How many tokens have been obtained so far; any thread. */
uint64_t agent_auth_generation(struct agent_auth *a);

/* The backoff that follows prev seconds: 1, 2, 4 ... 300. */
int64_t agent_auth_backoff(int64_t prev);

#endif

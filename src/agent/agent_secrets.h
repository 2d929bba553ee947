/*
 * agent_secrets.h - the secrets templates read, fetched once per render
 * pass and kept alive while they hold a lease.
 *
 * A render pass renders every template once. Within a pass a secret read
 * by several templates is fetched once. Across passes:
 *
 *   - a static secret (no lease_id, such as a KV read) is fetched again
 *     in every pass, which runs every static_secret_render_interval;
 *   - a leased secret (database credentials, ...) is kept: its lease is
 *     renewed (sys/leases/renew) when two thirds of it have passed. When
 *     it cannot be renewed, the renewal fails, or the server grants less
 *     than the last duration (the lease nears its max TTL), the secret is
 *     marked stale at two thirds of what is left; the next pass fetches
 *     new credentials and the templates that use them change;
 *   - after a new login every leased secret is stale: leases belong to the
 *     token that created them.
 *
 * Secrets no template used in a pass that fully succeeded are forgotten.
 * Only the main loop uses this.
 *
 * The answers are kept as jansson values, wiped when freed by the
 * allocator main() installs (base/wipe_alloc.h).
 */
#ifndef COFFER_AGENT_AGENT_SECRETS_H
#define COFFER_AGENT_AGENT_SECRETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/agent_auth.h"
#include "agent/agent_http.h"
#include "base/buf.h"
#include "base/error.h"

struct agent_secrets;

/* Makes an empty store; http and auth must outlive it. ERR_NOMEM. */
err_t agent_secrets_new(struct agent_http *http, struct agent_auth *auth,
                        struct agent_secrets **out);

/* Frees s and what it holds; NULL is fine. */
void agent_secrets_free(struct agent_secrets *s);

/* Starts a pass: static secrets are fetched again from now on. */
void agent_secrets_begin(struct agent_secrets *s);

/*
 * Ends a pass; when ok (every template rendered), forgets the secrets the
 * pass did not use.
 */
void agent_secrets_end(struct agent_secrets *s, bool ok);

/*
 * The template engine's secret callback (tmpl_secret_fn): ctx is the
 * store. *out gets a reference to the stored answer, which the caller
 * must not change. Failures: ERR_NOT_FOUND ("no secret at this path"),
 * ERR_PERMISSION, ERR_IO (server down), with the reason in errmsg.
 */
err_t agent_secrets_get(void *ctx, const char *path, const json_t *params,
                        json_t **out, struct buf *errmsg);

/* The template engine's list callback (tmpl_list_fn): LIST path. */
err_t agent_secrets_list(void *ctx, const char *path, json_t **out,
                         struct buf *errmsg);

/*
 * Renews the leases that are due at now_ms and marks stale those that
 * must be fetched again. Returns true when a pass is needed because some
 * secret went stale. *next_ms gets the next due time (INT64_MAX: none).
 */
bool agent_secrets_tick(struct agent_secrets *s, int64_t now_ms,
                        int64_t *next_ms);

/* Marks every leased secret stale (after a new login). */
void agent_secrets_expire_all(struct agent_secrets *s);

/*
 * Whether the server refused the token during the current pass (a 403),
 * which makes the caller check the token.
 */
bool agent_secrets_denied(const struct agent_secrets *s);

#endif

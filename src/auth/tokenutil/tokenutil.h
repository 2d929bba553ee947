/*
 * tokenutil.h - the token settings every auth method's roles and users
 * share (vault-api.md 4.0): token_ttl, token_max_ttl,
 * token_explicit_max_ttl, token_period, token_policies,
 * token_bound_cidrs, token_no_default_policy, token_num_uses, token_type,
 * and the deprecated names policies, period, ttl, max_ttl, bound_cidrs.
 * Used by approle, userpass, jwt, kubernetes and cert.
 *
 * They live as members of the method's own JSON record (a role, a user);
 * a field written through a deprecated name keeps that name too, so that
 * a read shows it back as Vault does, and a later write through the new
 * name drops it again.
 */
#ifndef COFFER_AUTH_TOKENUTIL_TOKENUTIL_H
#define COFFER_AUTH_TOKENUTIL_TOKENUTIL_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "core/login.h"
#include "core/request.h"

/* Sets every token field of rec to its default. ERR_NOMEM. */
err_t tokenutil_defaults(json_t *rec);

/*
 * Reads the token fields present in data into rec; absent ones keep
 * their value (a role update is a merge; call tokenutil_defaults first
 * on a new record). Policy names are normalised and "root" is refused (no
 * auth method hands out root tokens); CIDR blocks must parse; batch
 * tokens are refused, since this server issues service tokens only;
 * token_ttl may not exceed token_max_ttl. ERR_INVALID with the reason in
 * resp, ERR_NOMEM.
 */
err_t tokenutil_parse(json_t *data, json_t *rec, struct response *resp);

/*
 * Sets rec's token fields into out, as a read shows them: every token_*
 * field (its default when rec lacks it), and a deprecated name only when
 * it was written through that name. ERR_NOMEM.
 */
err_t tokenutil_describe(json_t *rec, json_t *out);

/*
 * Fills the token part of lr from rec: TTLs, period, uses, policies,
 * no_default_policy, bound CIDRs (the token is tied to them), renewable.
 * The JSON members are borrowed from rec, which must outlive lr.
 */
void tokenutil_login(json_t *rec, struct login_result *lr);

/*
 * Whether a login from addr (the peer address, NULL when unknown) may
 * pass rec's token_bound_cidrs: always when the list is empty, else only
 * from inside one of its blocks (core/cidr.h).
 */
bool tokenutil_cidr_allowed(json_t *rec, const char *addr);

/* Whether name is a token field (or deprecated alias) of rec. */
int tokenutil_is_field(const char *name);

#endif

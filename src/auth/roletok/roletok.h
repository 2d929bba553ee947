/*
 * roletok.h - the token fields every role of the jwt, kubernetes and cert
 * auth methods carries (Vault's "tokenutil"): token_ttl, token_max_ttl,
 * token_explicit_max_ttl, token_period, token_policies, token_bound_cidrs,
 * token_no_default_policy, token_num_uses, token_type, and the deprecated
 * names ttl, max_ttl, period, policies, bound_cidrs.
 *
 * A role is kept as a JSON object in the mount's storage; these helpers
 * read the fields from a request into it, describe them on a read, and
 * turn them into a login_result at login.
 */
#ifndef COFFER_AUTH_ROLETOK_ROLETOK_H
#define COFFER_AUTH_ROLETOK_ROLETOK_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "core/login.h"
#include "core/request.h"

/*
 * Reads the token fields present in data into role (an object that keeps
 * the fields of an earlier write: a role update is a merge). create fills
 * the defaults of absent fields. ERR_INVALID with a message in resp.
 */
err_t roletok_parse(json_t *data, json_t *role, bool create,
                    struct response *resp);

/* Adds the token fields of role to out, in the types Vault reads back. */
err_t roletok_describe(json_t *role, json_t *out);

/*
 * Fills the token part of lr from role. The references in lr borrow from
 * role, which must outlive lr.
 */
void roletok_login(json_t *role, struct login_result *lr);

/*
 * Whether addr (a numeric IPv4 or IPv6 address) may log in under role's
 * token_bound_cidrs; an empty list allows any address.
 */
bool roletok_cidr_allowed(json_t *role, const char *addr);

/* Whether addr lies inside cidr ("10.0.0.0/8", "::1/128", "1.2.3.4"). */
bool roletok_cidr_match(const char *cidr, const char *addr);

#endif

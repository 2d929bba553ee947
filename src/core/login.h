/*
 * login.h - what an auth method hands the core after a successful login,
 * and how the core turns it into a token.
 *
 * Auth methods decide who the caller is; only the core makes tokens, so
 * that every method's tokens follow the same rules (TTLs, leases,
 * namespace, identity).
 */
#ifndef COFFER_CORE_LOGIN_H
#define COFFER_CORE_LOGIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/mount.h"
#include "core/request.h"

struct login_result {
	const char *display_name; /* "approle", "userpass-alice" */
	json_t *policies;         /* the token's policies (array of names) */
	bool no_default_policy;
	json_t *metadata;        /* string map for the token, or NULL */
	int64_t ttl;             /* 0: the mount's default */
	int64_t max_ttl;         /* 0: the mount's maximum */
	int64_t explicit_max_ttl; /* 0: none */
	int64_t period;          /* 0: not periodic */
	int64_t num_uses;        /* 0: unlimited */
	bool renewable;
	/* The caller's name at this mount: role id, user name, JWT subject. */
	const char *alias_name;
	json_t *alias_metadata; /* string map or NULL */
};

/*
 * Issues the token of a successful login at mount m for req: an orphan
 * token in req's namespace, with a lease, whose auth block goes into
 * resp->auth. ERR_INVALID with a message in resp when the result breaks
 * a token rule.
 */
err_t core_login(struct mount *m, struct request *req,
		 const struct login_result *lr, struct response *resp);

#endif

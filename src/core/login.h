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
	json_t *metadata;         /* string map for the token, or NULL */
	int64_t ttl;              /* 0: the mount's default */
	int64_t max_ttl;          /* 0: the mount's maximum */
	int64_t explicit_max_ttl; /* 0: none */
	int64_t period;           /* 0: not periodic */
	int64_t num_uses;         /* 0: unlimited */
	bool renewable;
	/*
	 * The caller's name at this mount: role id, user name, JWT subject.
	 * When set, the token is tied to the entity of the alias (mount
	 * accessor, alias_name), made on first login.
	 */
	const char *alias_name;
	json_t *alias_metadata; /* string map or NULL */
	json_t *bound_cidrs;    /* the token's CIDR blocks, or NULL */
	const char *path;       /* the token's path; NULL: the request's */
};

/*
 * Issues the token of a successful login at mount m for req: an orphan
 * token in req's namespace, with a lease, whose auth block goes into
 * resp->auth. With lr->alias_name set, the token gets the entity of that
 * alias (identity_login). ERR_INVALID with a message in resp when the
 * result breaks a token rule; ERR_PERMISSION when the entity is
 * disabled. A resp that already holds an error gets no token: a method
 * must never hand out a token with a failure (CVE-2026-46405).
 */
err_t core_login(struct mount *m, struct request *req,
                 const struct login_result *lr, struct response *resp);

struct core;
struct token_entry;

/*
 * The policies token e gets through its entity (identity_policies), as a
 * new array: empty when it has none. *disabled tells that the entity is
 * disabled, so the token must be refused. ERR_NOMEM or a storage error.
 */
err_t core_identity_policies(struct core *c, const struct token_entry *e,
                             json_t **out, bool *disabled);

#endif

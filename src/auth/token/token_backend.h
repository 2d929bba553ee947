/*
 * token_backend.h - the parts of the auth/token backend shared by its
 * files: token_backend.c (routing, lookup, renew, revoke, accessors,
 * tidy), token_backend_create.c (create) and token_backend_roles.c.
 */
#ifndef COFFER_AUTH_TOKEN_TOKEN_BACKEND_H
#define COFFER_AUTH_TOKEN_TOKEN_BACKEND_H

#include "core/core_internal.h"

/* POST create, create-orphan, create/<role>. role may be NULL. */
err_t token_backend_create(struct mount *m, struct request *req,
                           struct response *resp, const char *role,
                           bool orphan_path);

/* roles, roles/<name>: LIST, GET, POST, DELETE. name may be NULL. */
err_t token_backend_roles(struct mount *m, struct request *req,
                          struct response *resp, const char *name);

/* Reads role name from the mount's storage; ERR_NOT_FOUND if none. */
err_t token_backend_role_get(struct mount *m, const char *name, json_t **out);

/* "invalid value for \"key\"" as a 400; returns ERR_INVALID. */
err_t token_backend_bad_param(struct response *resp, const char *key);

#endif

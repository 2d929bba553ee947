/*
 * identity_backend.h - the HTTP side of the identity mount, shared by
 * identity_backend.c (routing, entities, lookup) and identity_groups.c
 * (entity aliases and groups).
 */
#ifndef COFFER_IDENTITY_IDENTITY_BACKEND_H
#define COFFER_IDENTITY_IDENTITY_BACKEND_H

#include "identity/identity_internal.h"

/* resp for a failed storage call: 404 {"errors": []} or the code. */
err_t ident_fail(struct response *resp, err_t rc);

/*
 * The "policies" of a request, normalised (identity_normalise_policies).
 * ERR_NOT_FOUND when absent; ERR_INVALID (resp filled) for a bad value or
 * "root" in any spelling.
 */
err_t ident_policies_param(json_t *data, json_t **out, struct response *resp);

/* Entity e as entity reads show it (aliases, group ids). New reference. */
err_t ident_entity_describe(struct mount *m, const char *ns, json_t *e,
                            json_t **out);

/*
 * Answers a LIST of kind ("entity", "group", "alias") by id or by name:
 * keys and key_info; 404 when there is none.
 */
err_t ident_list_records(struct mount *m, struct request *req, const char *kind,
                         bool by_name, struct response *resp);

/* Loads a record of kind by id. ERR_NOT_FOUND when there is none. */
err_t ident_load_kind(struct mount *m, const char *ns, const char *kind,
                      const char *id, json_t **out);

/* "<prefix>/<arg>" gives arg, "<prefix>" gives "", anything else NULL. */
const char *ident_route_arg(const char *rel, const char *prefix);

/* entity-alias, entity-alias/id[/<id>]. */
err_t ident_alias_route(struct mount *m, struct request *req,
                        struct response *resp);

/* group, group/id[/<id>], group/name[/<name>]. */
err_t ident_group_route(struct mount *m, struct request *req,
                        struct response *resp);

#endif

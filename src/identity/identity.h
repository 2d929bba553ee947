/*
 * identity.h - the identity store: entities (one per person or
 * workload), their aliases (one per login name at one auth mount), and
 * internal groups that hand policies to entities.
 *
 * It is the built-in mount "identity/", one for the whole server like the
 * cubbyhole; each namespace has its own entities, kept under a storage
 * prefix of its own, so a tenant never sees another's. The core calls in
 * at every login (identity_login) and at every request of a token with an
 * entity (identity_policies), so that a change of a group applies to the
 * next request.
 *
 * Policy names coming from identity are normalised (trimmed, lower case)
 * when written, and "root" is refused there and dropped again when read:
 * an entity or group can never make a token root (CVE-2025-5999).
 *
 * Layout below the namespace's prefix (see identity_store.c):
 *   entity/id/<id>, entity/name/<name>            entity and name index
 *   alias/id/<id>, alias/key/<sha256(acc,name)>   alias and its unique key
 *   alias/entity/<entity>/<alias>                 aliases of an entity
 *   group/id/<id>, group/name/<name>              group and name index
 *   group/entity/<entity>/<group>                 direct members
 *   group/parent/<child>/<parent>                 groups in groups
 *
 * Known shortcomings: deleting a namespace leaves its identity records
 * behind (core_namespace_purge does not call in here yet); there are no
 * external groups, group aliases, entity merges or identity tokens; and
 * identity_policies reads storage on every request of a token with an
 * entity (a cache keyed by a change counter would remove that cost).
 */
#ifndef COFFER_IDENTITY_IDENTITY_H
#define COFFER_IDENTITY_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>

#include "core/mount.h"

#define IDENTITY_MOUNT_PATH "identity/"

extern const struct mount_backend identity_backend;

/*
 * The entity behind a login: finds the alias (auth mount's accessor,
 * alias_name) in namespace ns, or creates it with a new entity named
 * "entity_<random>". idm is the identity mount, auth the mount logged in
 * at. *entity_id is a heap string the caller frees. ERR_PERMISSION when
 * the entity is disabled; a storage error otherwise.
 */
err_t identity_login(struct mount *idm, const char *ns,
                     const struct mount *auth, const char *alias_name,
                     json_t *alias_metadata, char **entity_id);

/*
 * Deletes every entity, alias and group of namespace ns (a namespace
 * being deleted). Returns the first storage error.
 */
err_t identity_purge_namespace(struct mount *idm, const char *ns);

/*
 * The policies entity_id of namespace ns gets from identity: its own and
 * those of every group it is in, directly or through other groups. *out
 * is a new sorted array without duplicates and never holding "root";
 * empty for an unknown entity. *disabled tells whether the entity is
 * disabled. ERR_NOMEM or a storage error.
 */
err_t identity_policies(struct mount *idm, const char *ns,
                        const char *entity_id, json_t **out, bool *disabled);

/*
 * Normalises a list of policy names from a request into a new sorted
 * array (trimmed, lower case, once each, empty names dropped). Returns
 * NULL with *root set when a name is "root" in any spelling, NULL without
 * it when memory runs out.
 */
json_t *identity_normalise_policies(json_t *names, bool *root);

#endif

/*
 * identity_internal.h - what the files of src/identity/ share: the mount
 * state, storage keys below a namespace's prefix, and the entity, alias
 * and group records. Nothing outside src/identity/ includes it.
 */
#ifndef COFFER_IDENTITY_IDENTITY_INTERNAL_H
#define COFFER_IDENTITY_IDENTITY_INTERNAL_H

#include <pthread.h>

#include "base/buf.h"
#include "core/lease.h"
#include "identity/identity.h"

/* Longest entity, alias or group name accepted. */
#define IDENT_MAX_NAME 512
/* Groups followed when collecting policies: a bound, not a rule. */
#define IDENT_MAX_GROUPS 256

struct ident_state {
	/* Orders every change, so that find-or-create is never doubled. */
	pthread_mutex_t lock;
};

/*
 * Builds the key of namespace ns for the printf-style rest into out
 * (reset first): "root/<rest>" or "ns-<hex of ns>/<rest>".
 */
err_t ident_key(struct buf *out, const char *ns, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Loads the JSON stored under key. ERR_NOT_FOUND when there is none. */
err_t ident_load(struct mount *m, const char *key, json_t **out);

/* Loads a string index value (an id) into out. ERR_NOT_FOUND if none. */
err_t ident_load_id(struct mount *m, const char *key, struct buf *out);

/* Adds a put of o as compact JSON under key to t. */
err_t ident_txn_put_json(struct lease_txn *t, const char *key, json_t *o);

/* The ids below dir (a folder key ending in "/") as a new array. */
err_t ident_list(struct mount *m, const char *dir, json_t **out);

/* A UUID in its text form (path ids are checked before any lookup). */
bool ident_valid_id(const char *id);

/* 1..IDENT_MAX_NAME bytes, no "/", no control characters. */
bool ident_valid_name(const char *name);

/* The current time as RFC 3339 text (new JSON string). */
json_t *ident_now(void);

/* The entity with id (ERR_NOT_FOUND), or by name. New references. */
err_t ident_entity_get(struct mount *m, const char *ns, const char *id,
                       json_t **out);
err_t ident_entity_by_name(struct mount *m, const char *ns, const char *name,
                           json_t **out);

/* Adds the puts of entity e (record and name index) to t. */
err_t ident_entity_txn_put(struct lease_txn *t, const char *ns, json_t *e);

/* The group with id (ERR_NOT_FOUND), or by name. New references. */
err_t ident_group_get(struct mount *m, const char *ns, const char *id,
                      json_t **out);
err_t ident_group_by_name(struct mount *m, const char *ns, const char *name,
                          json_t **out);

/* The alias with id. ERR_NOT_FOUND when there is none. */
err_t ident_alias_get(struct mount *m, const char *ns, const char *id,
                      json_t **out);

/*
 * Adds the puts of a new or changed alias a (record, unique key, the
 * entity's index) to t; old is its previous record or NULL.
 */
err_t ident_alias_txn_put(struct lease_txn *t, const char *ns, json_t *a,
                          json_t *old);

/* Adds the deletes of alias a (record and indexes) to t. */
err_t ident_alias_txn_delete(struct lease_txn *t, const char *ns, json_t *a);

/* The id of the alias (mount accessor, name), into out. */
err_t ident_alias_find(struct mount *m, const char *ns, const char *accessor,
                       const char *name, struct buf *out);

/* The ids of the groups that list entity id as a member. New array. */
err_t ident_entity_groups(struct mount *m, const char *ns, const char *id,
                          json_t **out);

/*
 * The groups the groups in ids belong to, followed up the tree (without
 * ids themselves unless a cycle leads back). New array.
 */
err_t ident_parent_groups(struct mount *m, const char *ns, json_t *ids,
                          json_t **out);

#endif

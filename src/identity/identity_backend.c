/*
 * identity_backend.c - the "identity" mount: routing, setup, and the
 * entity endpoints (entity, entity/id/<id>, entity/name/<name>, their
 * lists, lookup/entity). Aliases and groups are in identity_groups.c.
 *
 * The mount serves every namespace from the root (like the cubbyhole);
 * each handler works on req->ns, whose records live under their own
 * storage prefix.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/params.h"
#include "core/core_internal.h"
#include "identity/identity_backend.h"

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

err_t ident_fail(struct response *resp, err_t rc)
{
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	return response_error(resp, rc, "%s", err_str(rc));
}

err_t ident_policies_param(json_t *data, json_t **out, struct response *resp)
{
	json_t *raw = NULL;
	bool root = false;
	err_t rc = param_strlist(data, "policies", &raw);

	*out = NULL;
	if (rc == ERR_NOT_FOUND)
		return ERR_NOT_FOUND;
	if (rc == ERR_INVALID)
		return response_error(resp, rc,
		                      "invalid value for \"policies\"");
	*out = identity_normalise_policies(raw, &root);
	json_decref(raw);
	if (root)
		return response_error(resp, ERR_INVALID,
		                      "the \"root\" policy cannot be given "
		                      "through identity");
	return *out ? ERR_OK : response_error(resp, ERR_NOMEM, NULL);
}

/* Reads name, policies, metadata and disabled from data into e. */
static err_t entity_fields(json_t *data, json_t *e, struct response *resp)
{
	const char *name = NULL;
	json_t *v = NULL;
	bool b;
	err_t rc;

	rc = param_str(data, "name", &name);
	if (rc == ERR_INVALID || (rc == ERR_OK && !ident_valid_name(name)))
		return response_error(resp, ERR_INVALID, "invalid entity name");
	if (rc == ERR_OK)
		json_object_set_new(e, "name", json_string(name));
	rc = ident_policies_param(data, &v, resp);
	if (rc == ERR_OK)
		json_object_set_new(e, "policies", v);
	else if (rc != ERR_NOT_FOUND)
		return rc;
	rc = param_strmap(data, "metadata", &v);
	if (rc == ERR_INVALID)
		return response_error(resp, rc,
		                      "metadata must be a map of "
		                      "strings");
	if (rc == ERR_OK)
		json_object_set_new(e, "metadata", v);
	rc = param_bool(data, "disabled", &b);
	if (rc == ERR_INVALID)
		return response_error(resp, rc,
		                      "invalid value for "
		                      "\"disabled\"");
	if (rc == ERR_OK)
		json_object_set_new(e, "disabled", json_boolean(b));
	return ERR_OK;
}

/* A new entity record with an id and defaults. */
static json_t *entity_new(void)
{
	char id[37], rnd[9], name[16];

	if (uuid_new(id) != ERR_OK || rand_alnum(rnd, 8) != ERR_OK)
		return NULL;
	snprintf(name, sizeof(name), "entity_%s", rnd);
	return json_pack("{s:s, s:s, s:[], s:n, s:b, s:o, s:o}", "id", id,
	                 "name", name, "policies", "metadata", "disabled", 0,
	                 "creation_time", ident_now(), "last_update_time",
	                 ident_now());
}

/* Which entity a write names: path id, path name, body id, body name. */
static err_t entity_target(struct mount *m, struct request *req,
                           const char *path_id, const char *path_name,
                           json_t **out)
{
	const char *id = path_id, *name = path_name;

	*out = NULL;
	if (id == NULL && name == NULL)
		param_str(req->data, "id", &id);
	if (id != NULL)
		return ident_entity_get(m, req->ns, id, out);
	if (name == NULL)
		param_str(req->data, "name", &name);
	if (name == NULL)
		return ERR_NOT_FOUND;
	return ident_entity_by_name(m, req->ns, name, out);
}

/* The checks and the commit of an entity write; the lock is held. */
static err_t entity_save(struct mount *m, struct request *req, json_t *e,
                         json_t *old, struct response *resp)
{
	json_t *other = NULL;
	struct lease_txn t;
	struct buf key = BUF_INIT;
	err_t rc;

	if (ident_entity_by_name(m, req->ns, jstr(e, "name"), &other) ==
	        ERR_OK &&
	    strcmp(jstr(other, "id"), jstr(e, "id")) != 0) {
		json_decref(other);
		return response_error(resp, ERR_INVALID,
		                      "entity name is already in use");
	}
	json_decref(other);
	lease_txn_init(&t);
	json_object_set_new(e, "last_update_time", ident_now());
	rc = ident_entity_txn_put(&t, req->ns, e);
	if (rc == ERR_OK && old != NULL &&
	    strcmp(jstr(old, "name"), jstr(e, "name")) != 0) {
		rc = ident_key(&key, req->ns, "entity/name/%s",
		               jstr(old, "name"));
		if (rc == ERR_OK)
			rc = lease_txn_delete(&t, buf_str(&key));
	}
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	buf_release(&key);
	return rc == ERR_OK ? ERR_OK : ident_fail(resp, rc);
}

static err_t entity_write(struct mount *m, struct request *req,
                          const char *path_id, const char *path_name,
                          struct response *resp)
{
	struct ident_state *st = m->state;
	json_t *old = NULL, *e = NULL;
	err_t rc;

	pthread_mutex_lock(&st->lock);
	rc = entity_target(m, req, path_id, path_name, &old);
	if (rc == ERR_NOT_FOUND && path_id != NULL) {
		rc = response_error(resp, ERR_INVALID, "entity not found");
		goto out;
	}
	if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
		rc = ident_fail(resp, rc);
		goto out;
	}
	e = old ? json_deep_copy(old) : entity_new();
	if (e == NULL) {
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	if (path_name != NULL)
		json_object_set_new(e, "name", json_string(path_name));
	rc = entity_fields(req->data, e, resp);
	if (rc == ERR_OK)
		rc = entity_save(m, req, e, old, resp);
	if (rc == ERR_OK && old == NULL)
		response_set_data(resp, json_pack("{s:s, s:s, s:n}", "id",
		                                  jstr(e, "id"), "name",
		                                  jstr(e, "name"), "aliases"));
out:
	pthread_mutex_unlock(&st->lock);
	json_decref(old);
	json_decref(e);
	return rc;
}

/* The aliases of entity id, as objects. */
static json_t *entity_aliases(struct mount *m, const char *ns, const char *id)
{
	json_t *ids = NULL, *out = json_array(), *v, *a;
	struct buf key = BUF_INIT;
	size_t i;

	if (ident_key(&key, ns, "alias/entity/%s/", id) == ERR_OK)
		ident_list(m, buf_str(&key), &ids);
	json_array_foreach(ids, i, v)
	{
		a = NULL;
		if (ident_alias_get(m, ns, json_string_value(v), &a) == ERR_OK)
			json_array_append_new(out, a);
	}
	json_decref(ids);
	buf_release(&key);
	return out;
}

err_t ident_entity_describe(struct mount *m, const char *ns, json_t *e,
                            json_t **out)
{
	json_t *o = json_deep_copy(e), *direct = NULL, *inherited = NULL,
	       *all = NULL;
	err_t rc = o ? ERR_OK : ERR_NOMEM;

	if (rc == ERR_OK)
		rc = ident_entity_groups(m, ns, jstr(e, "id"), &direct);
	if (rc == ERR_OK)
		rc = ident_parent_groups(m, ns, direct, &inherited);
	if (rc == ERR_OK && (all = json_copy(direct)) == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK) {
		json_array_extend(all, inherited);
		json_object_set_new(o, "aliases",
		                    entity_aliases(m, ns, jstr(e, "id")));
		json_object_set(o, "direct_group_ids", direct);
		json_object_set(o, "inherited_group_ids", inherited);
		json_object_set(o, "group_ids", all);
		json_object_set_new(o, "merged_entity_ids", json_null());
		json_object_set_new(o, "namespace_id", json_string("root"));
		*out = o;
		o = NULL;
	}
	json_decref(o);
	json_decref(direct);
	json_decref(inherited);
	json_decref(all);
	return rc;
}

static err_t entity_answer(struct mount *m, struct request *req, json_t *e,
                           struct response *resp)
{
	json_t *d = NULL;
	err_t rc = ident_entity_describe(m, req->ns, e, &d);

	if (rc != ERR_OK)
		return ident_fail(resp, rc);
	response_set_data(resp, d);
	return ERR_OK;
}

/* Removes entity e from a group's member list and the group's index. */
static err_t drop_membership(struct mount *m, const char *ns, const char *eid,
                             const char *gid, struct lease_txn *t)
{
	json_t *g = NULL, *members, *v;
	struct buf key = BUF_INIT;
	size_t i;
	err_t rc = ident_group_get(m, ns, gid, &g);

	if (rc == ERR_OK) {
		members = json_object_get(g, "member_entity_ids");
		json_array_foreach(
		    members, i, v) if (strcmp(json_string_value(v), eid) == 0)
		{
			json_array_remove(members, i);
			break;
		}
		rc = ident_key(&key, ns, "group/id/%s", gid);
		if (rc == ERR_OK)
			rc = ident_txn_put_json(t, buf_str(&key), g);
	} else if (rc == ERR_NOT_FOUND) {
		rc = ERR_OK;
	}
	if (rc == ERR_OK)
		rc = ident_key(&key, ns, "group/entity/%s/%s", eid, gid);
	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	json_decref(g);
	buf_release(&key);
	return rc;
}

/* Adds the deletion of entity e, its aliases and memberships to t. */
static err_t entity_txn_delete(struct mount *m, const char *ns, json_t *e,
                               struct lease_txn *t)
{
	const char *id = jstr(e, "id");
	json_t *aliases = entity_aliases(m, ns, id), *groups = NULL, *v;
	struct buf key = BUF_INIT;
	size_t i;
	err_t rc = ident_key(&key, ns, "entity/id/%s", id);

	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	if (rc == ERR_OK)
		rc = ident_key(&key, ns, "entity/name/%s", jstr(e, "name"));
	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	json_array_foreach(aliases, i, v) if (rc == ERR_OK) rc =
	    ident_alias_txn_delete(t, ns, v);
	if (rc == ERR_OK)
		rc = ident_entity_groups(m, ns, id, &groups);
	json_array_foreach(groups, i, v) if (rc == ERR_OK) rc =
	    drop_membership(m, ns, id, json_string_value(v), t);
	json_decref(aliases);
	json_decref(groups);
	buf_release(&key);
	return rc;
}

static err_t entity_delete(struct mount *m, struct request *req, json_t *e,
                           struct response *resp)
{
	struct lease_txn t;
	err_t rc;

	lease_txn_init(&t);
	rc = entity_txn_delete(m, req->ns, e, &t);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	return rc == ERR_OK ? ERR_OK : ident_fail(resp, rc);
}

/* GET, POST, DELETE of entity/id/<id> or entity/name/<name>. */
static err_t entity_one(struct mount *m, struct request *req, const char *id,
                        const char *name, struct response *resp)
{
	struct ident_state *st = m->state;
	json_t *e = NULL;
	err_t rc;

	if (req->op == OP_UPDATE || req->op == OP_CREATE)
		return entity_write(m, req, id, name, resp);
	if (req->op != OP_READ && req->op != OP_DELETE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (req->op == OP_DELETE)
		pthread_mutex_lock(&st->lock);
	rc = id ? ident_entity_get(m, req->ns, id, &e)
	        : ident_entity_by_name(m, req->ns, name, &e);
	if (rc == ERR_OK)
		rc = req->op == OP_READ ? entity_answer(m, req, e, resp)
		                        : entity_delete(m, req, e, resp);
	else if (rc == ERR_NOT_FOUND && req->op == OP_DELETE)
		rc = ERR_OK;
	else
		rc = ident_fail(resp, rc);
	if (req->op == OP_DELETE)
		pthread_mutex_unlock(&st->lock);
	json_decref(e);
	return rc;
}

err_t ident_list_records(struct mount *m, struct request *req, const char *kind,
                         bool by_name, struct response *resp)
{
	json_t *ids = NULL, *keys = json_array(), *info = json_object(), *v, *r;
	struct buf key = BUF_INIT;
	size_t i;
	err_t rc = ident_key(&key, req->ns, "%s/id/", kind);

	if (rc == ERR_OK)
		rc = ident_list(m, buf_str(&key), &ids);
	json_array_foreach(ids, i, v)
	{
		const char *id = json_string_value(v);
		r = NULL;
		if (rc != ERR_OK || ident_load_kind(m, req->ns, kind, id, &r))
			continue;
		json_array_append_new(
		    keys, json_string(by_name ? jstr(r, "name") : id));
		json_object_set_new(info, by_name ? jstr(r, "name") : id,
		                    json_pack("{s:s, s:s}",
		                              by_name ? "id" : "name",
		                              by_name ? id : jstr(r, "name"),
		                              "name", jstr(r, "name")));
		json_decref(r);
	}
	json_decref(ids);
	buf_release(&key);
	if (rc == ERR_OK && json_array_size(keys) == 0)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		response_set_data(resp, json_pack("{s:O, s:O}", "keys", keys,
		                                  "key_info", info));
	json_decref(keys);
	json_decref(info);
	return rc == ERR_OK ? ERR_OK : ident_fail(resp, rc);
}

err_t ident_load_kind(struct mount *m, const char *ns, const char *kind,
                      const char *id, json_t **out)
{
	if (strcmp(kind, "entity") == 0)
		return ident_entity_get(m, ns, id, out);
	if (strcmp(kind, "group") == 0)
		return ident_group_get(m, ns, id, out);
	return ident_alias_get(m, ns, id, out);
}

/* POST lookup/entity: one of name, id, alias_id, alias_name+accessor. */
static err_t lookup_entity(struct mount *m, struct request *req,
                           struct response *resp)
{
	const char *name = NULL, *id = NULL, *alias_id = NULL,
	           *alias_name = NULL, *acc = NULL;
	struct buf found = BUF_INIT;
	json_t *e = NULL, *a = NULL;
	err_t rc;

	param_str(req->data, "name", &name);
	param_str(req->data, "id", &id);
	param_str(req->data, "alias_id", &alias_id);
	param_str(req->data, "alias_name", &alias_name);
	param_str(req->data, "alias_mount_accessor", &acc);
	if ((name != NULL) + (id != NULL) + (alias_id != NULL) +
	        (alias_name != NULL) !=
	    1)
		return response_error(resp, ERR_INVALID,
		                      "exactly one of name, id, alias_id or "
		                      "alias_name must be given");
	if (alias_name != NULL && acc == NULL)
		return response_error(resp, ERR_INVALID,
		                      "alias_mount_accessor is required with "
		                      "alias_name");
	if (alias_name != NULL) {
		rc = ident_alias_find(m, req->ns, acc, alias_name, &found);
		alias_id = rc == ERR_OK ? buf_str(&found) : NULL;
	}
	if (alias_id != NULL &&
	    ident_alias_get(m, req->ns, alias_id, &a) == ERR_OK)
		id = jstr(a, "canonical_id");
	if (name != NULL)
		rc = ident_entity_by_name(m, req->ns, name, &e);
	else
		rc = id ? ident_entity_get(m, req->ns, id, &e) : ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = entity_answer(m, req, e, resp);
	else if (rc == ERR_NOT_FOUND)
		rc = ERR_OK; /* 204, as Vault answers a miss */
	else
		rc = ident_fail(resp, rc);
	json_decref(e);
	json_decref(a);
	buf_release(&found);
	return rc;
}

/* "<prefix>/<arg>" -> arg; "<prefix>" -> "". NULL when rel is neither. */
const char *ident_route_arg(const char *rel, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(rel, prefix, n) != 0)
		return NULL;
	if (rel[n] == 0)
		return "";
	if (rel[n] != '/')
		return NULL;
	return rel + n + 1;
}

static bool is_list(const struct request *req, const char *arg)
{
	return req->op == OP_LIST || (req->op == OP_READ && *arg == 0);
}

static err_t entity_route(struct mount *m, struct request *req,
                          struct response *resp)
{
	const char *arg;

	if (strcmp(req->rel, "entity") == 0) {
		if (req->op != OP_UPDATE && req->op != OP_CREATE)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return entity_write(m, req, NULL, NULL, resp);
	}
	if ((arg = ident_route_arg(req->rel, "entity/id")) != NULL) {
		if (is_list(req, arg))
			return ident_list_records(m, req, "entity", false,
			                          resp);
		return entity_one(m, req, arg, NULL, resp);
	}
	if ((arg = ident_route_arg(req->rel, "entity/name")) != NULL) {
		if (is_list(req, arg))
			return ident_list_records(m, req, "entity", true, resp);
		return entity_one(m, req, NULL, arg, resp);
	}
	if (strcmp(req->rel, "lookup/entity") == 0)
		return lookup_entity(m, req, resp);
	return response_error(resp, ERR_NOT_FOUND,
	                      "unsupported path \"identity/%s\"", req->rel);
}

static err_t identity_handle(struct mount *m, struct request *req,
                             struct response *resp)
{
	if (strncmp(req->rel, "entity-alias", 12) == 0)
		return ident_alias_route(m, req, resp);
	if (strncmp(req->rel, "group", 5) == 0)
		return ident_group_route(m, req, resp);
	return entity_route(m, req, resp);
}

static err_t identity_setup(struct mount *m, struct response *resp)
{
	struct ident_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	pthread_mutex_init(&st->lock, NULL);
	m->state = st;
	return ERR_OK;
}

static void identity_teardown(struct mount *m)
{
	struct ident_state *st = m->state;

	if (st == NULL)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st);
	m->state = NULL;
}

const struct mount_backend identity_backend = {
    .type = "identity",
    .kind = MOUNT_SECRET,
    .setup = identity_setup,
    .teardown = identity_teardown,
    .handle = identity_handle,
};

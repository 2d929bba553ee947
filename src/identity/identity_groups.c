/*
 * identity_groups.c - entity aliases (entity-alias, entity-alias/id/<id>)
 * and internal groups (group, group/id/<id>, group/name/<name>).
 *
 * A group's members are kept twice: in the group record, as clients read
 * them, and as index keys (group/entity/<entity>/<group>,
 * group/parent/<child>/<group>), so that the policies of a token's entity
 * are found without reading every group. Both change in one commit.
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

static bool is_write(const struct request *req)
{
	return req->op == OP_UPDATE || req->op == OP_CREATE;
}

/* The auth mount of namespace ns with accessor acc, or NULL. */
static struct mount *auth_mount(struct mount *m, const char *ns,
                                const char *acc)
{
	struct core *c = m->core;
	size_t i;

	for (i = 0; i < c->mounts.len; i++) {
		struct mount *a = c->mounts.items[i];
		if (a->backend->kind == MOUNT_AUTH && strcmp(a->ns, ns) == 0 &&
		    strcmp(a->accessor, acc) == 0)
			return a;
	}
	return NULL;
}

/* Fills a (new or a copy of the old) from the request; checks it. */
static err_t alias_fields(struct mount *m, struct request *req, json_t *a,
                          struct response *resp)
{
	const char *name = NULL, *cid = NULL, *acc = NULL;
	json_t *e = NULL, *cm = NULL;
	struct mount *am;

	param_str(req->data, "name", &name);
	param_str(req->data, "canonical_id", &cid);
	param_str(req->data, "mount_accessor", &acc);
	if (name != NULL)
		json_object_set_new(a, "name", json_string(name));
	if (cid != NULL)
		json_object_set_new(a, "canonical_id", json_string(cid));
	if (acc != NULL)
		json_object_set_new(a, "mount_accessor", json_string(acc));
	if (param_strmap(req->data, "custom_metadata", &cm) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "custom_metadata must be a map of "
		                      "strings");
	if (cm != NULL)
		json_object_set_new(a, "custom_metadata", cm);

	name = jstr(a, "name");
	if (*name == 0 || strlen(name) > IDENT_MAX_NAME)
		return response_error(resp, ERR_INVALID, "missing alias name");
	am = auth_mount(m, req->ns, jstr(a, "mount_accessor"));
	if (am == NULL)
		return response_error(resp, ERR_INVALID,
		                      "invalid mount accessor \"%s\"",
		                      jstr(a, "mount_accessor"));
	json_object_set_new(a, "mount_path", json_string(am->path));
	json_object_set_new(a, "mount_type", json_string(am->type));
	if (ident_entity_get(m, req->ns, jstr(a, "canonical_id"), &e) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "invalid canonical ID \"%s\"",
		                      jstr(a, "canonical_id"));
	json_decref(e);
	return ERR_OK;
}

/* Checks (mount, name) is not another alias's, then commits a. */
static err_t alias_save(struct mount *m, struct request *req, json_t *a,
                        json_t *old, struct response *resp)
{
	struct buf other = BUF_INIT;
	struct lease_txn t;
	err_t rc;

	rc = ident_alias_find(m, req->ns, jstr(a, "mount_accessor"),
	                      jstr(a, "name"), &other);
	if (rc == ERR_OK && strcmp(buf_str(&other), jstr(a, "id")) != 0) {
		buf_release(&other);
		return response_error(resp, ERR_INVALID,
		                      "combination of mount and alias name is "
		                      "already in use");
	}
	buf_release(&other);
	lease_txn_init(&t);
	json_object_set_new(a, "last_update_time", ident_now());
	rc = ident_alias_txn_put(&t, req->ns, a, old);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	if (rc != ERR_OK)
		return ident_fail(resp, rc);
	response_set_data(resp, json_pack("{s:s, s:s}", "canonical_id",
	                                  jstr(a, "canonical_id"), "id",
	                                  jstr(a, "id")));
	return ERR_OK;
}

static json_t *alias_new(void)
{
	char id[37];

	if (uuid_new(id) != ERR_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:o}", "id", id,
	                 "name", "", "canonical_id", "", "mount_accessor", "",
	                 "metadata", "custom_metadata", "creation_time",
	                 ident_now());
}

static err_t alias_write(struct mount *m, struct request *req, const char *id,
                         struct response *resp)
{
	struct ident_state *st = m->state;
	json_t *old = NULL, *a = NULL;
	err_t rc;

	if (id == NULL)
		param_str(req->data, "id", &id);
	pthread_mutex_lock(&st->lock);
	rc = id ? ident_alias_get(m, req->ns, id, &old) : ERR_NOT_FOUND;
	if (rc != ERR_OK && id != NULL) {
		rc = response_error(resp, ERR_INVALID, "alias not found");
		goto out;
	}
	a = old ? json_deep_copy(old) : alias_new();
	rc = a ? alias_fields(m, req, a, resp)
	       : response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK)
		rc = alias_save(m, req, a, old, resp);
out:
	pthread_mutex_unlock(&st->lock);
	json_decref(old);
	json_decref(a);
	return rc;
}

static err_t alias_one(struct mount *m, struct request *req, const char *id,
                       struct response *resp)
{
	struct ident_state *st = m->state;
	struct lease_txn t;
	json_t *a = NULL;
	err_t rc;

	if (is_write(req))
		return alias_write(m, req, id, resp);
	lease_txn_init(&t);
	pthread_mutex_lock(&st->lock);
	rc = ident_alias_get(m, req->ns, id, &a);
	if (rc == ERR_OK && req->op == OP_READ) {
		response_set_data(resp, a);
		a = NULL;
	} else if (rc == ERR_OK && req->op == OP_DELETE) {
		rc = ident_alias_txn_delete(&t, req->ns, a);
		if (rc == ERR_OK)
			rc = lease_txn_commit(NULL, m->view, &t);
	} else if (rc == ERR_OK) {
		rc = ERR_UNSUPPORTED;
	} else if (rc == ERR_NOT_FOUND && req->op == OP_DELETE) {
		rc = ERR_OK;
	}
	pthread_mutex_unlock(&st->lock);
	lease_txn_release(&t);
	json_decref(a);
	return rc == ERR_OK ? ERR_OK : ident_fail(resp, rc);
}

err_t ident_alias_route(struct mount *m, struct request *req,
                        struct response *resp)
{
	const char *arg;

	if (strcmp(req->rel, "entity-alias") == 0 && is_write(req))
		return alias_write(m, req, NULL, resp);
	arg = ident_route_arg(req->rel, "entity-alias/id");
	if (arg == NULL)
		return response_error(resp, ERR_NOT_FOUND,
		                      "unsupported path \"identity/%s\"",
		                      req->rel);
	if (req->op == OP_LIST || (req->op == OP_READ && *arg == 0))
		return ident_list_records(m, req, "alias", false, resp);
	return alias_one(m, req, arg, resp);
}

/* A list of ids from the request, each an existing record of kind. */
static err_t member_ids(struct mount *m, struct request *req, const char *key,
                        const char *kind, json_t *g, struct response *resp)
{
	json_t *ids = NULL, *r, *v;
	size_t i;
	err_t rc = param_strlist(req->data, key, &ids);

	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc == ERR_INVALID)
		return response_error(resp, rc, "invalid value for \"%s\"",
		                      key);
	json_array_foreach(ids, i, v)
	{
		r = NULL;
		if (ident_load_kind(m, req->ns, kind, json_string_value(v),
		                    &r) != ERR_OK) {
			rc = response_error(resp, ERR_INVALID,
			                    "%s ID \"%s\" does not exist", kind,
			                    json_string_value(v));
			json_decref(ids);
			return rc;
		}
		json_decref(r);
	}
	json_object_set_new(g, key, ids);
	return ERR_OK;
}

/* A member group that already contains g (or is g) would close a cycle. */
static err_t check_cycles(struct mount *m, const char *ns, json_t *g,
                          struct response *resp)
{
	json_t *self = json_pack("[s]", jstr(g, "id")), *up = NULL, *v;
	size_t i;
	err_t rc = self ? ident_parent_groups(m, ns, self, &up) : ERR_NOMEM;

	if (rc == ERR_OK && json_array_append(up, json_array_get(self, 0)))
		rc = ERR_NOMEM;
	json_array_foreach(json_object_get(g, "member_group_ids"), i, v)
	{
		size_t j;
		json_t *w;
		json_array_foreach(up, j,
		                   w) if (rc == ERR_OK && json_equal(v, w)) rc =
		    response_error(resp, ERR_INVALID,
		                   "member group ID \"%s\" would make a "
		                   "cycle",
		                   json_string_value(v));
	}
	json_decref(self);
	json_decref(up);
	return rc;
}

static err_t group_fields(struct mount *m, struct request *req, json_t *g,
                          struct response *resp)
{
	const char *name = NULL, *type = NULL;
	json_t *v = NULL;
	err_t rc;

	if (param_str(req->data, "type", &type) == ERR_OK &&
	    strcmp(type, "internal") != 0)
		return response_error(resp, ERR_INVALID,
		                      "only internal groups are supported");
	rc = param_str(req->data, "name", &name);
	if (rc == ERR_INVALID || (rc == ERR_OK && !ident_valid_name(name)))
		return response_error(resp, ERR_INVALID, "invalid group name");
	if (rc == ERR_OK)
		json_object_set_new(g, "name", json_string(name));
	rc = ident_policies_param(req->data, &v, resp);
	if (rc == ERR_OK)
		json_object_set_new(g, "policies", v);
	else if (rc != ERR_NOT_FOUND)
		return rc;
	if (param_strmap(req->data, "metadata", &v) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "metadata must be a map of strings");
	if (v != NULL)
		json_object_set_new(g, "metadata", v);
	rc = member_ids(m, req, "member_entity_ids", "entity", g, resp);
	if (rc == ERR_OK)
		rc = member_ids(m, req, "member_group_ids", "group", g, resp);
	if (rc == ERR_OK)
		rc = check_cycles(m, req->ns, g, resp);
	return rc;
}

/* Adds a put or delete for each "<dir>/<member>/<gid>" index of list. */
static err_t index_members(struct lease_txn *t, const char *ns, const char *dir,
                           json_t *list, const char *gid, bool put)
{
	struct buf key = BUF_INIT;
	size_t i;
	json_t *v;
	err_t rc = ERR_OK;

	json_array_foreach(list, i, v)
	{
		if (rc == ERR_OK)
			rc = ident_key(&key, ns, "%s/%s/%s", dir,
			               json_string_value(v), gid);
		if (rc == ERR_OK)
			rc = put ? lease_txn_put(t, buf_str(&key), "")
			         : lease_txn_delete(t, buf_str(&key));
	}
	buf_release(&key);
	return rc;
}

/* Adds the deletes of g's record, name and member indexes to t. */
static err_t group_txn_unindex(struct lease_txn *t, const char *ns, json_t *g)
{
	struct buf key = BUF_INIT;
	err_t rc = ident_key(&key, ns, "group/name/%s", jstr(g, "name"));

	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	if (rc == ERR_OK)
		rc = index_members(t, ns, "group/entity",
		                   json_object_get(g, "member_entity_ids"),
		                   jstr(g, "id"), false);
	if (rc == ERR_OK)
		rc = index_members(t, ns, "group/parent",
		                   json_object_get(g, "member_group_ids"),
		                   jstr(g, "id"), false);
	buf_release(&key);
	return rc;
}

static err_t group_save(struct mount *m, struct request *req, json_t *g,
                        json_t *old, struct response *resp)
{
	json_t *other = NULL;
	struct buf key = BUF_INIT;
	struct lease_txn t;
	err_t rc;

	if (ident_group_by_name(m, req->ns, jstr(g, "name"), &other) ==
	        ERR_OK &&
	    strcmp(jstr(other, "id"), jstr(g, "id")) != 0) {
		json_decref(other);
		return response_error(resp, ERR_INVALID,
		                      "group name is already in use");
	}
	json_decref(other);
	lease_txn_init(&t);
	json_object_set_new(g, "last_update_time", ident_now());
	rc = old ? group_txn_unindex(&t, req->ns, old) : ERR_OK;
	if (rc == ERR_OK)
		rc = ident_key(&key, req->ns, "group/id/%s", jstr(g, "id"));
	if (rc == ERR_OK)
		rc = ident_txn_put_json(&t, buf_str(&key), g);
	if (rc == ERR_OK)
		rc = ident_key(&key, req->ns, "group/name/%s", jstr(g, "name"));
	if (rc == ERR_OK)
		rc = lease_txn_put(&t, buf_str(&key), jstr(g, "id"));
	if (rc == ERR_OK)
		rc = index_members(&t, req->ns, "group/entity",
		                   json_object_get(g, "member_entity_ids"),
		                   jstr(g, "id"), true);
	if (rc == ERR_OK)
		rc = index_members(&t, req->ns, "group/parent",
		                   json_object_get(g, "member_group_ids"),
		                   jstr(g, "id"), true);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	buf_release(&key);
	return rc == ERR_OK ? ERR_OK : ident_fail(resp, rc);
}

static json_t *group_new(void)
{
	char id[37], rnd[9], name[16];

	if (uuid_new(id) != ERR_OK || rand_alnum(rnd, 8) != ERR_OK)
		return NULL;
	snprintf(name, sizeof(name), "group_%s", rnd);
	return json_pack("{s:s, s:s, s:s, s:[], s:[], s:[], s:n, s:o}", "id",
	                 id, "name", name, "type", "internal", "policies",
	                 "member_entity_ids", "member_group_ids", "metadata",
	                 "creation_time", ident_now());
}

static err_t group_target(struct mount *m, struct request *req, const char *id,
                          const char *name, json_t **out)
{
	if (id == NULL && name == NULL) {
		param_str(req->data, "id", &id);
		if (id == NULL)
			param_str(req->data, "name", &name);
	}
	if (id != NULL)
		return ident_group_get(m, req->ns, id, out);
	if (name != NULL)
		return ident_group_by_name(m, req->ns, name, out);
	return ERR_NOT_FOUND;
}

static err_t group_write(struct mount *m, struct request *req, const char *id,
                         const char *name, struct response *resp)
{
	struct ident_state *st = m->state;
	json_t *old = NULL, *g = NULL;
	err_t rc;

	pthread_mutex_lock(&st->lock);
	rc = group_target(m, req, id, name, &old);
	if (rc == ERR_NOT_FOUND && id != NULL) {
		rc = response_error(resp, ERR_INVALID, "group not found");
		goto out;
	}
	if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
		rc = ident_fail(resp, rc);
		goto out;
	}
	g = old ? json_deep_copy(old) : group_new();
	if (g == NULL) {
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	if (name != NULL)
		json_object_set_new(g, "name", json_string(name));
	rc = group_fields(m, req, g, resp);
	if (rc == ERR_OK)
		rc = group_save(m, req, g, old, resp);
	if (rc == ERR_OK && old == NULL)
		response_set_data(resp,
		                  json_pack("{s:s, s:s}", "id", jstr(g, "id"),
		                            "name", jstr(g, "name")));
out:
	pthread_mutex_unlock(&st->lock);
	json_decref(old);
	json_decref(g);
	return rc;
}

/* Takes g out of the member lists of the groups it belongs to. */
static err_t detach_from_parents(struct mount *m, const char *ns, json_t *g,
                                 struct lease_txn *t)
{
	json_t *parents = NULL, *p = NULL, *v, *w;
	struct buf key = BUF_INIT;
	size_t i, j;
	err_t rc = ident_key(&key, ns, "group/parent/%s/", jstr(g, "id"));

	if (rc == ERR_OK)
		rc = ident_list(m, buf_str(&key), &parents);
	json_array_foreach(parents, i, v)
	{
		if (rc != ERR_OK ||
		    ident_group_get(m, ns, json_string_value(v), &p) != ERR_OK)
			continue;
		json_array_foreach(
		    json_object_get(p, "member_group_ids"), j,
		    w) if (strcmp(json_string_value(w), jstr(g, "id")) == 0)
		{
			json_array_remove(
			    json_object_get(p, "member_group_ids"), j);
			break;
		}
		rc = ident_key(&key, ns, "group/id/%s", jstr(p, "id"));
		if (rc == ERR_OK)
			rc = ident_txn_put_json(t, buf_str(&key), p);
		if (rc == ERR_OK)
			rc = ident_key(&key, ns, "group/parent/%s/%s",
			               jstr(g, "id"), jstr(p, "id"));
		if (rc == ERR_OK)
			rc = lease_txn_delete(t, buf_str(&key));
		json_decref(p);
		p = NULL;
	}
	json_decref(parents);
	buf_release(&key);
	return rc;
}

static err_t group_delete(struct mount *m, struct request *req, json_t *g,
                          struct response *resp)
{
	struct buf key = BUF_INIT;
	struct lease_txn t;
	err_t rc;

	lease_txn_init(&t);
	rc = group_txn_unindex(&t, req->ns, g);
	if (rc == ERR_OK)
		rc = detach_from_parents(m, req->ns, g, &t);
	if (rc == ERR_OK)
		rc = ident_key(&key, req->ns, "group/id/%s", jstr(g, "id"));
	if (rc == ERR_OK)
		rc = lease_txn_delete(&t, buf_str(&key));
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	buf_release(&key);
	return rc == ERR_OK ? ERR_OK : ident_fail(resp, rc);
}

static err_t group_describe(json_t *g, struct response *resp)
{
	json_t *o = json_deep_copy(g);

	if (o == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	json_object_set_new(o, "alias", json_object());
	json_object_set_new(o, "namespace_id", json_string("root"));
	response_set_data(resp, o);
	return ERR_OK;
}

static err_t group_one(struct mount *m, struct request *req, const char *id,
                       const char *name, struct response *resp)
{
	struct ident_state *st = m->state;
	json_t *g = NULL;
	err_t rc;

	if (is_write(req))
		return group_write(m, req, id, name, resp);
	if (req->op != OP_READ && req->op != OP_DELETE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	pthread_mutex_lock(&st->lock);
	rc = id ? ident_group_get(m, req->ns, id, &g)
	        : ident_group_by_name(m, req->ns, name, &g);
	if (rc == ERR_OK)
		rc = req->op == OP_READ ? group_describe(g, resp)
		                        : group_delete(m, req, g, resp);
	else if (rc == ERR_NOT_FOUND && req->op == OP_DELETE)
		rc = ERR_OK;
	else
		rc = ident_fail(resp, rc);
	pthread_mutex_unlock(&st->lock);
	json_decref(g);
	return rc;
}

err_t ident_group_route(struct mount *m, struct request *req,
                        struct response *resp)
{
	const char *arg;
	bool by_name = false;

	if (strcmp(req->rel, "group") == 0 && is_write(req))
		return group_write(m, req, NULL, NULL, resp);
	arg = ident_route_arg(req->rel, "group/id");
	if (arg == NULL) {
		arg = ident_route_arg(req->rel, "group/name");
		by_name = true;
	}
	if (arg == NULL)
		return response_error(resp, ERR_NOT_FOUND,
		                      "unsupported path \"identity/%s\"",
		                      req->rel);
	if (req->op == OP_LIST || (req->op == OP_READ && *arg == 0))
		return ident_list_records(m, req, "group", by_name, resp);
	return by_name ? group_one(m, req, NULL, arg, resp)
	               : group_one(m, req, arg, NULL, resp);
}

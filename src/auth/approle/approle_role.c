/*
 * approle_role.c - role/<name> (read, write, delete), LIST role, and
 * role/<name>/role-id. Role names are lowercased, so "Web" and "web" are
 * one role wherever they are written.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auth/approle/approle_internal.h"
#include "auth/tokenutil/tokenutil.h"
#include "base/encoding.h"
#include "base/params.h"
#include "core/cidr.h"

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

err_t approle_role_name(const char *in, struct buf *out)
{
	size_t n = strlen(in), i;

	if (n == 0 || n > APPROLE_MAX_NAME || strcmp(in, ".") == 0 ||
	    strcmp(in, "..") == 0)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.' && c != '@')
			return ERR_INVALID;
		if (buf_append_byte(out, (uint8_t)tolower(c)) != ERR_OK)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

err_t approle_role_get(struct mount *m, const char *name, json_t **out)
{
	struct buf key = BUF_INIT;
	err_t rc = buf_printf(&key, "role/%s", name);

	if (rc == ERR_OK)
		rc = approle_load(m, buf_str(&key), out);
	buf_release(&key);
	return rc;
}

static err_t role_id_key(struct mount *m, const char *role_id, struct buf *out)
{
	char hash[APPROLE_HASH_LEN + 1];
	err_t rc = approle_hash(m, role_id, hash);

	buf_reset(out);
	if (rc == ERR_OK)
		rc = buf_printf(out, "role-id/%s", hash);
	return rc;
}

err_t approle_role_by_id(struct mount *m, const char *role_id, json_t **out)
{
	struct buf key = BUF_INIT, name = BUF_INIT;
	bool found = false;
	json_t *role = NULL;
	err_t rc;

	if (strlen(role_id) > APPROLE_MAX_SECRET)
		return ERR_NOT_FOUND;
	rc = role_id_key(m, role_id, &key);
	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), &name, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = approle_role_get(m, buf_str(&name), &role);
	/* The index could lag a role_id change: trust only the role. */
	if (rc == ERR_OK && strcmp(jstr(role, "role_id"), role_id) != 0)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		*out = role;
	else
		json_decref(role);
	buf_release(&key);
	buf_release(&name);
	return rc;
}

/* A new role named name with Vault's defaults and fresh ids. */
static json_t *role_new(const char *name)
{
	char role_id[37], uuid[37];
	json_t *r;

	if (uuid_new(role_id) != ERR_OK || uuid_new(uuid) != ERR_OK)
		return NULL;
	r = json_pack("{s:s, s:s, s:s, s:b, s:[], s:I, s:I, s:b}", "name", name,
	              "role_id", role_id, "uuid", uuid, "bind_secret_id", 1,
	              "secret_id_bound_cidrs", "secret_id_num_uses",
	              (json_int_t)0, "secret_id_ttl", (json_int_t)0,
	              "local_secret_ids", 0);
	if (r != NULL && tokenutil_defaults(r) != ERR_OK) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

static err_t bad(struct response *resp, const char *key)
{
	return response_error(resp, ERR_INVALID, "invalid value for \"%s\"",
	                      key);
}

static err_t role_cidrs(json_t *data, json_t *role, struct response *resp)
{
	const char *key = "secret_id_bound_cidrs", *badcidr = "";
	json_t *v = NULL;
	err_t rc = param_strlist(data, key, &v);

	if (rc == ERR_NOT_FOUND) {
		key = "bound_cidr_list";
		rc = param_strlist(data, key, &v);
	}
	if (rc == ERR_INVALID)
		return bad(resp, key);
	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (!cidr_list_valid(v, &badcidr)) {
		response_error(resp, ERR_INVALID, "invalid CIDR block \"%s\"",
		               badcidr);
		json_decref(v);
		return ERR_INVALID;
	}
	json_object_set_new(role, "secret_id_bound_cidrs", v);
	return ERR_OK;
}

/* The role's own fields from data into role (create: local_secret_ids). */
static err_t role_fields(json_t *data, json_t *role, bool create,
                         struct response *resp)
{
	int64_t n;
	bool b;
	err_t rc;

	if ((rc = param_bool(data, "bind_secret_id", &b)) == ERR_INVALID)
		return bad(resp, "bind_secret_id");
	if (rc == ERR_OK)
		json_object_set_new(role, "bind_secret_id", json_boolean(b));
	rc = param_int(data, "secret_id_num_uses", &n);
	if (rc == ERR_INVALID || (rc == ERR_OK && n < 0))
		return bad(resp, "secret_id_num_uses");
	if (rc == ERR_OK)
		json_object_set_new(role, "secret_id_num_uses",
		                    json_integer(n));
	if ((rc = param_duration(data, "secret_id_ttl", &n)) == ERR_INVALID)
		return bad(resp, "secret_id_ttl");
	if (rc == ERR_OK)
		json_object_set_new(role, "secret_id_ttl", json_integer(n));
	if (create &&
	    (param_bool(data, "local_secret_ids", &b) == ERR_OK ||
	     param_bool(data, "enable_local_secret_ids", &b) == ERR_OK))
		json_object_set_new(role, "local_secret_ids", json_boolean(b));
	if (role_cidrs(data, role, resp) != ERR_OK ||
	    tokenutil_parse(data, role, resp) != ERR_OK)
		return ERR_INVALID;
	if (!json_is_true(json_object_get(role, "bind_secret_id")) &&
	    json_array_size(json_object_get(role, "secret_id_bound_cidrs")) ==
	        0 &&
	    json_array_size(json_object_get(role, "token_bound_cidrs")) == 0)
		return response_error(resp, ERR_INVALID,
		                      "at least one constraint should be "
		                      "enabled on the role");
	return ERR_OK;
}

/* Takes a custom role_id from data; refuses one another role holds. */
static err_t role_id_field(struct mount *m, json_t *data, json_t *role,
                           struct response *resp)
{
	const char *id = NULL;
	json_t *other = NULL;
	err_t rc = param_str(data, "role_id", &id);

	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc == ERR_INVALID || *id == 0 || strlen(id) > APPROLE_MAX_SECRET)
		return bad(resp, "role_id");
	rc = approle_role_by_id(m, id, &other);
	if (rc == ERR_OK && strcmp(jstr(other, "name"), jstr(role, "name")))
		rc =
		    response_error(resp, ERR_INVALID, "role_id already in use");
	else if (rc == ERR_OK || rc == ERR_NOT_FOUND)
		rc = ERR_OK;
	json_decref(other);
	if (rc == ERR_OK)
		json_object_set_new(role, "role_id", json_string(id));
	return rc;
}

/* Writes role and its role-id index; drops the index of old's role ID. */
static err_t role_save(struct mount *m, json_t *role, json_t *old)
{
	struct buf key = BUF_INIT;
	struct lease_txn t;
	err_t rc;

	lease_txn_init(&t);
	rc = buf_printf(&key, "role/%s", jstr(role, "name"));
	if (rc == ERR_OK)
		rc = approle_txn_put_json(&t, buf_str(&key), role);
	if (rc == ERR_OK && old != NULL &&
	    strcmp(jstr(old, "role_id"), jstr(role, "role_id")) != 0) {
		rc = role_id_key(m, jstr(old, "role_id"), &key);
		if (rc == ERR_OK)
			rc = lease_txn_delete(&t, buf_str(&key));
	}
	if (rc == ERR_OK)
		rc = role_id_key(m, jstr(role, "role_id"), &key);
	if (rc == ERR_OK)
		rc = lease_txn_put(&t, buf_str(&key), jstr(role, "name"));
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
	lease_txn_release(&t);
	buf_release(&key);
	return rc;
}

static err_t role_write(struct mount *m, struct request *req, const char *name,
                        bool only_role_id, struct response *resp)
{
	struct approle_state *st = m->state;
	json_t *old = NULL, *role = NULL;
	const char *given = NULL;
	err_t rc;

	pthread_mutex_lock(&st->roles);
	rc = approle_role_get(m, name, &old);
	if (rc == ERR_NOT_FOUND && only_role_id)
		rc = response_error(resp, ERR_INVALID,
		                    "role \"%s\" does not exist", name);
	else if (rc != ERR_OK && rc != ERR_NOT_FOUND)
		rc = response_error(resp, rc, "%s", err_str(rc));
	else
		rc = (role = old ? json_deep_copy(old) : role_new(name))
		         ? ERR_OK
		         : response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK && !only_role_id)
		rc = role_fields(req->data, role, old == NULL, resp);
	if (rc == ERR_OK && only_role_id &&
	    param_str(req->data, "role_id", &given) != ERR_OK)
		rc = response_error(resp, ERR_INVALID, "missing role_id");
	if (rc == ERR_OK)
		rc = role_id_field(m, req->data, role, resp);
	if (rc == ERR_OK && (rc = role_save(m, role, old)) != ERR_OK)
		response_error(resp, rc, "%s", err_str(rc));
	pthread_mutex_unlock(&st->roles);
	json_decref(old);
	json_decref(role);
	return rc;
}

static err_t role_read(json_t *role, struct response *resp)
{
	json_t *d = json_object();
	static const char *const keys[] = {
	    "bind_secret_id", "local_secret_ids", "secret_id_bound_cidrs",
	    "secret_id_num_uses", "secret_id_ttl"};
	size_t i;

	if (d == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set(d, keys[i], json_object_get(role, keys[i]));
	if (tokenutil_describe(role, d) != ERR_OK) {
		json_decref(d);
		return response_error(resp, ERR_NOMEM, NULL);
	}
	response_set_data(resp, d);
	return ERR_OK;
}

static err_t role_delete(struct mount *m, const char *name,
                         struct response *resp)
{
	struct approle_state *st = m->state;
	struct buf key = BUF_INIT;
	struct lease_txn t;
	json_t *role = NULL;
	err_t rc;

	lease_txn_init(&t);
	pthread_mutex_lock(&st->roles);
	rc = approle_role_get(m, name, &role);
	if (rc == ERR_NOT_FOUND) {
		rc = ERR_OK;
		goto out;
	}
	if (rc == ERR_OK)
		rc = buf_printf(&key, "role/%s", name);
	if (rc == ERR_OK)
		rc = lease_txn_delete(&t, buf_str(&key));
	if (rc == ERR_OK)
		rc = role_id_key(m, jstr(role, "role_id"), &key);
	if (rc == ERR_OK)
		rc = lease_txn_delete(&t, buf_str(&key));
	if (rc == ERR_OK)
		rc = approle_secret_txn_delete_all(m, role, &t);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, m->view, &t);
out:
	pthread_mutex_unlock(&st->roles);
	if (rc != ERR_OK)
		response_error(resp, rc, "%s", err_str(rc));
	lease_txn_release(&t);
	buf_release(&key);
	json_decref(role);
	return rc;
}

static err_t role_list(struct mount *m, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, "role/", &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

/* role/<name>: GET, POST, DELETE. */
static err_t role_one(struct mount *m, struct request *req, const char *name,
                      struct response *resp)
{
	json_t *role = NULL;
	err_t rc;

	switch (req->op) {
	case OP_CREATE:
	case OP_UPDATE:
		return role_write(m, req, name, false, resp);
	case OP_DELETE:
		return role_delete(m, name, resp);
	case OP_READ:
		rc = approle_role_get(m, name, &role);
		if (rc == ERR_OK)
			rc = role_read(role, resp);
		else if (rc == ERR_NOT_FOUND)
			rc = response_error(resp, rc, NULL);
		else
			rc = response_error(resp, rc, "%s", err_str(rc));
		json_decref(role);
		return rc;
	default:
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}
}

static err_t role_id(struct mount *m, struct request *req, const char *name,
                     struct response *resp)
{
	json_t *role = NULL;
	err_t rc;

	if (req->op == OP_UPDATE || req->op == OP_CREATE)
		return role_write(m, req, name, true, resp);
	if (req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = approle_role_get(m, name, &role);
	if (rc == ERR_OK)
		response_set_data(resp,
		                  json_pack("{s:O}", "role_id",
		                            json_object_get(role, "role_id")));
	else if (rc == ERR_NOT_FOUND)
		rc = response_error(resp, rc, NULL);
	else
		rc = response_error(resp, rc, "%s", err_str(rc));
	json_decref(role);
	return rc;
}

err_t approle_role_route(struct mount *m, struct request *req, const char *name,
                         const char *sub, struct response *resp)
{
	struct buf norm = BUF_INIT;
	json_t *role = NULL;
	err_t rc;

	if (name == NULL || (*name == 0 && *sub == 0)) {
		if (req->op != OP_LIST && req->op != OP_READ)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return role_list(m, resp);
	}
	if (approle_role_name(name, &norm) != ERR_OK) {
		buf_release(&norm);
		return response_error(resp, ERR_INVALID, "invalid role name");
	}
	if (*sub == 0)
		rc = role_one(m, req, buf_str(&norm), resp);
	else if (strcmp(sub, "role-id") == 0)
		rc = role_id(m, req, buf_str(&norm), resp);
	else if ((rc = approle_role_get(m, buf_str(&norm), &role)) == ERR_OK)
		rc = approle_secret_route(m, req, role, sub, resp);
	else if (rc == ERR_NOT_FOUND)
		rc = response_error(resp, ERR_INVALID,
		                    "role \"%s\" does not exist",
		                    buf_str(&norm));
	else
		rc = response_error(resp, rc, "%s", err_str(rc));
	json_decref(role);
	buf_release(&norm);
	return rc;
}

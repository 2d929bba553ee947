/*
 * db_roles.c - dynamic roles (roles/<name>), credentials (creds/<name>)
 * and the lease callbacks that revoke and renew them.
 *
 * creds/<role> follows write-ahead rule 1 of database.h: pending record,
 * then the user, then lease and end of the record in one commit. The
 * lease's secret blob names the connection and the user and keeps the
 * role's revocation and renew statements as they were when the user was
 * made, so that revoking still works after the role is changed or gone.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "core/lease.h"
#include "core/secret_lease.h"
#include "core/token.h"
#include "engines/database/database.h"

static const char *const role_statements[] = {
    "creation_statements",
    "revocation_statements",
    "rollback_statements",
    "renew_statements",
};

static json_t *list_or_empty(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v ? json_incref(v) : json_array();
}

static err_t role_read(struct db_state *st, const char *key,
                       struct response *resp)
{
	json_t *role = NULL, *data;
	bool found;
	err_t rc;

	rc = db_load(st, key, &role, &found);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the role failed");
	if (!found)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	data = json_pack(
	    "{s:O, s:o, s:o, s:o, s:o, s:I, s:I, s:s, s:{}}", "db_name",
	    json_object_get(role, "db_name"), "creation_statements",
	    list_or_empty(role, "creation_statements"), "revocation_statements",
	    list_or_empty(role, "revocation_statements"), "rollback_statements",
	    list_or_empty(role, "rollback_statements"), "renew_statements",
	    list_or_empty(role, "renew_statements"), "default_ttl",
	    json_integer_value(json_object_get(role, "default_ttl")), "max_ttl",
	    json_integer_value(json_object_get(role, "max_ttl")),
	    "credential_type", "password", "credential_config");
	json_decref(role);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, data);
	return ERR_OK;
}

/* Merges the request's role fields into role. */
static err_t role_merge(json_t *data, json_t *role, struct response *resp)
{
	static const char *const ttls[] = {"default_ttl", "max_ttl"};
	const char *s;
	int64_t secs;
	size_t i;
	err_t rc;

	if ((rc = param_str(data, "db_name", &s)) == ERR_OK)
		json_object_set_new(role, "db_name", json_string(s));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc, "db_name must be a string");
	if ((rc = param_str(data, "username_template", &s)) == ERR_OK)
		json_object_set_new(role, "username_template", json_string(s));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc,
		                      "username_template must be a string");
	for (i = 0; i < 2; i++) {
		rc = param_duration(data, ttls[i], &secs);
		if (rc == ERR_OK)
			json_object_set_new(role, ttls[i], json_integer(secs));
		else if (rc != ERR_NOT_FOUND)
			return response_error(resp, rc, "%s must be a duration",
			                      ttls[i]);
	}
	for (i = 0; i < 4; i++)
		if ((rc = db_copy_statements(data, role_statements[i], role,
		                             resp)) != ERR_OK)
			return rc;
	return ERR_OK;
}

/* Renders every statement of role without a connection, as a check. */
static err_t role_check_templates(const struct db_plugin *p, json_t *role,
                                  struct response *resp)
{
	struct db_vars v = {"name", "password", "2000-01-01 00:00:00+0000"};
	size_t i, j;
	json_t *s;

	for (i = 0; i < 4; i++) {
		json_array_foreach(json_object_get(role, role_statements[i]), j,
		                   s)
		{
			struct buf out = BUF_INIT, why = BUF_INIT;
			err_t rc = db_template_render(p->dialect, NULL,
			                              json_string_value(s), &v,
			                              &out, &why);
			if (rc != ERR_OK)
				response_error(resp, ERR_INVALID, "%s: %s",
				               role_statements[i],
				               buf_str(&why));
			buf_release(&out);
			buf_release(&why);
			if (rc != ERR_OK)
				return ERR_INVALID;
		}
	}
	return ERR_OK;
}

static err_t role_check(struct db_state *st, json_t *role,
                        struct response *resp)
{
	const char *db = json_string_value(json_object_get(role, "db_name"));
	int64_t ttl = json_integer_value(json_object_get(role, "default_ttl"));
	int64_t max = json_integer_value(json_object_get(role, "max_ttl"));
	struct db_config cfg;
	err_t rc;

	if (db == NULL || *db == 0)
		return response_error(resp, ERR_INVALID, "db_name is required");
	if (!db_statements_given(json_object_get(role, "creation_statements")))
		return response_error(resp, ERR_INVALID,
		                      "creation_statements are required");
	if (max > 0 && ttl > max)
		return response_error(resp, ERR_INVALID,
		                      "default_ttl (%llds) cannot be greater "
		                      "than max_ttl (%llds)",
		                      (long long)ttl, (long long)max);
	rc = db_config_load(st, db, &cfg);
	if (rc == ERR_NOT_FOUND || rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "database connection \"%s\" does not "
		                      "exist",
		                      db);
	if (rc != ERR_OK)
		return response_error(resp, rc,
		                      "reading the connection "
		                      "failed");
	rc = role_check_templates(cfg.plugin, role, resp);
	db_config_release(&cfg);
	return rc;
}

static err_t role_write(struct db_state *st, struct request *req,
                        const char *key, struct response *resp)
{
	json_t *role = NULL;
	bool found;
	err_t rc;

	rc = db_load(st, key, &role, &found);
	if (rc == ERR_OK && !found && (role = json_object()) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the role failed");
	rc = role_merge(req->data, role, resp);
	if (rc == ERR_OK)
		rc = role_check(st, role, resp);
	if (rc == ERR_OK && (rc = db_store(st, key, role)) != ERR_OK)
		response_error(resp, rc, "storing the role failed");
	json_decref(role);
	return rc;
}

err_t db_role_handle(struct db_state *st, struct request *req, const char *name,
                     struct response *resp)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (db_key(&key, "role/", name) != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	switch (req->op) {
	case OP_READ:
		rc = role_read(st, buf_str(&key), resp);
		break;
	case OP_CREATE:
	case OP_UPDATE:
		rc = role_write(st, req, buf_str(&key), resp);
		break;
	case OP_DELETE:
		rc = storage_delete(st->m->view, buf_str(&key));
		if (rc != ERR_OK)
			response_error(resp, rc, "deleting the role failed");
		break;
	default:
		rc = response_error(resp, ERR_UNSUPPORTED,
		                    "unsupported operation");
	}
	buf_release(&key);
	return rc;
}

/* Everything one creds call works with. */
struct creds {
	const char *role_name;
	json_t *role;
	struct db_config cfg;
	struct buf username, pending_key;
	char *password;
	char expiration[32];
	int64_t ttl;
};

static void creds_release(struct creds *cr)
{
	json_decref(cr->role);
	db_config_release(&cr->cfg);
	buf_release(&cr->username);
	buf_release(&cr->pending_key);
	secret_free(cr->password);
}

/* Loads the role and its connection and checks that they fit. */
static err_t creds_prepare(struct db_state *st, struct creds *cr,
                           struct response *resp)
{
	struct buf key = BUF_INIT;
	const char *db;
	bool found = false;
	err_t rc;

	rc = db_key(&key, "role/", cr->role_name);
	if (rc == ERR_OK)
		rc = db_load(st, buf_str(&key), &cr->role, &found);
	buf_release(&key);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the role failed");
	if (!found)
		return response_error(resp, ERR_INVALID, "unknown role: %s",
		                      cr->role_name);
	db = json_string_value(json_object_get(cr->role, "db_name"));
	rc = db_config_load(st, db ? db : "", &cr->cfg);
	if (rc == ERR_NOT_FOUND || rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "database connection \"%s\" of role "
		                      "\"%s\" does not exist",
		                      db ? db : "", cr->role_name);
	if (rc != ERR_OK)
		return response_error(resp, rc,
		                      "reading the connection "
		                      "failed");
	if (!db_config_allows(&cr->cfg, cr->role_name))
		return response_error(resp, ERR_INVALID,
		                      "\"%s\" is not an allowed role",
		                      cr->role_name);
	return ERR_OK;
}

/* Picks the user name, password and expiry; writes the pending record. */
static err_t creds_begin(struct db_state *st, struct request *req,
                         struct creds *cr, struct response *resp)
{
	const char *tmpl =
	    json_string_value(json_object_get(cr->role, "username_template"));
	const char *display = req->auth ? req->auth->display_name : NULL;
	json_t *pending;
	err_t rc;

	if (tmpl == NULL || *tmpl == 0)
		tmpl = cr->cfg.username_template;
	cr->ttl = secret_lease_ttl(
	    st->m, json_integer_value(json_object_get(cr->role, "default_ttl")),
	    json_integer_value(json_object_get(cr->role, "max_ttl")));
	db_expiration(lease_now() + cr->ttl, cr->expiration);
	rc = db_username_new(tmpl, display, cr->role_name,
	                     cr->cfg.plugin->username_max, &cr->username);
	if (rc == ERR_OK)
		rc = db_password_new(cr->cfg.password_policy, &cr->password);
	if (rc != ERR_OK)
		return response_error(resp, rc,
		                      "making the credentials "
		                      "failed: %s",
		                      err_str(rc));

	/* Rule 1: recorded before it exists. */
	pending = json_pack("{s:s, s:s, s:s, s:o, s:s}", "db_name",
	                    cr->cfg.name, "username", buf_str(&cr->username),
	                    "role", cr->role_name, "revocation_statements",
	                    list_or_empty(cr->role, "revocation_statements"),
	                    "boot", st->boot);
	rc = pending
	         ? db_key(&cr->pending_key, "pending/", buf_str(&cr->username))
	         : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = db_store(st, buf_str(&cr->pending_key), pending);
	json_decref(pending);
	if (rc != ERR_OK)
		return response_error(resp, rc,
		                      "recording the new user "
		                      "failed");
	return ERR_OK;
}

/*
 * Leaves the pending record to the worker (which drops the user), by
 * giving it a boot tag no run of the server uses.
 */
static void creds_orphan(struct db_state *st, struct creds *cr)
{
	json_t *pending = NULL;
	bool found = false;

	if (db_load(st, buf_str(&cr->pending_key), &pending, &found) ==
	        ERR_OK &&
	    found) {
		json_object_set_new(pending, "boot", json_string(""));
		db_store(st, buf_str(&cr->pending_key), pending);
	}
	json_decref(pending);
	log_warn("database",
	         "user of role \"%s\" may exist without a lease; "
	         "it will be dropped in the background",
	         cr->role_name);
}

/* Creates the user in the database. */
static err_t creds_create(struct db_state *st, struct creds *cr,
                          struct response *resp)
{
	struct db_stmt_op op = {0};
	struct buf why = BUF_INIT;
	err_t rc;

	op.stmts = json_object_get(cr->role, "creation_statements");
	op.rollback = json_object_get(cr->role, "rollback_statements");
	op.vars.name = buf_str(&cr->username);
	op.vars.password = cr->password;
	op.vars.expiration = cr->expiration;
	rc = db_with_conn(st, &cr->cfg, db_op_create, &op, &why);
	if (rc == ERR_OK)
		goto out;

	if (op.unsure)
		creds_orphan(st, cr);
	else
		storage_delete(st->m->view, buf_str(&cr->pending_key));
	if (rc == ERR_UNAVAILABLE)
		response_error(resp, rc, "database unavailable: %s",
		               buf_str(&why));
	else
		response_error(resp, rc,
		               "creating the database user "
		               "failed: %s",
		               buf_str(&why));
out:
	buf_release(&why);
	return rc;
}

/* Registers the lease; on failure drops the user again. */
static err_t creds_lease(struct db_state *st, struct request *req,
                         struct creds *cr, struct response *resp)
{
	struct secret_lease sl = {0};
	struct db_stmt_op op = {0};
	struct buf why = BUF_INIT;
	json_t *blob;
	err_t rc;

	blob = json_pack("{s:s, s:s, s:s, s:o, s:o}", "db_name", cr->cfg.name,
	                 "username", buf_str(&cr->username), "role",
	                 cr->role_name, "revocation_statements",
	                 list_or_empty(cr->role, "revocation_statements"),
	                 "renew_statements",
	                 list_or_empty(cr->role, "renew_statements"));
	sl.secret = blob;
	sl.ttl = cr->ttl;
	sl.max_ttl = json_integer_value(json_object_get(cr->role, "max_ttl"));
	sl.renewable = true;
	sl.done_key = buf_str(&cr->pending_key);
	rc = blob ? secret_lease_register(st->m, req, &sl, resp) : ERR_NOMEM;
	if (rc == ERR_OK)
		goto out;

	op.stmts = json_object_get(blob, "revocation_statements");
	op.vars.name = buf_str(&cr->username);
	if (db_with_conn(st, &cr->cfg, db_op_revoke, &op, &why) == ERR_OK)
		storage_delete(st->m->view, buf_str(&cr->pending_key));
	else
		creds_orphan(st, cr);
	response_error(resp, rc, "recording the lease failed: %s", err_str(rc));
out:
	json_decref(blob);
	buf_release(&why);
	return rc;
}

/*
 * Fault point for the crash test (like SQLite's fault injection): with
 * COFFER_DB_FAULT=crash-after-create in its environment the server dies
 * between creating a user and recording its lease, the window write-ahead
 * rule 1 covers. It can only stop the process, never grant anything.
 */
static void fault_point(const char *name)
{
	const char *want = getenv("COFFER_DB_FAULT");

	if (want != NULL && strcmp(want, name) == 0) {
		log_error("database", "fault point %s reached: exiting", name);
		_exit(70);
	}
}

err_t db_creds_handle(struct db_state *st, struct request *req,
                      const char *name, struct response *resp)
{
	struct creds cr;
	json_t *data;
	err_t rc;

	if (req->op != OP_READ && req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	memset(&cr, 0, sizeof(cr));
	cr.role_name = name;
	rc = creds_prepare(st, &cr, resp);
	if (rc == ERR_OK)
		rc = creds_begin(st, req, &cr, resp);
	if (rc == ERR_OK)
		rc = creds_create(st, &cr, resp);
	if (rc == ERR_OK)
		fault_point("crash-after-create");
	if (rc == ERR_OK)
		rc = creds_lease(st, req, &cr, resp);
	if (rc == ERR_OK) {
		data =
		    json_pack("{s:s, s:s}", "username", buf_str(&cr.username),
		              "password", cr.password);
		if (data == NULL)
			rc = response_error(resp, ERR_NOMEM, NULL);
		else
			response_set_data(resp, data);
	}
	creds_release(&cr);
	return rc;
}

/* The connection and user a lease blob names. */
static err_t blob_open(struct db_state *st, json_t *secret,
                       struct db_config *cfg, const char **username)
{
	const char *db = json_string_value(json_object_get(secret, "db_name"));

	*username = json_string_value(json_object_get(secret, "username"));
	if (db == NULL || *username == NULL)
		return ERR_INVALID;
	return db_config_load(st, db, cfg);
}

err_t db_lease_revoke(struct mount *m, json_t *secret, struct response *resp)
{
	struct db_state *st = m->state;
	struct db_stmt_op op = {0};
	struct db_config cfg;
	struct buf why = BUF_INIT;
	err_t rc;

	memset(&cfg, 0, sizeof(cfg));
	rc = st ? blob_open(st, secret, &cfg, &op.vars.name) : ERR_INTERNAL;
	if (rc == ERR_OK) {
		op.stmts = json_object_get(secret, "revocation_statements");
		rc = db_with_conn(st, &cfg, db_op_revoke, &op, &why);
	}
	if (rc == ERR_OK)
		log_info("database", "revoked database user %s", op.vars.name);
	else
		response_error(resp, rc, "revoking database user failed: %s",
		               why.len ? buf_str(&why) : err_str(rc));
	db_config_release(&cfg);
	buf_release(&why);
	return rc;
}

err_t db_lease_renew(struct mount *m, json_t *secret, int64_t increment,
                     struct response *resp)
{
	struct db_state *st = m->state;
	struct db_stmt_op op = {0};
	struct db_config cfg;
	struct buf why = BUF_INIT;
	char expiration[32];
	err_t rc;

	memset(&cfg, 0, sizeof(cfg));
	db_expiration(lease_now() + increment, expiration);
	rc = st ? blob_open(st, secret, &cfg, &op.vars.name) : ERR_INTERNAL;
	if (rc == ERR_OK) {
		op.stmts = json_object_get(secret, "renew_statements");
		op.vars.expiration = expiration;
		rc = db_with_conn(st, &cfg, db_op_renew, &op, &why);
	}
	if (rc != ERR_OK)
		response_error(resp, rc, "renewing database user failed: %s",
		               why.len ? buf_str(&why) : err_str(rc));
	db_config_release(&cfg);
	buf_release(&why);
	return rc;
}

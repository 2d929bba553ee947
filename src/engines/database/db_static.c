/*
 * db_static.c - static roles: an existing database user whose password
 * the engine rotates every rotation_period, on rotate-role/<name>, and
 * once when the role is created.
 *
 * A rotation follows write-ahead rule 2 of database.h: the new password
 * is stored as pending_password, set in the database, then made the
 * password. static-creds takes the rotation lock, and finishes a pending
 * rotation first, so that it always answers the password the database
 * has: never the old one after the database took the new one, never the
 * new one before.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "core/lease.h"
#include "engines/database/database.h"

static int64_t period_of(json_t *role)
{
	int64_t p =
	    json_integer_value(json_object_get(role, "rotation_period"));

	return p > 0 ? p : DB_DEFAULT_ROTATION;
}

/* Sets a new password in the database and records it; lock held. */
static err_t set_pending(struct db_state *st, const char *key, json_t *role,
                         struct buf *why)
{
	const char *db = json_string_value(json_object_get(role, "db_name"));
	struct db_stmt_op op = {0};
	struct db_config cfg;
	err_t rc;

	rc = db_config_load(st, db ? db : "", &cfg);
	if (rc != ERR_OK) {
		buf_printf(why, "database connection \"%s\" does not exist",
		           db ? db : "");
		return ERR_INVALID;
	}
	op.stmts = json_object_get(role, "rotation_statements");
	op.vars.name = json_string_value(json_object_get(role, "username"));
	op.vars.password =
	    json_string_value(json_object_get(role, "pending_password"));
	rc = db_with_conn(st, &cfg, db_op_set_password, &op, why);
	db_config_release(&cfg);

	if (rc == ERR_OK) {
		/* The database took it: it is the password now. */
		json_object_set(role, "password",
		                json_object_get(role, "pending_password"));
		json_object_set_new(role, "last_rotation",
		                    json_integer(lease_now()));
		json_object_del(role, "pending_password");
		rc = db_store(st, key, role);
	} else if (rc == ERR_INVALID) {
		/* Refused, so unchanged: this attempt is abandoned. */
		json_object_del(role, "pending_password");
		db_store(st, key, role);
	}
	return rc;
}

/* Rotates static role name if due (or force); rotate_lock is held. */
static err_t rotate_locked(struct db_state *st, const char *name, bool force,
                           struct buf *why)
{
	struct buf key = BUF_INIT;
	struct db_config cfg;
	json_t *role = NULL;
	char *pw = NULL;
	bool found = false, due;
	err_t rc;

	rc = db_key(&key, "static-role/", name);
	if (rc == ERR_OK)
		rc = db_load(st, buf_str(&key), &role, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK)
		goto out;
	due = force ||
	      lease_now() >=
	          json_integer_value(json_object_get(role, "last_rotation")) +
	              period_of(role);
	if (json_object_get(role, "pending_password") == NULL) {
		if (!due)
			goto out;
		/* Rule 2: stored before the database has it. */
		const char *db =
		    json_string_value(json_object_get(role, "db_name"));
		rc = db_config_load(st, db ? db : "", &cfg);
		if (rc != ERR_OK) {
			buf_printf(why, "its database connection is gone");
			rc = ERR_INVALID;
		}
		if (rc == ERR_OK)
			rc = db_password_new(cfg.password_policy, &pw);
		db_config_release(&cfg);
		if (rc == ERR_OK)
			json_object_set_new(role, "pending_password",
			                    json_string(pw));
		if (rc == ERR_OK)
			rc = db_store(st, buf_str(&key), role);
		if (rc != ERR_OK)
			goto out;
	}
	rc = set_pending(st, buf_str(&key), role, why);
	if (rc == ERR_OK)
		log_info("database", "static role \"%s\" rotated", name);
out:
	json_decref(role);
	secret_free(pw);
	buf_release(&key);
	return rc;
}

err_t db_rotate_static(struct db_state *st, const char *name, bool force,
                       struct buf *why)
{
	err_t rc;

	pthread_mutex_lock(&st->rotate_lock);
	rc = rotate_locked(st, name, force, why);
	pthread_mutex_unlock(&st->rotate_lock);
	return rc;
}

static err_t static_read(struct db_state *st, const char *key,
                         struct response *resp)
{
	json_t *role = NULL, *data, *stmts;
	char when[40];
	bool found;
	err_t rc;

	rc = db_load(st, key, &role, &found);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the role failed");
	if (!found)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	time_rfc3339(json_integer_value(json_object_get(role, "last_rotation")),
	             0, when);
	stmts = json_object_get(role, "rotation_statements");
	data = json_pack("{s:O, s:O, s:I, s:o, s:s, s:s}", "db_name",
	                 json_object_get(role, "db_name"), "username",
	                 json_object_get(role, "username"), "rotation_period",
	                 (json_int_t)period_of(role), "rotation_statements",
	                 stmts ? json_incref(stmts) : json_array(),
	                 "last_vault_rotation", when, "credential_type",
	                 "password");
	json_decref(role);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, data);
	return ERR_OK;
}

/* Merges the request into role; the user of an existing role is fixed. */
static err_t static_merge(json_t *data, json_t *role, bool is_new,
                          struct response *resp)
{
	const char *s;
	int64_t period;
	err_t rc;

	if ((rc = param_str(data, "db_name", &s)) == ERR_OK)
		json_object_set_new(role, "db_name", json_string(s));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc, "db_name must be a string");
	rc = param_str(data, "username", &s);
	if (rc == ERR_OK && !is_new &&
	    strcmp(s, json_string_value(json_object_get(role, "username"))))
		return response_error(resp, ERR_INVALID,
		                      "cannot change the username of a static "
		                      "role");
	if (rc == ERR_OK)
		json_object_set_new(role, "username", json_string(s));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc, "username must be a string");
	rc = param_duration(data, "rotation_period", &period);
	if (rc == ERR_OK && period < DB_MIN_ROTATION_PERIOD)
		return response_error(resp, ERR_INVALID,
		                      "rotation_period must be at least %d "
		                      "seconds",
		                      DB_MIN_ROTATION_PERIOD);
	if (rc == ERR_OK)
		json_object_set_new(role, "rotation_period",
		                    json_integer(period));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc,
		                      "rotation_period must be a duration");
	return db_copy_statements(data, "rotation_statements", role, resp);
}

static err_t static_check(struct db_state *st, const char *name, json_t *role,
                          struct response *resp)
{
	const char *db = json_string_value(json_object_get(role, "db_name"));
	const char *user = json_string_value(json_object_get(role, "username"));
	struct db_config cfg;
	bool allowed;
	err_t rc;

	if (db == NULL || *db == 0)
		return response_error(resp, ERR_INVALID, "db_name is required");
	if (user == NULL || *user == 0)
		return response_error(resp, ERR_INVALID,
		                      "username is required");
	rc = db_config_load(st, db, &cfg);
	if (rc != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "database connection \"%s\" does not "
		                      "exist",
		                      db);
	allowed = db_config_allows(&cfg, name);
	db_config_release(&cfg);
	if (!allowed)
		return response_error(resp, ERR_INVALID,
		                      "\"%s\" is not an allowed role", name);
	if (json_object_get(role, "rotation_period") == NULL)
		json_object_set_new(role, "rotation_period",
		                    json_integer(DB_DEFAULT_ROTATION));
	return ERR_OK;
}

/* Creates or updates a static role; a new one is rotated at once. */
static err_t static_write(struct db_state *st, struct request *req,
                          const char *name, const char *key,
                          struct response *resp)
{
	struct buf why = BUF_INIT;
	json_t *role = NULL;
	bool found = false;
	err_t rc;

	pthread_mutex_lock(&st->rotate_lock);
	rc = db_load(st, key, &role, &found);
	if (rc == ERR_OK && !found && (role = json_object()) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK) {
		response_error(resp, rc, "reading the role failed");
		goto out;
	}
	rc = static_merge(req->data, role, !found, resp);
	if (rc == ERR_OK)
		rc = static_check(st, name, role, resp);
	if (rc == ERR_OK && (rc = db_store(st, key, role)) != ERR_OK)
		response_error(resp, rc, "storing the role failed");
	if (rc != ERR_OK || found)
		goto out;

	rc = rotate_locked(st, name, true, &why);
	if (rc == ERR_UNAVAILABLE) {
		response_error(resp, rc,
		               "database unavailable (%s); the first rotation "
		               "will be retried",
		               buf_str(&why));
	} else if (rc != ERR_OK) {
		storage_delete(st->m->view, key);
		response_error(
		    resp, ERR_INVALID,
		    "setting the password of \"%s\" failed: %s",
		    json_string_value(json_object_get(role, "username")),
		    buf_str(&why));
	}
out:
	pthread_mutex_unlock(&st->rotate_lock);
	json_decref(role);
	buf_release(&why);
	return rc;
}

err_t db_static_role_handle(struct db_state *st, struct request *req,
                            const char *name, struct response *resp)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (db_key(&key, "static-role/", name) != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	switch (req->op) {
	case OP_READ:
		rc = static_read(st, buf_str(&key), resp);
		break;
	case OP_CREATE:
	case OP_UPDATE:
		rc = static_write(st, req, name, buf_str(&key), resp);
		break;
	case OP_DELETE:
		pthread_mutex_lock(&st->rotate_lock);
		rc = storage_delete(st->m->view, buf_str(&key));
		pthread_mutex_unlock(&st->rotate_lock);
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

/* The answer of static-creds for role, which has no pending rotation. */
static err_t creds_data(json_t *role, struct response *resp)
{
	int64_t last =
	    json_integer_value(json_object_get(role, "last_rotation"));
	int64_t ttl = last + period_of(role) - lease_now();
	char when[40];
	json_t *data;

	time_rfc3339(last, 0, when);
	data =
	    json_pack("{s:O, s:O, s:s, s:I, s:I}", "username",
	              json_object_get(role, "username"), "password",
	              json_object_get(role, "password"), "last_vault_rotation",
	              when, "rotation_period", (json_int_t)period_of(role),
	              "ttl", (json_int_t)(ttl > 0 ? ttl : 0));
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, data);
	return ERR_OK;
}

err_t db_static_creds_handle(struct db_state *st, struct request *req,
                             const char *name, struct response *resp)
{
	struct buf key = BUF_INIT, why = BUF_INIT;
	json_t *role = NULL;
	bool found = false;
	err_t rc;

	if (req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	pthread_mutex_lock(&st->rotate_lock);
	rc = db_key(&key, "static-role/", name);
	if (rc == ERR_OK)
		rc = db_load(st, buf_str(&key), &role, &found);
	/* A rotation left half-done is finished before anything is shown. */
	if (rc == ERR_OK && found &&
	    json_object_get(role, "pending_password") != NULL) {
		rc = set_pending(st, buf_str(&key), role, &why);
		if (rc != ERR_OK)
			response_error(resp, rc,
			               "a rotation of \"%s\" is pending and "
			               "could not be completed: %s",
			               name, buf_str(&why));
	}
	if (rc == ERR_OK && !found)
		rc =
		    response_error(resp, ERR_INVALID, "unknown role: %s", name);
	else if (rc == ERR_OK)
		rc = creds_data(role, resp);
	else if (resp->err == ERR_OK)
		response_error(resp, rc, "reading the role failed");
	pthread_mutex_unlock(&st->rotate_lock);
	json_decref(role);
	buf_release(&key);
	buf_release(&why);
	return rc;
}

err_t db_rotate_role_handle(struct db_state *st, struct request *req,
                            const char *name, struct response *resp)
{
	struct buf why = BUF_INIT;
	err_t rc;

	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = db_rotate_static(st, name, true, &why);
	if (rc == ERR_NOT_FOUND)
		response_error(resp, ERR_INVALID, "unknown role: %s", name);
	else if (rc == ERR_UNAVAILABLE)
		response_error(resp, rc,
		               "database unavailable (%s); the rotation will "
		               "be completed when it is back",
		               buf_str(&why));
	else if (rc != ERR_OK)
		response_error(resp, rc, "rotation failed: %s",
		               why.len ? buf_str(&why) : err_str(rc));
	if (rc == ERR_NOT_FOUND)
		rc = ERR_INVALID;
	buf_release(&why);
	return rc;
}

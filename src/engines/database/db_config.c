/*
 * db_config.c - config/<name>, reset/<name> and rotate-root/<name>.
 *
 * A config write merges the given fields into the stored ones (as Vault
 * does), checks them, and by default connects once before saving, so
 * that a URL to nowhere is a 400 and not a surprise at the first creds
 * call. The root password is stored behind the barrier and never read
 * back. rotate-root follows write-ahead rule 2 of database.h.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "engines/database/database.h"

/* A new reference to list, or a new empty array when it is NULL. */
static json_t *list_or_empty(json_t *list)
{
	return list != NULL ? json_incref(list) : json_array();
}

static err_t config_read(struct db_state *st, const char *name,
                         struct response *resp)
{
	struct db_config cfg;
	json_t *data, *verify;
	err_t rc;

	rc = db_config_load(st, name, &cfg);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, rc, NULL);
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the config failed");
	verify = json_object_get(cfg.raw, "verify_connection");
	data = json_pack(
	    "{s:s, s:o, s:{s:s, s:s, s:I, s:i, s:s}, s:o, s:s, s:s, s:s, s:b}",
	    "plugin_name", cfg.plugin->name, "allowed_roles",
	    list_or_empty(cfg.allowed_roles), "connection_details",
	    "connection_url", cfg.url, "username", cfg.username,
	    "max_open_connections", (json_int_t)cfg.max_open,
	    "max_idle_connections", 0, "max_connection_lifetime", "0s",
	    "root_credentials_rotate_statements",
	    list_or_empty(cfg.root_rotation), "password_policy",
	    cfg.password_policy, "username_template", cfg.username_template,
	    "plugin_version", "", "verify_connection",
	    verify == NULL || json_is_true(verify));
	db_config_release(&cfg);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, data);
	return ERR_OK;
}

/* Copies the string parameter key into obj, if given. */
static err_t copy_str(json_t *data, const char *key, json_t *obj,
                      struct response *resp)
{
	const char *s;
	err_t rc = param_str(data, key, &s);

	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s must be a string", key);
	if (json_object_set_new(obj, key, json_string(s)) != 0)
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

/* Merges the request's fields into obj. */
static err_t config_merge(json_t *data, json_t *obj, struct response *resp)
{
	static const char *const strs[] = {
	    "plugin_name", "connection_url",  "username",
	    "password",    "password_policy", "username_template",
	};
	json_t *list = NULL;
	int64_t n;
	bool b;
	size_t i;
	err_t rc = ERR_OK;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]) && rc == ERR_OK; i++)
		rc = copy_str(data, strs[i], obj, resp);
	if (rc == ERR_OK)
		rc = db_copy_statements(data, "root_rotation_statements", obj,
		                        resp);
	if (rc != ERR_OK)
		return rc;
	if ((rc = param_strlist(data, "allowed_roles", &list)) == ERR_OK)
		json_object_set_new(obj, "allowed_roles", list);
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc, "allowed_roles must be a list");
	if ((rc = param_bool(data, "verify_connection", &b)) == ERR_OK)
		json_object_set_new(obj, "verify_connection", json_boolean(b));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, rc,
		                      "verify_connection must be a boolean");
	rc = param_int(data, "max_open_connections", &n);
	if (rc == ERR_OK && (n < 0 || n > DB_POOL_LIMIT))
		rc = ERR_INVALID;
	if (rc == ERR_OK)
		json_object_set_new(obj, "max_open_connections",
		                    json_integer(n));
	else if (rc != ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID,
		                      "max_open_connections must be 0 to %d",
		                      DB_POOL_LIMIT);
	return ERR_OK;
}

/* Connects once with the new settings, outside any pool. */
static err_t config_verify(const struct db_config *cfg, struct buf *why)
{
	struct db_connect_params p = {cfg->url, cfg->username, cfg->password};
	struct db_conn *c = NULL;
	err_t rc;

	rc = cfg->plugin->connect(&p, &c, why);
	if (rc == ERR_OK)
		rc = cfg->plugin->verify(c, why);
	cfg->plugin->close(c);
	db_redact(why, cfg->password);
	return rc;
}

static err_t config_check(const char *name, json_t *obj, struct db_config *cfg,
                          struct response *resp)
{
	const char *plugin =
	    json_string_value(json_object_get(obj, "plugin_name"));
	struct buf probe = BUF_INIT;
	err_t rc;

	if (plugin == NULL || *plugin == 0)
		return response_error(resp, ERR_INVALID,
		                      "plugin_name is required");
	if (db_config_parse(name, obj, cfg) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "unsupported plugin_name \"%s\"", plugin);
	rc = ERR_INVALID;
	if (cfg->url[0] == 0)
		response_error(resp, rc, "connection_url is required");
	else if (!db_password_policy_ok(cfg->password_policy))
		response_error(resp, rc,
		               "unsupported password_policy: only \"\" or "
		               "\"length=N\" (%d to %d) are known",
		               DB_PASSWORD_MIN, DB_PASSWORD_MAX);
	else if (db_username_new(cfg->username_template, "token", name,
	                         cfg->plugin->username_max, &probe) != ERR_OK)
		response_error(resp, rc, "invalid username_template");
	else
		rc = ERR_OK;
	buf_release(&probe);
	if (rc != ERR_OK)
		db_config_release(cfg);
	return rc;
}

static err_t config_write(struct db_state *st, struct request *req,
                          const char *name, struct buf *key,
                          struct response *resp)
{
	struct db_config cfg;
	struct buf why = BUF_INIT;
	json_t *obj = NULL, *verify;
	bool found;
	err_t rc;

	rc = db_load(st, buf_str(key), &obj, &found);
	if (rc == ERR_OK && !found && (obj = json_object()) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK)
		return response_error(resp, rc, "reading the config failed");
	rc = config_merge(req->data, obj, resp);
	if (rc == ERR_OK)
		rc = config_check(name, obj, &cfg, resp);
	if (rc != ERR_OK)
		goto out;

	verify = json_object_get(obj, "verify_connection");
	if (verify == NULL || json_is_true(verify)) {
		rc = config_verify(&cfg, &why);
		if (rc != ERR_OK)
			response_error(resp, ERR_INVALID,
			               "error verifying connection: %s",
			               buf_str(&why));
	}
	db_config_release(&cfg);
	if (rc == ERR_OK && (rc = db_store(st, buf_str(key), obj)) != ERR_OK)
		response_error(resp, rc, "storing the config failed");
	if (rc == ERR_OK) {
		db_pool_reset(st, name);
		log_info("database", "connection \"%s\" configured", name);
	}
out:
	json_decref(obj);
	buf_release(&why);
	return rc;
}

err_t db_config_handle(struct db_state *st, struct request *req,
                       const char *name, struct response *resp)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (db_key(&key, "config/", name) != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	switch (req->op) {
	case OP_READ:
		rc = config_read(st, name, resp);
		break;
	case OP_CREATE:
	case OP_UPDATE:
		rc = config_write(st, req, name, &key, resp);
		break;
	case OP_DELETE:
		rc = storage_delete(st->m->view, buf_str(&key));
		if (rc != ERR_OK)
			response_error(resp, rc, "deleting the config failed");
		else
			db_pool_reset(st, name);
		break;
	default:
		rc = response_error(resp, ERR_UNSUPPORTED,
		                    "unsupported operation");
	}
	buf_release(&key);
	return rc;
}

err_t db_reset_handle(struct db_state *st, struct request *req,
                      const char *name, struct response *resp)
{
	struct db_config cfg;
	err_t rc;

	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = db_config_load(st, name, &cfg);
	if (rc != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "no connection named \"%s\"", name);
	db_config_release(&cfg);
	db_pool_reset(st, name);
	return ERR_OK;
}

/* Stores raw as config/<name>. */
static err_t config_store(struct db_state *st, const char *name, json_t *raw)
{
	struct buf k = BUF_INIT;
	err_t rc;

	rc = db_key(&k, "config/", name);
	if (rc == ERR_OK)
		rc = db_store(st, buf_str(&k), raw);
	buf_release(&k);
	return rc;
}

err_t db_rotate_root_finish(struct db_state *st, const char *name,
                            struct buf *why)
{
	struct db_stmt_op op = {0};
	struct db_config cfg;
	char *pending = NULL;
	err_t rc;

	pthread_mutex_lock(&st->rotate_lock);
	rc = db_config_load(st, name, &cfg);
	if (rc != ERR_OK || cfg.pending_password == NULL)
		goto out;
	pending = strdup(cfg.pending_password);
	if (pending == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	op.stmts = cfg.root_rotation;
	op.vars.name = cfg.username;
	op.vars.password = pending;
	rc = db_with_conn(st, &cfg, db_op_set_password, &op, why);

	if (rc == ERR_OK) {
		/* The database took it: it is the password now. */
		json_object_del(cfg.raw, "pending_password");
		rc = json_object_set_new(cfg.raw, "password",
		                         json_string(pending)) == 0
		         ? config_store(st, name, cfg.raw)
		         : ERR_NOMEM;
		db_pool_reset(st, name);
		log_info("database", "root credentials of \"%s\" rotated",
		         name);
	} else if (rc == ERR_INVALID) {
		/* Refused, so unchanged: the rotation is abandoned. */
		json_object_del(cfg.raw, "pending_password");
		config_store(st, name, cfg.raw);
	}
out:
	pthread_mutex_unlock(&st->rotate_lock);
	db_config_release(&cfg);
	secret_free(pending);
	return rc;
}

err_t db_rotate_root_handle(struct db_state *st, struct request *req,
                            const char *name, struct response *resp)
{
	struct db_config cfg;
	struct buf why = BUF_INIT;
	char *pw = NULL;
	err_t rc;

	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");

	/* Rule 2: the new password is stored before the database has it. */
	pthread_mutex_lock(&st->rotate_lock);
	rc = db_config_load(st, name, &cfg);
	if (rc == ERR_OK && cfg.username[0] == 0)
		rc = ERR_CONFLICT;
	if (rc == ERR_OK && cfg.pending_password == NULL) {
		rc = db_password_new(cfg.password_policy, &pw);
		if (rc == ERR_OK &&
		    json_object_set_new(cfg.raw, "pending_password",
		                        json_string(pw)) != 0)
			rc = ERR_NOMEM;
		if (rc == ERR_OK)
			rc = config_store(st, name, cfg.raw);
	}
	pthread_mutex_unlock(&st->rotate_lock);
	db_config_release(&cfg);
	secret_free(pw);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID,
		                      "no connection named \"%s\"", name);
	if (rc == ERR_CONFLICT)
		return response_error(resp, ERR_INVALID,
		                      "connection \"%s\" has no username to "
		                      "rotate",
		                      name);
	if (rc != ERR_OK)
		return response_error(resp, rc, "rotation failed: %s",
		                      err_str(rc));

	rc = db_rotate_root_finish(st, name, &why);
	if (rc == ERR_UNAVAILABLE)
		response_error(resp, rc,
		               "database unavailable (%s); the rotation will "
		               "be completed when it is back",
		               buf_str(&why));
	else if (rc != ERR_OK)
		response_error(resp, rc,
		               "rotating the root credentials "
		               "failed: %s",
		               buf_str(&why));
	buf_release(&why);
	return rc;
}

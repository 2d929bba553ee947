/*
 * database.c - the "database" mount backend: paths, the plugin table,
 * setup and teardown, and the storage helpers the other files share.
 *
 * Paths (Vault's):
 *   config/<name>          connection settings       (db_config.c)
 *   reset/<name>           close its connections     (db_config.c)
 *   rotate-root/<name>     new root password         (db_config.c)
 *   roles/<name>           dynamic roles             (db_roles.c)
 *   creds/<name>           a new leased user         (db_roles.c)
 *   static-roles/<name>    static roles              (db_static.c)
 *   static-creds/<name>    the current password      (db_static.c)
 *   rotate-role/<name>     rotate a static role now  (db_static.c)
 *
 * The root password and generated passwords pass through jansson
 * objects, wiped on free by the allocator main() installs
 * (base/wipe_alloc.h); the engine wipes the buffers and strings it owns.
 */
#include "engines/database/database.h"
#include "engines/database/db_backend.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"

/* Adding a database is adding its plugin file and one line here. */
static const struct db_plugin *const plugins[] = {
    &db_postgres_plugin,
    &db_mysql_plugin,
};

const struct db_plugin *db_plugin_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(plugins) / sizeof(plugins[0]);
	     i++)
		if (strcmp(plugins[i]->name, name) == 0)
			return plugins[i];
	return NULL;
}

bool db_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	size_t i;

	if (n == 0 || n > DB_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f)
			return false;
	return true;
}

err_t db_key(struct buf *out, const char *prefix, const char *name)
{
	buf_reset(out);
	return buf_printf(out, "%s%s", prefix, name);
}

err_t db_load(struct db_state *st, const char *key, json_t **out, bool *found)
{
	struct buf raw = BUF_INIT;
	json_t *obj = NULL;
	err_t rc;

	*found = false;
	rc = storage_get(st->m->view, key, &raw, found);
	if (rc == ERR_OK && *found) {
		obj = json_loadb((const char *)raw.data, raw.len, 0, NULL);
		if (obj == NULL || !json_is_object(obj)) {
			log_error("database", "a stored record is not a json "
			                      "object");
			json_decref(obj);
			rc = ERR_INTERNAL;
		} else {
			*out = obj;
		}
	}
	buf_release(&raw);
	return rc;
}

err_t db_store(struct db_state *st, const char *key, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	err_t rc;

	if (text == NULL)
		return ERR_NOMEM;
	rc = storage_put(st->m->view, key, (const uint8_t *)text, strlen(text));
	secret_free(text);
	return rc;
}

err_t db_list(struct db_state *st, const char *prefix, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc;

	rc = storage_list(st->m->view, prefix, &keys);
	if (rc != ERR_OK)
		return response_error(resp, rc, "listing failed: %s",
		                      err_str(rc));
	return response_list(resp, keys);
}

void db_config_release(struct db_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->name);
	json_decref(cfg->raw);
	memset(cfg, 0, sizeof(*cfg));
}

static const char *str_field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

err_t db_config_parse(const char *name, json_t *raw, struct db_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if ((cfg->name = strdup(name)) == NULL)
		return ERR_NOMEM;
	cfg->raw = json_incref(raw);
	cfg->plugin = db_plugin_find(str_field(raw, "plugin_name"));
	cfg->url = str_field(raw, "connection_url");
	cfg->username = str_field(raw, "username");
	cfg->password = str_field(raw, "password");
	cfg->pending_password =
	    json_string_value(json_object_get(raw, "pending_password"));
	cfg->password_policy = str_field(raw, "password_policy");
	cfg->username_template = str_field(raw, "username_template");
	cfg->allowed_roles = json_object_get(raw, "allowed_roles");
	cfg->root_rotation = json_object_get(raw, "root_rotation_statements");
	cfg->max_open =
	    json_integer_value(json_object_get(raw, "max_open_connections"));
	if (cfg->max_open <= 0 || cfg->max_open > DB_POOL_LIMIT)
		cfg->max_open = DB_POOL_DEFAULT;
	if (cfg->plugin == NULL) {
		db_config_release(cfg);
		return ERR_INVALID;
	}
	return ERR_OK;
}

err_t db_config_load(struct db_state *st, const char *name,
                     struct db_config *cfg)
{
	struct buf key = BUF_INIT;
	json_t *raw = NULL;
	bool found = false;
	err_t rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = db_key(&key, "config/", name);
	if (rc == ERR_OK)
		rc = db_load(st, buf_str(&key), &raw, &found);
	buf_release(&key);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK)
		rc = db_config_parse(name, raw, cfg);
	json_decref(raw);
	return rc;
}

err_t db_param_statements(json_t *data, const char *key, json_t **out)
{
	json_t *v = json_object_get(data, key), *s;
	size_t i;

	if (v == NULL || json_is_null(v))
		return ERR_NOT_FOUND;
	if (json_is_string(v)) {
		*out = json_pack("[O]", v);
		return *out ? ERR_OK : ERR_NOMEM;
	}
	if (!json_is_array(v))
		return ERR_INVALID;
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s))
			return ERR_INVALID;
	}
	*out = json_deep_copy(v);
	return *out ? ERR_OK : ERR_NOMEM;
}

err_t db_copy_statements(json_t *data, const char *key, json_t *obj,
                         struct response *resp)
{
	json_t *list = NULL;
	err_t rc = db_param_statements(data, key, &list);

	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc == ERR_INVALID)
		return response_error(
		    resp, rc, "%s must be a list of strings or a string", key);
	if (rc != ERR_OK || json_object_set_new(obj, key, list) != 0)
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

err_t db_op_verify(const struct db_plugin *p, struct db_conn *c, void *arg,
                   struct buf *why)
{
	(void)arg;
	return p->verify(c, why);
}

err_t db_op_create(const struct db_plugin *p, struct db_conn *c, void *arg,
                   struct buf *why)
{
	struct db_stmt_op *o = arg;
	bool unsure = false;
	err_t rc;

	rc = p->create_user(c, o->stmts, o->rollback, &o->vars, &unsure, why);
	o->unsure = o->unsure || unsure;
	return rc;
}

err_t db_op_revoke(const struct db_plugin *p, struct db_conn *c, void *arg,
                   struct buf *why)
{
	struct db_stmt_op *o = arg;

	return p->revoke_user(c, o->stmts, &o->vars, why);
}

err_t db_op_renew(const struct db_plugin *p, struct db_conn *c, void *arg,
                  struct buf *why)
{
	struct db_stmt_op *o = arg;

	return p->renew_user(c, o->stmts, &o->vars, why);
}

err_t db_op_set_password(const struct db_plugin *p, struct db_conn *c,
                         void *arg, struct buf *why)
{
	struct db_stmt_op *o = arg;

	return p->set_password(c, o->stmts, &o->vars, why);
}

bool db_config_allows(const struct db_config *cfg, const char *role)
{
	size_t i;
	json_t *r;

	json_array_foreach(cfg->allowed_roles, i, r)
	{
		const char *s = json_string_value(r);
		if (s != NULL && (strcmp(s, "*") == 0 || strcmp(s, role) == 0))
			return true;
	}
	return false;
}

/* Splits rel into its first segment and the rest ("roles", "ro"). */
static const char *split_rel(const char *rel, char *head, size_t headlen)
{
	const char *slash = strchr(rel, '/');
	size_t n = slash ? (size_t)(slash - rel) : strlen(rel);

	if (n >= headlen)
		n = headlen - 1;
	memcpy(head, rel, n);
	head[n] = 0;
	return slash ? slash + 1 : NULL;
}

typedef err_t (*db_path_fn)(struct db_state *st, struct request *req,
                            const char *name, struct response *resp);

static const struct {
	const char *head;
	db_path_fn fn;
	bool listable;   /* LIST <head> answers the names */
	const char *dir; /* their storage prefix */
} routes[] = {
    {"config", db_config_handle, true, "config/"},
    {"reset", db_reset_handle, false, NULL},
    {"rotate-root", db_rotate_root_handle, false, NULL},
    {"roles", db_role_handle, true, "role/"},
    {"creds", db_creds_handle, false, NULL},
    {"static-roles", db_static_role_handle, true, "static-role/"},
    {"static-creds", db_static_creds_handle, false, NULL},
    {"rotate-role", db_rotate_role_handle, false, NULL},
};

static err_t db_handle(struct mount *m, struct request *req,
                       struct response *resp)
{
	struct db_state *st = m->state;
	const char *rel = req->rel ? req->rel : "", *name;
	char head[32];
	size_t i;

	if (st == NULL)
		return response_error(resp, ERR_INTERNAL,
		                      "database mount is not set up");
	if (req->data == NULL || !json_is_object(req->data))
		return response_error(resp, ERR_INVALID,
		                      "request body must be a JSON object");
	name = split_rel(rel, head, sizeof(head));
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(head, routes[i].head) != 0)
			continue;
		if ((name == NULL || *name == 0) && req->op == OP_LIST &&
		    routes[i].listable)
			return db_list(st, routes[i].dir, resp);
		if (name == NULL || *name == 0)
			break;
		if (!db_name_ok(name))
			return response_error(resp, ERR_INVALID,
			                      "invalid name \"%s\"",
			                      strlen(name) > 64 ? "..." : name);
		return routes[i].fn(st, req, name, resp);
	}
	return response_error(resp, ERR_UNSUPPORTED, "unsupported path \"%s\"",
	                      rel);
}

err_t db_exists(struct db_state *st, const char *rel, bool *found)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	const char *name;
	char head[32];
	size_t i;
	err_t rc = ERR_OK;

	/* Actions (creds, rotate-root...) are updates, as in Vault. */
	*found = true;
	name = split_rel(rel, head, sizeof(head));
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].listable && strcmp(head, routes[i].head) == 0 &&
		    name != NULL && db_name_ok(name))
			rc = db_key(&key, routes[i].dir, name);
	if (rc == ERR_OK && key.len > 0)
		rc = storage_get(st->m->view, buf_str(&key), &value, found);
	buf_release(&value);
	buf_release(&key);
	return rc;
}

static err_t db_exists_cb(struct mount *m, struct request *req, bool *found)
{
	*found = false;
	if (m->state == NULL)
		return ERR_INTERNAL;
	return db_exists(m->state, req->rel ? req->rel : "", found);
}

static void db_teardown(struct mount *m)
{
	struct db_state *st = m->state;

	if (st == NULL)
		return;
	db_worker_stop(st);
	db_pool_free_all(st);
	db_retry_free_all(st);
	pthread_mutex_destroy(&st->rotate_lock);
	pthread_cond_destroy(&st->wake);
	pthread_mutex_destroy(&st->lock);
	free(st);
	m->state = NULL;
}

static err_t db_setup(struct mount *m, struct response *resp)
{
	struct db_state *st = calloc(1, sizeof(*st));
	pthread_condattr_t ca;
	err_t rc;

	if (st == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	st->m = m;
	rc = rand_alnum(st->boot, sizeof(st->boot) - 1);
	pthread_mutex_init(&st->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&st->rotate_lock, NULL);
	m->state = st;
	if (rc == ERR_OK)
		rc = db_worker_start(st);
	if (rc != ERR_OK) {
		db_teardown(m);
		return response_error(resp, rc,
		                      "database engine setup "
		                      "failed: %s",
		                      err_str(rc));
	}
	return ERR_OK;
}

const struct mount_backend database_backend = {
    .type = "database",
    .kind = MOUNT_SECRET,
    .setup = db_setup,
    .teardown = db_teardown,
    .handle = db_handle,
    .exists = db_exists_cb,
    .unauthenticated = NULL,
    .revoke = db_lease_revoke,
    .renew = db_lease_renew,
};

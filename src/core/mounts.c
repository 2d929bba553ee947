/*
 * mounts.c - the mount tables: which backend serves which path.
 *
 * Two tables per server, persisted behind the barrier as JSON arrays:
 * "core/mounts" for secrets engines and "core/auth" for auth methods. Each
 * entry carries its namespace, so the data model is already multi-tenant.
 * A mount's data lives under "logical/<uuid>/" (secrets) or
 * "auth/<uuid>/" (auth methods), reached only through its own view.
 */
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "core/core_internal.h"
#include "core/lease.h"
#include "storage/view.h"

#define MOUNT_TABLE_KEY "core/mounts"
#define AUTH_TABLE_KEY  "core/auth"

static const char *table_key(enum mount_kind kind)
{
	return kind == MOUNT_AUTH ? AUTH_TABLE_KEY : MOUNT_TABLE_KEY;
}

static void mount_free(struct mount *m)
{
	if (m == NULL)
		return;
	if (m->backend != NULL && m->backend->teardown != NULL)
		m->backend->teardown(m);
	storage_free(m->view);
	free(m->ns);
	free(m->path);
	free(m->type);
	free(m->description);
	json_decref(m->options);
	free(m);
}

static json_t *mount_to_json(const struct mount *m)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:I, s:I, s:b,"
	                 " s:b}",
	                 "namespace", m->ns, "path", m->path, "type", m->type,
	                 "uuid", m->uuid, "accessor", m->accessor,
	                 "description", m->description, "options",
	                 m->options ? m->options : json_null(),
	                 "default_lease_ttl", (json_int_t)m->default_lease_ttl,
	                 "max_lease_ttl", (json_int_t)m->max_lease_ttl, "local",
	                 m->local, "seal_wrap", m->seal_wrap);
}

static char *json_strdup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

/* Builds the view and the backend state of a mount described by m. */
static err_t mount_activate(struct core *c, struct mount *m,
                            struct response *resp)
{
	char prefix[64];
	err_t rc;

	m->core = c;
	snprintf(prefix, sizeof(prefix), "%s%s/",
	         m->backend->kind == MOUNT_AUTH ? "auth/" : "logical/",
	         m->uuid);
	rc = view_new(c->enc, prefix, &m->view);
	if (rc != ERR_OK)
		return rc;
	if (m->backend->setup != NULL)
		return m->backend->setup(m, resp);
	return ERR_OK;
}

static err_t mount_from_json(struct core *c, json_t *o, struct mount **out)
{
	struct mount *m = calloc(1, sizeof(*m));
	struct response resp;
	const char *uuid, *acc;
	err_t rc = ERR_STORAGE;

	response_init(&resp);
	if (m == NULL)
		return ERR_NOMEM;
	m->ns = json_strdup(o, "namespace");
	m->path = json_strdup(o, "path");
	m->type = json_strdup(o, "type");
	m->description = json_strdup(o, "description");
	uuid = json_string_value(json_object_get(o, "uuid"));
	acc = json_string_value(json_object_get(o, "accessor"));
	if (m->ns == NULL || m->path == NULL || m->type == NULL ||
	    m->description == NULL || uuid == NULL || acc == NULL ||
	    strlen(uuid) != 36 || strlen(acc) >= sizeof(m->accessor))
		goto out;
	memcpy(m->uuid, uuid, 37);
	memcpy(m->accessor, acc, strlen(acc) + 1);
	m->options = json_incref(json_object_get(o, "options"));
	if (json_is_null(m->options)) {
		json_decref(m->options);
		m->options = NULL;
	}
	m->default_lease_ttl =
	    json_integer_value(json_object_get(o, "default_lease_ttl"));
	m->max_lease_ttl =
	    json_integer_value(json_object_get(o, "max_lease_ttl"));
	m->local = json_is_true(json_object_get(o, "local"));
	m->seal_wrap = json_is_true(json_object_get(o, "seal_wrap"));
	m->backend = mount_backend_find(m->type);
	if (m->backend == NULL) {
		log_error("mounts", "mount %s has unknown type %s", m->path,
		          m->type);
		goto out;
	}
	rc = mount_activate(c, m, &resp);
out:
	response_release(&resp);
	if (rc != ERR_OK) {
		mount_free(m);
		return rc;
	}
	*out = m;
	return ERR_OK;
}

/* Inserts keeping the longest paths first, so routing takes the first hit. */
static err_t table_insert(struct mount_table *t, struct mount *m)
{
	size_t i;

	if (t->len == t->alloc) {
		size_t n = t->alloc ? t->alloc * 2 : 16;
		struct mount **p = realloc(t->items, n * sizeof(*p));
		if (p == NULL)
			return ERR_NOMEM;
		t->items = p;
		t->alloc = n;
	}
	for (i = t->len; i > 0; i--) {
		if (strlen(t->items[i - 1]->path) >= strlen(m->path))
			break;
		t->items[i] = t->items[i - 1];
	}
	t->items[i] = m;
	t->len++;
	return ERR_OK;
}

static void table_remove(struct mount_table *t, struct mount *m)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (t->items[i] == m) {
			memmove(&t->items[i], &t->items[i + 1],
			        (t->len - i - 1) * sizeof(*t->items));
			t->len--;
			return;
		}
	}
}

static err_t load_table(struct core *c, enum mount_kind kind)
{
	struct buf b = BUF_INIT;
	json_t *arr = NULL, *item;
	bool found = false;
	size_t i;
	err_t rc;

	rc = storage_get(c->enc, table_key(kind), &b, &found);
	if (rc != ERR_OK || !found)
		goto out;
	arr = json_loadb((const char *)b.data, b.len, 0, NULL);
	if (!json_is_array(arr)) {
		rc = ERR_STORAGE;
		goto out;
	}
	json_array_foreach(arr, i, item)
	{
		struct mount *m = NULL;
		if (mount_from_json(c, item, &m) != ERR_OK)
			continue;
		rc = table_insert(&c->mounts, m);
		if (rc != ERR_OK) {
			mount_free(m);
			goto out;
		}
	}
out:
	json_decref(arr);
	buf_release(&b);
	return rc;
}

static err_t add_builtin(struct core *c, const char *path, const char *type,
                         const char *desc);

err_t mounts_load(struct core *c)
{
	err_t rc = load_table(c, MOUNT_SECRET);

	if (rc == ERR_OK)
		rc = load_table(c, MOUNT_AUTH);

	/* Servers set up before the cubbyhole existed get it now. */
	if (rc == ERR_OK && mounts_find(c, "", "cubbyhole/") == NULL) {
		rc = add_builtin(c, "cubbyhole/", "cubbyhole",
		                 "per-token private secret storage");
		if (rc == ERR_OK)
			rc = mounts_save(c, MOUNT_SECRET);
	}
	/* Likewise the identity store (issue 4). */
	if (rc == ERR_OK && mounts_find(c, "", "identity/") == NULL) {
		rc = add_builtin(c, "identity/", "identity", "identity store");
		if (rc == ERR_OK)
			rc = mounts_save(c, MOUNT_SECRET);
	}
	if (rc == ERR_OK)
		log_info("mounts", "loaded %zu mounts", c->mounts.len);
	return rc;
}

void mounts_unload(struct core *c)
{
	size_t i;

	for (i = 0; i < c->mounts.len; i++)
		mount_free(c->mounts.items[i]);
	free(c->mounts.items);
	memset(&c->mounts, 0, sizeof(c->mounts));
}

err_t mounts_save(struct core *c, enum mount_kind kind)
{
	json_t *arr = json_array();
	char *text = NULL;
	size_t i;
	err_t rc = ERR_NOMEM;

	if (arr == NULL)
		return ERR_NOMEM;
	for (i = 0; i < c->mounts.len; i++) {
		struct mount *m = c->mounts.items[i];
		if (m->backend->kind != kind)
			continue;
		if (json_array_append_new(arr, mount_to_json(m)) != 0)
			goto out;
	}
	text = json_dumps(arr, JSON_COMPACT);
	if (text == NULL)
		goto out;
	rc = storage_put(c->enc, table_key(kind), (const uint8_t *)text,
	                 strlen(text));
out:
	free(text);
	json_decref(arr);
	return rc;
}

/*
 * sys/ and auth/token/ exist once, in the root namespace, and serve every
 * namespace: their handlers act on req->ns.
 */
bool mounts_type_builtin(const char *type)
{
	return strcmp(type, "system") == 0 || strcmp(type, "token") == 0 ||
	       strcmp(type, "cubbyhole") == 0 || strcmp(type, "identity") == 0;
}

static bool singleton_path(const char *path)
{
	return strncmp(path, "sys/", 4) == 0 || strcmp(path, "sys") == 0 ||
	       strncmp(path, "auth/token/", 11) == 0 ||
	       strncmp(path, "cubbyhole/", 10) == 0 ||
	       strcmp(path, "cubbyhole") == 0 ||
	       strncmp(path, "identity/", 9) == 0 ||
	       strcmp(path, "identity") == 0;
}

struct mount *mounts_route(struct core *c, const char *ns, const char *path)
{
	size_t i, plen = strlen(path);

	if (ns[0] != 0 && singleton_path(path))
		ns = "";
	for (i = 0; i < c->mounts.len; i++) {
		struct mount *m = c->mounts.items[i];
		size_t mlen = strlen(m->path);
		if (strcmp(m->ns, ns) != 0)
			continue;
		if (strncmp(path, m->path, mlen) == 0)
			return m;
		/* "secret" reaches the mount "secret/" too. */
		if (plen + 1 == mlen && strncmp(path, m->path, plen) == 0)
			return m;
	}
	return NULL;
}

struct mount *mounts_find(struct core *c, const char *ns, const char *path)
{
	size_t i;

	for (i = 0; i < c->mounts.len; i++) {
		struct mount *m = c->mounts.items[i];
		if (strcmp(m->ns, ns) == 0 && strcmp(m->path, path) == 0)
			return m;
	}
	return NULL;
}

/* Reserved prefixes that no user mount may take or shadow. */
static bool path_reserved(const char *path, enum mount_kind kind)
{
	static const char *const reserved[] = {"sys/", "auth/", "cubbyhole/",
	                                       "identity/"};
	size_t i;

	if (kind == MOUNT_AUTH)
		return strcmp(path, "auth/token/") == 0;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strncmp(path, reserved[i], strlen(reserved[i])) == 0)
			return true;
	return false;
}

static bool path_valid(const char *path)
{
	const char *seg = path;

	if (*path == 0 || strlen(path) > 512)
		return false;
	while (*seg != 0) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		/*
		 * Printable ASCII without blanks only: a name that looks the
		 * same in another Unicode form or with a trailing space would
		 * be a different mount to every policy written for it (B4 15).
		 */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)seg[i] <= ' ' ||
			    (unsigned char)seg[i] > '~' || seg[i] == '*' ||
			    seg[i] == '+')
				return false;
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return true;
}

static const char *conflicting_mount(struct core *c, const char *ns,
                                     const char *path)
{
	size_t i, plen = strlen(path);

	for (i = 0; i < c->mounts.len; i++) {
		struct mount *m = c->mounts.items[i];
		size_t mlen = strlen(m->path);
		size_t n = plen < mlen ? plen : mlen;
		if (strcmp(m->ns, ns) == 0 && strncmp(m->path, path, n) == 0)
			return m->path;
	}
	return NULL;
}

/* Reads "config" ttls and the other enable parameters into m. */
static err_t mount_read_params(struct mount *m, json_t *params,
                               struct response *resp)
{
	json_t *config = json_object_get(params, "config"), *opts = NULL;
	const char *desc = NULL;
	err_t rc;

	if (param_str(params, "description", &desc) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "description must be a string");
	m->description = strdup(desc ? desc : "");
	if (m->description == NULL)
		return ERR_NOMEM;
	if (config != NULL && !json_is_null(config) && !json_is_object(config))
		return response_error(resp, ERR_INVALID,
		                      "config must be an object");
	if (param_duration(config, "default_lease_ttl",
	                   &m->default_lease_ttl) == ERR_INVALID ||
	    param_duration(config, "max_lease_ttl", &m->max_lease_ttl) ==
	        ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid lease ttl in config");
	if (m->max_lease_ttl != 0 && m->default_lease_ttl > m->max_lease_ttl)
		return response_error(
		    resp, ERR_INVALID,
		    "default lease TTL cannot be greater than max lease TTL");
	if (param_bool(params, "local", &m->local) == ERR_INVALID ||
	    param_bool(params, "seal_wrap", &m->seal_wrap) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "local and seal_wrap must be booleans");

	rc = param_strmap(params, "options", &opts);
	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "options must be a map of strings");
	m->options = opts;
	return ERR_OK;
}

/* Maps the kv aliases onto the kv backend with the version they imply. */
static err_t mount_resolve_type(struct mount *m, const char *type)
{
	const char *version = NULL;

	if (strcmp(type, "kv-v2") == 0)
		version = "2";
	else if (strcmp(type, "kv-v1") == 0 || strcmp(type, "generic") == 0)
		version = "1";
	m->type = strdup(version ? "kv" : type);
	if (m->type == NULL)
		return ERR_NOMEM;
	if (version == NULL)
		return ERR_OK;
	if (m->options == NULL)
		m->options = json_object();
	if (m->options == NULL ||
	    json_object_set_new(m->options, "version", json_string(version)))
		return ERR_NOMEM;
	return ERR_OK;
}

err_t mounts_enable(struct core *c, const char *ns, const char *path,
                    enum mount_kind kind, json_t *params, struct response *resp)
{
	struct mount *m = calloc(1, sizeof(*m));
	const char *type = NULL, *other;
	err_t rc;

	if (m == NULL)
		return ERR_NOMEM;
	m->ns = strdup(ns);
	m->path = strdup(path);
	if (m->ns == NULL || m->path == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = ERR_INVALID;
	if (!path_valid(path)) {
		response_error(resp, rc, "invalid mount path \"%s\"", path);
		goto out;
	}
	if (path_reserved(path, kind)) {
		response_error(resp, rc, "cannot mount at reserved path %s",
		               path);
		goto out;
	}
	if ((other = conflicting_mount(c, ns, path)) != NULL) {
		response_error(resp, rc, "path is already in use at %s", other);
		goto out;
	}
	if (param_str(params, "type", &type) != ERR_OK || *type == 0) {
		response_error(resp, rc, "missing or invalid \"type\"");
		goto out;
	}
	rc = mount_read_params(m, params, resp);
	if (rc == ERR_OK)
		rc = mount_resolve_type(m, type);
	if (rc != ERR_OK)
		goto out;
	m->backend = mount_backend_find(m->type);
	if (m->backend == NULL || m->backend->kind != kind ||
	    mounts_type_builtin(m->type)) {
		rc =
		    response_error(resp, ERR_INVALID,
		                   "plugin not found in the catalog: %s", type);
		goto out;
	}

	rc = uuid_new(m->uuid);
	if (rc == ERR_OK) {
		char rnd[9];
		rc = rand_alnum(rnd, 8);
		snprintf(m->accessor, sizeof(m->accessor), "%s_%s", m->type,
		         rnd);
	}
	if (rc == ERR_OK)
		rc = mount_activate(c, m, resp);
	if (rc == ERR_OK)
		rc = table_insert(&c->mounts, m);
	if (rc != ERR_OK)
		goto out;
	rc = mounts_save(c, kind);
	if (rc != ERR_OK) {
		table_remove(&c->mounts, m);
		goto out;
	}
	log_info("mounts", "enabled %s mount at %s%s", m->type, ns, path);
	return ERR_OK;
out:
	mount_free(m);
	return rc;
}

/* Deletes every key below prefix of s, depth first. */
static err_t delete_tree(struct storage *s, const char *prefix)
{
	json_t *keys = NULL, *k;
	struct buf child = BUF_INIT;
	size_t i;
	err_t rc;

	rc = storage_list(s, prefix, &keys);
	if (rc != ERR_OK)
		return rc;
	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		size_t n = strlen(name);
		buf_reset(&child);
		rc = buf_printf(&child, "%s%s", prefix, name);
		if (rc != ERR_OK)
			break;
		if (n > 0 && name[n - 1] == '/')
			rc = delete_tree(s, buf_str(&child));
		else
			rc = storage_delete(s, buf_str(&child));
		if (rc != ERR_OK)
			break;
	}
	buf_release(&child);
	json_decref(keys);
	return rc;
}

err_t mounts_disable(struct core *c, const char *ns, const char *path,
                     struct response *resp)
{
	struct mount *m = mounts_find(c, ns, path);
	enum mount_kind kind;
	err_t rc;

	if (m == NULL)
		return response_error(resp, ERR_INVALID,
		                      "no matching mount at \"%s\"", path);
	if (mounts_type_builtin(m->type))
		return response_error(resp, ERR_INVALID,
		                      "cannot unmount \"%s\"", path);

	/* Its leases end first, while the backend can still revoke them. */
	if (c->leases != NULL) {
		rc = lease_revoke_prefix(c->leases, ns, path, false);
		if (rc != ERR_OK)
			return response_error(resp, rc,
			                      "cannot revoke the leases of "
			                      "\"%s\": %s",
			                      path, err_str(rc));
	}

	kind = m->backend->kind;
	table_remove(&c->mounts, m);
	rc = mounts_save(c, kind);
	if (rc != ERR_OK) {
		table_insert(&c->mounts, m);
		return rc;
	}

	/* The mount is gone from the table; its data must not outlive it. */
	rc = delete_tree(m->view, "");
	if (rc != ERR_OK)
		log_error("mounts",
		          "data of disabled mount %s not fully "
		          "deleted: %s",
		          path, err_str(rc));
	log_info("mounts", "disabled mount at %s%s", ns, path);
	mount_free(m);
	return ERR_OK;
}

err_t mounts_tune(struct core *c, struct mount *m, json_t *params,
                  struct response *resp)
{
	int64_t def = m->default_lease_ttl, max = m->max_lease_ttl;
	const char *desc = NULL;
	json_t *opts = NULL;
	char *newdesc = NULL;
	err_t rc;

	if (param_duration(params, "default_lease_ttl", &def) == ERR_INVALID ||
	    param_duration(params, "max_lease_ttl", &max) == ERR_INVALID)
		return response_error(resp, ERR_INVALID, "invalid lease ttl");
	if (max != 0 && def > max)
		return response_error(
		    resp, ERR_INVALID,
		    "default lease TTL cannot be greater than max lease TTL");
	if (param_str(params, "description", &desc) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "description must be a string");
	rc = param_strmap(params, "options", &opts);
	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "options must be a map of strings");
	if (opts != NULL) {
		const char *oldv =
		    json_string_value(json_object_get(m->options, "version"));
		const char *newv =
		    json_string_value(json_object_get(opts, "version"));
		if (newv != NULL && (oldv == NULL || strcmp(oldv, newv) != 0)) {
			json_decref(opts);
			return response_error(resp, ERR_INVALID,
			                      "changing the version of a mount "
			                      "is not supported");
		}
	}
	if (desc != NULL && (newdesc = strdup(desc)) == NULL) {
		json_decref(opts);
		return ERR_NOMEM;
	}

	m->default_lease_ttl = def;
	m->max_lease_ttl = max;
	if (newdesc != NULL) {
		free(m->description);
		m->description = newdesc;
	}
	if (opts != NULL) {
		if (m->options == NULL)
			m->options = json_object();
		json_object_update(m->options, opts);
		json_decref(opts);
	}
	return mounts_save(c, m->backend->kind);
}

json_t *mounts_describe(const struct mount *m)
{
	return json_pack(
	    "{s:s, s:{s:I, s:b, s:I}, s:s, s:b, s:b, s:O, s:s,"
	    " s:s, s:s, s:b, s:s, s:s}",
	    "accessor", m->accessor, "config", "default_lease_ttl",
	    (json_int_t)m->default_lease_ttl, "force_no_cache", 0,
	    "max_lease_ttl", (json_int_t)m->max_lease_ttl, "description",
	    m->description, "external_entropy_access", 0, "local", m->local,
	    "options", m->options ? m->options : json_null(), "plugin_version",
	    "", "running_plugin_version", "", "running_sha256", "", "seal_wrap",
	    m->seal_wrap, "type", m->type, "uuid", m->uuid);
}

/* Adds a built-in mount without the checks that keep users off it. */
static err_t add_builtin(struct core *c, const char *path, const char *type,
                         const char *desc)
{
	struct mount *m = calloc(1, sizeof(*m));
	struct response resp;
	char rnd[9];
	err_t rc = ERR_NOMEM;

	response_init(&resp);
	if (m == NULL)
		return ERR_NOMEM;
	m->ns = strdup("");
	m->path = strdup(path);
	m->type = strdup(type);
	m->description = strdup(desc);
	m->backend = mount_backend_find(type);
	if (m->backend == NULL) {
		rc = ERR_INTERNAL;
		goto out;
	}
	if (m->ns == NULL || m->path == NULL || m->type == NULL ||
	    m->description == NULL)
		goto out;
	rc = uuid_new(m->uuid);
	if (rc == ERR_OK)
		rc = rand_alnum(rnd, 8);
	if (rc != ERR_OK)
		goto out;
	snprintf(m->accessor, sizeof(m->accessor), "%s_%s", type, rnd);
	rc = mount_activate(c, m, &resp);
	if (rc == ERR_OK)
		rc = table_insert(&c->mounts, m);
out:
	response_release(&resp);
	if (rc != ERR_OK)
		mount_free(m);
	return rc;
}

err_t mounts_setup_defaults(struct core *c)
{
	err_t rc;

	rc = add_builtin(c, "sys/", "system",
	                 "system endpoints used for control, policy and "
	                 "debugging");
	if (rc == ERR_OK)
		rc = add_builtin(c, "auth/token/", "token",
		                 "token based credentials");
	if (rc == ERR_OK)
		rc = mounts_save(c, MOUNT_SECRET);
	if (rc == ERR_OK)
		rc = mounts_save(c, MOUNT_AUTH);
	return rc;
}

/*
 * broker.c - the audit broker: the table of enabled devices, its
 * persistence at "core/audit", and the fan-out of every record.
 *
 * The table is a JSON array behind the barrier, like the mount tables:
 *   [{"path": "file/", "type": "file", "description": "", "local": false,
 *     "options": {"file_path": "..."}, "salt": "<64 hex>",
 *     "config": true}]
 * ("config" only on a device declared in the configuration file) and the
 * request headers to record beside it, at "core/audit-headers":
 *   {"x-request-source": {"hmac": true}}
 *
 * Filters (see filter.h for the expression language): a record goes to
 * every device whose filters take it; one device may be the fallback,
 * which takes what every other device left out. A record that no device
 * wanted is not an error, as in Vault; a record that some device wanted
 * and none could write is (fail closed).
 *
 * Devices declared in the configuration file (audit "file" "path" {...})
 * are checked when the server starts and reconciled with the stored table
 * at every unseal (audit_broker_load); they keep their salt across
 * restarts and configuration changes, and the API can neither disable nor
 * replace them. With unsafe_allow_api_audit_creation = false the API can
 * change no device at all, so that a stolen root token cannot turn the
 * trail off or point it somewhere else.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/filter.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"

#define AUDIT_MAX_DEVICES 64
#define AUDIT_MAX_PATH    128
/* Headers recorded in every record: bounded, as each one costs a lookup. */
#define AUDIT_MAX_HEADERS     64
#define AUDIT_MAX_HEADER_NAME 128

/* A record is formatted into a buffer this big at first. */
#define AUDIT_LINE_START 2048

struct audit_broker {
	pthread_rwlock_t lock; /* over devs, n, headers and enc */
	struct audit_device **devs;
	size_t n;
	json_t *headers;     /* {"name": {"hmac": bool}}, never NULL */
	struct storage *enc; /* not owned; NULL while unloaded (sealed) */

	/* From the configuration file; kept while sealed. */
	json_t *declared; /* array of device entries, never NULL */
	bool api_allowed; /* sys/audit may enable and disable devices */
};

static const struct audit_device_ops *const device_types[] = {
    &audit_file_ops,
    &audit_syslog_ops,
    &audit_socket_ops,
    &audit_http_ops,
};

/* Options every device type takes; the broker reads them itself. */
static const char *const common_options[] = {
    "log_raw",      "hmac_accessor",    "format",
    "filter_mount", "filter_operation", "filter_namespace",
    "filter",       "fallback",         "elide_list_responses",
    NULL,
};

static const struct audit_device_ops *find_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(device_types) / sizeof(device_types[0]); i++)
		if (strcmp(device_types[i]->type, type) == 0)
			return device_types[i];
	return NULL;
}

static bool in_list(const char *const *list, const char *key)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

static void device_free(struct audit_device *d)
{
	if (d == NULL)
		return;
	if (d->ops != NULL && d->ops->close != NULL)
		d->ops->close(d);
	pthread_mutex_destroy(&d->lock);
	audit_format_unprepare(d);
	secret_wipe(d->salt, sizeof(d->salt));
	free(d->path);
	free(d->type);
	free(d->description);
	json_decref(d->options);
	json_decref(d->filter_mounts);
	json_decref(d->filter_operations);
	json_decref(d->filter_namespaces);
	audit_filter_free(d->filter);
	free(d);
}

/* The "filter" and "fallback" options. */
static err_t read_filter_options(struct audit_device *d, struct buf *msg)
{
	const char *expr = NULL;
	err_t rc;

	if (param_bool(d->options, "fallback", &d->fallback) == ERR_INVALID) {
		buf_append_str(msg, "fallback must be a boolean");
		return ERR_INVALID;
	}
	rc = param_str(d->options, "filter", &expr);
	if (rc == ERR_INVALID) {
		buf_append_str(msg, "filter must be a string");
		return rc;
	}
	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (d->fallback) {
		buf_append_str(msg, "a fallback audit device cannot have a "
		                    "filter: it takes what the others filter "
		                    "out");
		return ERR_INVALID;
	}
	return audit_filter_parse(expr, &d->filter, msg);
}

/* Reads the options the broker itself understands. */
static err_t read_common_options(struct audit_device *d, struct buf *msg)
{
	const char *format = NULL, *key;
	json_t *v;

	d->hmac_accessor = true;
	json_object_foreach(d->options, key, v)
	{
		if (!in_list(common_options, key) &&
		    !in_list(d->ops->option_keys, key)) {
			buf_printf(msg,
			           "unknown option \"%s\" for audit "
			           "device type %s",
			           key, d->type);
			return ERR_INVALID;
		}
	}
	if (param_bool(d->options, "log_raw", &d->log_raw) == ERR_INVALID ||
	    param_bool(d->options, "hmac_accessor", &d->hmac_accessor) ==
	        ERR_INVALID) {
		buf_append_str(msg, "log_raw and hmac_accessor must be "
		                    "booleans");
		return ERR_INVALID;
	}
	if (param_str(d->options, "format", &format) == ERR_OK &&
	    strcmp(format, "json") != 0) {
		buf_printf(msg, "unsupported audit format \"%s\": only json",
		           format);
		return ERR_INVALID;
	}
	param_strlist(d->options, "filter_mount", &d->filter_mounts);
	param_strlist(d->options, "filter_operation", &d->filter_operations);
	param_strlist(d->options, "filter_namespace", &d->filter_namespaces);
	return read_filter_options(d, msg);
}

/* A device from its parts; does not open it. */
static err_t device_new(const char *path, const char *type, const char *desc,
                        json_t *options, bool local, struct audit_device **out,
                        struct buf *msg)
{
	struct audit_device *d = calloc(1, sizeof(*d));
	err_t rc;

	if (d == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->ops = find_type(type);
	d->path = strdup(path);
	d->type = strdup(type);
	d->description = strdup(desc ? desc : "");
	d->options = options ? json_incref(options) : json_object();
	d->local = local;
	if (d->path == NULL || d->type == NULL || d->description == NULL ||
	    d->options == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (d->ops == NULL) {
		buf_printf(msg, "unknown audit device type \"%s\"", type);
		rc = ERR_INVALID;
		goto out;
	}
	rc = read_common_options(d, msg);
out:
	if (rc != ERR_OK) {
		device_free(d);
		return rc;
	}
	*out = d;
	return ERR_OK;
}

static json_t *device_to_json(const struct audit_device *d)
{
	char *salt = hex_encode(d->salt, sizeof(d->salt));
	json_t *o;

	if (salt == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:O, s:b, s:s}", "path", d->path, "type",
	              d->type, "description", d->description, "options",
	              d->options, "local", d->local, "salt", salt);
	secret_free(salt);
	if (o != NULL && d->from_config &&
	    json_object_set_new(o, "config", json_true()) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static err_t broker_save(struct audit_broker *b)
{
	json_t *arr = json_array();
	char *text = NULL;
	size_t i;
	err_t rc = ERR_NOMEM;

	if (arr == NULL)
		return ERR_NOMEM;
	for (i = 0; i < b->n; i++)
		if (json_array_append_new(arr, device_to_json(b->devs[i])))
			goto out;
	text = json_dumps(arr, JSON_COMPACT);
	if (text != NULL)
		rc = storage_put(b->enc, AUDIT_TABLE_KEY, (const uint8_t *)text,
		                 strlen(text));
out:
	/* The text holds the salts. */
	secret_free(text);
	json_decref(arr);
	return rc;
}

/*
 * Opens d, if it can be: a device that cannot open stays in the table and
 * fails its writes (so audit stays fail-closed), and is retried on every
 * write.
 */
static void device_open_logged(struct audit_device *d)
{
	struct buf msg = BUF_INIT;

	if (d->ops->open(d, &msg) != ERR_OK)
		log_error("audit",
		          "audit device %s cannot open: %s; its writes fail "
		          "until it can",
		          d->path, buf_str(&msg));
	buf_release(&msg);
}

/* One stored entry back into a device; opening is tried, not required. */
static err_t device_from_json(json_t *o, struct audit_device **out)
{
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *salt = json_string_value(json_object_get(o, "salt"));
	struct buf msg = BUF_INIT, raw = BUF_INIT;
	struct audit_device *d = NULL;
	err_t rc = ERR_STORAGE;

	if (path == NULL || type == NULL || salt == NULL ||
	    hex_decode(salt, &raw) != ERR_OK || raw.len != AUDIT_SALT_LEN)
		goto out;
	rc = device_new(path, type,
	                json_string_value(json_object_get(o, "description")),
	                json_object_get(o, "options"),
	                json_is_true(json_object_get(o, "local")), &d, &msg);
	if (rc != ERR_OK)
		goto out;
	memcpy(d->salt, raw.data, AUDIT_SALT_LEN);
	d->from_config = json_is_true(json_object_get(o, "config"));
	rc = audit_format_prepare(d);
	if (rc != ERR_OK) {
		device_free(d);
		goto out;
	}
	device_open_logged(d);
	*out = d;
out:
	if (rc != ERR_OK)
		log_error("audit", "stored audit device %s is unusable: %s",
		          path ? path : "?",
		          msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&raw);
	buf_release(&msg);
	return rc;
}

/* Reads the stored device table into b->devs (empty). */
static err_t table_read(struct audit_broker *b)
{
	struct buf text = BUF_INIT;
	json_t *arr = NULL, *item;
	bool found = false;
	size_t i;
	err_t rc;

	rc = storage_get(b->enc, AUDIT_TABLE_KEY, &text, &found);
	if (rc != ERR_OK || !found)
		goto out;
	arr = json_loadb((const char *)text.data, text.len, 0, NULL);
	if (!json_is_array(arr)) {
		rc = ERR_STORAGE;
		goto out;
	}
	b->devs = calloc(json_array_size(arr) + 1, sizeof(*b->devs));
	if (b->devs == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	json_array_foreach(arr, i, item)
	{
		/*
		 * An entry that cannot even be parsed is a corrupt table: the
		 * server must not run with less auditing than was configured.
		 */
		rc = device_from_json(item, &b->devs[b->n]);
		if (rc != ERR_OK)
			goto out;
		b->n++;
	}
out:
	json_decref(arr);
	/* The text holds the salts. */
	buf_release(&text);
	return rc;
}

/* The header configuration; a missing one is empty. */
static err_t headers_load(struct audit_broker *b)
{
	struct buf text = BUF_INIT;
	bool found = false;
	json_t *o;
	err_t rc;

	rc = storage_get(b->enc, AUDIT_HEADERS_KEY, &text, &found);
	if (rc != ERR_OK || !found)
		goto out;
	o = json_loadb((const char *)text.data, text.len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		rc = ERR_STORAGE;
		goto out;
	}
	json_decref(b->headers);
	b->headers = o;
out:
	buf_release(&text);
	return rc;
}

/* "file", "/file/", "file/" -> "file/"; refuses odd names. */
static err_t device_path(const char *in, struct buf *out)
{
	size_t n, i;

	while (*in == '/')
		in++;
	n = strlen(in);
	while (n > 0 && in[n - 1] == '/')
		n--;
	if (n == 0 || n > AUDIT_MAX_PATH)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch < 0x20 || ch == 0x7f || ch == '*' || ch == '+')
			return ERR_INVALID;
	}
	if (strstr(in, "..") != NULL || strstr(in, "//") != NULL)
		return ERR_INVALID;
	if (buf_append(out, in, n) != ERR_OK || buf_append_byte(out, '/'))
		return ERR_NOMEM;
	return ERR_OK;
}

static struct audit_device *find_device(struct audit_broker *b,
                                        const char *path, size_t *index)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->devs[i]->path, path) == 0) {
			if (index != NULL)
				*index = i;
			return b->devs[i];
		}
	}
	return NULL;
}

static struct audit_device *find_fallback(struct audit_broker *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->devs[i]->fallback)
			return b->devs[i];
	return NULL;
}

/* Removes devs[i] from the table (the device is not freed). */
static void table_remove(struct audit_broker *b, size_t i)
{
	memmove(&b->devs[i], &b->devs[i + 1],
	        (b->n - i - 1) * sizeof(*b->devs));
	b->n--;
}

static err_t table_append(struct audit_broker *b, struct audit_device *d)
{
	struct audit_device **p;

	p = realloc(b->devs, (b->n + 1) * sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	b->devs = p;
	b->devs[b->n++] = d;
	return ERR_OK;
}

/* ---- devices of the configuration file ------------------------------- */

/* The device of one declared entry ({type, path, ...}); not opened. */
static err_t declared_device(json_t *entry, struct audit_device **out,
                             struct buf *msg)
{
	const char *type = json_string_value(json_object_get(entry, "type"));
	const char *path = json_string_value(json_object_get(entry, "path"));
	err_t rc;

	if (type == NULL || path == NULL) {
		buf_append_str(msg, "an audit device needs a type and a path");
		return ERR_INVALID;
	}
	rc =
	    device_new(path, type,
	               json_string_value(json_object_get(entry, "description")),
	               json_object_get(entry, "options"),
	               json_is_true(json_object_get(entry, "local")), out, msg);
	if (rc == ERR_OK)
		(*out)->from_config = true;
	return rc;
}

/* Checks one declared entry; adds its normalised copy to list. */
static err_t configure_one(json_t *entry, json_t *list, size_t *fallbacks,
                           struct buf *msg)
{
	const char *path = json_string_value(json_object_get(entry, "path"));
	struct buf p = BUF_INIT;
	struct audit_device *d = NULL;
	json_t *copy = NULL, *v;
	size_t i;
	err_t rc;

	if (path == NULL || device_path(path, &p) != ERR_OK) {
		buf_printf(msg, "invalid audit device path \"%s\"",
		           path ? path : "");
		rc = ERR_INVALID;
		goto out;
	}
	json_array_foreach(list, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "path")),
		           buf_str(&p)) == 0) {
			buf_printf(msg,
			           "audit device path %s is declared "
			           "twice",
			           buf_str(&p));
			rc = ERR_INVALID;
			goto out;
		}
	}
	copy = json_deep_copy(entry);
	rc = copy == NULL ||
	             json_object_set_new(copy, "path", json_string(buf_str(&p)))
	         ? ERR_NOMEM
	         : declared_device(copy, &d, msg);
	if (rc == ERR_OK && d->ops->check != NULL)
		rc = d->ops->check(d, msg);
	if (rc == ERR_OK && d->fallback && ++*fallbacks > 1) {
		buf_append_str(msg, "only one audit device can be the "
		                    "fallback");
		rc = ERR_INVALID;
	}
	if (rc == ERR_OK && json_array_append(list, copy) != 0)
		rc = ERR_NOMEM;
out:
	if (rc != ERR_OK && msg->len > 0 && path != NULL)
		buf_printf(msg, " (audit device %s)", path);
	device_free(d);
	json_decref(copy);
	buf_release(&p);
	return rc;
}

err_t audit_broker_configure(struct audit_broker *b, json_t *declared,
                             bool api_allowed, struct buf *msg)
{
	json_t *list = json_array(), *entry;
	size_t i, fallbacks = 0;
	err_t rc = list ? ERR_OK : ERR_NOMEM;

	if (json_array_size(declared) > AUDIT_MAX_DEVICES) {
		buf_printf(msg, "more than %d audit devices",
		           AUDIT_MAX_DEVICES);
		rc = ERR_INVALID;
	}
	json_array_foreach(declared, i, entry)
	{
		if (rc == ERR_OK)
			rc = configure_one(entry, list, &fallbacks, msg);
	}
	if (rc != ERR_OK) {
		json_decref(list);
		return rc;
	}
	pthread_rwlock_wrlock(&b->lock);
	json_decref(b->declared);
	b->declared = list;
	b->api_allowed = api_allowed;
	pthread_rwlock_unlock(&b->lock);
	return ERR_OK;
}

static bool declared_at(struct audit_broker *b, const char *path)
{
	size_t i;
	json_t *v;

	json_array_foreach(b->declared, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "path")),
		           path) == 0)
			return true;
	}
	return false;
}

static bool same_settings(const struct audit_device *a,
                          const struct audit_device *b)
{
	return a->from_config == b->from_config &&
	       strcmp(a->type, b->type) == 0 &&
	       strcmp(a->description, b->description) == 0 &&
	       a->local == b->local && json_equal(a->options, b->options);
}

/*
 * Puts one declared device into the table: a device already at its path
 * gives it its salt (an operator's HMACs stay comparable across restarts
 * and configuration changes) and is replaced when its settings differ.
 */
static err_t reconcile_one(struct audit_broker *b, json_t *entry, bool *changed)
{
	struct buf msg = BUF_INIT;
	struct audit_device *d = NULL, *old;
	size_t i = 0;
	err_t rc;

	rc = declared_device(entry, &d, &msg);
	if (rc != ERR_OK)
		goto out;
	old = find_device(b, d->path, &i);
	if (old != NULL && same_settings(old, d))
		goto out;
	if (old != NULL && !old->from_config)
		log_warn("audit",
		         "audit device %s was enabled through the API; the "
		         "configuration file declares it and takes it over",
		         d->path);
	if (old != NULL)
		memcpy(d->salt, old->salt, AUDIT_SALT_LEN);
	else
		rc = rand_bytes(d->salt, sizeof(d->salt));
	if (rc == ERR_OK)
		rc = audit_format_prepare(d);
	if (rc == ERR_OK && old == NULL)
		rc = table_append(b, d);
	if (rc != ERR_OK)
		goto out;
	if (old != NULL) {
		b->devs[i] = d;
		device_free(old);
	}
	device_open_logged(d);
	log_info("audit", "%s audit device at %s from the configuration file",
	         old ? "updated" : "enabled", d->path);
	*changed = true;
	d = NULL;
out:
	if (rc != ERR_OK)
		log_error("audit", "cannot set up audit device %s: %s",
		          d ? d->path : "?",
		          msg.len ? buf_str(&msg) : err_str(rc));
	device_free(d);
	buf_release(&msg);
	return rc;
}

/* Makes the loaded table agree with the declared devices. */
static err_t reconcile(struct audit_broker *b, bool *changed)
{
	size_t i = 0;
	json_t *entry;
	err_t rc = ERR_OK;

	while (i < b->n) {
		struct audit_device *d = b->devs[i];
		if (!d->from_config || declared_at(b, d->path)) {
			i++;
			continue;
		}
		log_info("audit",
		         "disabled audit device at %s: the configuration file "
		         "no longer declares it",
		         d->path);
		table_remove(b, i);
		device_free(d);
		*changed = true;
	}
	json_array_foreach(b->declared, i, entry)
	{
		if (rc == ERR_OK)
			rc = reconcile_one(b, entry, changed);
	}
	return rc;
}

/* ---- life cycle ------------------------------------------------------ */

/* Closes every device and wipes the salts; write lock held. */
static void broker_unload_locked(struct audit_broker *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		device_free(b->devs[i]);
	free(b->devs);
	b->devs = NULL;
	b->n = 0;
	json_object_clear(b->headers);
	b->enc = NULL;
}

err_t audit_broker_load(struct audit_broker *b, struct storage *enc)
{
	bool changed = false;
	err_t rc;

	pthread_rwlock_wrlock(&b->lock);
	broker_unload_locked(b);
	b->enc = enc;
	rc = table_read(b);
	if (rc == ERR_OK)
		rc = headers_load(b);
	if (rc == ERR_OK)
		rc = reconcile(b, &changed);
	if (rc == ERR_OK && changed)
		rc = broker_save(b);
	if (rc != ERR_OK)
		broker_unload_locked(b);
	else if (b->n > 0)
		log_info("audit", "loaded %zu audit devices", b->n);
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

void audit_broker_unload(struct audit_broker *b)
{
	if (b == NULL)
		return;
	pthread_rwlock_wrlock(&b->lock);
	broker_unload_locked(b);
	pthread_rwlock_unlock(&b->lock);
}

err_t audit_broker_new(struct storage *enc, struct audit_broker **out)
{
	struct audit_broker *b = calloc(1, sizeof(*b));
	err_t rc = ERR_OK;

	if (b == NULL)
		return ERR_NOMEM;
	pthread_rwlock_init(&b->lock, NULL);
	b->api_allowed = true;
	b->headers = json_object();
	b->declared = json_array();
	if (b->headers == NULL || b->declared == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK && enc != NULL)
		rc = audit_broker_load(b, enc);
	if (rc != ERR_OK) {
		audit_broker_free(b);
		return rc;
	}
	*out = b;
	return ERR_OK;
}

void audit_broker_free(struct audit_broker *b)
{
	if (b == NULL)
		return;
	audit_broker_unload(b);
	json_decref(b->headers);
	json_decref(b->declared);
	pthread_rwlock_destroy(&b->lock);
	free(b);
}

/* ---- sys/audit ------------------------------------------------------- */

static err_t api_locked(struct response *resp)
{
	return response_error(resp, ERR_INVALID,
	                      "audit devices cannot be changed through the "
	                      "API on this server "
	                      "(unsafe_allow_api_audit_creation is false): "
	                      "declare them in the configuration file");
}

/* Reads the enable body into a device that is not yet open. */
static err_t enable_params(const char *path, json_t *params,
                           struct audit_device **out, struct buf *msg)
{
	const char *type = NULL, *desc = NULL;
	json_t *options = NULL;
	bool local = false;
	err_t rc;

	if (param_str(params, "type", &type) != ERR_OK || type[0] == 0) {
		buf_append_str(msg, "missing or invalid \"type\"");
		return ERR_INVALID;
	}
	if (param_str(params, "description", &desc) == ERR_INVALID ||
	    param_bool(params, "local", &local) == ERR_INVALID) {
		buf_append_str(msg, "description must be a string and local "
		                    "a boolean");
		return ERR_INVALID;
	}
	if (param_strmap(params, "options", &options) == ERR_INVALID) {
		buf_append_str(msg, "options must be a map of strings");
		return ERR_INVALID;
	}
	rc = device_new(path, type, desc, options, local, out, msg);
	json_decref(options);
	return rc;
}

/* Adds d to the table and stores the table; write lock held. */
static err_t broker_add(struct audit_broker *b, struct audit_device *d,
                        struct response *resp)
{
	const struct audit_device *fb = find_fallback(b);
	err_t rc;

	if (find_device(b, d->path, NULL) != NULL)
		return response_error(resp, ERR_INVALID, "path already in use");
	if (b->n >= AUDIT_MAX_DEVICES)
		return response_error(resp, ERR_INVALID,
		                      "too many audit devices");
	if (d->fallback && fb != NULL)
		return response_error(resp, ERR_INVALID,
		                      "the audit device at %s is the fallback "
		                      "already; there can be only one",
		                      fb->path);
	if (b->enc == NULL)
		return response_error(resp, ERR_SEALED, "Vault is sealed");
	rc = table_append(b, d);
	if (rc == ERR_OK && (rc = broker_save(b)) != ERR_OK)
		b->n--;
	return rc == ERR_OK ? ERR_OK : response_error(resp, rc, NULL);
}

err_t audit_broker_enable(struct audit_broker *b, const char *path,
                          json_t *params, struct response *resp)
{
	struct buf p = BUF_INIT, msg = BUF_INIT;
	struct audit_device *d = NULL;
	err_t rc;

	if (!b->api_allowed)
		return api_locked(resp);
	rc = device_path(path, &p);
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "invalid audit device path");
		goto out;
	}
	rc = enable_params(buf_str(&p), params, &d, &msg);
	if (rc == ERR_OK)
		rc = rand_bytes(d->salt, sizeof(d->salt));
	if (rc == ERR_OK)
		rc = audit_format_prepare(d);
	if (rc == ERR_OK)
		rc = d->ops->open(d, &msg);
	if (rc != ERR_OK) {
		/* A destination that cannot be reached is the caller's input.
		 */
		rc = response_error(resp, rc == ERR_IO ? ERR_INVALID : rc, "%s",
		                    msg.len ? buf_str(&msg) : err_str(rc));
		goto out;
	}

	pthread_rwlock_wrlock(&b->lock);
	rc = broker_add(b, d, resp);
	pthread_rwlock_unlock(&b->lock);
	if (rc == ERR_OK) {
		log_info("audit", "enabled %s audit device at %s", d->type,
		         d->path);
		d = NULL;
	}
out:
	device_free(d);
	buf_release(&p);
	buf_release(&msg);
	return rc;
}

/* Takes d (at devs[i]) out of the table and stores it; write lock held. */
static err_t broker_remove(struct audit_broker *b, struct audit_device *d,
                           size_t i, struct response *resp)
{
	err_t rc;

	if (d->from_config)
		return response_error(resp, ERR_INVALID,
		                      "the audit device at %s is declared in "
		                      "the configuration file: remove it there",
		                      d->path);
	table_remove(b, i);
	rc = broker_save(b);
	if (rc != ERR_OK) {
		/* Back where it was: the array still has its room. */
		memmove(&b->devs[i + 1], &b->devs[i],
		        (b->n - i) * sizeof(*b->devs));
		b->devs[i] = d;
		b->n++;
		return response_error(resp, rc, NULL);
	}
	return ERR_OK;
}

err_t audit_broker_disable(struct audit_broker *b, const char *path,
                           struct response *resp)
{
	struct buf p = BUF_INIT;
	struct audit_device *d = NULL;
	size_t i = 0;
	err_t rc;

	if (!b->api_allowed)
		return api_locked(resp);
	rc = device_path(path, &p);
	if (rc != ERR_OK) {
		buf_release(&p);
		return response_error(resp, rc, "invalid audit device path");
	}
	pthread_rwlock_wrlock(&b->lock);
	d = find_device(b, buf_str(&p), &i);
	if (d != NULL && (rc = broker_remove(b, d, i, resp)) != ERR_OK)
		d = NULL;
	pthread_rwlock_unlock(&b->lock);
	/* Vault answers 204 for a path with no device: nothing to do. */
	if (d != NULL)
		log_info("audit", "disabled audit device at %s", d->path);
	device_free(d);
	buf_release(&p);
	return rc;
}

/* The options as listed: secret values hidden. */
static json_t *shown_options(const struct audit_device *d)
{
	json_t *o = json_deep_copy(d->options), *v;
	const char *key;

	json_object_foreach(o, key, v)
	{
		if (in_list(d->ops->secret_options, key))
			json_object_set_new(o, key, json_string("(redacted)"));
	}
	return o;
}

json_t *audit_broker_list(struct audit_broker *b)
{
	json_t *data = json_object();
	size_t i;

	pthread_rwlock_rdlock(&b->lock);
	for (i = 0; data != NULL && i < b->n; i++) {
		struct audit_device *d = b->devs[i];
		if (json_object_set_new(
		        data, d->path,
		        json_pack("{s:s, s:s, s:o, s:s, s:b}", "type", d->type,
		                  "description", d->description, "options",
		                  shown_options(d), "path", d->path, "local",
		                  d->local))) {
			json_decref(data);
			data = NULL;
		}
	}
	pthread_rwlock_unlock(&b->lock);
	return data;
}

err_t audit_broker_hash(struct audit_broker *b, const char *path,
                        const char *input, size_t len, struct buf *out)
{
	struct buf p = BUF_INIT;
	struct audit_device *d;
	err_t rc;

	rc = device_path(path, &p);
	if (rc != ERR_OK) {
		buf_release(&p);
		return ERR_NOT_FOUND;
	}
	pthread_rwlock_rdlock(&b->lock);
	d = find_device(b, buf_str(&p), NULL);
	rc = d ? audit_hmac(d->salt, input, len, out) : ERR_NOT_FOUND;
	pthread_rwlock_unlock(&b->lock);
	buf_release(&p);
	return rc;
}

/* ---- recording ------------------------------------------------------- */

static bool list_has(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		const char *item = json_string_value(v);
		if (item != NULL && strcmp(item, s) == 0)
			return true;
	}
	return false;
}

static bool list_has_prefix_of(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		const char *item = json_string_value(v);
		if (item != NULL && strncmp(s, item, strlen(item)) == 0)
			return true;
	}
	return false;
}

/* Whether d's filters take the record of in; no filter takes everything. */
static bool device_wants(const struct audit_device *d,
                         const struct audit_input *in)
{
	const char *ns = in->req->ns[0] ? in->req->ns : "root";
	struct audit_filter_fields fields = {in->mount_point, in->mount_type,
	                                     in->req->ns, op_name(in->req->op),
	                                     in->req->path};

	if (d->filter_mounts != NULL &&
	    !list_has_prefix_of(d->filter_mounts, in->mount_point))
		return false;
	if (d->filter_operations != NULL &&
	    !list_has(d->filter_operations, op_name(in->req->op)))
		return false;
	if (d->filter_namespaces != NULL && !list_has(d->filter_namespaces, ns))
		return false;
	return d->filter == NULL || audit_filter_match(d->filter, &fields);
}

/* Formats and writes one record to d; reopens a device that is closed. */
static err_t device_log(struct audit_device *d, const struct audit_input *in)
{
	struct buf line, msg = BUF_INIT;
	err_t rc;

	buf_init(&line, 0);
	rc = buf_reserve(&line, AUDIT_LINE_START);
	if (rc == ERR_OK)
		rc = audit_format_write(d, in, &line);
	if (rc != ERR_OK)
		goto out;
	pthread_mutex_lock(&d->lock);
	rc = d->state != NULL ? ERR_OK : d->ops->open(d, &msg);
	/* The line ends in its '\n', which write() may use but not count. */
	if (rc == ERR_OK)
		rc = d->ops->write(d, (const char *)line.data, line.len - 1);
	pthread_mutex_unlock(&d->lock);
out:
	/* With log_raw the line holds secrets: buf_release wipes it. */
	buf_release(&line);
	buf_release(&msg);
	return rc;
}

/* Hands in to d, counting what was wanted and what was recorded. */
static void device_try(struct audit_device *d, const struct audit_input *in,
                       size_t *recorded)
{
	err_t rc = device_log(d, in);

	if (rc == ERR_OK)
		(*recorded)++;
	else
		log_error("audit", "audit device %s failed to record a %s: %s",
		          d->path, in->resp ? "response" : "request",
		          err_str(rc));
}

err_t audit_broker_log(struct audit_broker *b, const struct audit_input *in)
{
	size_t i, wanted = 0, recorded = 0;
	struct audit_device *fallback = NULL;
	struct audit_input with_headers;

	if (b == NULL)
		return ERR_OK;
	pthread_rwlock_rdlock(&b->lock);
	/* The configuration is read under the lock that guards it. */
	with_headers = *in;
	with_headers.header_config = b->headers;
	for (i = 0; i < b->n; i++) {
		struct audit_device *d = b->devs[i];
		if (d->fallback) {
			fallback = fallback ? fallback : d;
			continue;
		}
		if (!device_wants(d, in))
			continue;
		wanted++;
		device_try(d, &with_headers, &recorded);
	}
	/* What every device left out goes to the fallback, as in Vault. */
	if (wanted == 0 && fallback != NULL) {
		wanted++;
		device_try(fallback, &with_headers, &recorded);
	}
	pthread_rwlock_unlock(&b->lock);
	return wanted > 0 && recorded == 0 ? ERR_IO : ERR_OK;
}

json_t *audit_broker_headers(struct audit_broker *b)
{
	json_t *copy;

	pthread_rwlock_rdlock(&b->lock);
	copy = json_deep_copy(b->headers);
	pthread_rwlock_unlock(&b->lock);
	return copy;
}

/* An HTTP field name (RFC 9110 token), lowercased into out. */
static err_t header_name(const char *in, struct buf *out)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	size_t i, n = strlen(in);

	if (n == 0 || n > AUDIT_MAX_HEADER_NAME)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		char ch = in[i];
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') ||
		          (ch != 0 && strchr(extra, ch) != NULL);
		if (!ok)
			return ERR_INVALID;
		if (buf_append_byte(out, ch >= 'A' && ch <= 'Z'
		                             ? (uint8_t)(ch - 'A' + 'a')
		                             : (uint8_t)ch) != ERR_OK)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Stores next as the header configuration and adopts it; lock held. */
static err_t headers_commit(struct audit_broker *b, json_t *next)
{
	char *text;
	err_t rc = ERR_NOMEM;

	if (b->enc == NULL)
		return ERR_SEALED;
	text = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
	if (text != NULL)
		rc = storage_put(b->enc, AUDIT_HEADERS_KEY,
		                 (const uint8_t *)text, strlen(text));
	free(text);
	if (rc != ERR_OK)
		return rc;
	json_decref(b->headers);
	b->headers = json_incref(next);
	return ERR_OK;
}

/* Sets (value not NULL, stolen) or removes the entry of name. */
static err_t headers_change(struct audit_broker *b, const char *name,
                            json_t *value, struct response *resp)
{
	struct buf n = BUF_INIT;
	json_t *next = NULL;
	err_t rc;

	rc = header_name(name, &n);
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "invalid header name");
		goto out;
	}
	pthread_rwlock_wrlock(&b->lock);
	next = json_deep_copy(b->headers);
	if (next == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else if (value == NULL)
		rc = json_object_del(next, buf_str(&n)) == 0
		         ? headers_commit(b, next)
		         : ERR_OK;
	else if (json_object_get(next, buf_str(&n)) == NULL &&
	         json_object_size(next) >= AUDIT_MAX_HEADERS)
		rc = response_error(resp, ERR_INVALID,
		                    "too many audited request headers");
	else if (json_object_set(next, buf_str(&n), value) != 0)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else
		rc = headers_commit(b, next);
	pthread_rwlock_unlock(&b->lock);
	if (rc != ERR_OK && resp->err == ERR_OK)
		response_error(resp, rc, "%s", err_str(rc));
out:
	json_decref(next);
	json_decref(value);
	buf_release(&n);
	return rc;
}

err_t audit_broker_header_set(struct audit_broker *b, const char *name,
                              bool hmac, struct response *resp)
{
	json_t *v = json_pack("{s:b}", "hmac", hmac);

	if (v == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	return headers_change(b, name, v, resp);
}

err_t audit_broker_header_delete(struct audit_broker *b, const char *name,
                                 struct response *resp)
{
	return headers_change(b, name, NULL, resp);
}

void audit_broker_reopen(struct audit_broker *b)
{
	size_t i;

	if (b == NULL)
		return;
	pthread_rwlock_rdlock(&b->lock);
	for (i = 0; i < b->n; i++) {
		struct audit_device *d = b->devs[i];
		if (d->ops->reopen == NULL)
			continue;
		pthread_mutex_lock(&d->lock);
		d->ops->reopen(d);
		pthread_mutex_unlock(&d->lock);
	}
	pthread_rwlock_unlock(&b->lock);
	log_info("audit", "audit devices reopened");
}

size_t audit_broker_count(struct audit_broker *b)
{
	size_t n;

	if (b == NULL)
		return 0;
	pthread_rwlock_rdlock(&b->lock);
	n = b->n;
	pthread_rwlock_unlock(&b->lock);
	return n;
}

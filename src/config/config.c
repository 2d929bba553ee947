/*
 * config.c - reading and checking the server configuration file.
 *
 * The HCL parser gives a tree without a schema; this file is the schema.
 * Every key is looked up in a table, so an unknown or repeated key is an
 * error with its line, never silently ignored: a typo in "tls_disable"
 * must not leave a listener in a state the operator did not ask for.
 */
#include "config/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "hcl/hcl.h"

struct cfg_ctx {
	const char *name;
	char *errmsg;
	size_t errlen;
};

static err_t cfg_fail(struct cfg_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "name:line: reason" (or "name: reason" without a line). */
static err_t cfg_fail(struct cfg_ctx *c, int line, const char *fmt, ...)
{
	char reason[256], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Keys come from the file; keep the message on one line. */
	for (p = reason; *p != 0; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (c->errmsg == NULL || c->errlen == 0)
		return ERR_INVALID;
	if (line > 0)
		snprintf(c->errmsg, c->errlen, "%s:%d: %s", c->name, line,
		         reason);
	else
		snprintf(c->errmsg, c->errlen, "%s: %s", c->name, reason);
	return ERR_INVALID;
}

static err_t bad_value(struct cfg_ctx *c, const struct hcl_node *m,
                       const char *why)
{
	return cfg_fail(c, m->line, "invalid value for \"%.40s\": %s", m->key,
	                why);
}

static err_t set_str(char **dst, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		return ERR_NOMEM;
	free(*dst);
	*dst = copy;
	return ERR_OK;
}

/* ---- typed values ------------------------------------------------------- */

static err_t get_string(struct cfg_ctx *c, const struct hcl_node *m, char **dst)
{
	if (m->type != HCL_STRING)
		return bad_value(c, m, "must be a string");
	if (m->len == 0)
		return bad_value(c, m, "must not be empty");
	return set_str(dst, m->str);
}

/* true/false, 0/1, or a string parse_bool takes ("true", "1", ...). */
static err_t get_bool(struct cfg_ctx *c, const struct hcl_node *m, bool *out)
{
	if (m->type == HCL_BOOL) {
		*out = m->b;
		return ERR_OK;
	}
	if (m->type == HCL_INT && (m->i == 0 || m->i == 1)) {
		*out = m->i == 1;
		return ERR_OK;
	}
	if (m->type == HCL_STRING && parse_bool(m->str, out))
		return ERR_OK;
	return bad_value(c, m, "must be true or false");
}

/* Whole seconds, or a duration string such as "90s" or "768h"; > 0. */
static err_t get_duration(struct cfg_ctx *c, const struct hcl_node *m,
                          int64_t *out)
{
	char num[32];
	const char *text;

	if (m->type == HCL_INT) {
		snprintf(num, sizeof(num), "%lld", (long long)m->i);
		text = num;
	} else if (m->type == HCL_STRING) {
		text = m->str;
	} else {
		return bad_value(c, m, "must be a duration such as \"90s\"");
	}
	if (parse_duration(text, out) != ERR_OK)
		return bad_value(c, m, "must be a duration such as \"90s\"");
	if (*out <= 0)
		return bad_value(c, m, "must be longer than zero");
	return ERR_OK;
}

/* A positive integer number of bytes. */
static err_t get_size(struct cfg_ctx *c, const struct hcl_node *m, size_t *out)
{
	if (m->type != HCL_INT)
		return bad_value(c, m, "must be an integer number of bytes");
	if (m->i <= 0)
		return bad_value(c, m, "must be greater than zero");
	if ((uint64_t)m->i > SIZE_MAX)
		return bad_value(c, m, "too large");
	*out = (size_t)m->i;
	return ERR_OK;
}

/*
 * Finds key in a table of names; an unknown key or the second use of a
 * known one is an error. seen is a bit set over the table's indices.
 */
static err_t key_index(struct cfg_ctx *c, const struct hcl_node *m,
                       const char *const *names, size_t n, unsigned *seen,
                       size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m->key, names[i]) == 0)
			break;
	if (i == n)
		return cfg_fail(c, m->line, "unknown key \"%.40s\"", m->key);
	if (*seen & (1u << i))
		return cfg_fail(c, m->line, "duplicate key \"%.40s\"", m->key);
	*seen |= 1u << i;
	*idx = i;
	return ERR_OK;
}

static err_t from_hcl_error(struct cfg_ctx *c, err_t rc,
                            const struct hcl_error *e)
{
	if (rc != ERR_INVALID) {
		cfg_fail(c, 0, "%s", err_str(rc));
		return rc;
	}
	return cfg_fail(c, e->line, "%s", e->msg);
}

/* ---- storage ------------------------------------------------------------- */

/* A scalar as the string the storage backend will parse. */
static json_t *scalar_text(const struct hcl_node *m)
{
	char num[64];

	switch (m->type) {
	case HCL_STRING:
		return json_stringn(m->str, m->len);
	case HCL_INT:
		snprintf(num, sizeof(num), "%lld", (long long)m->i);
		return json_string(num);
	case HCL_FLOAT:
		snprintf(num, sizeof(num), "%.17g", m->f);
		return json_string(num);
	case HCL_BOOL:
		return json_string(m->b ? "true" : "false");
	default:
		return NULL;
	}
}

static err_t storage_body(struct cfg_ctx *c, const struct hcl_node *body,
                          json_t *conf)
{
	const struct hcl_node *m;
	json_t *v;

	for (m = body->child; m != NULL; m = m->next) {
		if (m->type == HCL_OBJECT || m->type == HCL_LIST)
			return bad_value(c, m,
			                 "must be a string, number or bool");
		if (json_object_get(conf, m->key) != NULL)
			return cfg_fail(c, m->line, "duplicate key \"%.40s\"",
			                m->key);
		v = scalar_text(m);
		if (v == NULL || json_object_set_new(conf, m->key, v) != 0)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

static err_t parse_storage(struct cfg_ctx *c, const struct hcl_node *root,
                           struct server_config *out)
{
	struct hcl_block *blocks = NULL;
	struct hcl_error e;
	size_t n = 0;
	const char *type;
	err_t rc;

	rc = hcl_blocks(root, "storage", 1, &blocks, &n, &e);
	if (rc != ERR_OK)
		return from_hcl_error(c, rc, &e);
	if (n == 0) {
		rc = cfg_fail(c, 0, "a storage block is required");
		goto out;
	}
	if (n > 1) {
		rc = cfg_fail(c, blocks[1].line,
		              "only one storage block is allowed");
		goto out;
	}

	type = blocks[0].labels[0];
	if (strcmp(type, "sqlite") != 0 && strcmp(type, "inmem") != 0 &&
	    strcmp(type, "postgresql") != 0) {
		rc = cfg_fail(c, blocks[0].line,
		              "unsupported storage type \"%.40s\" (use sqlite, "
		              "postgresql or inmem)",
		              type);
		goto out;
	}
	rc = set_str(&out->storage_type, type);
	if (rc != ERR_OK)
		goto out;
	out->storage_config = json_object();
	if (out->storage_config == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = storage_body(c, blocks[0].body, out->storage_config);

out:
	free(blocks);
	return rc;
}

/* ---- listeners ----------------------------------------------------------- */

static const char *const listener_keys[] = {
    "address",          "tls_disable",          "tls_cert_file",
    "tls_key_file",     "tls_client_ca_file",   "tls_min_version",
    "max_request_size", "max_request_duration",
};

enum listener_key {
	LK_ADDRESS,
	LK_TLS_DISABLE,
	LK_TLS_CERT,
	LK_TLS_KEY,
	LK_TLS_CA,
	LK_TLS_MIN,
	LK_SIZE,
	LK_DURATION,
};

static err_t listener_key(struct cfg_ctx *c, const struct hcl_node *m,
                          enum listener_key k, struct listener_config *l)
{
	switch (k) {
	case LK_ADDRESS:
		return get_string(c, m, &l->address);
	case LK_TLS_DISABLE:
		return get_bool(c, m, &l->tls_disable);
	case LK_TLS_CERT:
		return get_string(c, m, &l->tls_cert_file);
	case LK_TLS_KEY:
		return get_string(c, m, &l->tls_key_file);
	case LK_TLS_CA:
		return get_string(c, m, &l->tls_client_ca_file);
	case LK_TLS_MIN:
		if (m->type != HCL_STRING || (strcmp(m->str, "tls12") != 0 &&
		                              strcmp(m->str, "tls13") != 0))
			return bad_value(c, m,
			                 "must be \"tls12\" or \"tls13\"");
		return set_str(&l->tls_min_version, m->str);
	case LK_SIZE:
		return get_size(c, m, &l->max_request_size);
	case LK_DURATION:
		return get_duration(c, m, &l->max_request_duration);
	}
	return ERR_INTERNAL;
}

/* Fills l from one listener block; *size_set tells whether it set its own
 * max_request_size, so the top-level default does not override it. */
static err_t parse_listener(struct cfg_ctx *c, const struct hcl_block *blk,
                            struct listener_config *l, bool *size_set)
{
	const size_t n_keys = sizeof(listener_keys) / sizeof(listener_keys[0]);
	const struct hcl_node *m;
	unsigned seen = 0;
	size_t k = 0;
	err_t rc;

	listener_config_defaults(l);
	if (l->address == NULL || l->tls_min_version == NULL)
		return ERR_NOMEM;
	if (strcmp(blk->labels[0], "tcp") != 0)
		return cfg_fail(c, blk->line,
		                "unsupported listener type \"%.40s\" (use tcp)",
		                blk->labels[0]);

	for (m = blk->body->child; m != NULL; m = m->next) {
		rc = key_index(c, m, listener_keys, n_keys, &seen, &k);
		if (rc == ERR_OK)
			rc = listener_key(c, m, (enum listener_key)k, l);
		if (rc != ERR_OK)
			return rc;
	}
	*size_set = (seen & (1u << LK_SIZE)) != 0;

	if (!l->tls_disable &&
	    (l->tls_cert_file == NULL || l->tls_key_file == NULL))
		return cfg_fail(c, blk->line,
		                "listener needs tls_cert_file and tls_key_file "
		                "unless tls_disable is true");
	return ERR_OK;
}

static err_t parse_listeners(struct cfg_ctx *c, const struct hcl_node *root,
                             size_t top_size, struct server_config *out)
{
	struct hcl_block *blocks = NULL;
	struct hcl_error e;
	size_t n = 0, i;
	bool size_set = false;
	err_t rc;

	rc = hcl_blocks(root, "listener", 1, &blocks, &n, &e);
	if (rc != ERR_OK)
		return from_hcl_error(c, rc, &e);
	if (n == 0) {
		rc = cfg_fail(c, 0, "at least one listener block is required");
		goto out;
	}
	out->listeners = calloc(n, sizeof(*out->listeners));
	if (out->listeners == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}

	for (i = 0; i < n; i++) {
		/* Counted first, so that config_release frees a half-filled
		 * listener too. */
		out->n_listeners++;
		rc = parse_listener(c, &blocks[i], &out->listeners[i],
		                    &size_set);
		if (rc != ERR_OK)
			goto out;
		if (!size_set)
			out->listeners[i].max_request_size = top_size;
	}

out:
	free(blocks);
	return rc;
}

/* ---- audit devices ------------------------------------------------------
 *
 * audit "<type>" "<path>" { description = "", local = false,
 *                           options = { key = "value" } }
 * the shape OpenBao gives declarative audit devices (HashiCorp Vault has
 * none). The options are checked by the audit broker at start, where the
 * device types are known; here only the shape is.
 */

static const char *const audit_keys[] = {"description", "local", "options"};

/* The options block: scalars only, each turned into a string. */
static err_t audit_options(struct cfg_ctx *c, const struct hcl_node *m,
                           json_t *out)
{
	const struct hcl_node *o;
	json_t *v;

	if (m->type != HCL_OBJECT)
		return bad_value(c, m, "must be a block of options");
	for (o = m->child; o != NULL; o = o->next) {
		if (o->type == HCL_OBJECT || o->type == HCL_LIST)
			return bad_value(c, o,
			                 "must be a string, number or bool");
		if (json_object_get(out, o->key) != NULL)
			return cfg_fail(c, o->line, "duplicate key \"%.40s\"",
			                o->key);
		v = scalar_text(o);
		if (v == NULL || json_object_set_new(out, o->key, v) != 0)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

static err_t audit_key(struct cfg_ctx *c, const struct hcl_node *m, size_t k,
                       json_t *dev)
{
	bool local = false;
	err_t rc;

	switch (k) {
	case 0:
		if (m->type != HCL_STRING)
			return bad_value(c, m, "must be a string");
		if (json_object_set_new(dev, "description",
		                        json_string(m->str)) != 0)
			return ERR_NOMEM;
		return ERR_OK;
	case 1:
		rc = get_bool(c, m, &local);
		if (rc == ERR_OK &&
		    json_object_set_new(dev, "local", json_boolean(local)) != 0)
			rc = ERR_NOMEM;
		return rc;
	default:
		return audit_options(c, m, json_object_get(dev, "options"));
	}
}

/* One audit block into a device entry appended to out. */
static err_t parse_audit(struct cfg_ctx *c, const struct hcl_block *blk,
                         json_t *out)
{
	const size_t n_keys = sizeof(audit_keys) / sizeof(audit_keys[0]);
	const struct hcl_node *m;
	unsigned seen = 0;
	size_t k = 0;
	json_t *dev;
	err_t rc = ERR_OK;

	dev = json_pack("{s:s, s:s, s:s, s:b, s:{}}", "type", blk->labels[0],
	                "path", blk->labels[1], "description", "", "local", 0,
	                "options");
	if (dev == NULL || json_array_append_new(out, dev) != 0)
		return ERR_NOMEM;
	if (blk->labels[0][0] == 0 || blk->labels[1][0] == 0)
		return cfg_fail(c, blk->line,
		                "an audit block needs a type and a path "
		                "label: audit \"file\" \"trail\" { ... }");
	for (m = blk->body->child; rc == ERR_OK && m != NULL; m = m->next) {
		rc = key_index(c, m, audit_keys, n_keys, &seen, &k);
		if (rc == ERR_OK)
			rc = audit_key(c, m, k, dev);
	}
	return rc;
}

static err_t parse_audits(struct cfg_ctx *c, const struct hcl_node *root,
                          struct server_config *out)
{
	const struct hcl_node *m;
	struct hcl_block *blocks = NULL;
	struct hcl_error e;
	size_t n = 0, i;
	err_t rc;

	/* audit "file" { options = {...} } would read "options" as the path. */
	for (m = root->child; m != NULL; m = m->next)
		if (strcmp(m->key, "audit") == 0 && m->n_labels == 1)
			return cfg_fail(
			    c, m->line,
			    "an audit block needs a type and a path "
			    "label: audit \"file\" \"trail\" { ... }");
	rc = hcl_blocks(root, "audit", 2, &blocks, &n, &e);
	if (rc != ERR_OK)
		return from_hcl_error(c, rc, &e);
	if (n > 0 && (out->audit_devices = json_array()) == NULL)
		rc = ERR_NOMEM;
	for (i = 0; rc == ERR_OK && i < n; i++)
		rc = parse_audit(c, &blocks[i], out->audit_devices);
	free(blocks);
	return rc;
}

/* ---- top level ------------------------------------------------------------
 */

static const char *const top_keys[] = {
    "storage",
    "listener",
    "api_addr",
    "disable_mlock",
    "log_level",
    "default_lease_ttl",
    "max_lease_ttl",
    "max_request_size",
    "disable_clustering",
    "audit",
    "unsafe_allow_api_audit_creation",
};

enum top_key {
	TK_STORAGE,
	TK_LISTENER,
	TK_API_ADDR,
	TK_MLOCK,
	TK_LOG_LEVEL,
	TK_DEFAULT_TTL,
	TK_MAX_TTL,
	TK_SIZE,
	TK_CLUSTERING,
	TK_AUDIT,
	TK_AUDIT_API,
};

/* The settings read from plain top-level keys, before cross-checks. */
struct top_values {
	size_t max_request_size;
	int ttl_line; /* where a TTL was set, for the cross-check message */
};

static err_t top_key(struct cfg_ctx *c, const struct hcl_node *m,
                     enum top_key k, struct server_config *out,
                     struct top_values *tv)
{
	enum log_level level;
	bool allowed = true;
	err_t rc;

	switch (k) {
	case TK_STORAGE:
	case TK_LISTENER:
	case TK_AUDIT:
		/* Blocks, read by hcl_blocks; they may repeat. */
		return ERR_OK;
	case TK_AUDIT_API:
		rc = get_bool(c, m, &allowed);
		out->audit_api_disabled = !allowed;
		return rc;
	case TK_API_ADDR:
		return get_string(c, m, &out->api_addr);
	case TK_MLOCK:
		return get_bool(c, m, &out->disable_mlock);
	case TK_LOG_LEVEL:
		if (m->type != HCL_STRING || !log_parse_level(m->str, &level))
			return bad_value(c, m,
			                 "must be trace, debug, info, warn or "
			                 "error");
		return set_str(&out->log_level, m->str);
	case TK_DEFAULT_TTL:
		tv->ttl_line = m->line;
		return get_duration(c, m, &out->default_lease_ttl);
	case TK_MAX_TTL:
		if (tv->ttl_line == 0)
			tv->ttl_line = m->line;
		return get_duration(c, m, &out->max_lease_ttl);
	case TK_SIZE:
		return get_size(c, m, &tv->max_request_size);
	case TK_CLUSTERING:
		return get_bool(c, m, &out->disable_clustering);
	}
	return ERR_INTERNAL;
}

static err_t parse_top(struct cfg_ctx *c, const struct hcl_node *root,
                       struct server_config *out)
{
	const size_t n_keys = sizeof(top_keys) / sizeof(top_keys[0]);
	struct top_values tv = {CONFIG_DEFAULT_REQUEST_SIZE, 0};
	const struct hcl_node *m;
	unsigned seen = 0;
	size_t k = 0;
	err_t rc;

	out->default_lease_ttl = CONFIG_DEFAULT_LEASE_TTL;
	out->max_lease_ttl = CONFIG_DEFAULT_LEASE_TTL;
	/*
	 * Audit devices come from this file unless the operator opts in:
	 * a root token must not be enough to point the trail at a file of
	 * its choosing or to turn it off (CVE-2025-6000, perf-security B4).
	 */
	out->audit_api_disabled = true;
	for (m = root->child; m != NULL; m = m->next) {
		rc = key_index(c, m, top_keys, n_keys, &seen, &k);
		if (rc == ERR_OK)
			rc = top_key(c, m, (enum top_key)k, out, &tv);
		if (rc != ERR_OK)
			return rc;
		/* Blocks repeat; their count is checked by their parsers. */
		seen &= ~((1u << TK_STORAGE) | (1u << TK_LISTENER) |
		          (1u << TK_AUDIT));
	}
	if (out->default_lease_ttl > out->max_lease_ttl)
		return cfg_fail(c, tv.ttl_line,
		                "default_lease_ttl (%llds) is longer than "
		                "max_lease_ttl (%llds)",
		                (long long)out->default_lease_ttl,
		                (long long)out->max_lease_ttl);

	rc = parse_storage(c, root, out);
	if (rc == ERR_OK)
		rc = parse_listeners(c, root, tv.max_request_size, out);
	if (rc == ERR_OK)
		rc = parse_audits(c, root, out);
	return rc;
}

void listener_config_defaults(struct listener_config *l)
{
	memset(l, 0, sizeof(*l));
	l->address = strdup(CONFIG_DEFAULT_ADDRESS);
	l->tls_min_version = strdup("tls12");
	l->max_request_size = CONFIG_DEFAULT_REQUEST_SIZE;
	l->max_request_duration = CONFIG_DEFAULT_DURATION;
}

err_t config_parse(const char *name, const char *text, size_t len,
                   struct server_config *out, char *errmsg, size_t errlen)
{
	struct cfg_ctx c = {name != NULL ? name : "config", errmsg, errlen};
	struct hcl_node *root = NULL;
	struct hcl_error e;
	err_t rc;

	memset(out, 0, sizeof(*out));
	if (errmsg != NULL && errlen > 0)
		errmsg[0] = 0;

	rc = hcl_parse(text, len, &root, &e);
	if (rc != ERR_OK) {
		rc = from_hcl_error(&c, rc, &e);
		goto out;
	}
	rc = parse_top(&c, root, out);
	if (rc == ERR_NOMEM)
		cfg_fail(&c, 0, "%s", err_str(rc));

out:
	hcl_free(root);
	if (rc != ERR_OK)
		config_release(out);
	return rc;
}

err_t config_load(const char *path, struct server_config *out, char *errmsg,
                  size_t errlen)
{
	struct cfg_ctx c = {path, errmsg, errlen};
	struct buf b = BUF_INIT, why = BUF_INIT;
	err_t rc;

	memset(out, 0, sizeof(*out));
	rc = hcl_read_file(path, &b, &why);
	if (rc != ERR_OK)
		cfg_fail(&c, 0, "%s", buf_str(&why));
	else
		rc =
		    config_parse(path, buf_str(&b), b.len, out, errmsg, errlen);
	buf_release(&b);
	buf_release(&why);
	return rc;
}

void listener_config_release(struct listener_config *l)
{
	free(l->address);
	free(l->tls_cert_file);
	free(l->tls_key_file);
	free(l->tls_client_ca_file);
	free(l->tls_min_version);
	memset(l, 0, sizeof(*l));
}

void config_release(struct server_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_listeners; i++)
		listener_config_release(&cfg->listeners[i]);
	free(cfg->listeners);
	free(cfg->storage_type);
	json_decref(cfg->storage_config);
	free(cfg->api_addr);
	free(cfg->log_level);
	json_decref(cfg->audit_devices);
	memset(cfg, 0, sizeof(*cfg));
}

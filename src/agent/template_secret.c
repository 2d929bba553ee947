/*
 * template_secret.c - secret and secrets: reading, writing and listing
 * through the callbacks the agent supplies.
 *
 * A response is handed to the template the way consul-template does it,
 * as a struct with the fields RequestID, LeaseID, LeaseDuration,
 * Renewable, Data, Warnings, Auth and WrapInfo (Auth and WrapInfo are
 * structs too), mapped from the response's snake_case keys; a field the
 * response lacks gets its zero value. Asking the struct for any other
 * field is an error (see tmpl_field).
 *
 * Within one render, the same call (same path, same parameters) is made
 * once and its answer reused: a template that reads username and
 * password of dynamic database credentials in two {{ with secret }}
 * blocks must get one pair, not two leases.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"
#include "base/secret.h"

enum zero { Z_STRING, Z_INT, Z_BOOL, Z_LIST, Z_ANY, Z_AUTH, Z_WRAP };

struct field_map {
	const char *from, *to;
	enum zero kind;
};

static const struct field_map response_fields[] = {
    {"request_id", "RequestID", Z_STRING},
    {"lease_id", "LeaseID", Z_STRING},
    {"lease_duration", "LeaseDuration", Z_INT},
    {"renewable", "Renewable", Z_BOOL},
    {"data", "Data", Z_ANY},
    {"warnings", "Warnings", Z_LIST},
    {"auth", "Auth", Z_AUTH},
    {"wrap_info", "WrapInfo", Z_WRAP},
    {NULL, NULL, Z_ANY},
};

static const struct field_map auth_fields[] = {
    {"accessor", "Accessor", Z_STRING},
    {"client_token", "ClientToken", Z_STRING},
    {"policies", "Policies", Z_LIST},
    {"metadata", "Metadata", Z_ANY},
    {"lease_duration", "LeaseDuration", Z_INT},
    {"renewable", "Renewable", Z_BOOL},
    {NULL, NULL, Z_ANY},
};

static const struct field_map wrap_fields[] = {
    {"token", "Token", Z_STRING},
    {"accessor", "Accessor", Z_STRING},
    {"ttl", "TTL", Z_INT},
    {"creation_time", "CreationTime", Z_STRING},
    {"creation_path", "CreationPath", Z_STRING},
    {"wrapped_accessor", "WrappedAccessor", Z_STRING},
    {NULL, NULL, Z_ANY},
};

static err_t to_struct(struct tmpl_run *r, const json_t *src,
                       const struct field_map *map, json_t **out);

/* The field's value when src has one of the right type, else its zero. */
static err_t field_value(struct tmpl_run *r, json_t *v, enum zero kind,
                         json_t **out)
{
	bool fits = v != NULL && !json_is_null(v);

	switch (kind) {
	case Z_STRING:
		fits = fits && json_is_string(v);
		*out = fits ? json_incref(v) : json_string("");
		break;
	case Z_INT:
		fits = fits && json_is_integer(v);
		*out = fits ? json_incref(v) : json_integer(0);
		break;
	case Z_BOOL:
		*out =
		    fits && json_is_boolean(v) ? json_incref(v) : json_false();
		break;
	case Z_LIST:
		fits = fits && json_is_array(v);
		*out = fits ? json_incref(v) : json_array();
		break;
	case Z_ANY:
		*out = v != NULL ? json_incref(v) : json_null();
		break;
	case Z_AUTH:
	case Z_WRAP:
		if (!fits || !json_is_object(v)) {
			*out = json_null();
			break;
		}
		return to_struct(
		    r, v, kind == Z_AUTH ? auth_fields : wrap_fields, out);
	}
	return *out != NULL ? ERR_OK : tmpl_fail(r, ERR_NOMEM, "out of memory");
}

static err_t to_struct(struct tmpl_run *r, const json_t *src,
                       const struct field_map *map, json_t **out)
{
	json_t *obj, *v = NULL;
	err_t rc = ERR_OK;

	obj = json_object();
	if (obj == NULL)
		return tmpl_fail(r, ERR_NOMEM, "out of memory");
	/* Insertion order is kept: toJSON writes the fields in this order. */
	for (; map->from != NULL && rc == ERR_OK; map++) {
		rc = field_value(r, json_object_get(src, map->from), map->kind,
		                 &v);
		if (rc == ERR_OK && json_object_set_new(obj, map->to, v) != 0)
			rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
	}
	if (rc == ERR_OK)
		rc = tmpl_run_add_struct(r, obj);
	if (rc != ERR_OK) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return ERR_OK;
}

/* "k=v" arguments as the parameters of a write. */
static err_t write_params(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out)
{
	const char *s, *eq;
	size_t len, i;
	json_t *params;
	err_t rc = ERR_OK;

	params = json_object();
	if (params == NULL)
		return tmpl_fail(r, ERR_NOMEM, "out of memory");
	for (i = 0; i < n && rc == ERR_OK; i++) {
		rc = tmpl_arg_string(r, args[i], &s, &len);
		if (rc != ERR_OK)
			break;
		eq = memchr(s, '=', len);
		/* The value may be a secret: the message never shows it. */
		if (eq == NULL || eq == s)
			rc = tmpl_fail(r, ERR_INVALID,
			               "parameter %zu is not key=value", i + 1);
		else if (json_object_setn_new_nocheck(
		             params, s, (size_t)(eq - s),
		             tmpl_string(eq + 1, len - (size_t)(eq - s) - 1)))
			rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
	}
	if (rc != ERR_OK) {
		json_decref(params);
		return rc;
	}
	*out = params;
	return ERR_OK;
}

/* What identifies a call: its kind, its path and its parameters. */
static err_t fetch_key(struct tmpl_run *r, char kind, const char *path,
                       size_t len, const json_t *params, struct buf *key)
{
	err_t rc;

	buf_init(key, TMPL_MAX_OUTPUT);
	rc = buf_append_byte(key, (uint8_t)kind);
	if (rc == ERR_OK)
		rc = buf_append(key, path, len + 1);
	if (rc == ERR_OK && params != NULL)
		rc = tmpl_json(r, params, false, 0, key);
	if (rc != ERR_OK) {
		buf_release(key);
		return tmpl_fail(r, rc, "parameters too large");
	}
	return ERR_OK;
}

static json_t *fetched(const struct tmpl_run *r, const struct buf *key)
{
	size_t i;

	for (i = 0; i < r->n_fetched; i++)
		if (secret_equal(r->fetched[i].key.data, r->fetched[i].key.len,
		                 key->data, key->len))
			return r->fetched[i].value;
	return NULL;
}

/* Keeps value for repeats of the call; takes over key. */
static err_t remember(struct tmpl_run *r, struct buf *key, json_t *value)
{
	struct tmpl_fetch *f;
	size_t alloc;

	if (r->n_fetched == r->alloc_fetched) {
		alloc = r->alloc_fetched ? r->alloc_fetched * 2 : 4;
		f = alloc <= SIZE_MAX / sizeof(*f)
		        ? realloc(r->fetched, alloc * sizeof(*f))
		        : NULL;
		if (f == NULL) {
			buf_release(key);
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		}
		r->fetched = f;
		r->alloc_fetched = alloc;
	}
	r->fetched[r->n_fetched].key = *key;
	r->fetched[r->n_fetched].value = json_incref(value);
	r->n_fetched++;
	buf_init(key, 0);
	return ERR_OK;
}

static err_t path_arg(struct tmpl_run *r, const json_t *v, const char **path,
                      size_t *len)
{
	err_t rc = tmpl_arg_string(r, v, path, len);

	if (rc == ERR_OK && (*len == 0 || strlen(*path) != *len))
		rc = tmpl_fail(r, ERR_INVALID, "bad path");
	return rc;
}

/* The failed call's own reason if it gave one, else the error's name. */
static err_t fetch_failed(struct tmpl_run *r, err_t rc, const char *path,
                          struct buf *why)
{
	rc = tmpl_fail(r, rc == ERR_OK ? ERR_INTERNAL : rc, "%s: %s", path,
	               why->len > 0 ? buf_str(why) : err_str(rc));
	buf_release(why);
	return rc;
}

static err_t call_secret(struct tmpl_run *r, const char *path,
                         const json_t *params, json_t **out)
{
	const struct tmpl_env *env = r->env;
	struct buf why = BUF_INIT;
	json_t *resp = NULL;
	err_t rc;

	if (env == NULL || env->secret == NULL)
		return tmpl_fail(r, ERR_UNSUPPORTED, "%s: no secret source",
		                 path);
	rc = env->secret(env->ctx, path, params, &resp, &why);
	if (rc == ERR_OK && !json_is_object(resp)) {
		rc = ERR_INTERNAL;
		(void)buf_append_str(&why, "the response is not an object");
	}
	if (rc != ERR_OK) {
		json_decref(resp);
		return fetch_failed(r, rc, path, &why);
	}
	buf_release(&why);
	rc = to_struct(r, resp, response_fields, out);
	json_decref(resp);
	return rc;
}

err_t tmpl_fn_secret(struct tmpl_run *r, json_t *const *args, size_t n,
                     json_t **out)
{
	struct buf key = BUF_INIT;
	json_t *params = NULL, *v;
	const char *path;
	size_t len;
	err_t rc;

	rc = path_arg(r, args[0], &path, &len);
	if (rc == ERR_OK && n > 1)
		rc = write_params(r, args + 1, n - 1, &params);
	if (rc == ERR_OK)
		rc = fetch_key(r, params != NULL ? 'w' : 'r', path, len, params,
		               &key);
	if (rc != ERR_OK) {
		json_decref(params);
		return rc;
	}

	v = fetched(r, &key);
	if (v != NULL) {
		*out = json_incref(v);
	} else {
		rc = call_secret(r, path, params, &v);
		if (rc == ERR_OK && (rc = remember(r, &key, v)) != ERR_OK)
			json_decref(v);
		if (rc == ERR_OK)
			*out = v;
	}
	buf_release(&key);
	json_decref(params);
	return rc;
}

static err_t call_list(struct tmpl_run *r, const char *path, json_t **out)
{
	const struct tmpl_env *env = r->env;
	struct buf why = BUF_INIT;
	size_t i;
	err_t rc;

	if (env == NULL || env->list == NULL)
		return tmpl_fail(r, ERR_UNSUPPORTED, "%s: no secret source",
		                 path);
	*out = NULL;
	rc = env->list(env->ctx, path, out, &why);
	for (i = 0; rc == ERR_OK && i < json_array_size(*out); i++)
		if (!json_is_string(json_array_get(*out, i)))
			break;
	if (rc == ERR_OK &&
	    (!json_is_array(*out) || i < json_array_size(*out))) {
		rc = ERR_INTERNAL;
		(void)buf_append_str(&why, "the answer is not a list of keys");
	}
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
		return fetch_failed(r, rc, path, &why);
	}
	buf_release(&why);
	return ERR_OK;
}

err_t tmpl_fn_secrets(struct tmpl_run *r, json_t *const *args, size_t n,
                      json_t **out)
{
	struct buf key = BUF_INIT;
	const char *path;
	json_t *v;
	size_t len;
	err_t rc;

	(void)n;
	rc = path_arg(r, args[0], &path, &len);
	if (rc == ERR_OK)
		rc = fetch_key(r, 'l', path, len, NULL, &key);
	if (rc != ERR_OK)
		return rc;
	v = fetched(r, &key);
	if (v != NULL) {
		*out = json_incref(v);
	} else {
		rc = call_list(r, path, &v);
		if (rc == ERR_OK && (rc = remember(r, &key, v)) != ERR_OK)
			json_decref(v);
		if (rc == ERR_OK)
			*out = v;
	}
	buf_release(&key);
	return rc;
}

/*
 * template_funcs.c - the function table, and the functions about values
 * rather than text: comparisons, logic, len, index, keys, JSON, env.
 *
 * Argument order follows consul-template, where the value usually comes
 * last so that it can be piped in: {{ .Data.list | join "," }}.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"

extern char **environ;

static err_t fn_not(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out)
{
	(void)r;
	(void)n;
	*out = json_boolean(!tmpl_truth(args[0]));
	return ERR_OK;
}

/* eq a b c: a equals b or a equals c. */
static err_t fn_eq(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	bool equal = false;
	size_t i;
	err_t rc = ERR_OK;

	for (i = 1; i < n && !equal && rc == ERR_OK; i++)
		rc = tmpl_equal(r, args[0], args[i], &equal);
	*out = json_boolean(equal);
	return rc;
}

static err_t fn_ne(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	bool equal = false;
	err_t rc;

	(void)n;
	rc = tmpl_equal(r, args[0], args[1], &equal);
	*out = json_boolean(!equal);
	return rc;
}

static err_t order(struct tmpl_run *r, json_t *const *args, int *c)
{
	return tmpl_order(r, args[0], args[1], c);
}

static err_t fn_lt(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	int c = 0;
	err_t rc = order(r, args, &c);

	(void)n;
	*out = json_boolean(c < 0);
	return rc;
}

static err_t fn_le(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	int c = 0;
	err_t rc = order(r, args, &c);

	(void)n;
	*out = json_boolean(c <= 0);
	return rc;
}

static err_t fn_gt(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	int c = 0;
	err_t rc = order(r, args, &c);

	(void)n;
	*out = json_boolean(c > 0);
	return rc;
}

static err_t fn_ge(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	int c = 0;
	err_t rc = order(r, args, &c);

	(void)n;
	*out = json_boolean(c >= 0);
	return rc;
}

static err_t fn_len(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out)
{
	size_t len;

	(void)n;
	if (json_is_string(args[0]))
		len = json_string_length(args[0]);
	else if (json_is_array(args[0]))
		len = json_array_size(args[0]);
	else if (json_is_object(args[0]))
		len = json_object_size(args[0]);
	else
		return tmpl_fail(r, ERR_INVALID, "len of %s",
		                 tmpl_type_name(args[0]));
	*out = json_integer((json_int_t)len);
	return *out != NULL ? ERR_OK : tmpl_fail(r, ERR_NOMEM, "out of memory");
}

/* One step of index: v[k], borrowed. */
static err_t index_one(struct tmpl_run *r, json_t *v, const json_t *k,
                       json_t **out)
{
	json_int_t i;

	if (json_is_array(v) && json_is_integer(k)) {
		i = json_integer_value(k);
		if (i < 0 || (size_t)i >= json_array_size(v))
			return tmpl_fail(
			    r, ERR_INVALID,
			    "index out of range: %" JSON_INTEGER_FORMAT, i);
		*out = json_array_get(v, (size_t)i);
		return ERR_OK;
	}
	if (json_is_object(v) && json_is_string(k)) {
		*out = json_object_getn(v, json_string_value(k),
		                        json_string_length(k));
		if (*out == NULL)
			*out = json_null();
		return ERR_OK;
	}
	if (json_is_null(v))
		return tmpl_fail(r, ERR_INVALID, "index of untyped nil");
	return tmpl_fail(r, ERR_INVALID, "can't index item of type %s with %s",
	                 tmpl_type_name(v), tmpl_type_name(k));
}

static err_t fn_index(struct tmpl_run *r, json_t *const *args, size_t n,
                      json_t **out)
{
	json_t *v = args[0];
	size_t i;
	err_t rc = ERR_OK;

	for (i = 1; i < n && rc == ERR_OK; i++)
		rc = index_one(r, v, args[i], &v);
	if (rc == ERR_OK)
		*out = json_incref(v);
	return rc;
}

static int str_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* keys: an object's keys, sorted. */
static err_t fn_keys(struct tmpl_run *r, json_t *const *args, size_t n,
                     json_t **out)
{
	const char **keys;
	size_t count, i = 0;
	void *it;
	err_t rc = ERR_OK;

	(void)n;
	if (!json_is_object(args[0]))
		return tmpl_fail(r, ERR_INVALID, "expected a map, got %s",
		                 tmpl_type_name(args[0]));
	count = json_object_size(args[0]);
	keys = calloc(count ? count : 1, sizeof(*keys));
	*out = json_array();
	if (keys == NULL || *out == NULL)
		rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
	for (it = json_object_iter(args[0]);
	     rc == ERR_OK && it != NULL && i < count;
	     it = json_object_iter_next(args[0], it))
		keys[i++] = json_object_iter_key(it);
	if (rc == ERR_OK)
		qsort(keys, i, sizeof(*keys), str_cmp);
	for (count = i, i = 0; rc == ERR_OK && i < count; i++)
		if (json_array_append_new(*out, json_string_nocheck(keys[i])))
			rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
	free(keys);
	if (rc != ERR_OK)
		json_decref(*out);
	return rc;
}

static err_t to_json(struct tmpl_run *r, const json_t *v, int indent,
                     json_t **out)
{
	struct buf b;
	err_t rc;

	buf_init(&b, TMPL_MAX_OUTPUT);
	rc = tmpl_json(r, v, true, indent, &b);
	if (rc != ERR_OK)
		rc = tmpl_fail(r, rc, "cannot write the value as JSON");
	if (rc == ERR_OK)
		rc = tmpl_charge(r, b.len);
	if (rc == ERR_OK && (*out = tmpl_string((char *)b.data, b.len)) == NULL)
		rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
	buf_release(&b);
	return rc;
}

static err_t fn_to_json(struct tmpl_run *r, json_t *const *args, size_t n,
                        json_t **out)
{
	(void)n;
	return to_json(r, args[0], 0, out);
}

static err_t fn_to_json_pretty(struct tmpl_run *r, json_t *const *args,
                               size_t n, json_t **out)
{
	(void)n;
	return to_json(r, args[0], 2, out);
}

/* parseJSON: any JSON value; "" is an empty object. */
static err_t fn_parse_json(struct tmpl_run *r, json_t *const *args, size_t n,
                           json_t **out)
{
	json_error_t jerr;
	const char *s;
	size_t len;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &s, &len);
	if (rc == ERR_OK)
		rc = tmpl_charge(r, len);
	if (rc != ERR_OK)
		return rc;
	if (len == 0) {
		*out = json_object();
		return *out ? ERR_OK : tmpl_fail(r, ERR_NOMEM, "out of memory");
	}
	*out = json_loadb(s, len, JSON_DECODE_ANY, &jerr);
	/* jansson's text may quote the input, which may be a secret. */
	if (*out == NULL)
		return tmpl_fail(r, ERR_INVALID,
		                 "not valid JSON (line %d, column %d)",
		                 jerr.line, jerr.column);
	return ERR_OK;
}

static err_t fn_env(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out)
{
	char *const *env = r->env != NULL && r->env->environ != NULL
	                       ? r->env->environ
	                       : environ;
	const char *name;
	size_t len;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &name, &len);
	if (rc != ERR_OK)
		return rc;
	for (; env != NULL && *env != NULL; env++) {
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=' &&
		    memchr(name, '=', len) == NULL) {
			*out =
			    tmpl_string(*env + len + 1, strlen(*env + len + 1));
			return *out ? ERR_OK
			            : tmpl_fail(r, ERR_NOMEM, "out of memory");
		}
	}
	*out = tmpl_string("", 0); /* unset reads as empty, as in Go */
	return *out ? ERR_OK : tmpl_fail(r, ERR_NOMEM, "out of memory");
}

#define V TMPL_VARIADIC

static const struct tmpl_func funcs[] = {
    {"and", 1, V, NULL, TMPL_LAZY_AND},
    {"base64Decode", 1, 1, tmpl_fn_base64_decode, TMPL_LAZY_NONE},
    {"base64Encode", 1, 1, tmpl_fn_base64_encode, TMPL_LAZY_NONE},
    {"base64URLDecode", 1, 1, tmpl_fn_base64url_decode, TMPL_LAZY_NONE},
    {"base64URLEncode", 1, 1, tmpl_fn_base64url_encode, TMPL_LAZY_NONE},
    {"contains", 2, 2, tmpl_fn_contains, TMPL_LAZY_NONE},
    {"env", 1, 1, fn_env, TMPL_LAZY_NONE},
    {"eq", 2, V, fn_eq, TMPL_LAZY_NONE},
    {"ge", 2, 2, fn_ge, TMPL_LAZY_NONE},
    {"gt", 2, 2, fn_gt, TMPL_LAZY_NONE},
    {"in", 2, 2, tmpl_fn_in, TMPL_LAZY_NONE},
    {"index", 1, V, fn_index, TMPL_LAZY_NONE},
    {"join", 2, 2, tmpl_fn_join, TMPL_LAZY_NONE},
    {"keys", 1, 1, fn_keys, TMPL_LAZY_NONE},
    {"le", 2, 2, fn_le, TMPL_LAZY_NONE},
    {"len", 1, 1, fn_len, TMPL_LAZY_NONE},
    {"lt", 2, 2, fn_lt, TMPL_LAZY_NONE},
    {"ne", 2, 2, fn_ne, TMPL_LAZY_NONE},
    {"not", 1, 1, fn_not, TMPL_LAZY_NONE},
    {"or", 1, V, NULL, TMPL_LAZY_OR},
    {"parseJSON", 1, 1, fn_parse_json, TMPL_LAZY_NONE},
    {"print", 0, V, tmpl_fn_print, TMPL_LAZY_NONE},
    {"printf", 1, V, tmpl_fn_printf, TMPL_LAZY_NONE},
    {"println", 0, V, tmpl_fn_println, TMPL_LAZY_NONE},
    {"replaceAll", 3, 3, tmpl_fn_replace_all, TMPL_LAZY_NONE},
    {"secret", 1, V, tmpl_fn_secret, TMPL_LAZY_NONE},
    {"secrets", 1, 1, tmpl_fn_secrets, TMPL_LAZY_NONE},
    {"sha256Hex", 1, 1, tmpl_fn_sha256_hex, TMPL_LAZY_NONE},
    {"split", 2, 2, tmpl_fn_split, TMPL_LAZY_NONE},
    {"toJSON", 1, 1, fn_to_json, TMPL_LAZY_NONE},
    {"toJSONPretty", 1, 1, fn_to_json_pretty, TMPL_LAZY_NONE},
    {"toLower", 1, 1, tmpl_fn_to_lower, TMPL_LAZY_NONE},
    {"toUpper", 1, 1, tmpl_fn_to_upper, TMPL_LAZY_NONE},
    {"trimPrefix", 2, 2, tmpl_fn_trim_prefix, TMPL_LAZY_NONE},
    {"trimSpace", 1, 1, tmpl_fn_trim_space, TMPL_LAZY_NONE},
    {"trimSuffix", 2, 2, tmpl_fn_trim_suffix, TMPL_LAZY_NONE},
};

#undef V

const struct tmpl_func *tmpl_func_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strlen(funcs[i].name) == n &&
		    memcmp(funcs[i].name, name, n) == 0)
			return &funcs[i];
	return NULL;
}

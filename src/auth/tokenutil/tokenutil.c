/*
 * tokenutil.c - parsing, showing and applying the shared token fields.
 *
 * Stored form: every token_* field under its own name, in canonical types
 * (seconds, arrays, bool, int, string); a field written through its
 * deprecated name is also stored under that name.
 */
#include "auth/tokenutil/tokenutil.h"

#include <string.h>

#include "base/params.h"
#include "core/cidr.h"
#include "identity/identity.h"

/* A duration field and its deprecated name (or NULL). */
static const struct {
	const char *key, *old;
} durations[] = {
    {"token_ttl", "ttl"},
    {"token_max_ttl", "max_ttl"},
    {"token_explicit_max_ttl", NULL},
    {"token_period", "period"},
};

#define NDURATIONS (sizeof(durations) / sizeof(durations[0]))

/* Every field with a deprecated name, for the legacy record form below. */
static const struct {
	const char *key, *old;
} aliases[] = {
    {"token_ttl", "ttl"},
    {"token_max_ttl", "max_ttl"},
    {"token_period", "period"},
    {"token_policies", "policies"},
    {"token_bound_cidrs", "bound_cidrs"},
};

#define NALIASES (sizeof(aliases) / sizeof(aliases[0]))

/*
 * jwt, kubernetes and cert roles written before this helper served them
 * list the deprecated names used in "legacy_names" instead of keeping the
 * alias members. Copies those aliases into dst from src's token fields,
 * so such a role still reads back as it was written.
 */
static err_t legacy_aliases(json_t *src, json_t *dst)
{
	json_t *names = json_object_get(src, "legacy_names"), *v, *val;
	size_t i, j;

	json_array_foreach(names, i, v)
	{
		const char *name = json_string_value(v);
		for (j = 0; name != NULL && j < NALIASES; j++) {
			val = json_object_get(src, aliases[j].key);
			if (strcmp(aliases[j].old, name) == 0 && val != NULL &&
			    json_object_set(dst, name, val) != 0)
				return ERR_NOMEM;
		}
	}
	return ERR_OK;
}

static json_t *defaults_new(void)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:[], s:[], s:b, s:I,"
	                 " s:s}",
	                 "token_ttl", (json_int_t)0, "token_max_ttl",
	                 (json_int_t)0, "token_explicit_max_ttl", (json_int_t)0,
	                 "token_period", (json_int_t)0, "token_policies",
	                 "token_bound_cidrs", "token_no_default_policy", 0,
	                 "token_num_uses", (json_int_t)0, "token_type",
	                 "default");
}

err_t tokenutil_defaults(json_t *rec)
{
	json_t *d = defaults_new();

	if (d == NULL || json_object_update(rec, d) != 0) {
		json_decref(d);
		return ERR_NOMEM;
	}
	json_decref(d);
	return ERR_OK;
}

static err_t bad(struct response *resp, const char *key)
{
	return response_error(resp, ERR_INVALID, "invalid value for \"%s\"",
	                      key);
}

/* Sets key (and old, when it was the name used) from data. */
static err_t set_value(json_t *rec, const char *key, const char *old,
                       bool via_old, json_t *v)
{
	if (via_old) {
		json_object_set(rec, old, v);
	} else if (old != NULL) {
		json_object_del(rec, old);
	}
	return json_object_set_new(rec, key, v) ? ERR_NOMEM : ERR_OK;
}

static err_t parse_durations(json_t *data, json_t *rec, struct response *resp)
{
	size_t i;

	for (i = 0; i < NDURATIONS; i++) {
		const char *key = durations[i].key, *old = durations[i].old;
		bool via_old = false;
		int64_t v;
		err_t rc = param_duration(data, key, &v);
		if (rc == ERR_NOT_FOUND && old != NULL) {
			rc = param_duration(data, old, &v);
			via_old = true;
		}
		if (rc == ERR_INVALID)
			return bad(resp, via_old ? old : key);
		if (rc == ERR_OK &&
		    set_value(rec, key, old, via_old, json_integer(v)))
			return response_error(resp, ERR_NOMEM, NULL);
	}
	return ERR_OK;
}

/* A list under key or its deprecated name; *out NULL when absent. */
static err_t get_list(json_t *data, const char *key, const char *old,
                      json_t **out, bool *via_old, struct response *resp)
{
	err_t rc = param_strlist(data, key, out);

	*via_old = false;
	if (rc == ERR_NOT_FOUND && old != NULL) {
		rc = param_strlist(data, old, out);
		*via_old = true;
	}
	if (rc == ERR_INVALID)
		return bad(resp, *via_old ? old : key);
	if (rc == ERR_NOT_FOUND)
		*out = NULL;
	return ERR_OK;
}

static err_t parse_lists(json_t *data, json_t *rec, struct response *resp)
{
	json_t *v = NULL, *norm;
	const char *badcidr = "";
	bool via_old, root = false;

	if (get_list(data, "token_policies", "policies", &v, &via_old, resp))
		return ERR_INVALID;
	if (v != NULL) {
		norm = identity_normalise_policies(v, &root);
		json_decref(v);
		if (root)
			return response_error(resp, ERR_INVALID,
			                      "the \"root\" policy cannot be "
			                      "given to logins");
		if (norm == NULL ||
		    set_value(rec, "token_policies", "policies", via_old, norm))
			return response_error(resp, ERR_NOMEM, NULL);
	}
	if (get_list(data, "token_bound_cidrs", "bound_cidrs", &v, &via_old,
	             resp))
		return ERR_INVALID;
	if (v != NULL && !cidr_list_valid(v, &badcidr)) {
		response_error(resp, ERR_INVALID, "invalid CIDR block \"%s\"",
		               badcidr);
		json_decref(v);
		return ERR_INVALID;
	}
	if (v != NULL &&
	    set_value(rec, "token_bound_cidrs", "bound_cidrs", via_old, v))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

static err_t parse_type(json_t *data, json_t *rec, struct response *resp)
{
	const char *t = NULL;
	err_t rc = param_str(data, "token_type", &t);

	if (rc == ERR_INVALID)
		return bad(resp, "token_type");
	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (strcmp(t, "batch") == 0 || strcmp(t, "default-batch") == 0)
		return response_error(resp, ERR_INVALID,
		                      "batch tokens are not supported by this "
		                      "server; token_type must be \"default\" "
		                      "or \"service\"");
	if (*t == 0 || strcmp(t, "default-service") == 0)
		t = "default";
	if (strcmp(t, "default") != 0 && strcmp(t, "service") != 0)
		return bad(resp, "token_type");
	json_object_set_new(rec, "token_type", json_string(t));
	return ERR_OK;
}

err_t tokenutil_parse(json_t *data, json_t *rec, struct response *resp)
{
	int64_t n, ttl, max;
	bool b;
	err_t rc;

	/* A write turns a legacy record into the stored form above. */
	if (legacy_aliases(rec, rec) != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	json_object_del(rec, "legacy_names");
	if (parse_durations(data, rec, resp) || parse_lists(data, rec, resp) ||
	    parse_type(data, rec, resp))
		return ERR_INVALID;
	rc = param_bool(data, "token_no_default_policy", &b);
	if (rc == ERR_INVALID)
		return bad(resp, "token_no_default_policy");
	if (rc == ERR_OK)
		json_object_set_new(rec, "token_no_default_policy",
		                    json_boolean(b));
	rc = param_int(data, "token_num_uses", &n);
	if (rc == ERR_INVALID || (rc == ERR_OK && n < 0))
		return bad(resp, "token_num_uses");
	if (rc == ERR_OK)
		json_object_set_new(rec, "token_num_uses", json_integer(n));

	ttl = json_integer_value(json_object_get(rec, "token_ttl"));
	max = json_integer_value(json_object_get(rec, "token_max_ttl"));
	if (ttl > 0 && max > 0 && ttl > max)
		return response_error(resp, ERR_INVALID,
		                      "\"token_ttl\" cannot be greater than "
		                      "\"token_max_ttl\"");
	return ERR_OK;
}

int tokenutil_is_field(const char *name)
{
	static const char *const names[] = {"token_ttl",
	                                    "token_max_ttl",
	                                    "token_explicit_max_ttl",
	                                    "token_period",
	                                    "token_policies",
	                                    "token_bound_cidrs",
	                                    "token_no_default_policy",
	                                    "token_num_uses",
	                                    "token_type",
	                                    "policies",
	                                    "period",
	                                    "ttl",
	                                    "max_ttl",
	                                    "bound_cidrs"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

err_t tokenutil_describe(json_t *rec, json_t *out)
{
	json_t *d = defaults_new(), *v;
	const char *key;
	err_t rc = d == NULL ? ERR_NOMEM : ERR_OK;

	json_object_foreach(rec, key, v)
	{
		if (rc == ERR_OK && tokenutil_is_field(key) &&
		    json_object_set(d, key, v) != 0)
			rc = ERR_NOMEM;
	}
	if (rc == ERR_OK)
		rc = legacy_aliases(rec, d);
	if (rc == ERR_OK && json_object_update(out, d) != 0)
		rc = ERR_NOMEM;
	json_object_del(out, "legacy_names");
	json_decref(d);
	return rc;
}

void tokenutil_login(json_t *rec, struct login_result *lr)
{
	lr->ttl = json_integer_value(json_object_get(rec, "token_ttl"));
	lr->max_ttl = json_integer_value(json_object_get(rec, "token_max_ttl"));
	lr->explicit_max_ttl =
	    json_integer_value(json_object_get(rec, "token_explicit_max_ttl"));
	lr->period = json_integer_value(json_object_get(rec, "token_period"));
	lr->num_uses =
	    json_integer_value(json_object_get(rec, "token_num_uses"));
	lr->policies = json_object_get(rec, "token_policies");
	lr->no_default_policy =
	    json_is_true(json_object_get(rec, "token_no_default_policy"));
	lr->bound_cidrs = json_object_get(rec, "token_bound_cidrs");
	lr->renewable = true;
}

bool tokenutil_cidr_allowed(json_t *rec, const char *addr)
{
	return cidr_list_allows(json_object_get(rec, "token_bound_cidrs"),
	                        addr);
}

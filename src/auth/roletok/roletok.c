/*
 * roletok.c - token fields of auth-method roles.
 *
 * Stored form: every token_* field under its own name, in canonical types
 * (seconds, arrays, bool, int, string), and "legacy_names", the list of
 * deprecated names the caller used, so that a read shows them back only
 * when they were set that way (as Vault does).
 */
#include "auth/roletok/roletok.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"

enum kind { K_DURATION, K_LIST, K_BOOL, K_INT, K_TYPE };

static const struct field {
	const char *name;
	const char *legacy; /* deprecated alias or NULL */
	enum kind kind;
} fields[] = {
    {"token_ttl", "ttl", K_DURATION},
    {"token_max_ttl", "max_ttl", K_DURATION},
    {"token_explicit_max_ttl", NULL, K_DURATION},
    {"token_period", "period", K_DURATION},
    {"token_policies", "policies", K_LIST},
    {"token_bound_cidrs", "bound_cidrs", K_LIST},
    {"token_no_default_policy", NULL, K_BOOL},
    {"token_num_uses", NULL, K_INT},
    {"token_type", NULL, K_TYPE},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static json_t *default_value(enum kind k)
{
	switch (k) {
	case K_LIST:
		return json_array();
	case K_BOOL:
		return json_false();
	case K_TYPE:
		return json_string("default");
	default:
		return json_integer(0);
	}
}

/* Lower-cases policy names, since policies are named that way. */
static void lower_list(json_t *list)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
	{
		char *s = strdup(json_string_value(v));
		char *p;
		if (s == NULL)
			continue;
		for (p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		json_string_set(v, s);
		free(s);
	}
}

/* Reads one field under key into *out (new reference). */
static err_t read_field(json_t *data, const char *key, enum kind k,
                        json_t **out)
{
	const char *s;
	int64_t n;
	bool b;
	err_t rc;

	switch (k) {
	case K_DURATION:
		rc = param_duration(data, key, &n);
		if (rc == ERR_OK)
			*out = json_integer(n);
		return rc;
	case K_INT:
		rc = param_int(data, key, &n);
		if (rc == ERR_OK && n < 0)
			rc = ERR_INVALID;
		if (rc == ERR_OK)
			*out = json_integer(n);
		return rc;
	case K_BOOL:
		rc = param_bool(data, key, &b);
		if (rc == ERR_OK)
			*out = json_boolean(b);
		return rc;
	case K_LIST:
		return param_strlist(data, key, out);
	case K_TYPE:
		rc = param_str(data, key, &s);
		if (rc == ERR_OK && strcmp(s, "default") != 0 &&
		    strcmp(s, "service") != 0 && *s != 0)
			rc = ERR_INVALID;
		if (rc == ERR_OK)
			*out = json_string(*s ? s : "default");
		return rc;
	}
	return ERR_INVALID;
}

static err_t check_role(json_t *role, struct response *resp)
{
	json_int_t ttl = json_integer_value(json_object_get(role, "token_ttl"));
	json_int_t max =
	    json_integer_value(json_object_get(role, "token_max_ttl"));
	json_t *cidrs = json_object_get(role, "token_bound_cidrs"), *v;
	size_t i;

	if (max > 0 && ttl > max)
		return response_error(resp, ERR_INVALID,
		                      "token ttl should not be greater than "
		                      "token max ttl");
	json_array_foreach(cidrs, i, v)
	{
		/* A CIDR that matches nothing would be a silent lock-out. */
		if (!roletok_cidr_match(json_string_value(v), NULL))
			return response_error(resp, ERR_INVALID,
			                      "invalid CIDR in "
			                      "token_bound_cidrs: %.64s",
			                      json_string_value(v));
	}
	return ERR_OK;
}

static err_t note_legacy(json_t *role, const char *name)
{
	json_t *list = json_object_get(role, "legacy_names");

	if (list == NULL) {
		list = json_array();
		if (list == NULL ||
		    json_object_set_new(role, "legacy_names", list) != 0)
			return ERR_NOMEM;
	}
	if (json_array_append_new(list, json_string(name)) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

err_t roletok_parse(json_t *data, json_t *role, bool create,
                    struct response *resp)
{
	const struct field *f;
	json_t *v = NULL;
	const char *used;
	err_t rc;
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		f = &fields[i];
		used = f->name;
		rc = read_field(data, f->name, f->kind, &v);
		if (rc == ERR_NOT_FOUND && f->legacy != NULL) {
			used = f->legacy;
			rc = read_field(data, f->legacy, f->kind, &v);
		}
		if (rc == ERR_INVALID)
			return response_error(resp, ERR_INVALID,
			                      "invalid value for \"%s\"", used);
		if (rc == ERR_NOT_FOUND)
			used = f->name;
		if (rc == ERR_NOT_FOUND && create)
			v = default_value(f->kind);
		else if (rc == ERR_NOT_FOUND)
			continue;
		if (f->kind == K_LIST && strcmp(f->name, "token_policies") == 0)
			lower_list(v);
		if (v == NULL || json_object_set_new(role, f->name, v) != 0 ||
		    (used == f->legacy && note_legacy(role, used) != ERR_OK))
			return response_error(resp, ERR_NOMEM, NULL);
		v = NULL;
	}
	return check_role(role, resp);
}

static bool legacy_used(json_t *role, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(role, "legacy_names"), i, v)
	{
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	}
	return false;
}

err_t roletok_describe(json_t *role, json_t *out)
{
	const struct field *f;
	json_t *v;
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		f = &fields[i];
		v = json_object_get(role, f->name);
		if (v == NULL)
			v = default_value(f->kind);
		else
			json_incref(v);
		if (v == NULL || json_object_set_new(out, f->name, v) != 0)
			return ERR_NOMEM;
		if (f->legacy != NULL && legacy_used(role, f->legacy) &&
		    json_object_set(out, f->legacy,
		                    json_object_get(out, f->name)) != 0)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

static int64_t int_of(json_t *role, const char *name)
{
	return (int64_t)json_integer_value(json_object_get(role, name));
}

void roletok_login(json_t *role, struct login_result *lr)
{
	lr->policies = json_object_get(role, "token_policies");
	lr->no_default_policy =
	    json_is_true(json_object_get(role, "token_no_default_policy"));
	lr->ttl = int_of(role, "token_ttl");
	lr->max_ttl = int_of(role, "token_max_ttl");
	lr->explicit_max_ttl = int_of(role, "token_explicit_max_ttl");
	lr->period = int_of(role, "token_period");
	lr->num_uses = int_of(role, "token_num_uses");
	lr->renewable = true;
}

bool roletok_cidr_allowed(json_t *role, const char *addr)
{
	json_t *cidrs = json_object_get(role, "token_bound_cidrs"), *v;
	size_t i;

	if (json_array_size(cidrs) == 0)
		return true;
	json_array_foreach(cidrs, i, v)
	{
		if (addr != NULL &&
		    roletok_cidr_match(json_string_value(v), addr))
			return true;
	}
	return false;
}

/* Parses "a.b.c.d" or an IPv6 address into 16 bytes; *bits its width. */
static bool parse_addr(const char *s, unsigned char out[16], int *bits)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*bits = 128;
		return true;
	}
	return false;
}

bool roletok_cidr_match(const char *cidr, const char *addr)
{
	unsigned char net[16], ip[16];
	char host[64];
	const char *slash;
	int bits, ibits, i;
	long prefix;
	char *end;

	if (cidr == NULL)
		return false;
	slash = strchr(cidr, '/');
	if (snprintf(host, sizeof(host), "%.*s",
	             (int)(slash ? (size_t)(slash - cidr) : strlen(cidr)),
	             cidr) >= (int)sizeof(host) ||
	    !parse_addr(host, net, &bits))
		return false;
	prefix = bits;
	if (slash != NULL) {
		prefix = strtol(slash + 1, &end, 10);
		if (slash[1] == 0 || *end != 0 || prefix < 0 || prefix > bits)
			return false;
	}
	/* Without an address only the syntax is checked. */
	if (addr == NULL)
		return true;
	if (!parse_addr(addr, ip, &ibits) || ibits != bits)
		return false;
	for (i = 0; i < prefix; i++)
		if (((net[i / 8] ^ ip[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

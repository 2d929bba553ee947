#include "base/params.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DURATION ((int64_t)100 * 365 * 24 * 3600)

static json_t *param_get(json_t *data, const char *key)
{
	json_t *v;

	if (data == NULL || !json_is_object(data))
		return NULL;
	v = json_object_get(data, key);
	if (v == NULL || json_is_null(v))
		return NULL;
	return v;
}

err_t param_str(json_t *data, const char *key, const char **out)
{
	json_t *v = param_get(data, key);

	if (v == NULL)
		return ERR_NOT_FOUND;
	if (!json_is_string(v))
		return ERR_INVALID;
	*out = json_string_value(v);
	return ERR_OK;
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long n;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == 0)
		return false;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != 0)
		return false;
	*out = (int64_t)n;
	return true;
}

err_t param_int(json_t *data, const char *key, int64_t *out)
{
	json_t *v = param_get(data, key);

	if (v == NULL)
		return ERR_NOT_FOUND;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return ERR_OK;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != (double)(int64_t)d)
			return ERR_INVALID;
		*out = (int64_t)d;
		return ERR_OK;
	}
	if (json_is_string(v) && parse_int(json_string_value(v), out))
		return ERR_OK;
	return ERR_INVALID;
}

bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1",    "t",    "T",
	                                  "TRUE", "true", "True"};
	static const char *const no[] = {"0",     "f",     "F",
	                                 "FALSE", "false", "False"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

err_t param_bool(json_t *data, const char *key, bool *out)
{
	json_t *v = param_get(data, key);

	if (v == NULL)
		return ERR_NOT_FOUND;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return ERR_OK;
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n != 0 && n != 1)
			return ERR_INVALID;
		*out = n == 1;
		return ERR_OK;
	}
	if (json_is_string(v) && parse_bool(json_string_value(v), out))
		return ERR_OK;
	return ERR_INVALID;
}

/* Seconds per unit, scaled by 1e9 to keep sub-second units exact. */
static int64_t unit_nanos(const char *u, size_t n)
{
	static const struct {
		const char *name;
		int64_t nanos;
	} units[] = {
	    {"ns", 1},
	    {"us", 1000},
	    {"\xc2\xb5s", 1000},
	    {"ms", 1000000},
	    {"s", 1000000000},
	    {"m", 60LL * 1000000000},
	    {"h", 3600LL * 1000000000},
	    {"d", 86400LL * 1000000000},
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, u, n) == 0)
			return units[i].nanos;
	return 0;
}

err_t parse_duration(const char *s, int64_t *out)
{
	long double total = 0;
	int64_t plain;
	const char *p = s;

	if (s == NULL || *s == 0)
		return ERR_INVALID;
	if (parse_int(s, &plain)) {
		if (plain < 0 || plain > MAX_DURATION)
			return ERR_INVALID;
		*out = plain;
		return ERR_OK;
	}
	if (*p == '+')
		p++;
	if (*p == '-')
		return ERR_INVALID;

	while (*p != 0) {
		long double num = 0, frac = 0, scale = 1;
		const char *u;
		int64_t nanos;
		bool digits = false;

		while (isdigit((unsigned char)*p)) {
			num = num * 10 + (*p++ - '0');
			digits = true;
			if (num > 1e15L)
				return ERR_INVALID;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				scale /= 10;
				frac += (*p++ - '0') * scale;
				digits = true;
			}
		}
		if (!digits)
			return ERR_INVALID;
		u = p;
		while (*p != 0 && !isdigit((unsigned char)*p) && *p != '.')
			p++;
		nanos = unit_nanos(u, (size_t)(p - u));
		if (nanos == 0)
			return ERR_INVALID;
		total += (num + frac) * (long double)nanos;
		if (total / 1e9L > (long double)MAX_DURATION)
			return ERR_INVALID;
	}
	*out = (int64_t)(total / 1e9L);
	return ERR_OK;
}

err_t param_duration(json_t *data, const char *key, int64_t *out)
{
	json_t *v = param_get(data, key);

	if (v == NULL)
		return ERR_NOT_FOUND;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > MAX_DURATION)
			return ERR_INVALID;
		*out = (int64_t)n;
		return ERR_OK;
	}
	if (json_is_string(v))
		return parse_duration(json_string_value(v), out);
	return ERR_INVALID;
}

static err_t append_trimmed(json_t *list, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return ERR_OK;
	if (json_array_append_new(list, json_stringn(s, n)) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

err_t param_strlist(json_t *data, const char *key, json_t **out)
{
	json_t *v = param_get(data, key), *list, *item;
	size_t i;
	err_t rc = ERR_OK;

	if (v == NULL)
		return ERR_NOT_FOUND;
	list = json_array();
	if (list == NULL)
		return ERR_NOMEM;

	if (json_is_string(v)) {
		const char *s = json_string_value(v), *comma;
		while (rc == ERR_OK && (comma = strchr(s, ',')) != NULL) {
			rc = append_trimmed(list, s, (size_t)(comma - s));
			s = comma + 1;
		}
		if (rc == ERR_OK)
			rc = append_trimmed(list, s, strlen(s));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item)) {
				rc = ERR_INVALID;
				break;
			}
			rc = append_trimmed(list, json_string_value(item),
			                    json_string_length(item));
			if (rc != ERR_OK)
				break;
		}
	} else {
		rc = ERR_INVALID;
	}

	if (rc != ERR_OK) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return ERR_OK;
}

err_t param_strmap(json_t *data, const char *key, json_t **out)
{
	json_t *v = param_get(data, key), *map, *item;
	const char *k;
	char num[64];

	if (v == NULL)
		return ERR_NOT_FOUND;
	if (!json_is_object(v))
		return ERR_INVALID;
	map = json_object();
	if (map == NULL)
		return ERR_NOMEM;

	json_object_foreach(v, k, item)
	{
		json_t *s;

		if (json_is_null(item))
			continue;
		if (json_is_array(item) || json_is_object(item)) {
			json_decref(map);
			return ERR_INVALID;
		}
		if (json_is_string(item)) {
			s = json_copy(item);
		} else if (json_is_integer(item)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			         json_integer_value(item));
			s = json_string(num);
		} else if (json_is_real(item)) {
			snprintf(num, sizeof(num), "%g", json_real_value(item));
			s = json_string(num);
		} else {
			s = json_string(json_is_true(item) ? "true" : "false");
		}
		if (s == NULL || json_object_set_new(map, k, s) != 0) {
			json_decref(map);
			return ERR_NOMEM;
		}
	}
	*out = map;
	return ERR_OK;
}

void format_duration(int64_t secs, char *out, size_t outlen)
{
	int64_t h = secs / 3600, m = (secs % 3600) / 60, s = secs % 60;

	if (h > 0)
		snprintf(out, outlen, "%" PRId64 "h%" PRId64 "m%" PRId64 "s", h,
		         m, s);
	else if (m > 0)
		snprintf(out, outlen, "%" PRId64 "m%" PRId64 "s", m, s);
	else
		snprintf(out, outlen, "%" PRId64 "s", s);
}

/*
 * jwt_claims.c - the checks on a token's claims that do not depend on how
 * it was signed: times with leeways, audience, bound claims, globs.
 */
#include "auth/jwt/jwt.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest JSON pointer segment we look up. */
#define POINTER_SEG 256

json_t *jwt_claim(json_t *claims, const char *name)
{
	char seg[POINTER_SEG];
	const char *p, *end;
	json_t *cur = claims;
	size_t n, k;

	if (name == NULL || name[0] != '/')
		return json_object_get(claims, name ? name : "");
	/* RFC 6901: "/a/b", with "~1" for "/" and "~0" for "~". */
	for (p = name + 1; cur != NULL; p = end + 1) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		for (k = 0; n > 0 && k + 1 < sizeof(seg); p++, n--) {
			if (*p == '~' && n > 1 &&
			    (p[1] == '0' || p[1] == '1')) {
				seg[k++] = p[1] == '0' ? '~' : '/';
				p++;
				n--;
			} else {
				seg[k++] = *p;
			}
		}
		seg[k] = 0;
		if (n > 0)
			return NULL;
		if (json_is_object(cur)) {
			cur = json_object_get(cur, seg);
		} else if (json_is_array(cur)) {
			char *stop;
			unsigned long idx = strtoul(seg, &stop, 10);
			cur = (*seg && *stop == 0)
			          ? json_array_get(cur, (size_t)idx)
			          : NULL;
		} else {
			cur = NULL;
		}
		if (end == NULL)
			break;
	}
	return cur;
}

err_t jwt_claim_text(json_t *v, struct buf *out)
{
	if (json_is_string(v))
		return buf_append(out, json_string_value(v),
		                  json_string_length(v));
	if (json_is_integer(v))
		return buf_printf(out, "%" PRId64,
		                  (int64_t)json_integer_value(v));
	if (json_is_real(v))
		return buf_printf(out, "%.17g", json_real_value(v));
	if (json_is_boolean(v))
		return buf_append_str(out, json_is_true(v) ? "true" : "false");
	return ERR_INVALID;
}

/* A time claim: absent (*present false), a number, or an error. */
static err_t time_claim(json_t *claims, const char *name, int64_t *out,
                        bool *present, char *err, size_t errlen)
{
	json_t *v = json_object_get(claims, name);
	double d;

	*present = v != NULL;
	if (v == NULL)
		return ERR_OK;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return ERR_OK;
	}
	d = json_is_real(v) ? json_real_value(v) : NAN;
	/* Beyond year 10000 or before 1970 is not a time any issuer meant. */
	if (!(d >= 0 && d < 253402300800.0)) {
		snprintf(err, errlen, "claim \"%s\" is not a valid time", name);
		return ERR_INVALID;
	}
	*out = (int64_t)d;
	return ERR_OK;
}

err_t jwt_check_times(json_t *claims, int64_t now, const struct jwt_leeway *lw,
                      bool require_exp, char *err, size_t errlen)
{
	int64_t exp = 0, nbf = 0, iat = 0;
	bool has_exp, has_nbf, has_iat;

	if (time_claim(claims, "exp", &exp, &has_exp, err, errlen) ||
	    time_claim(claims, "nbf", &nbf, &has_nbf, err, errlen) ||
	    time_claim(claims, "iat", &iat, &has_iat, err, errlen))
		return ERR_INVALID;
	if (!has_exp && require_exp) {
		snprintf(err, errlen, "token has no \"exp\" claim");
		return ERR_INVALID;
	}
	/* Leeways are small (validated by the caller): no overflow here. */
	if (has_exp && exp < now - lw->clock_skew - lw->expiration) {
		snprintf(err, errlen, "token is expired");
		return ERR_INVALID;
	}
	if (has_nbf && nbf > now + lw->clock_skew + lw->not_before) {
		snprintf(err, errlen, "token is not yet valid (nbf)");
		return ERR_INVALID;
	}
	if (has_iat && iat > now + lw->clock_skew) {
		snprintf(err, errlen, "token was issued in the future (iat)");
		return ERR_INVALID;
	}
	return ERR_OK;
}

static bool list_has(json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

err_t jwt_check_audience(json_t *claims, json_t *bound, bool allow_unbound,
                         char *err, size_t errlen)
{
	json_t *aud = json_object_get(claims, "aud"), *v;
	size_t i;

	if (aud != NULL && !json_is_string(aud) && !json_is_array(aud)) {
		snprintf(err, errlen, "claim \"aud\" is not a string or list");
		return ERR_INVALID;
	}
	if (json_array_size(bound) == 0) {
		if (aud == NULL || allow_unbound)
			return ERR_OK;
		snprintf(err, errlen,
		         "audience claim found in JWT but no "
		         "audiences bound to the role");
		return ERR_INVALID;
	}
	/* One form or the other, each value compared exactly. */
	if (json_is_string(aud) && list_has(bound, json_string_value(aud)))
		return ERR_OK;
	json_array_foreach(json_is_array(aud) ? aud : NULL, i, v)
	{
		if (json_is_string(v) && list_has(bound, json_string_value(v)))
			return ERR_OK;
	}
	snprintf(err, errlen, "aud claim does not match any bound audience");
	return ERR_INVALID;
}

bool jwt_glob_match(const char *pattern, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Greedy with one backtrack point: the last '*' seen. */
	while (*s) {
		if (*pattern == '*') {
			star = pattern++;
			resume = s;
		} else if (*pattern == *s) {
			pattern++;
			s++;
		} else if (star != NULL) {
			pattern = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == 0;
}

/* Whether the scalar claim value v matches one value of allowed. */
static bool value_allowed(json_t *v, json_t *allowed, bool glob)
{
	struct buf text = BUF_INIT;
	json_t *a;
	size_t i;
	bool ok = false;

	if (jwt_claim_text(v, &text) != ERR_OK)
		goto out;
	json_array_foreach(allowed, i, a)
	{
		const char *want = json_string_value(a);
		if (want == NULL)
			continue;
		if (glob ? jwt_glob_match(want, buf_str(&text))
		         : strcmp(want, buf_str(&text)) == 0) {
			ok = true;
			break;
		}
	}
out:
	buf_release(&text);
	return ok;
}

static bool claim_allowed(json_t *claim, json_t *allowed, bool glob)
{
	json_t *v;
	size_t i;

	if (!json_is_array(claim))
		return value_allowed(claim, allowed, glob);
	json_array_foreach(claim, i, v)
	{
		if (value_allowed(v, allowed, glob))
			return true;
	}
	return false;
}

err_t jwt_check_bound_claims(json_t *claims, json_t *bound, bool glob,
                             char *err, size_t errlen)
{
	const char *name;
	json_t *want, *one = NULL;
	bool ok;

	json_object_foreach(bound, name, want)
	{
		json_t *claim = jwt_claim(claims, name);
		if (claim == NULL) {
			snprintf(err, errlen, "claim \"%.64s\" is missing",
			         name);
			return ERR_INVALID;
		}
		if (json_is_string(want))
			one = json_pack("[O]", want);
		ok = claim_allowed(claim, one ? one : want, glob);
		json_decref(one);
		one = NULL;
		if (!ok) {
			snprintf(err, errlen,
			         "claim \"%.64s\" does not match any "
			         "associated bound claim values",
			         name);
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

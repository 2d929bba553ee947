#include "http/path.h"

#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/params.h"
#include "base/secret.h"

void http_target_init(struct http_target *t)
{
	t->path = NULL;
	t->query = NULL;
	t->list = false;
	t->help = false;
}

void http_target_release(struct http_target *t)
{
	free(t->path);
	json_decref(t->query);
	http_target_init(t);
}

bool http_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, need;
	unsigned long cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			need = 1, cp = p[i] & 0x1f, min = 0x80;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			need = 2, cp = p[i] & 0x0f, min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			need = 3, cp = p[i] & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/*
 * Percent-decodes p[0..n) into out (at least n bytes); with plus, '+' is a
 * space (forms). A decoded NUL is refused: it would cut the C string short
 * and let "a%00b" alias "a".
 */
static err_t pct_decode(const char *p, size_t n, bool plus, char *out,
                        size_t *outlen, const char **why)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			if (n - i < 3 ||
			    (hi = hex_digit((unsigned char)p[i + 1])) < 0 ||
			    (lo = hex_digit((unsigned char)p[i + 2])) < 0) {
				*why = "invalid percent-encoding";
				return ERR_INVALID;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0) {
			*why = "NUL byte in request";
			return ERR_INVALID;
		}
		out[o++] = (char)c;
	}
	*outlen = o;
	return ERR_OK;
}

/*
 * Rewrites the decoded path p[0..n) in place to its canonical form: no
 * leading slash, no empty segment, a trailing slash kept when there was
 * one. Refuses "." and ".." rather than resolving them, so no request can
 * name a path other than the one it appears to.
 */
static err_t segments_normalise(char *p, size_t n, size_t *outlen,
                                const char **why)
{
	size_t i = 0, o = 0, s;

	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		s = i;
		while (i < n && p[i] != '/') {
			unsigned char c = (unsigned char)p[i];

			if (c < 0x20 || c == 0x7f) {
				*why = "control character in path";
				return ERR_INVALID;
			}
			i++;
		}
		if (i == s)
			break;
		if ((i - s == 1 && p[s] == '.') ||
		    (i - s == 2 && p[s] == '.' && p[s + 1] == '.')) {
			*why = "relative path segments are not allowed";
			return ERR_INVALID;
		}
		if (o > 0)
			p[o++] = '/';
		memmove(p + o, p + s, i - s);
		o += i - s;
	}
	if (o > 0 && n > 0 && p[n - 1] == '/')
		p[o++] = '/';
	*outlen = o;
	return ERR_OK;
}

err_t http_namespace_normalise(const char *p, size_t n, char *out,
                               const char **why)
{
	size_t len;
	err_t rc;

	if (!http_utf8_valid(p, n)) {
		*why = "invalid UTF-8 in namespace";
		return ERR_INVALID;
	}
	memcpy(out, p, n);
	rc = segments_normalise(out, n, &len, why);
	if (rc != ERR_OK)
		return rc;
	if (len > 0 && out[len - 1] != '/')
		out[len++] = '/';
	out[len] = 0;
	return ERR_OK;
}

/* Adds key = value to obj; a second value for a key makes an array. */
static err_t form_add(json_t *obj, const char *key, const char *val,
                      size_t vlen)
{
	json_t *old, *v, *arr;

	v = json_stringn(val, vlen);
	if (v == NULL)
		return ERR_NOMEM;
	old = json_object_get(obj, key);
	if (old == NULL)
		return json_object_set_new(obj, key, v) ? ERR_NOMEM : ERR_OK;
	if (json_is_array(old))
		return json_array_append_new(old, v) ? ERR_NOMEM : ERR_OK;

	arr = json_array();
	if (arr == NULL || json_array_append(arr, old) ||
	    json_array_append_new(arr, v)) {
		json_decref(arr);
		return ERR_NOMEM;
	}
	return json_object_set_new(obj, key, arr) ? ERR_NOMEM : ERR_OK;
}

/* Decodes one "k=v" pair p[0..n) into scratch (n + 1 bytes) and adds it. */
static err_t form_pair(const char *p, size_t n, char *scratch, json_t *obj,
                       const char **why)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n, kout, vout = 0;
	err_t rc;

	rc = pct_decode(p, klen, true, scratch, &kout, why);
	if (rc != ERR_OK || kout == 0)
		return rc;
	scratch[kout] = 0;
	if (eq != NULL) {
		rc = pct_decode(eq + 1, n - klen - 1, true, scratch + kout + 1,
		                &vout, why);
		if (rc != ERR_OK)
			return rc;
	}
	if (!http_utf8_valid(scratch, kout) ||
	    !http_utf8_valid(scratch + kout + 1, vout)) {
		*why = "invalid UTF-8 in form or query";
		return ERR_INVALID;
	}
	return form_add(obj, scratch, scratch + kout + 1, vout);
}

err_t http_form_parse(const char *p, size_t n, json_t *obj, const char **why)
{
	char *scratch;
	size_t i = 0, s;
	err_t rc = ERR_OK;

	if (n == 0)
		return ERR_OK;
	scratch = malloc(n + 2);
	if (scratch == NULL)
		return ERR_NOMEM;
	while (i < n && rc == ERR_OK) {
		s = i;
		while (i < n && p[i] != '&')
			i++;
		if (i > s)
			rc = form_pair(p + s, i - s, scratch, obj, why);
		i++;
	}
	/* Form bodies carry secrets (passwords, secret IDs). */
	secret_free_n(scratch, n + 2);
	if (rc == ERR_NOMEM)
		*why = "out of memory";
	return rc;
}

/* Takes "list" and "help" out of the query; they steer the request. */
static err_t take_reserved(struct http_target *t, const char **why)
{
	json_t *v = json_object_get(t->query, "list");

	if (v != NULL) {
		if (json_is_array(v))
			v = json_array_get(v, 0);
		if (!json_is_string(v) ||
		    !parse_bool(json_string_value(v), &t->list)) {
			*why = "invalid value for list";
			return ERR_INVALID;
		}
		json_object_del(t->query, "list");
	}

	v = json_object_get(t->query, "help");
	if (v != NULL) {
		if (json_is_array(v))
			v = json_array_get(v, 0);
		t->help = json_string_length(v) > 0;
		json_object_del(t->query, "help");
	}
	return ERR_OK;
}

err_t http_target_parse(struct http_target *t, const char *target, size_t len,
                        const char **why)
{
	const char *q = memchr(target, '?', len);
	size_t plen = q ? (size_t)(q - target) : len, n;
	err_t rc;

	if (plen < 4 || memcmp(target, "/v1/", 4) != 0) {
		*why = "no handler for route";
		return ERR_NOT_FOUND;
	}

	/* Decoding only shrinks, so the target length is enough. */
	t->path = malloc(plen + 1);
	t->query = json_object();
	if (t->path == NULL || t->query == NULL) {
		*why = "out of memory";
		return ERR_NOMEM;
	}
	rc = pct_decode(target + 4, plen - 4, false, t->path, &n, why);
	if (rc != ERR_OK)
		return rc;
	if (!http_utf8_valid(t->path, n)) {
		*why = "invalid UTF-8 in path";
		return ERR_INVALID;
	}
	rc = segments_normalise(t->path, n, &n, why);
	if (rc != ERR_OK)
		return rc;
	t->path[n] = 0;

	if (q != NULL) {
		rc = http_form_parse(q + 1, len - plen - 1, t->query, why);
		if (rc != ERR_OK)
			return rc;
	}
	return take_reserved(t, why);
}

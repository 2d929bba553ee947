/*
 * template_json.c - JSON text of a value, written the way Go's encoder
 * writes it, so that toJSON output is the same bytes consul-template
 * produced for the same data: map keys in byte order, struct fields
 * (secret responses) in their declared order, "<", ">" and "&" escaped
 * as \u003c, \u003e, \u0026 (toJSON only, not when a value is printed),
 * U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD, and
 * numbers in their shortest form. Written by hand: json_dumps has no
 * option for Go's escaping, and the text goes into a buffer we wipe.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"

struct enc {
	const struct tmpl_run *r;
	bool html;
	int indent;
	struct buf *out;
};

static err_t enc_value(struct enc *e, const json_t *v, int depth);

/* The escape for byte c, or NULL when it is written as it is. */
static const char *escape_of(const struct enc *e, unsigned char c, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		break;
	}
	if (c >= 0x20 && !(e->html && (c == '<' || c == '>' || c == '&')))
		return NULL;
	memcpy(tmp, "\\u00", 4);
	tmp[4] = hex[c >> 4];
	tmp[5] = hex[c & 0xf];
	tmp[6] = 0;
	return tmp;
}

/* A run of plain bytes is copied at once; specials one by one. */
static err_t enc_string(struct enc *e, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, len;
	const char *esc;
	char tmp[8];
	err_t rc = buf_append_byte(e->out, '"');

	while (rc == ERR_OK && i < n) {
		esc = NULL;
		len = 1;
		if (p[i] < 0x80) {
			esc = escape_of(e, p[i], tmp);
		} else {
			len = tmpl_utf8_len(p + i, n - i);
			if (len == 0) {
				esc = "\\ufffd";
				len = 1;
			} else if (len == 3 && p[i] == 0xe2 &&
			           p[i + 1] == 0x80 &&
			           (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				esc = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			}
		}
		if (esc == NULL) {
			i += len;
			continue;
		}
		rc = buf_append(e->out, p + run, i - run);
		if (rc == ERR_OK)
			rc = buf_append_str(e->out, esc);
		i += len;
		run = i;
	}
	if (rc == ERR_OK)
		rc = buf_append(e->out, p + run, n - run);
	if (rc == ERR_OK)
		rc = buf_append_byte(e->out, '"');
	return rc;
}

static err_t newline(struct enc *e, int depth)
{
	err_t rc;
	int i;

	if (e->indent == 0)
		return ERR_OK;
	rc = buf_append_byte(e->out, '\n');
	for (i = 0; rc == ERR_OK && i < depth * e->indent; i++)
		rc = buf_append_byte(e->out, ' ');
	return rc;
}

static err_t enc_array(struct enc *e, const json_t *v, int depth)
{
	size_t i, n = json_array_size(v);
	err_t rc;

	if (n == 0)
		return buf_append_str(e->out, "[]");
	rc = buf_append_byte(e->out, '[');
	for (i = 0; rc == ERR_OK && i < n; i++) {
		if (i > 0)
			rc = buf_append_byte(e->out, ',');
		if (rc == ERR_OK)
			rc = newline(e, depth + 1);
		if (rc == ERR_OK)
			rc = enc_value(e, json_array_get(v, i), depth + 1);
	}
	if (rc == ERR_OK)
		rc = newline(e, depth);
	if (rc == ERR_OK)
		rc = buf_append_byte(e->out, ']');
	return rc;
}

struct member {
	const char *key;
	size_t len;
	json_t *value;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* The members of v: a struct's in order, a map's sorted. */
static struct member *members(const struct enc *e, const json_t *v, size_t *n)
{
	struct member *m;
	void *it;
	size_t i = 0;

	*n = json_object_size(v);
	m = calloc(*n ? *n : 1, sizeof(*m));
	if (m == NULL)
		return NULL;
	for (it = json_object_iter((json_t *)v); it != NULL && i < *n;
	     it = json_object_iter_next((json_t *)v, it), i++) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
	}
	*n = i;
	if (!tmpl_run_is_struct(e->r, v))
		qsort(m, *n, sizeof(*m), member_cmp);
	return m;
}

static err_t enc_member(struct enc *e, const struct member *m, int depth)
{
	err_t rc;

	rc = newline(e, depth + 1);
	if (rc == ERR_OK)
		rc = enc_string(e, m->key, m->len);
	if (rc == ERR_OK)
		rc = buf_append_str(e->out, e->indent ? ": " : ":");
	if (rc == ERR_OK)
		rc = enc_value(e, m->value, depth + 1);
	return rc;
}

static err_t enc_object(struct enc *e, const json_t *v, int depth)
{
	struct member *m;
	size_t i, n;
	err_t rc;

	if (json_object_size(v) == 0)
		return buf_append_str(e->out, "{}");
	m = members(e, v, &n);
	if (m == NULL)
		return ERR_NOMEM;
	rc = buf_append_byte(e->out, '{');
	for (i = 0; rc == ERR_OK && i < n; i++) {
		if (i > 0)
			rc = buf_append_byte(e->out, ',');
		if (rc == ERR_OK)
			rc = enc_member(e, &m[i], depth);
	}
	if (rc == ERR_OK)
		rc = newline(e, depth);
	if (rc == ERR_OK)
		rc = buf_append_byte(e->out, '}');
	free(m);
	return rc;
}

static err_t enc_value(struct enc *e, const json_t *v, int depth)
{
	if (depth > TMPL_MAX_JSON)
		return ERR_INVALID;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return enc_object(e, v, depth);
	case JSON_ARRAY:
		return enc_array(e, v, depth);
	case JSON_STRING:
		return enc_string(e, json_string_value(v),
		                  json_string_length(v));
	case JSON_NULL:
		return buf_append_str(e->out, "null");
	default:
		return tmpl_print(e->r, e->out, v, "null");
	}
}

err_t tmpl_json(const struct tmpl_run *r, const json_t *v, bool html,
                int indent, struct buf *out)
{
	struct enc e = {r, html, indent, out};

	return enc_value(&e, v, 0);
}

/*
 * envref.c - the references of `coffer run`: "NAME=PATH#FIELD" arguments,
 * env files made of them, and picking a field out of a read's answer.
 */
#include "cli/run.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

static void envref_release(struct envref *r)
{
	free(r->name);
	free(r->path);
	free(r->field);
	secret_free(r->literal);
	*r = (struct envref){0};
}

void envref_list_release(struct envref_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		envref_release(&l->items[i]);
	free(l->items);
	*l = (struct envref_list){0};
}

static bool envref_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Narrows [*s, *s + *n) to drop surrounding white space. */
static void envref_trim(const char **s, size_t *n)
{
	while (*n > 0 && envref_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && envref_space((*s)[*n - 1]))
		(*n)--;
}

static bool envref_valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Splits PATH#FIELD into r; the name is already set. */
static err_t envref_split(const char *ref, size_t n, struct envref *r,
                          struct buf *msg)
{
	const char *hash = memchr(ref, '#', n);
	size_t plen = hash ? (size_t)(hash - ref) : n;

	while (plen > 0 && *ref == '/') {
		ref++;
		plen--;
		n--;
	}
	if (plen == 0 || memchr(ref, '\0', n) != NULL ||
	    (hash && hash + 1 == ref + n)) {
		buf_printf(msg, "invalid reference \"%.*s\" for %s: %s", (int)n,
		           ref, r->name,
		           plen == 0 ? "no path" : "an empty field after #");
		return ERR_INVALID;
	}
	r->path = strndup(ref, plen);
	if (r->path == NULL)
		return ERR_NOMEM;
	if (hash == NULL)
		return ERR_OK;
	r->field = strndup(hash + 1, n - plen - 1);
	return r->field ? ERR_OK : ERR_NOMEM;
}

/* Fills r from the parts of one NAME=REFERENCE. */
static err_t envref_build(const char *name, size_t nlen, const char *ref,
                          size_t rlen, struct envref *r, struct buf *msg)
{
	size_t lit = strlen(ENVREF_LITERAL);

	r->name = strndup(name, nlen);
	if (r->name == NULL)
		return ERR_NOMEM;
	if (rlen >= lit && memcmp(ref, ENVREF_LITERAL, lit) == 0) {
		if (memchr(ref, '\0', rlen) != NULL) {
			buf_printf(msg, "the value of %s holds a NUL byte",
			           r->name);
			return ERR_INVALID;
		}
		r->literal = strndup(ref + lit, rlen - lit);
		return r->literal ? ERR_OK : ERR_NOMEM;
	}
	return envref_split(ref, rlen, r, msg);
}

/* Puts r into l, replacing an entry of the same name; takes r's contents. */
static err_t envref_store(struct envref_list *l, struct envref *r)
{
	struct envref *items;
	size_t i, want;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].name, r->name) == 0) {
			envref_release(&l->items[i]);
			l->items[i] = *r;
			return ERR_OK;
		}
	}
	if (l->n == l->alloc) {
		if (l->alloc > SIZE_MAX / 2 / sizeof(*items))
			return ERR_NOMEM;
		want = l->alloc ? l->alloc * 2 : 8;
		items = realloc(l->items, want * sizeof(*items));
		if (items == NULL)
			return ERR_NOMEM;
		l->items = items;
		l->alloc = want;
	}
	l->items[l->n++] = *r;
	return ERR_OK;
}

err_t envref_list_add(struct envref_list *l, const char *spec, size_t len,
                      struct buf *msg)
{
	struct envref r = {0};
	const char *eq = memchr(spec, '=', len), *name = spec, *ref;
	size_t nlen, rlen;
	err_t rc;

	if (eq == NULL) {
		buf_printf(msg, "\"%.*s\" is not NAME=REFERENCE", (int)len,
		           spec);
		return ERR_INVALID;
	}
	nlen = (size_t)(eq - spec);
	ref = eq + 1;
	rlen = len - nlen - 1;
	envref_trim(&name, &nlen);
	envref_trim(&ref, &rlen);
	if (!envref_valid_name(name, nlen)) {
		buf_printf(msg, "invalid variable name \"%.*s\"", (int)nlen,
		           name);
		return ERR_INVALID;
	}

	rc = envref_build(name, nlen, ref, rlen, &r, msg);
	if (rc == ERR_OK)
		rc = envref_store(l, &r);
	if (rc != ERR_OK)
		envref_release(&r);
	return rc;
}

err_t envref_parse_file(const char *text, size_t len, const char *source,
                        struct envref_list *l, struct buf *msg)
{
	const char *line = text, *end = text + len, *nl;
	size_t n, lineno = 0;
	err_t rc;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - line);
		lineno++;
		envref_trim(&line, &n);
		if (n == 0 || line[0] == '#')
			continue;
		if (n > 7 && memcmp(line, "export", 6) == 0 &&
		    envref_space(line[6])) {
			line += 7;
			n -= 7;
		}
		rc = envref_list_add(l, line, n, msg);
		if (rc != ERR_OK) {
			if (rc == ERR_INVALID) {
				struct buf detail = BUF_INIT;

				buf_append_str(&detail, buf_str(msg));
				buf_reset(msg);
				buf_printf(msg, "%s line %zu: %s", source,
				           lineno, buf_str(&detail));
				buf_release(&detail);
			}
			return rc;
		}
	}
	return ERR_OK;
}

/* Whether body is a KV version 2 read: data.data and data.metadata. */
static bool envref_is_kv2(json_t *body, const char *path)
{
	json_t *data = json_object_get(body, "data");

	if (strncmp(path, "data/", 5) != 0 && strstr(path, "/data/") == NULL)
		return false;
	return json_is_object(json_object_get(data, "metadata")) &&
	       json_object_get(data, "data") != NULL;
}

/* The lone field of data, or ERR_INVALID naming how many there are. */
static err_t envref_only_field(json_t *data, const char *path, json_t **out,
                               struct buf *msg)
{
	const char *key;
	json_t *v;
	size_t n = json_object_size(data);

	if (n == 1) {
		json_object_foreach(data, key, v)
		{
			*out = v;
		}
		return ERR_OK;
	}
	buf_printf(msg, "%s holds %zu fields; name one with %s#FIELD", path, n,
	           path);
	if (n > 0)
		buf_append_str(msg, " (fields:");
	json_object_foreach(data, key, v)
	{
		buf_printf(msg, " %s", key);
	}
	if (n > 0)
		buf_append_byte(msg, ')');
	return ERR_INVALID;
}

err_t envref_pick(json_t *body, const char *path, const char *field,
                  struct buf *value, struct buf *msg)
{
	json_t *data = json_object_get(body, "data"), *v = NULL;
	char *text;
	err_t rc;

	if (envref_is_kv2(body, path))
		data = json_object_get(data, "data");
	if (!json_is_object(data)) {
		buf_printf(msg, "no data at %s", path);
		return ERR_NOT_FOUND;
	}
	if (field == NULL) {
		rc = envref_only_field(data, path, &v, msg);
		if (rc != ERR_OK)
			return rc;
	} else if ((v = json_object_get(data, field)) == NULL) {
		buf_printf(msg, "no field \"%s\" in %s", field, path);
		return ERR_NOT_FOUND;
	}

	if (json_is_null(v))
		return ERR_OK;
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			buf_printf(msg, "field \"%s\" of %s holds a NUL byte",
			           field ? field : "", path);
			return ERR_INVALID;
		}
		return buf_append(value, json_string_value(v),
		                  json_string_length(v));
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL)
		return ERR_NOMEM;
	rc = buf_append_str(value, text);
	secret_free(text);
	return rc;
}

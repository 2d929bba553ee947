/*
 * kv2_versions.c - delete/<path>, undelete/<path> and destroy/<path>: act
 * on the versions listed in "versions". Versions the secret does not hold
 * are skipped, as in Vault, and a secret without metadata answers 204.
 */
#include "engines/kv/kv2.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum action {
	ACT_DELETE,
	ACT_UNDELETE,
	ACT_DESTROY,
};

struct version_list {
	int64_t *v;
	size_t n, alloc;
	enum action act;
};

/* One decimal version number, surrounding blanks allowed. */
static bool parse_number(const char *s, size_t n, int64_t *out)
{
	char tmp[32];
	char *end;
	long long v;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(tmp) || !isdigit((unsigned char)*s))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != 0)
		return false;
	*out = (int64_t)v;
	return true;
}

static err_t list_add(struct version_list *l, int64_t v)
{
	int64_t *p;
	size_t want;

	if (l->n == l->alloc) {
		want = l->alloc == 0 ? 8 : l->alloc * 2;
		if (want > SIZE_MAX / sizeof(*p))
			return ERR_NOMEM;
		p = realloc(l->v, want * sizeof(*p));
		if (p == NULL)
			return ERR_NOMEM;
		l->v = p;
		l->alloc = want;
	}
	l->v[l->n++] = v;
	return ERR_OK;
}

/* "1,2, 3": every item must be a number; empty items are skipped. */
static err_t add_text(struct version_list *l, const char *s)
{
	const char *comma;
	int64_t v;
	size_t n;
	err_t rc;

	for (;;) {
		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		if (strspn(s, " \t") < n) {
			if (!parse_number(s, n, &v))
				return ERR_INVALID;
			if ((rc = list_add(l, v)) != ERR_OK)
				return rc;
		}
		if (comma == NULL)
			return ERR_OK;
		s = comma + 1;
	}
}

static err_t add_item(struct version_list *l, json_t *item)
{
	if (json_is_integer(item) && json_integer_value(item) >= 0)
		return list_add(l, json_integer_value(item));
	if (json_is_string(item))
		return add_text(l, json_string_value(item));
	return ERR_INVALID;
}

/* "versions": an array of integers or numeric strings, or "1,2". */
static err_t parse_versions(json_t *data, struct version_list *l,
                            struct response *resp)
{
	json_t *v = json_object_get(data, "versions"), *item;
	size_t i;
	err_t rc = ERR_OK;

	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if ((rc = add_item(l, item)) != ERR_OK)
				break;
		}
	} else if (v != NULL && !json_is_null(v)) {
		rc = add_item(l, v);
	}
	if (rc == ERR_NOMEM)
		return response_error(resp, rc, NULL);
	if (rc != ERR_OK)
		return response_error(
		    resp, ERR_INVALID,
		    "versions must be a list of non-negative integers");
	if (l->n == 0)
		return response_error(resp, ERR_INVALID,
		                      "no version number provided");
	return ERR_OK;
}

/* Applies the action to one version; returns whether it changed. */
static err_t apply(const char *path, struct kv2_version *v, enum action act,
                   int64_t now, struct kv2_batch *b, bool *changed)
{
	struct buf key = BUF_INIT;
	err_t rc;

	*changed = false;
	if (v->destroyed)
		return ERR_OK;
	switch (act) {
	case ACT_DELETE:
		if (kv2_version_deleted(v, now))
			return ERR_OK;
		v->deletion = now;
		break;
	case ACT_UNDELETE:
		v->deletion = 0;
		break;
	case ACT_DESTROY:
		v->destroyed = true;
		rc = kv2_version_key(path, v->version, &key);
		if (rc == ERR_OK)
			rc = kv2_batch_add(b, STORAGE_DELETE, buf_str(&key),
			                   NULL, 0);
		buf_release(&key);
		if (rc != ERR_OK)
			return rc;
		break;
	}
	*changed = true;
	return ERR_OK;
}

static err_t edit_versions(struct mount *m, const char *path,
                           struct kv2_meta *meta, bool found,
                           struct kv2_batch *b, void *arg, bool *save,
                           struct response *resp)
{
	struct version_list *l = arg;
	int64_t now = kv2_now();
	bool changed;
	size_t i;
	err_t rc;

	(void)m;
	if (!found)
		return ERR_OK;
	for (i = 0; i < l->n; i++) {
		struct kv2_version *v = kv2_meta_find(meta, l->v[i]);
		if (v == NULL)
			continue;
		if ((rc = apply(path, v, l->act, now, b, &changed)) != ERR_OK)
			return response_error(resp, rc, NULL);
		*save = *save || changed;
	}
	return ERR_OK;
}

static err_t run(struct mount *m, struct request *req, struct response *resp,
                 const char *path, enum action act)
{
	struct version_list l = {NULL, 0, 0, act};
	err_t rc;

	rc = parse_versions(req->data, &l, resp);
	if (rc == ERR_OK)
		rc = kv2_meta_edit(m, path, edit_versions, &l, resp);
	free(l.v);
	return rc;
}

err_t kv2_versions_delete(struct mount *m, struct request *req,
                          struct response *resp, const char *path)
{
	return run(m, req, resp, path, ACT_DELETE);
}

err_t kv2_versions_undelete(struct mount *m, struct request *req,
                            struct response *resp, const char *path)
{
	return run(m, req, resp, path, ACT_UNDELETE);
}

err_t kv2_versions_destroy(struct mount *m, struct request *req,
                           struct response *resp, const char *path)
{
	return run(m, req, resp, path, ACT_DESTROY);
}

#include "storage/view.h"

#include <stdlib.h>
#include <string.h>

#include "storage/backend.h"

struct view {
	struct storage base; /* first, see storage.h */
	struct storage *parent;
	char *prefix;
};

/* Builds prefix + key into out (reset first); ERR_INVALID if too long. */
static err_t view_key(const struct view *v, const char *key, struct buf *out)
{
	err_t rc;

	if (backend_check_key(key) != ERR_OK)
		return ERR_INVALID;
	buf_reset(out);
	if ((rc = buf_append_str(out, v->prefix)) != ERR_OK ||
	    (rc = buf_append_str(out, key)) != ERR_OK)
		return rc == ERR_TOO_LARGE ? ERR_INVALID : rc;
	return ERR_OK;
}

static err_t view_get(struct storage *s, const char *key, struct buf *out,
                      bool *found)
{
	struct view *v = (struct view *)s;
	struct buf full;
	err_t rc;

	*found = false;
	buf_init(&full, STORAGE_MAX_KEY);
	if ((rc = view_key(v, key, &full)) == ERR_OK)
		rc = storage_get(v->parent, buf_str(&full), out, found);
	buf_release(&full);
	return rc;
}

static err_t view_put(struct storage *s, const char *key, const uint8_t *value,
                      size_t len)
{
	struct view *v = (struct view *)s;
	struct buf full;
	err_t rc;

	buf_init(&full, STORAGE_MAX_KEY);
	if ((rc = view_key(v, key, &full)) == ERR_OK)
		rc = storage_put(v->parent, buf_str(&full), value, len);
	buf_release(&full);
	return rc;
}

static err_t view_delete(struct storage *s, const char *key)
{
	struct view *v = (struct view *)s;
	struct buf full;
	err_t rc;

	buf_init(&full, STORAGE_MAX_KEY);
	if ((rc = view_key(v, key, &full)) == ERR_OK)
		rc = storage_delete(v->parent, buf_str(&full));
	buf_release(&full);
	return rc;
}

static err_t view_list(struct storage *s, const char *prefix, json_t **keys)
{
	struct view *v = (struct view *)s;
	struct buf full;
	err_t rc;

	*keys = NULL;
	if (backend_check_prefix(prefix) != ERR_OK)
		return ERR_INVALID;
	buf_init(&full, STORAGE_MAX_KEY);
	if ((rc = buf_append_str(&full, v->prefix)) != ERR_OK ||
	    (rc = buf_append_str(&full, prefix)) != ERR_OK) {
		rc = rc == ERR_TOO_LARGE ? ERR_INVALID : rc;
		goto out;
	}
	/* Names come back relative to the listed prefix already. */
	rc = storage_list(v->parent, buf_str(&full), keys);
out:
	buf_release(&full);
	return rc;
}

static void view_keys_free(char **keys, size_t n)
{
	size_t i;

	if (keys == NULL)
		return;
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

static err_t view_commit(struct storage *s, const struct storage_op *ops,
                         size_t n)
{
	struct view *v = (struct view *)s;
	struct storage_op *full_ops = NULL;
	char **keys = NULL;
	struct buf full;
	size_t i;
	err_t rc = ERR_NOMEM;

	buf_init(&full, STORAGE_MAX_KEY);
	if (ops == NULL && n != 0) {
		rc = ERR_INVALID;
		goto out;
	}
	if (n > SIZE_MAX / sizeof(*full_ops))
		goto out;
	full_ops = calloc(n ? n : 1, sizeof(*full_ops));
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (full_ops == NULL || keys == NULL)
		goto out;

	for (i = 0; i < n; i++) {
		if ((rc = view_key(v, ops[i].key, &full)) != ERR_OK)
			goto out;
		if ((keys[i] = buf_detach(&full)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		full_ops[i] = ops[i];
		full_ops[i].key = keys[i];
	}
	rc = storage_commit(v->parent, full_ops, n);
out:
	view_keys_free(keys, n);
	free(full_ops);
	buf_release(&full);
	return rc;
}

static void view_free(struct storage *s)
{
	struct view *v = (struct view *)s;

	if (v == NULL)
		return;
	free(v->prefix);
	free(v);
}

static const struct storage_ops view_ops = {
    .get = view_get,
    .put = view_put,
    .delete = view_delete,
    .list = view_list,
    .commit = view_commit,
    .free = view_free,
};

err_t view_new(struct storage *parent, const char *prefix, struct storage **out)
{
	struct view *v;

	*out = NULL;
	if (parent == NULL || backend_check_prefix(prefix) != ERR_OK ||
	    prefix[0] == '\0')
		return ERR_INVALID;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	v->prefix = strdup(prefix);
	if (v->prefix == NULL) {
		free(v);
		return ERR_NOMEM;
	}
	v->parent = parent;
	v->base.ops = &view_ops;
	v->base.type = "view";
	*out = &v->base;
	return ERR_OK;
}

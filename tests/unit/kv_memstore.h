/*
 * kv_memstore.h - a small in-memory struct storage for engine unit tests.
 *
 * Keys are kept in a sorted array behind one mutex, so that list returns
 * sorted direct children ("a", "b/") and commit applies all of its
 * operations at once. Setting fail_commit makes the next commits fail
 * with ERR_STORAGE without applying anything, to check that callers leave
 * no partial state behind.
 */
#ifndef COFFER_TESTS_KV_MEMSTORE_H
#define COFFER_TESTS_KV_MEMSTORE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"

struct memstore_entry {
	char *key;
	uint8_t *val;
	size_t len;
};

struct memstore {
	struct storage base; /* first, so a struct storage * casts back */
	pthread_mutex_t lock;
	struct memstore_entry *e;
	size_t n, alloc;
	bool fail_commit;
};

/* Index of key, or of where it would go; *hit tells which. */
static size_t memstore_find(struct memstore *ms, const char *key, bool *hit)
{
	size_t lo = 0, hi = ms->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ms->e[mid].key, key);
		if (c == 0) {
			*hit = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*hit = false;
	return lo;
}

static err_t memstore_put_locked(struct memstore *ms, const char *key,
                                 const uint8_t *value, size_t len)
{
	bool hit;
	size_t i = memstore_find(ms, key, &hit);
	uint8_t *copy = malloc(len + 1);

	if (copy == NULL)
		return ERR_NOMEM;
	if (len > 0)
		memcpy(copy, value, len);
	if (hit) {
		free(ms->e[i].val);
		ms->e[i].val = copy;
		ms->e[i].len = len;
		return ERR_OK;
	}
	if (ms->n == ms->alloc) {
		size_t want = ms->alloc ? ms->alloc * 2 : 16;
		struct memstore_entry *p = realloc(ms->e, want * sizeof(*p));
		if (p == NULL) {
			free(copy);
			return ERR_NOMEM;
		}
		ms->e = p;
		ms->alloc = want;
	}
	memmove(ms->e + i + 1, ms->e + i, (ms->n - i) * sizeof(*ms->e));
	ms->e[i].key = strdup(key);
	ms->e[i].val = copy;
	ms->e[i].len = len;
	ms->n++;
	return ms->e[i].key ? ERR_OK : ERR_NOMEM;
}

static void memstore_delete_locked(struct memstore *ms, const char *key)
{
	bool hit;
	size_t i = memstore_find(ms, key, &hit);

	if (!hit)
		return;
	free(ms->e[i].key);
	free(ms->e[i].val);
	memmove(ms->e + i, ms->e + i + 1, (ms->n - i - 1) * sizeof(*ms->e));
	ms->n--;
}

static err_t memstore_get(struct storage *s, const char *key, struct buf *out,
                          bool *found)
{
	struct memstore *ms = (struct memstore *)s;
	err_t rc = ERR_OK;
	size_t i;

	pthread_mutex_lock(&ms->lock);
	i = memstore_find(ms, key, found);
	if (*found)
		rc = buf_append(out, ms->e[i].val, ms->e[i].len);
	pthread_mutex_unlock(&ms->lock);
	return rc;
}

static err_t memstore_put(struct storage *s, const char *key,
                          const uint8_t *value, size_t len)
{
	struct memstore *ms = (struct memstore *)s;
	err_t rc;

	pthread_mutex_lock(&ms->lock);
	rc = memstore_put_locked(ms, key, value, len);
	pthread_mutex_unlock(&ms->lock);
	return rc;
}

static err_t memstore_delete(struct storage *s, const char *key)
{
	struct memstore *ms = (struct memstore *)s;

	pthread_mutex_lock(&ms->lock);
	memstore_delete_locked(ms, key);
	pthread_mutex_unlock(&ms->lock);
	return ERR_OK;
}

static err_t memstore_list(struct storage *s, const char *prefix, json_t **keys)
{
	struct memstore *ms = (struct memstore *)s;
	size_t plen = strlen(prefix), i;
	json_t *out = json_array();
	const char *last = NULL;
	bool hit;

	if (out == NULL)
		return ERR_NOMEM;
	pthread_mutex_lock(&ms->lock);
	for (i = memstore_find(ms, prefix, &hit); i < ms->n; i++) {
		const char *k = ms->e[i].key, *rest, *slash;
		size_t n;

		if (strncmp(k, prefix, plen) != 0)
			break;
		rest = k + plen;
		slash = strchr(rest, '/');
		n = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
		/* Keys below one child directory sort next to each other. */
		if (n == 0 || (last != NULL && strlen(last) == n &&
		               strncmp(last, rest, n) == 0))
			continue;
		json_array_append_new(out, json_stringn(rest, n));
		last = json_string_value(
		    json_array_get(out, json_array_size(out) - 1));
	}
	pthread_mutex_unlock(&ms->lock);
	*keys = out;
	return ERR_OK;
}

static err_t memstore_commit(struct storage *s, const struct storage_op *ops,
                             size_t n)
{
	struct memstore *ms = (struct memstore *)s;
	err_t rc = ERR_OK;
	size_t i;

	pthread_mutex_lock(&ms->lock);
	if (ms->fail_commit)
		rc = ERR_STORAGE;
	for (i = 0; rc == ERR_OK && i < n; i++) {
		if (ops[i].kind == STORAGE_PUT)
			rc = memstore_put_locked(ms, ops[i].key, ops[i].value,
			                         ops[i].len);
		else
			memstore_delete_locked(ms, ops[i].key);
	}
	pthread_mutex_unlock(&ms->lock);
	return rc;
}

static void memstore_free(struct storage *s)
{
	struct memstore *ms = (struct memstore *)s;
	size_t i;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->n; i++) {
		free(ms->e[i].key);
		free(ms->e[i].val);
	}
	free(ms->e);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

static const struct storage_ops memstore_ops = {
    memstore_get,  memstore_put,    memstore_delete,
    memstore_list, memstore_commit, memstore_free,
};

static struct memstore *memstore_new(void)
{
	struct memstore *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		return NULL;
	ms->base.ops = &memstore_ops;
	ms->base.type = "memstore";
	pthread_mutex_init(&ms->lock, NULL);
	return ms;
}

/* Whether key is stored, for tests that look beneath the engine. */
static bool memstore_has(struct memstore *ms, const char *key)
{
	bool hit;

	pthread_mutex_lock(&ms->lock);
	memstore_find(ms, key, &hit);
	pthread_mutex_unlock(&ms->lock);
	return hit;
}

#endif

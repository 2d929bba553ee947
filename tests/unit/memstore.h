/*
 * memstore.h - a small in-memory struct storage for unit tests.
 *
 * Header-only (static inline, so a test that uses part of it builds
 * without warnings). Entries are kept sorted by key in a flat array; one
 * mutex guards everything. It also counts commits and can be told to fail
 * the next write, so tests can check that nothing half-written remains.
 */
#ifndef COFFER_TESTS_MEMSTORE_H
#define COFFER_TESTS_MEMSTORE_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "storage/storage.h"

struct memstore_entry {
	char *key;
	struct buf value;
};

struct memstore {
	struct storage base;
	pthread_mutex_t lock;
	struct memstore_entry *entries;
	size_t n, alloc;
	int fail_writes; /* the next this many writes fail with ERR_STORAGE */
};

/* Index of key, or of where it would go; *hit says which. */
static inline size_t memstore_find(struct memstore *m, const char *key,
                                   bool *hit)
{
	size_t lo = 0, hi = m->n;

	*hit = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->entries[mid].key, key);

		if (c == 0) {
			*hit = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Caller holds the lock. */
static inline err_t memstore_put_locked(struct memstore *m, const char *key,
                                        const uint8_t *value, size_t len)
{
	bool hit;
	size_t i = memstore_find(m, key, &hit);

	if (!hit) {
		if (m->n == m->alloc) {
			size_t na = m->alloc ? m->alloc * 2 : 16;
			void *p = realloc(m->entries, na * sizeof(*m->entries));

			if (p == NULL)
				return ERR_NOMEM;
			m->entries = p;
			m->alloc = na;
		}
		memmove(&m->entries[i + 1], &m->entries[i],
		        (m->n - i) * sizeof(*m->entries));
		m->entries[i].key = strdup(key);
		buf_init(&m->entries[i].value, 0);
		m->n++;
	}
	buf_reset(&m->entries[i].value);
	return buf_append(&m->entries[i].value, value, len);
}

static inline void memstore_delete_locked(struct memstore *m, const char *key)
{
	bool hit;
	size_t i = memstore_find(m, key, &hit);

	if (!hit)
		return;
	free(m->entries[i].key);
	buf_release(&m->entries[i].value);
	memmove(&m->entries[i], &m->entries[i + 1],
	        (m->n - i - 1) * sizeof(*m->entries));
	m->n--;
}

static inline bool memstore_fail_locked(struct memstore *m)
{
	if (m->fail_writes > 0) {
		m->fail_writes--;
		return true;
	}
	return false;
}

static inline err_t memstore_get(struct storage *s, const char *key,
                                 struct buf *out, bool *found)
{
	struct memstore *m = (struct memstore *)s;
	err_t rc = ERR_OK;
	size_t i;

	pthread_mutex_lock(&m->lock);
	i = memstore_find(m, key, found);
	if (*found)
		rc = buf_append(out, m->entries[i].value.data,
		                m->entries[i].value.len);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static inline err_t memstore_put(struct storage *s, const char *key,
                                 const uint8_t *value, size_t len)
{
	struct memstore *m = (struct memstore *)s;
	err_t rc = ERR_STORAGE;

	pthread_mutex_lock(&m->lock);
	if (!memstore_fail_locked(m))
		rc = memstore_put_locked(m, key, value, len);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static inline err_t memstore_delete(struct storage *s, const char *key)
{
	struct memstore *m = (struct memstore *)s;
	err_t rc = ERR_STORAGE;

	pthread_mutex_lock(&m->lock);
	if (!memstore_fail_locked(m)) {
		memstore_delete_locked(m, key);
		rc = ERR_OK;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static inline err_t memstore_list(struct storage *s, const char *prefix,
                                  json_t **keys)
{
	struct memstore *m = (struct memstore *)s;
	size_t plen = strlen(prefix), i;
	json_t *arr = json_array();
	const char *last = NULL;
	size_t lastlen = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n; i++) {
		const char *k = m->entries[i].key, *rest, *slash;
		size_t clen;

		if (strncmp(k, prefix, plen) != 0)
			continue;
		rest = k + plen;
		slash = strchr(rest, '/');
		clen = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
		if (last != NULL && clen == lastlen &&
		    strncmp(last, rest, clen) == 0)
			continue;
		json_array_append_new(arr, json_stringn(rest, clen));
		last = rest;
		lastlen = clen;
	}
	pthread_mutex_unlock(&m->lock);
	*keys = arr;
	return ERR_OK;
}

/* All or nothing: a failure injected here writes none of the ops. */
static inline err_t memstore_commit(struct storage *s,
                                    const struct storage_op *ops, size_t n)
{
	struct memstore *m = (struct memstore *)s;
	err_t rc = ERR_OK;
	size_t i;

	pthread_mutex_lock(&m->lock);
	if (memstore_fail_locked(m))
		rc = ERR_STORAGE;
	for (i = 0; i < n && rc == ERR_OK; i++) {
		if (ops[i].kind == STORAGE_PUT)
			rc = memstore_put_locked(m, ops[i].key, ops[i].value,
			                         ops[i].len);
		else
			memstore_delete_locked(m, ops[i].key);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static inline void memstore_free(struct storage *s)
{
	struct memstore *m = (struct memstore *)s;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->entries[i].key);
		buf_release(&m->entries[i].value);
	}
	free(m->entries);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static const struct storage_ops memstore_ops = {
    .get = memstore_get,
    .put = memstore_put,
    .delete = memstore_delete,
    .list = memstore_list,
    .commit = memstore_commit,
    .free = memstore_free,
};

static inline struct memstore *memstore_new(void)
{
	struct memstore *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->base.ops = &memstore_ops;
	m->base.type = "memstore";
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

/* Raw access for tests: a pointer to the stored bytes, or NULL. */
static inline struct buf *memstore_raw(struct memstore *m, const char *key)
{
	bool hit;
	size_t i = memstore_find(m, key, &hit);

	return hit ? &m->entries[i].value : NULL;
}

#endif

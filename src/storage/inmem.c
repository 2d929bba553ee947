/*
 * inmem.c - a storage backend that keeps everything in process memory.
 *
 * For dev mode and tests: nothing survives the process, so "durable" here
 * means "visible to every later call". Entries sit in one array sorted by
 * key (byte order), so a lookup is a binary search and list() visits only
 * the direct children of a prefix, skipping each child folder's subtree
 * with one more search. Values are copied in and wiped when they are
 * replaced, deleted or freed, since tests may store plaintext here.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "storage/backend.h"
#include "storage/storage.h"

struct inmem_entry {
	char *key;
	uint8_t *value;
	size_t len;
};

struct inmem {
	struct storage base; /* first, see storage.h */
	pthread_rwlock_t lock;
	struct inmem_entry *entries; /* sorted by strcmp of key */
	size_t count;
	size_t alloc;
};

/* Copies of the values of a commit, made before the lock is taken. */
struct inmem_copy {
	char *key;
	uint8_t *value;
	size_t len;
};

/* Index of the first entry whose key is >= key. */
static size_t inmem_lower_bound(const struct inmem *m, size_t from,
                                const char *key)
{
	size_t lo = from, hi = m->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(m->entries[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool inmem_find(const struct inmem *m, const char *key, size_t *at)
{
	*at = inmem_lower_bound(m, 0, key);
	return *at < m->count && strcmp(m->entries[*at].key, key) == 0;
}

static err_t inmem_get(struct storage *s, const char *key, struct buf *out,
                       bool *found)
{
	struct inmem *m = (struct inmem *)s;
	err_t rc = ERR_OK;
	size_t at;

	*found = false;
	if (backend_check_key(key) != ERR_OK)
		return ERR_INVALID;

	pthread_rwlock_rdlock(&m->lock);
	if (inmem_find(m, key, &at)) {
		rc = buf_append(out, m->entries[at].value, m->entries[at].len);
		*found = rc == ERR_OK;
	}
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

static err_t inmem_list(struct storage *s, const char *prefix, json_t **keys)
{
	struct inmem *m = (struct inmem *)s;
	char skip[STORAGE_MAX_KEY + 1];
	size_t plen, i, len;
	const char *rest;
	err_t rc = ERR_INVALID;
	json_t *arr;
	bool dir;

	*keys = NULL;
	if (backend_check_prefix(prefix) != ERR_OK)
		return ERR_INVALID;
	plen = strlen(prefix);
	if ((arr = json_array()) == NULL)
		return ERR_NOMEM;

	pthread_rwlock_rdlock(&m->lock);
	i = inmem_lower_bound(m, 0, prefix);
	while (i < m->count && strncmp(m->entries[i].key, prefix, plen) == 0) {
		rest = m->entries[i].key + plen;
		len = backend_child(rest, &dir);
		if ((rc = backend_list_add(arr, rest, len, dir)) != ERR_OK)
			goto out;
		if (!dir) {
			i++;
			continue;
		}
		/* Jump over the folder's subtree instead of walking it. */
		if ((rc = backend_skip_key(prefix, rest, len, skip)) != ERR_OK)
			goto out;
		i = inmem_lower_bound(m, i, skip);
	}
	rc = ERR_OK;
	*keys = arr;
	arr = NULL;
out:
	pthread_rwlock_unlock(&m->lock);
	json_decref(arr);
	return rc;
}

static void inmem_copies_free(struct inmem_copy *copies, size_t n)
{
	size_t i;

	if (copies == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(copies[i].key);
		secret_free_n(copies[i].value, copies[i].len);
	}
	free(copies);
}

/* Copies keys and values of the PUT operations; the rest stay zeroed. */
static err_t inmem_copy_ops(const struct storage_op *ops, size_t n,
                            struct inmem_copy **out)
{
	struct inmem_copy *copies;
	size_t i;

	*out = NULL;
	copies = calloc(n ? n : 1, sizeof(*copies));
	if (copies == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (ops[i].kind != STORAGE_PUT)
			continue;
		copies[i].key = strdup(ops[i].key);
		copies[i].value = malloc(ops[i].len ? ops[i].len : 1);
		if (copies[i].key == NULL || copies[i].value == NULL) {
			inmem_copies_free(copies, n);
			return ERR_NOMEM;
		}
		copies[i].len = ops[i].len;
		if (ops[i].len > 0)
			memcpy(copies[i].value, ops[i].value, ops[i].len);
	}
	*out = copies;
	return ERR_OK;
}

/* Makes room for extra more entries, so applying a commit cannot fail. */
static err_t inmem_reserve(struct inmem *m, size_t extra)
{
	struct inmem_entry *p;
	size_t need, size;

	if (extra > SIZE_MAX - m->count)
		return ERR_NOMEM;
	need = m->count + extra;
	if (need <= m->alloc)
		return ERR_OK;
	size = m->alloc ? m->alloc : 64;
	while (size < need)
		size = size > SIZE_MAX / 2 ? need : size * 2;
	if (size > SIZE_MAX / sizeof(*p))
		return ERR_NOMEM;
	p = realloc(m->entries, size * sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	m->entries = p;
	m->alloc = size;
	return ERR_OK;
}

/* Takes ownership of the copy (its fields are cleared). Cannot fail. */
static void inmem_apply_put(struct inmem *m, struct inmem_copy *c)
{
	struct inmem_entry *e;
	size_t at;

	if (inmem_find(m, c->key, &at)) {
		e = &m->entries[at];
		secret_free_n(e->value, e->len);
		free(c->key);
	} else {
		memmove(&m->entries[at + 1], &m->entries[at],
		        (m->count - at) * sizeof(m->entries[0]));
		m->count++;
		e = &m->entries[at];
		e->key = c->key;
	}
	e->value = c->value;
	e->len = c->len;
	c->key = NULL;
	c->value = NULL;
	c->len = 0;
}

static void inmem_apply_delete(struct inmem *m, const char *key)
{
	struct inmem_entry *e;
	size_t at;

	if (!inmem_find(m, key, &at))
		return;
	e = &m->entries[at];
	free(e->key);
	secret_free_n(e->value, e->len);
	memmove(&m->entries[at], &m->entries[at + 1],
	        (m->count - at - 1) * sizeof(m->entries[0]));
	m->count--;
}

/*
 * All-or-nothing: every check and allocation happens before the first
 * change, and applying the operations cannot fail.
 */
static err_t inmem_commit(struct storage *s, const struct storage_op *ops,
                          size_t n)
{
	struct inmem *m = (struct inmem *)s;
	struct inmem_copy *copies = NULL;
	size_t i;
	err_t rc;

	if ((rc = backend_check_ops(ops, n)) != ERR_OK)
		return rc;
	if ((rc = inmem_copy_ops(ops, n, &copies)) != ERR_OK)
		return rc;

	pthread_rwlock_wrlock(&m->lock);
	if ((rc = inmem_reserve(m, n)) == ERR_OK) {
		for (i = 0; i < n; i++) {
			if (ops[i].kind == STORAGE_PUT)
				inmem_apply_put(m, &copies[i]);
			else
				inmem_apply_delete(m, ops[i].key);
		}
	}
	pthread_rwlock_unlock(&m->lock);

	inmem_copies_free(copies, n);
	return rc;
}

static err_t inmem_put(struct storage *s, const char *key, const uint8_t *value,
                       size_t len)
{
	struct storage_op op = {STORAGE_PUT, key, value, len};

	return inmem_commit(s, &op, 1);
}

static err_t inmem_delete(struct storage *s, const char *key)
{
	struct storage_op op = {STORAGE_DELETE, key, NULL, 0};

	return inmem_commit(s, &op, 1);
}

static void inmem_free(struct storage *s)
{
	struct inmem *m = (struct inmem *)s;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->count; i++) {
		free(m->entries[i].key);
		secret_free_n(m->entries[i].value, m->entries[i].len);
	}
	free(m->entries);
	pthread_rwlock_destroy(&m->lock);
	free(m);
}

static const struct storage_ops inmem_ops = {
    .get = inmem_get,
    .put = inmem_put,
    .delete = inmem_delete,
    .list = inmem_list,
    .commit = inmem_commit,
    .free = inmem_free,
};

/*
 * Opens an empty in-memory store. config is ignored (it may be NULL).
 * The caller frees *out with storage_free. ERR_NOMEM on failure.
 */
err_t inmem_open(json_t *config, struct storage **out, char *errmsg,
                 size_t errlen)
{
	struct inmem *m;

	(void)config;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL || pthread_rwlock_init(&m->lock, NULL) != 0) {
		free(m);
		backend_errmsg(errmsg, errlen, "out of memory");
		return ERR_NOMEM;
	}
	m->base.ops = &inmem_ops;
	m->base.type = "inmem";
	*out = &m->base;
	return ERR_OK;
}

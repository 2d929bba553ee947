/*
 * cache.c - the read cache of cache.h: an open-addressing hash table of
 * key -> value copies (and their parsed JSON once someone asked for it),
 * under one mutex. The table starts small and doubles up to its capacity,
 * so that a mount with three secrets does not pay for thousands.
 */
#include "storage/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

struct slot {
	char *key;      /* NULL: empty */
	uint8_t *value; /* NULL once only the parsed value is kept */
	size_t len;
	json_t *json; /* the value parsed, shared read-only; or NULL */
};

struct cache {
	struct storage base;
	struct storage *parent;
	char *prefix;
	size_t plen;
	pthread_mutex_t lock;
	struct slot *slots;
	size_t nslots; /* a power of two, at least twice used */
	size_t used;
	size_t capacity; /* most values held; then one goes per new one */
	size_t cursor;   /* where evict_one looks next */
	uint64_t generation;
};

static uint64_t hash_key(const char *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *k; k++) {
		h ^= (unsigned char)*k;
		h *= 1099511628211ULL;
	}
	return h;
}

static void slot_clear(struct slot *s)
{
	free(s->key);
	secret_free_n(s->value, s->len);
	json_decref(s->json);
	*s = (struct slot){NULL, NULL, 0, NULL};
}

static void clear_all(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		slot_clear(&c->slots[i]);
	c->used = 0;
}

static struct slot *find(struct cache *c, const char *key)
{
	size_t i = (size_t)hash_key(key) & (c->nslots - 1);

	while (c->slots[i].key != NULL) {
		if (strcmp(c->slots[i].key, key) == 0)
			return &c->slots[i];
		i = (i + 1) & (c->nslots - 1);
	}
	return &c->slots[i];
}

/*
 * Drops key; with linear probing the entries after it in its run are put
 * back, so that later lookups still find them.
 */
static void drop(struct cache *c, const char *key)
{
	struct slot *s = find(c, key);
	size_t i;

	if (s->key == NULL)
		return;
	slot_clear(s);
	c->used--;
	i = ((size_t)(s - c->slots) + 1) & (c->nslots - 1);
	while (c->slots[i].key != NULL) {
		struct slot moved = c->slots[i], *to;
		c->slots[i] = (struct slot){NULL, NULL, 0, NULL};
		to = find(c, moved.key);
		*to = moved;
		i = (i + 1) & (c->nslots - 1);
	}
}

/* Doubles the table; on failure the cache keeps its size. */
static void grow(struct cache *c)
{
	size_t n = c->nslots * 2, i;
	struct slot *old = c->slots, *to;

	c->slots = calloc(n, sizeof(*c->slots));
	if (c->slots == NULL) {
		c->slots = old;
		return;
	}
	c->nslots = n;
	for (i = 0; i < n / 2; i++) {
		if (old[i].key == NULL)
			continue;
		to = find(c, old[i].key);
		*to = old[i];
	}
	free(old);
}

/*
 * Drops one value: the next one after a cursor that walks the table.
 * Slots are in hash order, so this is a random pick, which suits reads
 * spread over more secrets than fit; emptying the whole cache instead
 * would stall the request that hit the limit and make every read after
 * it a miss.
 */
static void evict_one(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++) {
		struct slot *s = &c->slots[(c->cursor + i) & (c->nslots - 1)];
		if (s->key != NULL) {
			c->cursor = (c->cursor + i + 1) & (c->nslots - 1);
			drop(c, s->key);
			return;
		}
	}
}

/* Makes room for one more value. */
static void make_room(struct cache *c)
{
	if (c->used >= c->capacity)
		evict_one(c);
	if ((c->used + 1) * 2 > c->nslots)
		grow(c);
	/* Out of memory to grow: hold fewer values instead. */
	while (c->used > 0 && (c->used + 1) * 2 > c->nslots)
		evict_one(c);
}

static bool cached_prefix(const struct cache *c, const char *key)
{
	return strncmp(key, c->prefix, c->plen) == 0;
}

static void remember(struct cache *c, const char *key, const uint8_t *value,
                     size_t len, uint64_t generation)
{
	struct slot *s;
	char *k;
	uint8_t *v;

	pthread_mutex_lock(&c->lock);
	if (generation != c->generation)
		goto out; /* a write happened meanwhile: the value may be old */
	make_room(c);
	s = find(c, key);
	if (s->key != NULL)
		goto out;
	k = strdup(key);
	v = malloc(len ? len : 1);
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		goto out;
	}
	memcpy(v, value, len);
	s->key = k;
	s->value = v;
	s->len = len;
	c->used++;
out:
	pthread_mutex_unlock(&c->lock);
}

static err_t cache_get(struct storage *st, const char *key, struct buf *out,
                       bool *found)
{
	struct cache *c = (struct cache *)st;
	size_t start = out->len;
	uint64_t generation;
	struct slot *s;
	err_t rc;

	if (!cached_prefix(c, key))
		return storage_get(c->parent, key, out, found);

	pthread_mutex_lock(&c->lock);
	s = find(c, key);
	/* A key kept only parsed (attach_json) is read from the parent. */
	if (s->key != NULL && s->value != NULL) {
		rc = buf_append(out, s->value, s->len);
		pthread_mutex_unlock(&c->lock);
		*found = rc == ERR_OK;
		return rc;
	}
	generation = c->generation;
	pthread_mutex_unlock(&c->lock);

	rc = storage_get(c->parent, key, out, found);
	if (rc == ERR_OK && *found)
		remember(c, key, out->data + start, out->len - start,
		         generation);
	return rc;
}

/* Forgets the keys a write touches and starts a new generation. */
static void invalidate(struct cache *c, const struct storage_op *ops, size_t n)
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	c->generation++;
	for (i = 0; i < n; i++)
		if (ops[i].key != NULL && cached_prefix(c, ops[i].key))
			drop(c, ops[i].key);
	pthread_mutex_unlock(&c->lock);
}

static err_t cache_commit(struct storage *st, const struct storage_op *ops,
                          size_t n)
{
	struct cache *c = (struct cache *)st;
	err_t rc;

	invalidate(c, ops, n);
	rc = storage_commit(c->parent, ops, n);
	invalidate(c, ops, n);
	return rc;
}

static err_t cache_put(struct storage *st, const char *key,
                       const uint8_t *value, size_t len)
{
	struct storage_op op = {STORAGE_PUT, key, value, len};

	return cache_commit(st, &op, 1);
}

static err_t cache_delete(struct storage *st, const char *key)
{
	struct storage_op op = {STORAGE_DELETE, key, NULL, 0};

	return cache_commit(st, &op, 1);
}

static err_t cache_list(struct storage *st, const char *prefix, json_t **keys)
{
	return storage_list(((struct cache *)st)->parent, prefix, keys);
}

static void cache_free(struct storage *st)
{
	struct cache *c = (struct cache *)st;

	if (c == NULL)
		return;
	clear_all(c);
	free(c->slots);
	free(c->prefix);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static const struct storage_ops cache_ops = {
    .get = cache_get,
    .put = cache_put,
    .delete = cache_delete,
    .list = cache_list,
    .commit = cache_commit,
    .free = cache_free,
};

err_t cache_view_new(struct storage *parent, const char *prefix,
                     size_t capacity, struct storage **out)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return ERR_NOMEM;
	c->base.ops = &cache_ops;
	c->base.type = parent->type;
	c->parent = parent;
	c->prefix = strdup(prefix);
	c->plen = strlen(prefix);
	c->nslots = 16;
	c->capacity = capacity > 0 ? capacity : 1;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	pthread_mutex_init(&c->lock, NULL);
	if (c->prefix == NULL || c->slots == NULL) {
		cache_free(&c->base);
		return ERR_NOMEM;
	}
	*out = &c->base;
	return ERR_OK;
}

/* A fresh parse of key's value, for storages that are not a cache. */
static err_t load_json(struct storage *st, const char *key, json_t **out,
                       bool *found)
{
	struct buf raw = BUF_INIT;
	err_t rc;

	rc = storage_get(st, key, &raw, found);
	if (rc == ERR_OK && *found) {
		*out = json_loadb((const char *)raw.data, raw.len, 0, NULL);
		if (*out == NULL)
			rc = ERR_STORAGE;
	}
	buf_release(&raw);
	return rc;
}

/* Keeps j beside the cached bytes of key, unless a write came between. */
static void attach_json(struct cache *c, const char *key, json_t *j,
                        uint64_t generation)
{
	struct slot *s;

	pthread_mutex_lock(&c->lock);
	s = find(c, key);
	if (generation == c->generation && s->key != NULL && s->json == NULL) {
		/*
		 * Who reads a key as JSON reads it so again: keep the parsed
		 * value only, which halves what a cached secret costs.
		 */
		s->json = json_incref(j);
		secret_free_n(s->value, s->len);
		s->value = NULL;
		s->len = 0;
	}
	pthread_mutex_unlock(&c->lock);
}

err_t cache_get_json(struct storage *st, const char *key, json_t **out,
                     bool *found)
{
	struct cache *c = (struct cache *)st;
	uint64_t generation;
	struct slot *s;
	err_t rc;

	*out = NULL;
	*found = false;
	if (st->ops != &cache_ops || !cached_prefix(c, key))
		return load_json(st, key, out, found);

	pthread_mutex_lock(&c->lock);
	s = find(c, key);
	if (s->key != NULL && s->json != NULL) {
		*out = json_incref(s->json);
		*found = true;
	}
	generation = c->generation;
	pthread_mutex_unlock(&c->lock);
	if (*found)
		return ERR_OK;

	rc = load_json(st, key, out, found);
	if (rc == ERR_OK && *found)
		attach_json(c, key, *out, generation);
	return rc;
}

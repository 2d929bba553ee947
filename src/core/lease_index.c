/*
 * lease_index.c - the lease manager's in-memory index: a chained hash of
 * lease ids to slots, and a binary min-heap of slots by due time. The
 * caller holds lm->lock for every call.
 */
#include <stdlib.h>
#include <string.h>

#include "core/lease_internal.h"

static uint32_t hash_id(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

bool lease_ns_visible(const char *lease_ns, const char *caller_ns)
{
	/* Namespace paths end in "/", so a prefix is an ancestor or itself. */
	return strncmp(lease_ns, caller_ns, strlen(caller_ns)) == 0;
}

struct lease_slot *lease_index_find(struct lease_mgr *lm, const char *id)
{
	uint32_t h = hash_id(id);
	struct lease_slot *s;

	if (lm->nbuckets == 0)
		return NULL;
	for (s = lm->buckets[h & (lm->nbuckets - 1)]; s != NULL; s = s->next)
		if (s->hash == h && strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

/* Namespaces are few; each name is kept once for the manager's life. */
static const char *intern_ns(struct lease_mgr *lm, const char *ns)
{
	struct lease_ns *n;
	size_t len = strlen(ns);

	for (n = lm->names; n != NULL; n = n->next)
		if (strcmp(n->name, ns) == 0)
			return n->name;
	n = malloc(sizeof(*n) + len + 1);
	if (n == NULL)
		return NULL;
	memcpy(n->name, ns, len + 1);
	n->next = lm->names;
	lm->names = n;
	return n->name;
}

/* Keeps room in the heap for every slot, so that a push never fails. */
static err_t heap_reserve(struct lease_mgr *lm, size_t need)
{
	size_t n = lm->heap_alloc ? lm->heap_alloc : 1024;
	struct lease_slot **h;

	if (need <= lm->heap_alloc)
		return ERR_OK;
	while (n < need)
		n *= 2;
	if (n >= SLOT_NO_POS || n > SIZE_MAX / sizeof(*h))
		return ERR_NOMEM;
	h = realloc(lm->heap, n * sizeof(*h));
	if (h == NULL)
		return ERR_NOMEM;
	lm->heap = h;
	lm->heap_alloc = n;
	return ERR_OK;
}

static err_t grow_buckets(struct lease_mgr *lm)
{
	size_t n = lm->nbuckets ? lm->nbuckets * 2 : 1024, i;
	struct lease_slot **b;

	if (n > SIZE_MAX / sizeof(*b))
		return ERR_NOMEM;
	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return ERR_NOMEM;
	for (i = 0; i < lm->nbuckets; i++) {
		struct lease_slot *s = lm->buckets[i], *next;
		for (; s != NULL; s = next) {
			next = s->next;
			s->next = b[s->hash & (n - 1)];
			b[s->hash & (n - 1)] = s;
		}
	}
	free(lm->buckets);
	lm->buckets = b;
	lm->nbuckets = n;
	return ERR_OK;
}

err_t lease_index_add(struct lease_mgr *lm, const char *id, const char *ns,
                      int64_t expire, uint8_t flags, struct lease_slot **out)
{
	size_t len = strlen(id);
	struct lease_slot *s;
	const char *name;

	if (lm->count >= lm->nbuckets && grow_buckets(lm) != ERR_OK)
		return ERR_NOMEM;
	if (heap_reserve(lm, lm->count + 1) != ERR_OK)
		return ERR_NOMEM;
	name = intern_ns(lm, ns);
	if (name == NULL || len > STORAGE_MAX_KEY)
		return ERR_NOMEM;
	s = calloc(1, sizeof(*s) + len + 1);
	if (s == NULL)
		return ERR_NOMEM;
	memcpy(s->id, id, len + 1);
	s->hash = hash_id(id);
	s->ns = name;
	s->expire = expire;
	s->due = expire;
	s->flags = flags;
	s->heap_pos = SLOT_NO_POS;
	s->next = lm->buckets[s->hash & (lm->nbuckets - 1)];
	lm->buckets[s->hash & (lm->nbuckets - 1)] = s;
	lm->count++;
	*out = s;
	return ERR_OK;
}

void lease_index_unlink(struct lease_mgr *lm, struct lease_slot *s)
{
	struct lease_slot **pp = &lm->buckets[s->hash & (lm->nbuckets - 1)];

	lease_heap_remove(lm, s);
	while (*pp != NULL && *pp != s)
		pp = &(*pp)->next;
	if (*pp == s) {
		*pp = s->next;
		lm->count--;
	}
	free(s);
}

void lease_index_clear(struct lease_mgr *lm)
{
	struct lease_ns *n, *next;
	size_t i;

	for (i = 0; i < lm->nbuckets; i++) {
		struct lease_slot *s = lm->buckets[i], *snext;
		for (; s != NULL; s = snext) {
			snext = s->next;
			free(s);
		}
	}
	free(lm->buckets);
	free(lm->heap);
	for (n = lm->names; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	lm->buckets = NULL;
	lm->heap = NULL;
	lm->names = NULL;
	lm->nbuckets = lm->count = lm->heap_len = lm->heap_alloc = 0;
}

static void heap_set(struct lease_mgr *lm, size_t i, struct lease_slot *s)
{
	lm->heap[i] = s;
	s->heap_pos = (uint32_t)i;
}

static void sift_up(struct lease_mgr *lm, size_t i)
{
	struct lease_slot *s = lm->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (lm->heap[parent]->due <= s->due)
			break;
		heap_set(lm, i, lm->heap[parent]);
		i = parent;
	}
	heap_set(lm, i, s);
}

static void sift_down(struct lease_mgr *lm, size_t i)
{
	struct lease_slot *s = lm->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		int64_t best = s->due;
		if (l < lm->heap_len && lm->heap[l]->due < best) {
			m = l;
			best = lm->heap[l]->due;
		}
		if (r < lm->heap_len && lm->heap[r]->due < best)
			m = r;
		if (m == i)
			break;
		heap_set(lm, i, lm->heap[m]);
		i = m;
	}
	heap_set(lm, i, s);
}

err_t lease_heap_push(struct lease_mgr *lm, struct lease_slot *s)
{
	if (s->heap_pos != SLOT_NO_POS)
		return ERR_OK;
	/* lease_index_add reserved room for every slot. */
	if (lm->heap_len >= lm->heap_alloc)
		return ERR_INTERNAL;
	heap_set(lm, lm->heap_len++, s);
	sift_up(lm, s->heap_pos);
	return ERR_OK;
}

void lease_heap_remove(struct lease_mgr *lm, struct lease_slot *s)
{
	size_t i = s->heap_pos;
	struct lease_slot *last;

	if (i == SLOT_NO_POS)
		return;
	s->heap_pos = SLOT_NO_POS;
	last = lm->heap[--lm->heap_len];
	if (last == s)
		return;
	heap_set(lm, i, last);
	sift_down(lm, i);
	sift_up(lm, last->heap_pos);
}

void lease_heap_fix(struct lease_mgr *lm, struct lease_slot *s)
{
	if (s->heap_pos == SLOT_NO_POS)
		return;
	sift_down(lm, s->heap_pos);
	sift_up(lm, s->heap_pos);
}

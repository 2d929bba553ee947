/*
 * cache.h - a read cache in front of another storage, for hot keys.
 *
 * Values of keys under one prefix are kept in memory after a read, so
 * that a key read on every request (a token's entry) costs no storage
 * read, decryption or copy from disk. Every write through the cache drops
 * the keys it touches before and after it reaches the parent, and bumps a
 * generation, so a read that raced a write never caches the old value.
 * Writes that bypass the cache are not seen: only use it where every
 * writer of the prefix goes through it.
 */
#ifndef COFFER_STORAGE_CACHE_H
#define COFFER_STORAGE_CACHE_H

#include <stddef.h>

#include "storage/storage.h"

/*
 * Makes a cache over parent (not owned) for keys starting with prefix,
 * holding at most capacity values (then it starts over empty). Cached
 * values are wiped when dropped.
 */
err_t cache_view_new(struct storage *parent, const char *prefix,
                     size_t capacity, struct storage **out);

#endif

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

#include <jansson.h>
#include <stddef.h>

#include "storage/storage.h"

/*
 * Makes a cache over parent (not owned) for keys starting with prefix,
 * holding at most capacity values (then each new one evicts one); the table
 * grows as values arrive, so capacity costs nothing until it is used.
 * Cached values are wiped when dropped (their parsed JSON by jansson's
 * allocator, which main() makes a wiping one: base/wipe_alloc.h).
 */
err_t cache_view_new(struct storage *parent, const char *prefix,
                     size_t capacity, struct storage **out);

/*
 * Reads key's value as JSON. Through a cache view the parsed value is
 * kept and shared: *out is a new reference to an object that other
 * threads hold too, so the caller must treat it as read-only and
 * json_decref it when done (jansson's reference counts are atomic and
 * its readers and dumper do not write into the object). Over any other
 * storage, or a key outside the cached prefix, it is a private parse.
 * A stored value that is not JSON: ERR_STORAGE. Missing: *found false.
 */
err_t cache_get_json(struct storage *st, const char *key, json_t **out,
                     bool *found);

#endif

/*
 * json_write.h - compact JSON text of jansson values into a struct buf.
 *
 * jansson's own dumper guards against cycles by formatting each
 * container's address into a hash table, which cost more than the rest
 * of a response's encoding together. Our values come from jansson's
 * parser or from our own code and hold no cycles, so this writer walks
 * them directly. Output is what json_dumps(JSON_COMPACT) gives: keys in
 * insertion order, UTF-8 kept, control characters escaped.
 */
#ifndef COFFER_BASE_JSON_WRITE_H
#define COFFER_BASE_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

/* Deeper values are refused (ERR_INVALID) rather than recursed into. */
#define JSON_WRITE_MAX_DEPTH 4096

/* Appends v (NULL writes null). On failure b holds a partial text. */
err_t json_write(struct buf *b, const json_t *v);

/* Appends the n bytes at s as a quoted, escaped JSON string. */
err_t json_write_string(struct buf *b, const char *s, size_t n);

/* Appends v in decimal, without printf. */
err_t json_write_int(struct buf *b, int64_t v);

#endif

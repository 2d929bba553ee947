/*
 * buf.h - a bounded, growable byte buffer that wipes itself.
 *
 * Every buffer has a cap; growth past it fails with ERR_TOO_LARGE instead of
 * eating memory. Old storage is wiped before it is released, on growth and
 * on buf_release, so a buffer may hold secrets. The contents are always
 * followed by a NUL byte (not counted in len), so text can be read as a C
 * string.
 */
#ifndef COFFER_BASE_BUF_H
#define COFFER_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BUF_DEFAULT_CAP ((size_t)64 << 20)

struct buf {
	uint8_t *data; /* NULL until the first write */
	size_t len;
	size_t alloc;
	size_t cap; /* 0 means BUF_DEFAULT_CAP */
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0, 0                                                  \
	}

/* Sets up an empty buffer that may hold at most cap bytes (0: default). */
void buf_init(struct buf *b, size_t cap);

/* Wipes and frees the contents; b is empty and reusable afterwards. */
void buf_release(struct buf *b);

/* Wipes the contents but keeps the allocation. */
void buf_reset(struct buf *b);

/* Makes room for extra more bytes. ERR_TOO_LARGE past the cap. */
err_t buf_reserve(struct buf *b, size_t extra);

err_t buf_append(struct buf *b, const void *p, size_t n);
err_t buf_append_str(struct buf *b, const char *s);
err_t buf_append_byte(struct buf *b, uint8_t c);

/* printf-style append, bounded by the cap. */
err_t buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Hands the contents over as a NUL-terminated heap string that the caller
 * frees (with secret_free if it holds a secret); b is left empty. Returns
 * NULL on allocation failure.
 */
char *buf_detach(struct buf *b);

/* The contents as a C string ("" when empty); valid until the next write. */
const char *buf_str(const struct buf *b);

#endif

#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

static size_t buf_cap(const struct buf *b)
{
	return b->cap ? b->cap : BUF_DEFAULT_CAP;
}

void buf_release(struct buf *b)
{
	if (b->data != NULL) {
		secret_wipe(b->data, b->alloc);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	if (b->data != NULL) {
		secret_wipe(b->data, b->alloc);
		b->data[0] = 0;
	}
	b->len = 0;
}

err_t buf_reserve(struct buf *b, size_t extra)
{
	size_t need, size;
	uint8_t *p;

	/* One byte more than the contents for the NUL terminator. */
	if (extra > buf_cap(b) || b->len > buf_cap(b) - extra)
		return ERR_TOO_LARGE;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return ERR_OK;

	size = b->alloc ? b->alloc : 64;
	while (size < need)
		size = size > SIZE_MAX / 2 ? need : size * 2;

	/* realloc could leave a copy of a secret behind; move by hand. */
	p = malloc(size);
	if (p == NULL)
		return ERR_NOMEM;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		secret_wipe(b->data, b->alloc);
		free(b->data);
	}
	p[b->len] = 0;
	b->data = p;
	b->alloc = size;
	return ERR_OK;
}

err_t buf_append(struct buf *b, const void *p, size_t n)
{
	err_t rc;

	if (n == 0)
		return buf_reserve(b, 0);
	rc = buf_reserve(b, n);
	if (rc != ERR_OK)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return ERR_OK;
}

err_t buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

err_t buf_append_byte(struct buf *b, uint8_t c)
{
	return buf_append(b, &c, 1);
}

err_t buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	err_t rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ERR_INTERNAL;

	rc = buf_reserve(b, (size_t)n);
	if (rc != ERR_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ERR_OK;
}

char *buf_detach(struct buf *b)
{
	char *s;

	if (b->data == NULL && buf_reserve(b, 0) != ERR_OK)
		return NULL;
	s = (char *)b->data;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return s;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? (const char *)b->data : "";
}

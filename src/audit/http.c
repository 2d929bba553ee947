/*
 * http.c - the http audit device (being written).
 */
#include "audit/audit.h"

static err_t http_open(struct audit_device *d, struct buf *msg)
{
	(void)d;
	buf_append_str(msg, "the http audit device is not available yet");
	return ERR_INVALID;
}

static err_t http_write(struct audit_device *d, const char *line, size_t len)
{
	(void)d;
	(void)line;
	(void)len;
	return ERR_IO;
}

static void http_close(struct audit_device *d)
{
	d->state = NULL;
}

const struct audit_device_ops audit_http_ops = {
    .type = "http",
    .open = http_open,
    .write = http_write,
    .close = http_close,
};

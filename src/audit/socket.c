/*
 * socket.c - the socket audit device (being written).
 */
#include "audit/audit.h"

static err_t socket_open(struct audit_device *d, struct buf *msg)
{
	(void)d;
	buf_append_str(msg, "the socket audit device is not available yet");
	return ERR_INVALID;
}

static err_t socket_write(struct audit_device *d, const char *line, size_t len)
{
	(void)d;
	(void)line;
	(void)len;
	return ERR_IO;
}

static void socket_close(struct audit_device *d)
{
	d->state = NULL;
}

const struct audit_device_ops audit_socket_ops = {
    .type = "socket",
    .open = socket_open,
    .write = socket_write,
    .close = socket_close,
};

/*
 * syslog.c - the syslog audit device (being written).
 */
#include "audit/audit.h"

static err_t syslog_open(struct audit_device *d, struct buf *msg)
{
	(void)d;
	buf_append_str(msg, "the syslog audit device is not available yet");
	return ERR_INVALID;
}

static err_t syslog_write(struct audit_device *d, const char *line, size_t len)
{
	(void)d;
	(void)line;
	(void)len;
	return ERR_IO;
}

static void syslog_close(struct audit_device *d)
{
	d->state = NULL;
}

const struct audit_device_ops audit_syslog_ops = {
    .type = "syslog",
    .open = syslog_open,
    .write = syslog_write,
    .close = syslog_close,
};

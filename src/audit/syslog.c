/*
 * syslog.c - the syslog audit device: each record is one message to the
 * local syslog daemon, in the traditional local format (RFC 3164):
 *   <PRI>Mmm dd hh:mm:ss TAG[PID]: {"time": ...}
 *
 * Options: facility (default "AUTH"), tag (default "coffer"), and, beyond
 * Vault's two, socket_path (default "/dev/log") for a daemon listening
 * elsewhere. libc's syslog(3) is not used: it cannot report a failed
 * delivery, and audit must fail closed; it is also one global connection
 * with one tag for the whole process.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/net.h"
#include "base/params.h"

#define SYSLOG_TIMEOUT_MS 2000
#define SYSLOG_SEVERITY   6 /* informational */

struct syslog_state {
	int fd; /* -1 while not connected */
	int facility;
	char tag[33];
	char *socket_path;
};

static const char *const syslog_options[] = {"facility", "tag", "socket_path",
                                             NULL};

static bool tag_valid(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)tag[i]) && tag[i] != '-' &&
		    tag[i] != '_' && tag[i] != '.')
			return false;
	return true;
}

static err_t syslog_read_options(struct audit_device *d,
                                 struct syslog_state *st, struct buf *msg)
{
	const char *facility = "AUTH", *tag = "coffer", *sock = "/dev/log";

	param_str(d->options, "facility", &facility);
	param_str(d->options, "tag", &tag);
	param_str(d->options, "socket_path", &sock);
	st->facility = audit_syslog_facility(facility);
	if (st->facility < 0) {
		buf_printf(msg, "unknown syslog facility \"%s\"", facility);
		return ERR_INVALID;
	}
	if (!tag_valid(tag)) {
		buf_append_str(msg, "tag must be 1 to 32 letters, digits, "
		                    "'-', '_' or '.'");
		return ERR_INVALID;
	}
	memcpy(st->tag, tag, strlen(tag) + 1);
	st->socket_path = strdup(sock);
	return st->socket_path ? ERR_OK : ERR_NOMEM;
}

static err_t syslog_open(struct audit_device *d, struct buf *msg)
{
	struct syslog_state *st = d->state;
	err_t rc;

	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return ERR_NOMEM;
		st->fd = -1;
		rc = syslog_read_options(d, st, msg);
		if (rc != ERR_OK) {
			free(st->socket_path);
			free(st);
			return rc;
		}
		d->state = st;
	}
	if (st->fd >= 0)
		return ERR_OK;
	return audit_net_connect("unixgram", st->socket_path, SYSLOG_TIMEOUT_MS,
	                         &st->fd, msg);
}

static err_t syslog_check(struct audit_device *d, struct buf *msg)
{
	struct syslog_state st;
	err_t rc;

	memset(&st, 0, sizeof(st));
	rc = syslog_read_options(d, &st, msg);
	free(st.socket_path);
	return rc;
}

static err_t syslog_message(const struct syslog_state *st, const char *line,
                            size_t len, struct buf *out)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		return ERR_INTERNAL;
	if (buf_printf(out,
	               "<%d>%s %s[%ld]: ", st->facility * 8 + SYSLOG_SEVERITY,
	               stamp, st->tag, (long)getpid()) != ERR_OK)
		return ERR_NOMEM;
	return buf_append(out, line, len);
}

static err_t syslog_write(struct audit_device *d, const char *line, size_t len)
{
	struct syslog_state *st = d->state;
	struct buf m = BUF_INIT;
	err_t rc;

	rc = syslog_message(st, line, len, &m);
	if (rc == ERR_OK)
		rc = audit_net_send_reconnect(d, &st->fd, syslog_open, m.data,
		                              m.len);
	buf_release(&m);
	return rc;
}

static void syslog_close(struct audit_device *d)
{
	struct syslog_state *st = d->state;

	if (st == NULL)
		return;
	if (st->fd >= 0)
		close(st->fd);
	free(st->socket_path);
	free(st);
	d->state = NULL;
}

const struct audit_device_ops audit_syslog_ops = {
    .type = "syslog",
    .open = syslog_open,
    .write = syslog_write,
    .check = syslog_check,
    .close = syslog_close,
    .option_keys = syslog_options,
};

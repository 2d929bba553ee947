/*
 * socket.c - the socket audit device: records over TCP, UDP or a unix
 * stream socket.
 *
 * Options: address (required: "host:port" or a socket path), socket_type
 * ("tcp" default, "udp", "unix"), write_timeout (default "2s"), and
 * framing: "newline" (default; one JSON record per line on a stream, one
 * per datagram on UDP) or "rfc5424", which puts an RFC 5424 syslog header
 * before each record (facility and tag options apply) and, on a stream,
 * the octet-counting framing of RFC 6587 ("LEN SP MSG"), which syslog
 * daemons read without caring about newlines in the payload.
 *
 * A record counts as written once the kernel took it: TCP gives no
 * receipt. A broken connection is detected at the next send; the device
 * reconnects once and sends again, and fails the record if that fails.
 * The address is chosen by whoever may use sys/audit (sudo): that is an
 * outbound connection on their behalf (CVE-2025-54997); see the README.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/net.h"
#include "base/encoding.h"
#include "base/params.h"

struct socket_state {
	int fd; /* -1 while not connected */
	char *address;
	char kind[9]; /* tcp, udp, unix */
	int timeout_ms;
	bool rfc5424;
	int facility;
	char tag[33];
	char host[65];
};

static const char *const socket_options[] = {
    "address", "socket_type", "write_timeout", "framing", "facility",
    "tag",     NULL};

static err_t socket_framing(struct audit_device *d, struct socket_state *st,
                            struct buf *msg)
{
	const char *framing = "newline", *facility = "AUTH", *tag = "coffer";

	param_str(d->options, "framing", &framing);
	param_str(d->options, "facility", &facility);
	param_str(d->options, "tag", &tag);
	if (strcmp(framing, "rfc5424") != 0 && strcmp(framing, "newline")) {
		buf_printf(msg, "unknown framing \"%s\": newline or rfc5424",
		           framing);
		return ERR_INVALID;
	}
	st->rfc5424 = strcmp(framing, "rfc5424") == 0;
	st->facility = audit_syslog_facility(facility);
	if (st->facility < 0 || strlen(tag) == 0 || strlen(tag) > 32 ||
	    strpbrk(tag, " \t\r\n") != NULL) {
		buf_append_str(msg, "invalid facility or tag");
		return ERR_INVALID;
	}
	memcpy(st->tag, tag, strlen(tag) + 1);
	if (gethostname(st->host, sizeof(st->host) - 1) != 0 || !st->host[0])
		memcpy(st->host, "-", 2);
	return ERR_OK;
}

static err_t socket_read_options(struct audit_device *d,
                                 struct socket_state *st, struct buf *msg)
{
	const char *address = NULL, *kind = "tcp";
	int64_t timeout = 2;

	if (param_str(d->options, "address", &address) != ERR_OK ||
	    address[0] == 0) {
		buf_append_str(msg, "address is required");
		return ERR_INVALID;
	}
	param_str(d->options, "socket_type", &kind);
	if (strcmp(kind, "tcp") && strcmp(kind, "udp") &&
	    strcmp(kind, "unix")) {
		buf_printf(msg, "unknown socket_type \"%s\": tcp, udp or unix",
		           kind);
		return ERR_INVALID;
	}
	if (param_duration(d->options, "write_timeout", &timeout) ==
	        ERR_INVALID ||
	    timeout < 1 || timeout > 60) {
		buf_append_str(msg, "write_timeout must be 1s to 60s");
		return ERR_INVALID;
	}
	memcpy(st->kind, kind, strlen(kind) + 1);
	st->timeout_ms = (int)timeout * 1000;
	st->address = strdup(address);
	if (st->address == NULL)
		return ERR_NOMEM;
	return socket_framing(d, st, msg);
}

static err_t socket_open(struct audit_device *d, struct buf *msg)
{
	struct socket_state *st = d->state;
	err_t rc;

	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return ERR_NOMEM;
		st->fd = -1;
		rc = socket_read_options(d, st, msg);
		if (rc != ERR_OK) {
			free(st->address);
			free(st);
			return rc;
		}
		d->state = st;
	}
	if (st->fd >= 0)
		return ERR_OK;
	return audit_net_connect(st->kind, st->address, st->timeout_ms, &st->fd,
	                         msg);
}

static err_t socket_check(struct audit_device *d, struct buf *msg)
{
	struct socket_state st;
	err_t rc;

	memset(&st, 0, sizeof(st));
	rc = socket_read_options(d, &st, msg);
	free(st.address);
	return rc;
}

/* The bytes of one record as the framing wants them. */
static err_t socket_frame(const struct socket_state *st, const char *line,
                          size_t len, struct buf *out)
{
	struct buf m = BUF_INIT;
	char stamp[40];
	int64_t sec;
	long nsec;
	bool stream = strcmp(st->kind, "udp") != 0;
	err_t rc = ERR_OK;

	if (!st->rfc5424) {
		rc = buf_append(out, line, len);
		if (rc == ERR_OK && stream)
			rc = buf_append_byte(out, '\n');
		return rc;
	}
	time_now(&sec, &nsec);
	time_rfc3339(sec, nsec, stamp);
	rc = buf_printf(&m, "<%d>1 %s %s %s %ld audit - ", st->facility * 8 + 6,
	                stamp, st->host, st->tag, (long)getpid());
	if (rc == ERR_OK)
		rc = buf_append(&m, line, len);
	if (rc == ERR_OK && stream)
		rc = buf_printf(out, "%zu ", m.len);
	if (rc == ERR_OK)
		rc = buf_append(out, m.data, m.len);
	buf_release(&m);
	return rc;
}

static err_t socket_write(struct audit_device *d, const char *line, size_t len)
{
	struct socket_state *st = d->state;
	struct buf f = BUF_INIT;
	err_t rc;

	rc = socket_frame(st, line, len, &f);
	if (rc == ERR_OK)
		rc = audit_net_send_reconnect(d, &st->fd, socket_open, f.data,
		                              f.len);
	buf_release(&f);
	return rc;
}

static void socket_close(struct audit_device *d)
{
	struct socket_state *st = d->state;

	if (st == NULL)
		return;
	if (st->fd >= 0)
		close(st->fd);
	free(st->address);
	free(st);
	d->state = NULL;
}

const struct audit_device_ops audit_socket_ops = {
    .type = "socket",
    .open = socket_open,
    .write = socket_write,
    .check = socket_check,
    .close = socket_close,
    .option_keys = socket_options,
};

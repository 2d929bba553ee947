/*
 * net.c - connecting and sending for the network audit devices.
 */
#define _GNU_SOURCE
#include "audit/net.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static void set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

	/* On Linux the send timeout bounds connect(2) as well. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static err_t connect_unix(int type, const char *path, int timeout_ms, int *out,
                          struct buf *msg)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		buf_printf(msg, "invalid unix socket path \"%s\"", path);
		return ERR_INVALID;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	set_timeouts(fd, timeout_ms);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		goto fail;
	}
	*out = fd;
	return ERR_OK;
fail:
	buf_printf(msg, "cannot connect to %s: %s", path, strerror(errno));
	return ERR_IO;
}

/* "host:port" or "[v6]:port" into host and port; false when malformed. */
static bool split_host_port(const char *address, char *host, size_t hostlen,
                            const char **port)
{
	const char *colon = strrchr(address, ':');
	const char *h = address;
	size_t n;

	if (colon == NULL || colon[1] == 0)
		return false;
	n = (size_t)(colon - address);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return false;
	memcpy(host, h, n);
	host[n] = 0;
	*port = colon + 1;
	return true;
}

static err_t connect_inet(int type, const char *address, int timeout_ms,
                          int *out, struct buf *msg)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *port;
	char host[256];
	int fd = -1, gai;

	if (!split_host_port(address, host, sizeof(host), &port)) {
		buf_printf(msg, "invalid address \"%s\": expected host:port",
		           address);
		return ERR_INVALID;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = type;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		buf_printf(msg, "cannot resolve %s: %s", address,
		           gai_strerror(gai));
		return ERR_IO;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0)
			continue;
		set_timeouts(fd, timeout_ms);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		buf_printf(msg, "cannot connect to %s: %s", address,
		           strerror(errno));
		return ERR_IO;
	}
	*out = fd;
	return ERR_OK;
}

err_t audit_net_connect(const char *kind, const char *address, int timeout_ms,
                        int *fd, struct buf *msg)
{
	if (strcmp(kind, "tcp") == 0)
		return connect_inet(SOCK_STREAM, address, timeout_ms, fd, msg);
	if (strcmp(kind, "udp") == 0)
		return connect_inet(SOCK_DGRAM, address, timeout_ms, fd, msg);
	if (strcmp(kind, "unix") == 0)
		return connect_unix(SOCK_STREAM, address, timeout_ms, fd, msg);
	if (strcmp(kind, "unixgram") == 0)
		return connect_unix(SOCK_DGRAM, address, timeout_ms, fd, msg);
	buf_printf(msg, "unknown socket_type \"%s\": tcp, udp or unix", kind);
	return ERR_INVALID;
}

err_t audit_net_send(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ERR_IO;
		c += w;
		n -= (size_t)w;
	}
	return ERR_OK;
}

int audit_syslog_facility(const char *name)
{
	static const char *const names[] = {
	    "kern", "user", "mail", "daemon", "auth",     "syslog",
	    "lpr",  "news", "uucp", "cron",   "authpriv", "ftp"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	if (strncasecmp(name, "local", 5) == 0 && name[5] >= '0' &&
	    name[5] <= '7' && name[6] == 0)
		return 16 + (name[5] - '0');
	return -1;
}

err_t audit_net_send_reconnect(struct audit_device *d, int *fd,
                               err_t (*reopen)(struct audit_device *d,
                                               struct buf *msg),
                               const void *p, size_t n)
{
	struct buf msg = BUF_INIT;
	err_t rc = ERR_OK;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = *fd >= 0 ? ERR_OK : reopen(d, &msg);
		if (rc == ERR_OK)
			rc = audit_net_send(*fd, p, n);
		if (rc == ERR_OK)
			break;
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	buf_release(&msg);
	return rc;
}

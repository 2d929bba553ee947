/*
 * httpc.c - see httpc.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int httpc_dial(int port)
{
	struct sockaddr_in a;
	struct timeval tv = {30, 0};
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int httpc_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int httpc_read_reply(int fd, char *buf, size_t cap)
{
	size_t have = 0, head, want;
	char *end, *cl;
	int status;

	for (;;) {
		ssize_t r;

		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL)
			break;
		errno = 0;
		if (have + 1 >= cap)
			return -1;
		r = read(fd, buf + have, cap - 1 - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	head = (size_t)(end - buf) + 4;
	errno = 0;
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	cl = strstr(buf, "Content-Length:");
	want = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
	if (want > cap - 1 - head)
		return -1;
	while (have < head + want) {
		ssize_t r;

		errno = 0;
		r = read(fd, buf + have, head + want - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	buf[have] = '\0';
	return status;
}

const char *httpc_why(int err)
{
	if (err == EAGAIN)
		return "no reply within 30 s";
	if (err != 0)
		return strerror(err);
	return "connection closed or bad reply";
}

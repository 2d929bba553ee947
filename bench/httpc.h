/*
 * httpc.h - the few lines of HTTP/1.1 the benchmark's loaders need: a
 * keep-alive connection to 127.0.0.1, a request out, one reply back.
 *
 * Shared by kv_load.c and lease_load.c; built by bench/run.sh only, not
 * part of the server or the tests. Loopback only: httpc_dial takes a port,
 * never a host.
 */
#ifndef COFFER_BENCH_HTTPC_H
#define COFFER_BENCH_HTTPC_H

#include <stddef.h>

/*
 * Connects to 127.0.0.1:port with TCP_NODELAY and a 30 s receive timeout.
 * Returns the socket, or -1 with errno set.
 */
int httpc_dial(int port);

/* Writes all n bytes of p; 0 on success, -1 on error. */
int httpc_write_all(int fd, const char *p, size_t n);

/*
 * Reads one reply (headers and a Content-Length body) into buf, which
 * holds cap bytes and ends up NUL-terminated. Returns the status code, or
 * -1 with errno set (EAGAIN: no reply within the receive timeout; 0: the
 * server closed the connection or sent something unreadable or larger
 * than buf).
 */
int httpc_read_reply(int fd, char *buf, size_t cap);

/* Words for a failed httpc_read_reply, from errno: for error messages. */
const char *httpc_why(int err);

#endif

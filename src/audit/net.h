/*
 * net.h - the sockets the syslog and socket audit devices write to.
 */
#ifndef COFFER_AUDIT_NET_H
#define COFFER_AUDIT_NET_H

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

/*
 * Opens a socket of kind "tcp", "udp", "unix" (stream) or "unixgram"
 * connected to address ("host:port", "[v6]:port", or a socket path), with
 * timeout_ms for connecting and for each send. On success *fd is the
 * socket; on failure ERR_IO (ERR_INVALID for a malformed address) with the
 * reason in msg.
 */
err_t audit_net_connect(const char *kind, const char *address, int timeout_ms,
                        int *fd, struct buf *msg);

/* Sends all n bytes (one datagram on a datagram socket). ERR_IO if not. */
err_t audit_net_send(int fd, const void *p, size_t n);

struct audit_device;

/*
 * Sends p[0..n) on *fd, opening it first with reopen when it is closed
 * (-1), and once more after a failed send: a daemon that restarted has a
 * new socket. On failure the socket is closed and *fd is -1.
 */
err_t audit_net_send_reconnect(struct audit_device *d, int *fd,
                               err_t (*reopen)(struct audit_device *d,
                                               struct buf *msg),
                               const void *p, size_t n);

/* The syslog facility number of a name ("auth", "local0"), or -1. */
int audit_syslog_facility(const char *name);

#endif

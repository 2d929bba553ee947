/*
 * ha_forward.h - the header that carries a client's address from a
 * standby to the active server.
 *
 * A standby that forwards a request (core/ha.h, http/forward.h) connects
 * to the active server itself, so the active would see the standby's
 * address where the client's belongs: CIDR-bound tokens and secret IDs
 * would refuse the client, and the audit trail would name the wrong host.
 * The standby therefore adds
 *
 *   X-Coffer-Forwarded-For: v1;<unix time>;<client address>;<request id>;
 *                           <HMAC-SHA256, hex>
 *
 * (one line). The HMAC covers every field, and the method, namespace and
 * path of the request, under a 32-byte key that the active server makes
 * once and keeps under core/ behind the barrier, so that only a server
 * holding the barrier keys can make one. The active believes the address
 * only when the HMAC verifies (compared in constant time) and the time is
 * within HA_FORWARD_WINDOW seconds of its own clock; anything else is
 * ignored and the connection's own address stays. A client cannot forge
 * the header without the key; an eavesdropper on a plain-HTTP link between
 * two servers could replay one for the same request within the window,
 * which is why clusters should use TLS listeners (the token itself crosses
 * the same link).
 */
#ifndef COFFER_CORE_HA_FORWARD_H
#define COFFER_CORE_HA_FORWARD_H

#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "core/request.h"

#define HA_FORWARD_HEADER "X-Coffer-Forwarded-For"
/* The same, as the HTTP layer records names in request.headers. */
#define HA_FORWARD_HEADER_LC "x-coffer-forwarded-for"
#define HA_FORWARD_KEY_LEN   32
#define HA_FORWARD_ADDR_LEN  46 /* INET6_ADDRSTRLEN */
#define HA_FORWARD_WINDOW    30 /* seconds of clock skew accepted */

/*
 * Appends to out the header value vouching that req (method, namespace,
 * path, id) came from req->remote_addr, signed at unix time now with key.
 * ERR_INVALID when remote_addr is not an IP address in text form (there
 * is then nothing worth vouching for), ERR_CRYPTO or ERR_NOMEM otherwise.
 */
err_t ha_forward_sign(const uint8_t key[HA_FORWARD_KEY_LEN],
                      const struct request *req, int64_t now, struct buf *out);

/*
 * Checks a header value received with req at unix time now. On ERR_OK the
 * original client's address is copied into addr. ERR_INVALID for a value
 * that is malformed, stale or from the future, ERR_PERMISSION for one
 * whose HMAC does not match key and req; addr is then left empty.
 */
err_t ha_forward_check(const uint8_t key[HA_FORWARD_KEY_LEN], const char *value,
                       const struct request *req, int64_t now,
                       char addr[HA_FORWARD_ADDR_LEN]);

#endif

/*
 * jwt_fetch.h - outgoing GETs of the jwt auth method (JWKS, discovery).
 */
#ifndef COFFER_AUTH_JWT_JWT_FETCH_H
#define COFFER_AUTH_JWT_JWT_FETCH_H

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

/* Largest document fetched. */
#define JWT_FETCH_MAX ((size_t)1 << 20)

/*
 * GETs url (http or https; no redirects; 10 s limit) and puts the body
 * into out (initialised here, released by the caller). ca_pem, when not
 * NULL or empty, is the only trust for https. Anything but a 200 with a
 * body up to JWT_FETCH_MAX bytes is ERR_UNAVAILABLE with a reason in err.
 */
err_t jwt_fetch(const char *url, const char *ca_pem, struct buf *out, char *err,
                size_t errlen);

#endif

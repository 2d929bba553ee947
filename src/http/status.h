/*
 * status.h - the one place where error codes become HTTP statuses.
 */
#ifndef COFFER_HTTP_STATUS_H
#define COFFER_HTTP_STATUS_H

#include "base/error.h"

/*
 * The HTTP status that answers a failure with code: 400 for bad input and
 * conflicts, 403, 404, 405, 413, 415, 503 when sealed, unavailable or out
 * of memory, 500 for everything else (ERR_OK included, which is a bug).
 */
int http_status_for(err_t code);

/* The reason phrase of a status line ("Not Found"); never NULL. */
const char *http_status_reason(int status);

#endif

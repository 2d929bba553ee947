/*
 * envelope.h - a core response as Vault's JSON envelope.
 *
 * Vault clients read fixed keys, so every key of the envelope is always
 * written ("" / 0 / false / null when empty); warnings is null, never [];
 * a response with nothing in it is a 204 without a body.
 */
#ifndef COFFER_HTTP_ENVELOPE_H
#define COFFER_HTTP_ENVELOPE_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"
#include "core/request.h"

struct http_reply {
	int status;
	const char *content_type; /* NULL when there is no body */
};

/*
 * Writes the body that answers resp to request request_id by appending it
 * to body, and sets out->status and out->content_type (which may point into
 * resp). Failures become {"errors": [...]} with the status from
 * http_status_for; raw answers keep their type and bytes; bare answers are
 * the data object alone. Returns ERR_NOMEM or ERR_TOO_LARGE when body
 * cannot grow, ERR_INTERNAL when a value cannot be encoded; body may then
 * hold a partial write that the caller discards.
 */
err_t http_envelope_encode(const char *request_id, const struct response *resp,
                           struct buf *body, struct http_reply *out);

/* Appends {"errors":[msg]} (msg JSON-escaped; NULL gives []) to body. */
err_t http_envelope_error(const char *msg, struct buf *body);

/* Appends s as a JSON string literal, quotes included. */
err_t http_json_string(struct buf *body, const char *s, size_t n);

#endif

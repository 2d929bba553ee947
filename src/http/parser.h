/*
 * parser.h - strict HTTP/1.1 request heads and chunked bodies.
 *
 * Coffer parses HTTP itself because the event library of the target
 * system refuses the LIST method that Vault clients send. The parser is
 * deliberately strict: everything a front proxy could read differently
 * (obs-fold, bare CR or LF, both Content-Length and Transfer-Encoding,
 * conflicting lengths, whitespace before a colon) is refused, since a
 * disagreement between two parsers is how requests get smuggled.
 *
 * The parser does not allocate and never copies: a parsed head points into
 * the caller's bytes, which must stay in place while the head is used.
 */
#ifndef COFFER_HTTP_PARSER_H
#define COFFER_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define HTTP_MAX_HEAD    ((size_t)64 << 10) /* request line + headers */
#define HTTP_MAX_HEADERS 100

enum http_parse {
	HTTP_PARSE_DONE, /* a complete element was parsed */
	HTTP_PARSE_MORE, /* the bytes so far are a valid prefix */
	HTTP_PARSE_BAD,  /* refused: status and error say why */
};

struct http_header {
	const char *name;
	size_t name_len;
	const char *value; /* without surrounding whitespace */
	size_t value_len;
};

struct http_head {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	int minor; /* HTTP/1.<minor>: 0 or 1 */
	/* A response head (http_head_init_response): its status code. */
	bool response;
	int code;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t n_headers;

	/* What the framing headers say. */
	bool has_length;
	uint64_t content_length;
	bool chunked;
	bool keep_alive;
	bool expect_continue;

	/* Bytes of the head, leading blank lines and final CRLF included. */
	size_t len;

	/* On HTTP_PARSE_BAD: the status to answer and a message for it. */
	int status;
	const char *error;

	/* Scanner state between calls of http_head_feed. */
	size_t scan;
	size_t line;
	size_t start;
};

/* Prepares h for a new head. */
void http_head_init(struct http_head *h);

/*
 * Prepares h for the head of a response (a standby reading the active
 * server's answer, http/forward.h): a status line "HTTP/1.x NNN reason"
 * instead of the request line, code set from it, method and target
 * unset. Headers and framing are read as for requests; a malformed
 * status line gives HTTP_PARSE_BAD with status 502.
 */
void http_head_init_response(struct http_head *h);

/*
 * Feeds the bytes received so far for one head: p[0..n) always starts at
 * the first byte of the head, and n grows between calls (p may move; the
 * scan resumes where the last call stopped). Returns HTTP_PARSE_MORE until
 * the blank line that ends the head arrives, then parses it and returns
 * HTTP_PARSE_DONE (h filled, pointing into p) or HTTP_PARSE_BAD (h->status
 * is 400, 417, 431, 501 or 505 and h->error a static message). A bare LF
 * is refused as soon as it is seen, and a head longer than HTTP_MAX_HEAD
 * as soon as the limit is passed.
 */
enum http_parse http_head_feed(struct http_head *h, const char *p, size_t n);

/*
 * The value of the first header called name (any case), or NULL. *len gets
 * its length; *count, when not NULL, how many such headers there are.
 */
const char *http_head_get(const struct http_head *h, const char *name,
                          size_t *len, size_t *count);

/* True when a[0..alen) equals the NUL-terminated b, ignoring ASCII case. */
bool http_token_eq(const char *a, size_t alen, const char *b);

/* The decoder of a chunked body, fed piece by piece. */
struct http_chunked {
	int state;
	uint64_t left;  /* bytes still to come in the current chunk */
	size_t line;    /* bytes in the current size or trailer line */
	size_t trailer; /* bytes of trailers so far */
	bool digits;    /* the size line has a digit */
	int status;     /* on HTTP_PARSE_BAD: 400 or 413 */
	const char *error;
};

void http_chunked_init(struct http_chunked *c);

/*
 * Decodes p[0..n) and appends the chunk data to out, whose cap is the body
 * limit. *used gets the number of bytes consumed; after HTTP_PARSE_DONE
 * (last chunk and trailers read) the bytes past *used belong to the next
 * request. HTTP_PARSE_MORE consumes everything. HTTP_PARSE_BAD sets
 * c->status to 400 (malformed) or 413 (over the cap, decided from the chunk
 * size before its data is read).
 */
enum http_parse http_chunked_feed(struct http_chunked *c, const uint8_t *p,
                                  size_t n, size_t *used, struct buf *out);

#endif

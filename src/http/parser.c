#include "http/parser.h"

#include <string.h>

#define CHUNK_LINE_MAX  4096
#define CHUNK_TRAIL_MAX 8192

/* RFC 9110 tchar: the characters of methods and header names. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A header value byte: visible ASCII, space, tab or obs-text. */
static bool is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool http_token_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		if (b[i] == 0 ||
		    lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	}
	return b[alen] == 0;
}

void http_head_init(struct http_head *h)
{
	h->n_headers = 0;
	h->scan = 0;
	h->line = 0;
	h->start = 0;
	h->status = 0;
	h->error = NULL;
	h->response = false;
	h->code = 0;
}

void http_head_init_response(struct http_head *h)
{
	http_head_init(h);
	h->response = true;
	h->method = NULL;
	h->method_len = 0;
	h->target = NULL;
	h->target_len = 0;
}

static enum http_parse head_bad(struct http_head *h, int status,
                                const char *error)
{
	h->status = status;
	h->error = error;
	return HTTP_PARSE_BAD;
}

/* Request line: METHOD SP target SP HTTP/1.x, p[0..n) without CRLF. */
static enum http_parse parse_request_line(struct http_head *h, const char *p,
                                          size_t n)
{
	size_t i = 0, t;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return head_bad(h, 400, "malformed request line");
	h->method = p;
	h->method_len = i;

	t = ++i;
	while (i < n && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	if (i == t || i >= n || p[i] != ' ')
		return head_bad(h, 400, "malformed request target");
	h->target = p + t;
	h->target_len = i - t;

	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/", 5) != 0 || p[i + 5] < '0' ||
	    p[i + 5] > '9' || p[i + 6] != '.' || p[i + 7] < '0' ||
	    p[i + 7] > '9')
		return head_bad(h, 400, "malformed http version");
	if (p[i + 5] != '1')
		return head_bad(h, 505, "http version not supported");
	/* A later 1.x speaks at least 1.1 (RFC 9110 section 6.2). */
	h->minor = p[i + 7] == '0' ? 0 : 1;
	return HTTP_PARSE_MORE;
}

/* Status line: HTTP/1.x SP 3DIGIT [SP reason], p[0..n) without CRLF. */
static enum http_parse parse_status_line(struct http_head *h, const char *p,
                                         size_t n)
{
	int i, code = 0;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' ||
	    p[7] > '9' || p[8] != ' ' || (n > 12 && p[12] != ' '))
		return head_bad(h, 502, "malformed status line");
	for (i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return head_bad(h, 502, "malformed status code");
		code = code * 10 + (p[i] - '0');
	}
	if (code < 100)
		return head_bad(h, 502, "malformed status code");
	h->minor = p[7] == '0' ? 0 : 1;
	h->code = code;
	return HTTP_PARSE_MORE;
}

/* One header line p[0..n) without CRLF. */
static enum http_parse parse_header(struct http_head *h, const char *p,
                                    size_t n)
{
	struct http_header *hd;
	size_t i = 0, v, e;

	if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		return head_bad(h, 400, "obsolete header line folding");
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i < n && (p[i] == ' ' || p[i] == '\t'))
		return head_bad(h, 400, "whitespace before header colon");
	if (i == 0 || i >= n || p[i] != ':')
		return head_bad(h, 400, "malformed header name");
	if (h->n_headers == HTTP_MAX_HEADERS)
		return head_bad(h, 431, "too many headers");

	v = i + 1;
	while (v < n && (p[v] == ' ' || p[v] == '\t'))
		v++;
	for (e = v; e < n; e++) {
		if (!is_vchar((unsigned char)p[e]))
			return head_bad(h, 400, "invalid character in header");
	}
	while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;

	hd = &h->headers[h->n_headers++];
	hd->name = p;
	hd->name_len = i;
	hd->value = p + v;
	hd->value_len = e - v;
	return HTTP_PARSE_MORE;
}

static bool parse_length(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Connection: a comma-separated list of options, any case. */
static void parse_connection(struct http_head *h, const char *p, size_t n)
{
	size_t i = 0, s, e;

	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
			i++;
		s = i;
		while (i < n && p[i] != ',')
			i++;
		e = i;
		while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		if (http_token_eq(p + s, e - s, "close"))
			h->keep_alive = false;
		else if (http_token_eq(p + s, e - s, "keep-alive") &&
		         h->minor == 0)
			h->keep_alive = true;
	}
}

static enum http_parse
framing_header(struct http_head *h, const struct http_header *hd, bool *seen_te)
{
	uint64_t len;

	if (http_token_eq(hd->name, hd->name_len, "content-length")) {
		if (!parse_length(hd->value, hd->value_len, &len))
			return head_bad(h, 400, "invalid content-length");
		if (h->has_length && len != h->content_length)
			return head_bad(h, 400, "conflicting content-length");
		h->has_length = true;
		h->content_length = len;
	} else if (http_token_eq(hd->name, hd->name_len, "transfer-encoding")) {
		if (*seen_te)
			return head_bad(h, 400, "repeated transfer-encoding");
		*seen_te = true;
		if (!http_token_eq(hd->value, hd->value_len, "chunked"))
			return head_bad(h, 501,
			                "unsupported transfer-encoding");
		h->chunked = true;
	} else if (http_token_eq(hd->name, hd->name_len, "connection")) {
		parse_connection(h, hd->value, hd->value_len);
	} else if (http_token_eq(hd->name, hd->name_len, "expect")) {
		if (!http_token_eq(hd->value, hd->value_len, "100-continue"))
			return head_bad(h, 417, "unsupported expectation");
		h->expect_continue = h->minor == 1;
	}
	return HTTP_PARSE_MORE;
}

/* What the headers say about the body and the connection. */
static enum http_parse parse_framing(struct http_head *h)
{
	bool seen_te = false;
	size_t i;

	h->has_length = false;
	h->content_length = 0;
	h->chunked = false;
	h->expect_continue = false;
	h->keep_alive = h->minor == 1;
	for (i = 0; i < h->n_headers; i++) {
		if (framing_header(h, &h->headers[i], &seen_te) ==
		    HTTP_PARSE_BAD)
			return HTTP_PARSE_BAD;
	}

	/* Both framings at once is the classic smuggling shape. */
	if (h->chunked && h->has_length)
		return head_bad(h, 400,
		                "both content-length and transfer-encoding");
	if (h->chunked && h->minor == 0)
		return head_bad(h, 400, "transfer-encoding in http/1.0");
	return HTTP_PARSE_DONE;
}

/* Parses the complete head p[h->start..end), lines ending in CRLF. */
static enum http_parse parse_head(struct http_head *h, const char *p,
                                  size_t end)
{
	size_t s = h->start, e;
	bool first = true;

	while (s < end) {
		const char *lf = memchr(p + s, '\n', end - s);

		e = (size_t)(lf - p) - 1; /* the CR before it */
		if (e == s)
			break;
		if (first) {
			if ((h->response
			         ? parse_status_line(h, p + s, e - s)
			         : parse_request_line(h, p + s, e - s)) ==
			    HTTP_PARSE_BAD)
				return HTTP_PARSE_BAD;
			first = false;
		} else if (parse_header(h, p + s, e - s) == HTTP_PARSE_BAD) {
			return HTTP_PARSE_BAD;
		}
		s = e + 2;
	}
	return parse_framing(h);
}

enum http_parse http_head_feed(struct http_head *h, const char *p, size_t n)
{
	size_t i = h->scan;

	while (i < n) {
		const char *lf = memchr(p + i, '\n', n - i);

		if (lf == NULL)
			break;
		i = (size_t)(lf - p);
		if (i == 0 || p[i - 1] != '\r')
			return head_bad(h, 400, "bare line feed in head");

		/* Blank lines before the request line are skipped. */
		if (i - 1 == h->line && h->line == h->start) {
			h->start = i + 1;
		} else if (i - 1 == h->line) {
			h->len = i + 1;
			if (h->len - h->start > HTTP_MAX_HEAD)
				break;
			return parse_head(h, p, h->len);
		}
		h->line = ++i;
	}
	h->scan = n;
	if (n - h->start > HTTP_MAX_HEAD || h->start > HTTP_MAX_HEAD)
		return head_bad(h, 431, "request head too large");
	return HTTP_PARSE_MORE;
}

const char *http_head_get(const struct http_head *h, const char *name,
                          size_t *len, size_t *count)
{
	const char *found = NULL;
	size_t i, k = 0;

	for (i = 0; i < h->n_headers; i++) {
		const struct http_header *hd = &h->headers[i];

		if (!http_token_eq(hd->name, hd->name_len, name))
			continue;
		if (k++ == 0) {
			found = hd->value;
			*len = hd->value_len;
		}
	}
	if (count != NULL)
		*count = k;
	return found;
}

enum chunk_state {
	CS_SIZE,    /* hex digits of the chunk size */
	CS_EXT,     /* chunk extensions, ignored */
	CS_SIZE_LF, /* LF after the size line */
	CS_DATA,    /* chunk data */
	CS_DATA_CR, /* CRLF after the data */
	CS_DATA_LF,
	CS_TRAIL,      /* start of a trailer line or the final CRLF */
	CS_TRAIL_LINE, /* inside a trailer line, ignored */
	CS_TRAIL_LF,
	CS_END_LF, /* LF of the final CRLF */
	CS_DONE,
};

void http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CS_SIZE;
}

static enum http_parse chunk_bad(struct http_chunked *c, int status,
                                 const char *error)
{
	c->status = status;
	c->error = error;
	return HTTP_PARSE_BAD;
}

static int hex_value(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The size line: hex digits, optional extensions, CRLF. */
static enum http_parse chunk_size_byte(struct http_chunked *c, unsigned char ch,
                                       const struct buf *out)
{
	size_t cap = out->cap ? out->cap : BUF_DEFAULT_CAP;
	int d;

	if (++c->line > CHUNK_LINE_MAX)
		return chunk_bad(c, 400, "chunk size line too long");
	if (c->state == CS_EXT) {
		if (ch == '\r')
			c->state = CS_SIZE_LF;
		else if (!is_vchar(ch))
			return chunk_bad(c, 400, "invalid chunk extension");
		return HTTP_PARSE_MORE;
	}
	if (c->state == CS_SIZE_LF) {
		if (ch != '\n')
			return chunk_bad(c, 400, "malformed chunk size line");
		c->line = 0;
		c->digits = false;
		if (c->left == 0) {
			c->state = CS_TRAIL;
			return HTTP_PARSE_MORE;
		}
		/* Refuse an oversized body before reading it. */
		if (out->len > cap || c->left > cap - out->len)
			return chunk_bad(c, 413, "request body too large");
		c->state = CS_DATA;
		return HTTP_PARSE_MORE;
	}

	d = hex_value(ch);
	if (d >= 0) {
		if (c->left > (UINT64_MAX >> 4))
			return chunk_bad(c, 400, "chunk size overflow");
		c->left = (c->left << 4) | (uint64_t)d;
		c->digits = true;
	} else if (c->digits && (ch == ';' || ch == '\r')) {
		c->state = ch == ';' ? CS_EXT : CS_SIZE_LF;
	} else {
		return chunk_bad(c, 400, "malformed chunk size");
	}
	return HTTP_PARSE_MORE;
}

/* Trailer fields are read and dropped; nothing in Coffer uses them. */
static enum http_parse chunk_trailer_byte(struct http_chunked *c,
                                          unsigned char ch)
{
	if (++c->trailer > CHUNK_TRAIL_MAX)
		return chunk_bad(c, 400, "chunked trailer too large");
	switch (c->state) {
	case CS_TRAIL:
		if (ch == '\r')
			c->state = CS_END_LF;
		else if (is_tchar(ch))
			c->state = CS_TRAIL_LINE;
		else
			return chunk_bad(c, 400, "malformed chunked trailer");
		break;
	case CS_TRAIL_LINE:
		if (ch == '\r')
			c->state = CS_TRAIL_LF;
		else if (!is_vchar(ch))
			return chunk_bad(c, 400, "malformed chunked trailer");
		break;
	case CS_TRAIL_LF:
		if (ch != '\n')
			return chunk_bad(c, 400, "malformed chunked trailer");
		c->state = CS_TRAIL;
		break;
	default: /* CS_END_LF */
		if (ch != '\n')
			return chunk_bad(c, 400, "malformed chunked trailer");
		c->state = CS_DONE;
		break;
	}
	return HTTP_PARSE_MORE;
}

enum http_parse http_chunked_feed(struct http_chunked *c, const uint8_t *p,
                                  size_t n, size_t *used, struct buf *out)
{
	enum http_parse rc = HTTP_PARSE_MORE;
	size_t i = 0, k;

	while (i < n && c->state != CS_DONE && rc == HTTP_PARSE_MORE) {
		switch (c->state) {
		case CS_DATA:
			k = n - i;
			if (k > c->left)
				k = (size_t)c->left;
			if (buf_append(out, p + i, k) != ERR_OK)
				return chunk_bad(c, 413,
				                 "request body too large");
			c->left -= k;
			i += k;
			if (c->left == 0)
				c->state = CS_DATA_CR;
			continue;
		case CS_DATA_CR:
		case CS_DATA_LF:
			if (p[i] != (c->state == CS_DATA_CR ? '\r' : '\n'))
				return chunk_bad(c, 400,
				                 "missing CRLF after chunk");
			c->state =
			    c->state == CS_DATA_CR ? CS_DATA_LF : CS_SIZE;
			break;
		case CS_SIZE:
		case CS_EXT:
		case CS_SIZE_LF:
			rc = chunk_size_byte(c, p[i], out);
			break;
		default:
			rc = chunk_trailer_byte(c, p[i]);
			break;
		}
		i++;
	}
	*used = i;
	if (rc == HTTP_PARSE_BAD)
		return rc;
	return c->state == CS_DONE ? HTTP_PARSE_DONE : HTTP_PARSE_MORE;
}

/*
 * hcl.c - the HCL/JSON parser behind hcl.h.
 *
 * A hand-written lexer feeds a recursive-descent parser with one token of
 * look-ahead. Recursion happens only through objects and lists, and each
 * of those counts against HCL_MAX_DEPTH, so the stack stays bounded
 * whatever the input. The whole input is checked for NUL bytes and valid
 * UTF-8 before lexing, so the lexer can treat text as plain bytes.
 *
 * Invariants:
 *  1. ps->pos <= ps->len; every read goes through peek(), which returns -1
 *     past the end.
 *  2. Every node is linked into the tree before anything that can fail
 *     is done with it, so freeing the root on error frees everything.
 *  3. ps->text holds the decoded text of the current token when it is an
 *     identifier, a string or a heredoc.
 */
#include "hcl/hcl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/encoding.h"
#include "base/secret.h"

enum tok_type {
	T_EOF,
	T_IDENT,
	T_STRING,
	T_HEREDOC,
	T_INT,
	T_FLOAT,
	T_LBRACE,
	T_RBRACE,
	T_LBRACK,
	T_RBRACK,
	T_EQUAL,
	T_COLON,
	T_COMMA,
};

struct token {
	enum tok_type type;
	int line, col;
	bool nl_before; /* a line break separates it from the previous token */
	int64_t i;
	double f;
};

struct parser {
	const char *s;
	size_t len, pos;
	int line, col; /* of pos */
	struct token tok;
	struct buf text;
	struct hcl_error *err;
	bool json;
	int depth;
};

static err_t fail(struct parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Quoted keys may hold any character; a message must stay one line. */
static void scrub(char *s)
{
	for (; *s != 0; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static err_t fail(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (ps->err != NULL) {
		ps->err->line = line;
		ps->err->col = col;
		va_start(ap, fmt);
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
		va_end(ap);
		scrub(ps->err->msg);
	}
	return ERR_INVALID;
}

static int peek(const struct parser *ps, size_t k)
{
	if (k >= ps->len - ps->pos)
		return -1;
	return (unsigned char)ps->s[ps->pos + k];
}

static void advance(struct parser *ps, size_t n)
{
	while (n-- > 0 && ps->pos < ps->len) {
		unsigned char c = (unsigned char)ps->s[ps->pos++];

		if (c == '\n') {
			ps->line++;
			ps->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			/* Continuation bytes belong to the previous character.
			 */
			ps->col++;
		}
	}
}

/* Wipes only what was written: a wipe of the whole allocation per token
 * would make a file with one long string quadratic. */
static void text_clear(struct buf *b)
{
	if (b->data == NULL)
		return;
	secret_wipe(b->data, b->len);
	b->len = 0;
}

static char *text_dup(const struct parser *ps)
{
	const char *t = buf_str(&ps->text);
	size_t n = ps->text.len;
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, t, n);
	s[n] = 0;
	return s;
}

/* ---- input checks ------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need + 1;
}

static err_t check_input(struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->s;
	size_t off = 0, n;

	while (off < ps->len) {
		if (s[off] == 0) {
			advance(ps, off);
			return fail(ps, ps->line, ps->col, "NUL byte in input");
		}
		n = utf8_seq(s + off, ps->len - off);
		if (n == 0) {
			advance(ps, off);
			return fail(ps, ps->line, ps->col, "invalid UTF-8");
		}
		off += n;
	}
	return ERR_OK;
}

/* ---- lexer ------------------------------------------------------------- */

static bool is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(int c)
{
	return is_ident_start(c) || is_digit(c) || c == '-' || c == '.';
}

static void skip_line(struct parser *ps)
{
	while (peek(ps, 0) != -1 && peek(ps, 0) != '\n')
		advance(ps, 1);
}

static err_t skip_space(struct parser *ps, bool *nl)
{
	int c, line, col;

	for (;;) {
		c = peek(ps, 0);
		if (c == '\n')
			*nl = true;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(ps, 1);
		} else if (c == '#' || (c == '/' && peek(ps, 1) == '/')) {
			skip_line(ps);
		} else if (c == '/' && peek(ps, 1) == '*') {
			line = ps->line;
			col = ps->col;
			advance(ps, 2);
			while (peek(ps, 0) != -1 &&
			       !(peek(ps, 0) == '*' && peek(ps, 1) == '/')) {
				if (peek(ps, 0) == '\n')
					*nl = true;
				advance(ps, 1);
			}
			if (peek(ps, 0) == -1)
				return fail(ps, line, col,
				            "unterminated /* comment");
			advance(ps, 2);
		} else {
			return ERR_OK;
		}
	}
}

/* Reads the four hex digits after "\u" at pos; -1 when they are not. */
static long read_hex4(const struct parser *ps, size_t at)
{
	long v = 0;
	int d;
	size_t i;

	for (i = 0; i < 4; i++) {
		d = hex_digit(peek(ps, at + i));
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static err_t append_utf8(struct buf *b, unsigned long cp)
{
	uint8_t out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (uint8_t)(0xf0 | (cp >> 18));
		out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, out, n);
}

/* Decodes the escape whose backslash is at pos into ps->text. */
static err_t lex_escape(struct parser *ps)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	int line = ps->line, col = ps->col, c = peek(ps, 1);
	const char *hit;
	long cp, lo;

	hit = c > 0 ? strchr(from, c) : NULL;
	if (hit != NULL) {
		advance(ps, 2);
		return buf_append_byte(&ps->text, (uint8_t)to[hit - from]);
	}
	if (c != 'u') {
		if (c > 0x20 && c < 0x7f)
			return fail(ps, line, col, "invalid escape \"\\%c\"",
			            c);
		return fail(ps, line, col, "invalid escape");
	}

	cp = read_hex4(ps, 2);
	if (cp < 0)
		return fail(ps, line, col,
		            "invalid \\u escape: expected four hex digits");
	advance(ps, 6);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		lo = peek(ps, 0) == '\\' && peek(ps, 1) == 'u'
		         ? read_hex4(ps, 2)
		         : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(ps, line, col,
			            "invalid \\u escape: unpaired surrogate");
		advance(ps, 6);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		return fail(ps, line, col,
		            "invalid \\u escape: unpaired surrogate");
	}
	if (cp == 0)
		return fail(ps, line, col, "\\u0000 (NUL) is not allowed");
	return append_utf8(&ps->text, (unsigned long)cp);
}

static bool is_plain_string_byte(int c)
{
	return c != -1 && c != '"' && c != '\\' && (c >= 0x20 || c == '\t');
}

static err_t lex_string(struct parser *ps)
{
	int line = ps->line, col = ps->col, c;
	size_t run;
	err_t rc;

	advance(ps, 1);
	for (;;) {
		run = 0;
		while (is_plain_string_byte(peek(ps, run)))
			run++;
		rc = buf_append(&ps->text, ps->s + ps->pos, run);
		if (rc != ERR_OK)
			return rc;
		advance(ps, run);

		c = peek(ps, 0);
		if (c == -1 || c == '\n')
			return fail(ps, line, col, "unterminated string");
		if (c == '"') {
			advance(ps, 1);
			return ERR_OK;
		}
		if (c != '\\')
			return fail(ps, ps->line, ps->col,
			            "control character in string");
		rc = lex_escape(ps);
		if (rc != ERR_OK)
			return rc;
	}
}

struct heredoc {
	size_t marker, mlen; /* the marker's offset and length in the input */
	bool indent;         /* <<- */
	size_t end;          /* offset of the closing line */
	size_t after;        /* offset just past the closing marker */
	size_t min_ws;       /* least indentation of the non-blank lines */
};

/* Splits the line at ls into its end (before any \r) and indentation. */
static size_t line_end(const struct parser *ps, size_t ls, size_t *ce,
                       size_t *ws)
{
	size_t le = ls;

	while (le < ps->len && ps->s[le] != '\n')
		le++;
	*ce = le;
	if (*ce > ls && ps->s[*ce - 1] == '\r')
		(*ce)--;
	*ws = 0;
	while (ls + *ws < *ce &&
	       (ps->s[ls + *ws] == ' ' || ps->s[ls + *ws] == '\t'))
		(*ws)++;
	return le;
}

/* Finds the closing marker line, from pos on. */
static bool heredoc_scan(const struct parser *ps, struct heredoc *h)
{
	size_t ls = ps->pos, le, ce, ws, skip;

	h->min_ws = SIZE_MAX;
	for (;;) {
		le = line_end(ps, ls, &ce, &ws);
		skip = h->indent ? ws : 0;
		if (ce - ls - skip == h->mlen &&
		    memcmp(ps->s + ls + skip, ps->s + h->marker, h->mlen) ==
		        0) {
			h->end = ls;
			h->after = ls + skip + h->mlen;
			return true;
		}
		if (ws < ce - ls && ws < h->min_ws)
			h->min_ws = ws;
		if (le == ps->len)
			return false;
		ls = le + 1;
	}
}

static err_t heredoc_append(struct parser *ps, const struct heredoc *h)
{
	size_t ls = ps->pos, le, ce, ws, drop;
	err_t rc = ERR_OK;

	while (rc == ERR_OK && ls < h->end) {
		le = line_end(ps, ls, &ce, &ws);
		drop = 0;
		if (h->indent)
			drop = ws < h->min_ws ? ws : h->min_ws;
		rc = buf_append(&ps->text, ps->s + ls + drop, ce - ls - drop);
		if (rc == ERR_OK)
			rc = buf_append_byte(&ps->text, '\n');
		ls = le + 1;
	}
	return rc;
}

static err_t lex_heredoc(struct parser *ps)
{
	int line = ps->line, col = ps->col;
	struct heredoc h;
	err_t rc;

	advance(ps, 2);
	h.indent = peek(ps, 0) == '-';
	if (h.indent)
		advance(ps, 1);
	h.marker = ps->pos;
	if (!is_ident_start(peek(ps, 0)))
		return fail(ps, line, col,
		            "invalid heredoc: expected a marker such as <<EOF");
	while (is_ident_start(peek(ps, 0)) || is_digit(peek(ps, 0)))
		advance(ps, 1);
	h.mlen = ps->pos - h.marker;
	if (peek(ps, 0) == '\r')
		advance(ps, 1);
	if (peek(ps, 0) != '\n')
		return fail(ps, line, col,
		            "heredoc marker must be followed by a line break");
	advance(ps, 1);

	if (!heredoc_scan(ps, &h))
		return fail(ps, line, col,
		            "unterminated heredoc: no closing \"%.*s\" line",
		            (int)(h.mlen > 40 ? 40 : h.mlen), ps->s + h.marker);
	rc = heredoc_append(ps, &h);
	if (rc != ERR_OK)
		return rc;
	advance(ps, h.after - ps->pos);
	return ERR_OK;
}

/* Decimal digits into an int64 with overflow checks; neg for '-'. */
static bool digits_to_int(const char *s, size_t n, bool neg, int64_t *out)
{
	uint64_t acc = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	unsigned d;
	size_t i;

	for (i = 0; i < n; i++) {
		d = (unsigned)(s[i] - '0');
		if (acc > (limit - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	if (neg)
		*out =
		    acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return true;
}

static size_t skip_digits(const struct parser *ps, size_t k)
{
	while (is_digit(peek(ps, k)))
		k++;
	return k;
}

/*
 * A number with a leading zero is octal, as HCL 1 reads it: file modes
 * are written that way (mode = 0600). k is the offset of the zero.
 */
static err_t lex_octal(struct parser *ps, size_t k, bool neg)
{
	int line = ps->line, col = ps->col;
	uint64_t acc = 0;
	size_t end = skip_digits(ps, k);

	if (is_ident_char(peek(ps, end)) || peek(ps, end) == '.')
		return fail(ps, line, col, "invalid octal number");
	for (; k < end; k++) {
		unsigned d = (unsigned)(peek(ps, k) - '0');
		if (d > 7)
			return fail(ps, line, col,
			            "invalid octal number: digit %u", d);
		if (acc > ((uint64_t)INT64_MAX - d) / 8)
			return fail(ps, line, col, "integer out of range");
		acc = acc * 8 + d;
	}
	ps->tok.type = T_INT;
	ps->tok.i = neg ? -(int64_t)acc : (int64_t)acc;
	advance(ps, end);
	return ERR_OK;
}

static err_t lex_number(struct parser *ps)
{
	int line = ps->line, col = ps->col;
	size_t k, first;
	bool neg = peek(ps, 0) == '-', real = false;
	char tmp[64];

	k = first = neg ? 1 : 0;
	if (!is_digit(peek(ps, k)))
		return fail(ps, line, col, "invalid number");
	if (peek(ps, k) == '0' && is_digit(peek(ps, k + 1)))
		return lex_octal(ps, k, neg);
	k = skip_digits(ps, k);
	if (peek(ps, k) == '.') {
		real = true;
		if (!is_digit(peek(ps, k + 1)))
			return fail(ps, line, col, "invalid number");
		k = skip_digits(ps, k + 1);
	}
	if (peek(ps, k) == 'e' || peek(ps, k) == 'E') {
		real = true;
		k++;
		if (peek(ps, k) == '+' || peek(ps, k) == '-')
			k++;
		if (!is_digit(peek(ps, k)))
			return fail(ps, line, col, "invalid number");
		k = skip_digits(ps, k);
	}
	if (is_ident_char(peek(ps, k)))
		return fail(ps, line, col,
		            "invalid number (text needs double quotes)");

	if (!real) {
		ps->tok.type = T_INT;
		if (!digits_to_int(ps->s + ps->pos + first, k - first, neg,
		                   &ps->tok.i))
			return fail(ps, line, col, "integer out of range");
	} else {
		ps->tok.type = T_FLOAT;
		if (k >= sizeof(tmp))
			return fail(ps, line, col, "number too long");
		memcpy(tmp, ps->s + ps->pos, k);
		tmp[k] = 0;
		ps->tok.f = strtod(tmp, NULL);
		if (!isfinite(ps->tok.f))
			return fail(ps, line, col, "number out of range");
	}
	advance(ps, k);
	return ERR_OK;
}

static err_t lex_ident(struct parser *ps)
{
	size_t k = 0;

	while (is_ident_char(peek(ps, k)))
		k++;
	ps->tok.type = T_IDENT;
	if (buf_append(&ps->text, ps->s + ps->pos, k) != ERR_OK)
		return ERR_NOMEM;
	advance(ps, k);
	return ERR_OK;
}

static enum tok_type punct_type(int c)
{
	switch (c) {
	case '{':
		return T_LBRACE;
	case '}':
		return T_RBRACE;
	case '[':
		return T_LBRACK;
	case ']':
		return T_RBRACK;
	case '=':
		return T_EQUAL;
	case ':':
		return T_COLON;
	case ',':
		return T_COMMA;
	default:
		return T_EOF;
	}
}

/* Reads the next token into ps->tok (and its text into ps->text). */
static err_t next(struct parser *ps)
{
	bool nl = false;
	err_t rc;
	int c;

	text_clear(&ps->text);
	rc = skip_space(ps, &nl);
	if (rc != ERR_OK)
		return rc;
	ps->tok.nl_before = nl;
	ps->tok.line = ps->line;
	ps->tok.col = ps->col;
	ps->tok.type = T_EOF;

	c = peek(ps, 0);
	if (c == -1)
		return ERR_OK;
	if (punct_type(c) != T_EOF) {
		ps->tok.type = punct_type(c);
		advance(ps, 1);
		return ERR_OK;
	}
	if (c == '"') {
		ps->tok.type = T_STRING;
		return lex_string(ps);
	}
	if (c == '<' && peek(ps, 1) == '<' && !ps->json) {
		ps->tok.type = T_HEREDOC;
		return lex_heredoc(ps);
	}
	if (c == '-' || is_digit(c))
		return lex_number(ps);
	if (is_ident_start(c))
		return lex_ident(ps);
	if (c >= 0x20 && c < 0x7f)
		return fail(ps, ps->line, ps->col, "unexpected character '%c'",
		            c);
	return fail(ps, ps->line, ps->col, "unexpected character (byte 0x%02x)",
	            (unsigned)c);
}

static const char *tok_name(enum tok_type t)
{
	static const char *const names[] = {
	    [T_EOF] = "end of input", [T_IDENT] = "identifier",
	    [T_STRING] = "string",    [T_HEREDOC] = "heredoc",
	    [T_INT] = "number",       [T_FLOAT] = "number",
	    [T_LBRACE] = "'{'",       [T_RBRACE] = "'}'",
	    [T_LBRACK] = "'['",       [T_RBRACK] = "']'",
	    [T_EQUAL] = "'='",        [T_COLON] = "':'",
	    [T_COMMA] = "','",
	};

	return names[t];
}

/* ---- parser ------------------------------------------------------------ */

static err_t unexpected(struct parser *ps, const char *expected)
{
	if (ps->tok.type == T_IDENT)
		return fail(ps, ps->tok.line, ps->tok.col,
		            "unexpected identifier \"%.40s\", expected %s",
		            buf_str(&ps->text), expected);
	return fail(ps, ps->tok.line, ps->tok.col, "unexpected %s, expected %s",
	            tok_name(ps->tok.type), expected);
}

/* A new node at the current token, appended at *tail (invariant 2). */
static struct hcl_node *node_add(struct parser *ps, struct hcl_node *parent,
                                 struct hcl_node ***tail)
{
	struct hcl_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->line = ps->tok.line;
	n->col = ps->tok.col;
	**tail = n;
	*tail = &n->next;
	parent->n_children++;
	return n;
}

static err_t parse_value(struct parser *ps, struct hcl_node *node);

static err_t enter(struct parser *ps)
{
	if (ps->depth >= HCL_MAX_DEPTH)
		return fail(ps, ps->tok.line, ps->tok.col,
		            "nesting deeper than %d levels", HCL_MAX_DEPTH);
	ps->depth++;
	return ERR_OK;
}

static err_t parse_list(struct parser *ps, struct hcl_node *list)
{
	struct hcl_node **tail = &list->child, *item;
	int line = ps->tok.line;
	err_t rc;

	list->type = HCL_LIST;
	rc = enter(ps);
	if (rc == ERR_OK)
		rc = next(ps);
	while (rc == ERR_OK && ps->tok.type != T_RBRACK) {
		if (ps->tok.type == T_EOF)
			return fail(
			    ps, ps->tok.line, ps->tok.col,
			    "missing ']' for the list opened on line %d", line);
		item = node_add(ps, list, &tail);
		if (item == NULL)
			return ERR_NOMEM;
		rc = parse_value(ps, item);
		if (rc != ERR_OK)
			return rc;
		if (ps->tok.type == T_COMMA) {
			rc = next(ps);
			if (rc == ERR_OK && ps->json &&
			    ps->tok.type == T_RBRACK)
				return fail(ps, ps->tok.line, ps->tok.col,
				            "trailing comma in JSON list");
		} else if (ps->tok.type == T_EOF) {
			return fail(
			    ps, ps->tok.line, ps->tok.col,
			    "missing ']' for the list opened on line %d", line);
		} else if (ps->tok.type != T_RBRACK) {
			return unexpected(ps, "',' or ']'");
		}
	}
	if (rc != ERR_OK)
		return rc;
	ps->depth--;
	return next(ps);
}

static err_t parse_body(struct parser *ps, struct hcl_node *obj, bool braced,
                        int open_line);
static err_t parse_json_body(struct parser *ps, struct hcl_node *obj,
                             int open_line);

/* Reads { members } into obj, at the '{'. */
static err_t parse_object(struct parser *ps, struct hcl_node *obj)
{
	int line = ps->tok.line;
	err_t rc;

	obj->type = HCL_OBJECT;
	rc = enter(ps);
	if (rc == ERR_OK)
		rc = next(ps);
	if (rc == ERR_OK && ps->json)
		rc = parse_json_body(ps, obj, line);
	else if (rc == ERR_OK)
		rc = parse_body(ps, obj, true, line);
	if (rc != ERR_OK)
		return rc;
	/* Both bodies stop only at '}' when braced. */
	ps->depth--;
	return next(ps);
}

static err_t parse_value(struct parser *ps, struct hcl_node *node)
{
	const char *word = buf_str(&ps->text);

	switch (ps->tok.type) {
	case T_STRING:
	case T_HEREDOC:
		node->type = HCL_STRING;
		node->str = text_dup(ps);
		if (node->str == NULL)
			return ERR_NOMEM;
		node->len = ps->text.len;
		break;
	case T_INT:
		node->type = HCL_INT;
		node->i = ps->tok.i;
		break;
	case T_FLOAT:
		node->type = HCL_FLOAT;
		node->f = ps->tok.f;
		break;
	case T_IDENT:
		if (strcmp(word, "true") != 0 && strcmp(word, "false") != 0)
			return fail(ps, ps->tok.line, ps->tok.col,
			            "%s \"%.40s\": %s", "unexpected identifier",
			            word,
			            strcmp(word, "null") == 0
			                ? "null is not supported"
			                : "strings need double quotes");
		node->type = HCL_BOOL;
		node->b = word[0] == 't';
		break;
	case T_LBRACE:
		return parse_object(ps, node);
	case T_LBRACK:
		return parse_list(ps, node);
	default:
		return unexpected(ps, "a value");
	}
	return next(ps);
}

static err_t add_label(struct parser *ps, struct hcl_node *m)
{
	char **labels, *label;

	size_t n = m->n_labels;

	label = text_dup(ps);
	if (label == NULL)
		return ERR_NOMEM;
	/* The array doubles when its count reaches a power of two, so that
	 * a line of many labels costs linear time. */
	if (n == 0 || (n & (n - 1)) == 0) {
		labels = NULL;
		if (n < SIZE_MAX / 2 / sizeof(*labels))
			labels = realloc(m->labels,
			                 (n ? n * 2 : 1) * sizeof(*labels));
		if (labels == NULL) {
			free(label);
			return ERR_NOMEM;
		}
		m->labels = labels;
	}
	m->labels[m->n_labels++] = label;
	return ERR_OK;
}

/* After the key of member m: "= value", "{ body }" or labels and body. */
static err_t parse_member(struct parser *ps, struct hcl_node *m)
{
	int line, col;
	err_t rc;

	if (ps->tok.type == T_EQUAL && !ps->tok.nl_before) {
		line = ps->tok.line;
		col = ps->tok.col;
		rc = next(ps);
		if (rc != ERR_OK)
			return rc;
		if (ps->tok.nl_before || ps->tok.type == T_EOF)
			return fail(ps, line, col,
			            "missing value for \"%.40s\"", m->key);
		return parse_value(ps, m);
	}

	/* Labels share the key's line: a string on the next line is more
	 * likely a value whose '=' is missing. */
	while (ps->tok.type == T_STRING && !ps->tok.nl_before) {
		rc = add_label(ps, m);
		if (rc == ERR_OK)
			rc = next(ps);
		if (rc != ERR_OK)
			return rc;
	}
	if (ps->tok.type == T_LBRACE)
		return parse_object(ps, m);
	if (m->n_labels > 0 && ps->tok.type == T_EQUAL)
		return fail(ps, ps->tok.line, ps->tok.col,
		            "block labels must be followed by '{'");
	return fail(ps, m->line, m->col, "missing '=' after \"%.40s\"", m->key);
}

/*
 * Reads HCL members into obj up to the end of input (the document) or a
 * '}' (braced), which is left as the current token.
 */
static err_t parse_body(struct parser *ps, struct hcl_node *obj, bool braced,
                        int open_line)
{
	struct hcl_node **tail = &obj->child, *m;
	err_t rc;

	for (;;) {
		if (ps->tok.type == T_EOF && braced)
			return fail(
			    ps, ps->tok.line, ps->tok.col,
			    "missing '}' for the block opened on line %d",
			    open_line);
		if (ps->tok.type == T_EOF ||
		    (ps->tok.type == T_RBRACE && braced))
			return ERR_OK;
		if (ps->tok.type != T_IDENT && ps->tok.type != T_STRING)
			return unexpected(ps, "a key");

		m = node_add(ps, obj, &tail);
		if (m == NULL)
			return ERR_NOMEM;
		m->key = text_dup(ps);
		if (m->key == NULL)
			return ERR_NOMEM;
		rc = next(ps);
		if (rc == ERR_OK)
			rc = parse_member(ps, m);
		/* Commas between members are optional. */
		if (rc == ERR_OK && ps->tok.type == T_COMMA)
			rc = next(ps);
		if (rc != ERR_OK)
			return rc;
	}
}

/* Reads "key": value pairs into obj up to the closing '}'. */
static err_t parse_json_body(struct parser *ps, struct hcl_node *obj,
                             int open_line)
{
	struct hcl_node **tail = &obj->child, *m;
	err_t rc;

	if (ps->tok.type == T_RBRACE)
		return ERR_OK;
	for (;;) {
		if (ps->tok.type == T_EOF)
			return fail(
			    ps, ps->tok.line, ps->tok.col,
			    "missing '}' for the object opened on line %d",
			    open_line);
		if (ps->tok.type != T_STRING)
			return unexpected(ps, "a quoted key");
		m = node_add(ps, obj, &tail);
		if (m == NULL)
			return ERR_NOMEM;
		m->key = text_dup(ps);
		if (m->key == NULL)
			return ERR_NOMEM;
		rc = next(ps);
		if (rc == ERR_OK && ps->tok.type != T_COLON)
			return fail(ps, m->line, m->col,
			            "missing ':' after \"%.40s\"", m->key);
		if (rc == ERR_OK)
			rc = next(ps);
		if (rc == ERR_OK)
			rc = parse_value(ps, m);
		if (rc != ERR_OK)
			return rc;

		if (ps->tok.type == T_RBRACE)
			return ERR_OK;
		if (ps->tok.type == T_EOF)
			continue;
		if (ps->tok.type != T_COMMA)
			return unexpected(ps, "',' or '}'");
		rc = next(ps);
		if (rc != ERR_OK)
			return rc;
		if (ps->tok.type == T_RBRACE)
			return fail(ps, ps->tok.line, ps->tok.col,
			            "trailing comma in JSON object");
	}
}

static err_t parse_document(struct parser *ps, struct hcl_node *root)
{
	err_t rc;

	if (ps->len > HCL_MAX_INPUT)
		return fail(ps, 0, 0, "input larger than %zu bytes",
		            HCL_MAX_INPUT);
	rc = check_input(ps);
	if (rc != ERR_OK)
		return rc;
	if (ps->len >= 3 && memcmp(ps->s, "\xef\xbb\xbf", 3) == 0) {
		ps->pos = 3;
		ps->col = 1;
	}

	rc = next(ps);
	if (rc != ERR_OK)
		return rc;
	if (ps->tok.type != T_LBRACE)
		return parse_body(ps, root, false, 1);

	/* JSON: one object, then nothing. */
	ps->json = true;
	root->line = ps->tok.line;
	root->col = ps->tok.col;
	rc = parse_object(ps, root);
	if (rc == ERR_OK && ps->tok.type != T_EOF)
		return unexpected(ps, "end of input after the JSON object");
	return rc;
}

err_t hcl_parse(const char *text, size_t len, struct hcl_node **out,
                struct hcl_error *err)
{
	struct parser ps;
	struct hcl_node *root;
	err_t rc;

	*out = NULL;
	if (err != NULL) {
		err->line = 0;
		err->col = 0;
		err->msg[0] = 0;
	}
	if (text == NULL)
		len = 0;
	memset(&ps, 0, sizeof(ps));
	ps.s = text != NULL ? text : "";
	ps.len = len;
	ps.line = 1;
	ps.col = 1;
	ps.err = err;
	buf_init(&ps.text, HCL_MAX_INPUT);

	root = calloc(1, sizeof(*root));
	if (root == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	root->type = HCL_OBJECT;
	root->line = 1;
	root->col = 1;
	rc = parse_document(&ps, root);

out:
	buf_release(&ps.text);
	if (rc != ERR_OK && err != NULL && err->msg[0] == 0)
		snprintf(err->msg, sizeof(err->msg), "%s", err_str(rc));
	if (rc != ERR_OK) {
		hcl_free(root);
		return rc;
	}
	*out = root;
	return ERR_OK;
}

/* ---- the tree ---------------------------------------------------------- */

static void node_free_contents(struct hcl_node *n)
{
	size_t i;

	secret_free(n->key);
	for (i = 0; i < n->n_labels; i++)
		secret_free(n->labels[i]);
	free(n->labels);
	if (n->str != NULL)
		secret_free_n(n->str, n->len);
}

/* Recurses only into children, which are at most HCL_MAX_DEPTH deep. */
void hcl_free(struct hcl_node *root)
{
	struct hcl_node *n = root, *next_node;

	while (n != NULL) {
		next_node = n->next;
		hcl_free(n->child);
		node_free_contents(n);
		free(n);
		/* The root's siblings are not ours, but a root has none. */
		n = next_node;
	}
}

const struct hcl_node *hcl_get(const struct hcl_node *obj, const char *key)
{
	const struct hcl_node *m;

	if (obj == NULL || obj->type != HCL_OBJECT)
		return NULL;
	for (m = obj->child; m != NULL; m = m->next)
		if (m->key != NULL && strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

size_t hcl_count(const struct hcl_node *obj, const char *key)
{
	const struct hcl_node *m;
	size_t n = 0;

	if (obj == NULL || obj->type != HCL_OBJECT)
		return 0;
	for (m = obj->child; m != NULL; m = m->next)
		if (m->key != NULL && strcmp(m->key, key) == 0)
			n++;
	return n;
}

const char *hcl_type_name(enum hcl_type type)
{
	switch (type) {
	case HCL_OBJECT:
		return "object";
	case HCL_LIST:
		return "list";
	case HCL_STRING:
		return "string";
	case HCL_INT:
	case HCL_FLOAT:
		return "number";
	case HCL_BOOL:
		return "bool";
	}
	return "value";
}

/* ---- blocks ------------------------------------------------------------ */

struct block_walk {
	const char *name;
	size_t want;
	const char *labels[HCL_MAX_LABELS];
	struct hcl_block *list;
	size_t n, alloc;
	struct hcl_error *err;
};

static err_t walk_fail(struct block_walk *w, int line, int col,
                       const char *what)
{
	if (w->err != NULL) {
		w->err->line = line;
		w->err->col = col;
		snprintf(w->err->msg, sizeof(w->err->msg), "block \"%.40s\" %s",
		         w->name, what);
		scrub(w->err->msg);
	}
	return ERR_INVALID;
}

static err_t walk_emit(struct block_walk *w, const struct hcl_node *body,
                       int line, int col)
{
	struct hcl_block *grown;
	size_t size;

	if (w->n == w->alloc) {
		size = w->alloc ? w->alloc * 2 : 4;
		if (size > SIZE_MAX / sizeof(*grown))
			return ERR_NOMEM;
		grown = realloc(w->list, size * sizeof(*grown));
		if (grown == NULL)
			return ERR_NOMEM;
		w->list = grown;
		w->alloc = size;
	}
	memcpy(w->list[w->n].labels, w->labels, sizeof(w->labels));
	w->list[w->n].body = body;
	w->list[w->n].line = line;
	w->list[w->n].col = col;
	w->n++;
	return ERR_OK;
}

/* Takes a member's own key or block labels as labels from index have on. */
static bool walk_push(struct block_walk *w, const struct hcl_node *m,
                      bool with_key, size_t have, size_t *now)
{
	size_t add = m->n_labels + (with_key ? 1 : 0), i;

	if (add > w->want - have)
		return false;
	if (with_key)
		w->labels[have++] = m->key;
	for (i = 0; i < m->n_labels; i++)
		w->labels[have++] = m->labels[i];
	*now = have;
	return true;
}

/*
 * node holds the block (have == want) or more labels as object keys.
 * Recursion is bounded by the tree's depth, which the parser bounds.
 */
static err_t walk(struct block_walk *w, const struct hcl_node *node,
                  size_t have, int line, int col)
{
	const struct hcl_node *m;
	size_t now;
	err_t rc = ERR_OK;

	if (node->type == HCL_LIST) {
		for (m = node->child; rc == ERR_OK && m != NULL; m = m->next)
			rc = walk(w, m, have, m->line, m->col);
		return rc;
	}
	if (node->type != HCL_OBJECT)
		return walk_fail(w, line, col, "must be an object { ... }");
	if (have == w->want)
		return walk_emit(w, node, line, col);
	if (node->child == NULL)
		return walk_fail(w, line, col, "needs more labels");

	for (m = node->child; rc == ERR_OK && m != NULL; m = m->next) {
		if (!walk_push(w, m, true, have, &now))
			return walk_fail(w, m->line, m->col,
			                 "has too many labels");
		if (m->type != HCL_OBJECT && m->type != HCL_LIST)
			return walk_fail(w, m->line, m->col,
			                 "needs more labels");
		rc = walk(w, m, now, m->line, m->col);
	}
	return rc;
}

err_t hcl_blocks(const struct hcl_node *obj, const char *name, size_t n_labels,
                 struct hcl_block **out, size_t *n, struct hcl_error *err)
{
	struct block_walk w;
	const struct hcl_node *m;
	size_t have;
	err_t rc = ERR_OK;

	*out = NULL;
	*n = 0;
	if (n_labels > HCL_MAX_LABELS)
		return ERR_INTERNAL;
	memset(&w, 0, sizeof(w));
	w.name = name;
	w.want = n_labels;
	w.err = err;

	for (m = obj != NULL && obj->type == HCL_OBJECT ? obj->child : NULL;
	     rc == ERR_OK && m != NULL; m = m->next) {
		if (m->key == NULL || strcmp(m->key, name) != 0)
			continue;
		if (!walk_push(&w, m, false, 0, &have))
			rc = walk_fail(&w, m->line, m->col,
			               "has too many labels");
		else
			rc = walk(&w, m, have, m->line, m->col);
	}
	if (rc != ERR_OK) {
		free(w.list);
		return rc;
	}
	*out = w.list;
	*n = w.n;
	return ERR_OK;
}

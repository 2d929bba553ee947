/*
 * template_lex.c - splits a template into text and the tokens of its
 * actions.
 *
 * The rules that decide what a template means before any parsing:
 *  - "{{- " (the dash followed by a space, tab, CR or newline) removes
 *    all whitespace right before the action; " -}}" removes all right
 *    after it. "{{-3}}" is the number -3, not a trim marker.
 *  - A comment starts right after "{{" or "{{- " with slash-star and ends
 *    with star-slash right before "}}" or " -}}"; it produces no token.
 *  - Inside an action, whitespace (newlines too) separates tokens, and a
 *    token remembers whether whitespace came before it: ".a.b" is one
 *    chain, ".a .b" two operands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"

struct lexer {
	const char *name;
	const char *src;
	size_t len, pos;
	int line;
	bool trim_next; /* a -}} asked to trim the next text */
	struct tmpl_tok *toks;
	size_t n, alloc;
	struct buf *errmsg;
};

err_t tmpl_error(struct buf *errmsg, const char *name, int line, err_t code,
                 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errmsg != NULL)
		(void)buf_printf(errmsg, "%s:%d: %s", name, line, msg);
	return code;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool at(const struct lexer *lx, size_t pos, const char *s)
{
	size_t n = strlen(s);

	return pos <= lx->len && lx->len - pos >= n &&
	       memcmp(lx->src + pos, s, n) == 0;
}

static err_t emit(struct lexer *lx, enum tmpl_tok_kind kind, bool spaced,
                  size_t start, size_t end, int line)
{
	struct tmpl_tok *t;
	size_t alloc;

	if (lx->n == lx->alloc) {
		alloc = lx->alloc ? lx->alloc * 2 : 64;
		if (alloc > SIZE_MAX / sizeof(*t))
			return ERR_NOMEM;
		t = realloc(lx->toks, alloc * sizeof(*t));
		if (t == NULL)
			return ERR_NOMEM;
		lx->toks = t;
		lx->alloc = alloc;
	}
	t = &lx->toks[lx->n++];
	t->kind = kind;
	t->line = line;
	t->spaced = spaced;
	t->p = lx->src + start;
	t->n = end - start;
	return ERR_OK;
}

static void count_lines(struct lexer *lx, size_t from, size_t to)
{
	for (; from < to; from++)
		if (lx->src[from] == '\n')
			lx->line++;
}

/* Where the action at pos closes: "}}" or " -}}" (the space included). */
static size_t close_len(const struct lexer *lx, size_t pos, bool *trim)
{
	*trim = false;
	if (at(lx, pos, "}}"))
		return 2;
	if (pos < lx->len && is_space(lx->src[pos]) && at(lx, pos + 1, "-}}")) {
		*trim = true;
		return 4;
	}
	return 0;
}

/* The first "ab" in p[0..n), or NULL. */
static const char *find_pair(const char *p, size_t n, char a, char b)
{
	const char *q;

	while (n >= 2 && (q = memchr(p, a, n - 1)) != NULL) {
		if (q[1] == b)
			return q;
		n -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return NULL;
}

static err_t lex_comment(struct lexer *lx, size_t pos, int line)
{
	const char *end;
	size_t n;
	bool trim;

	end = find_pair(lx->src + pos + 2, lx->len - pos - 2, '*', '/');
	if (end == NULL)
		return tmpl_error(lx->errmsg, lx->name, line, ERR_INVALID,
		                  "unclosed comment");
	count_lines(lx, pos, (size_t)(end - lx->src));
	pos = (size_t)(end - lx->src) + 2;
	n = close_len(lx, pos, &trim);
	if (n == 0)
		return tmpl_error(lx->errmsg, lx->name, lx->line, ERR_INVALID,
		                  "comment ends before closing delimiter");
	count_lines(lx, pos, pos + n);
	lx->pos = pos + n;
	lx->trim_next = trim;
	return ERR_OK;
}

/* The end of a quoted literal starting at pos; 0 when it never closes. */
static size_t quoted_end(struct lexer *lx, size_t pos, char quote)
{
	size_t i;

	for (i = pos + 1; i < lx->len; i++) {
		if (lx->src[i] == quote)
			return i + 1;
		if (quote == '`') {
			if (lx->src[i] == '\n')
				lx->line++;
			continue;
		}
		if (lx->src[i] == '\n')
			return 0;
		if (lx->src[i] == '\\')
			i++;
	}
	return 0;
}

static size_t number_end(const struct lexer *lx, size_t pos)
{
	size_t i = pos;
	char c, prev = 0;

	if (lx->src[i] == '-' || lx->src[i] == '+')
		i++;
	for (; i < lx->len; i++) {
		c = lx->src[i];
		if ((c == '+' || c == '-') && (prev == 'e' || prev == 'E' ||
		                               prev == 'p' || prev == 'P')) {
			prev = c;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '.')
			break;
		prev = c;
	}
	return i;
}

static size_t ident_end(const struct lexer *lx, size_t pos)
{
	while (pos < lx->len &&
	       (is_alpha(lx->src[pos]) || is_digit(lx->src[pos])))
		pos++;
	return pos;
}

static bool starts_number(const struct lexer *lx, size_t pos)
{
	char c = lx->src[pos];

	if (c == '-' || c == '+') {
		pos++;
		if (pos >= lx->len)
			return false;
		c = lx->src[pos];
	}
	if (is_digit(c))
		return true;
	return c == '.' && pos + 1 < lx->len && is_digit(lx->src[pos + 1]);
}

static const struct {
	char c;
	enum tmpl_tok_kind kind;
} punct[] = {
    {'|', TK_PIPE},  {'(', TK_LPAREN}, {')', TK_RPAREN},
    {',', TK_COMMA}, {'=', TK_ASSIGN},
};

static err_t bad_char(struct lexer *lx, char c)
{
	if (c > ' ' && c < 0x7f)
		return tmpl_error(lx->errmsg, lx->name, lx->line, ERR_INVALID,
		                  "bad character '%c' in action", c);
	return tmpl_error(lx->errmsg, lx->name, lx->line, ERR_INVALID,
	                  "bad character 0x%02x in action", (unsigned char)c);
}

/* The end of the token starting at pos, and its kind; 0 on bad input. */
static size_t token_end(struct lexer *lx, size_t pos, enum tmpl_tok_kind *kind)
{
	char c = lx->src[pos], q;
	size_t i;

	if (c == '"' || c == '`' || c == '\'') {
		q = c;
		*kind = c == '"' ? TK_STRING : c == '`' ? TK_RAW : TK_CHAR;
		return quoted_end(lx, pos, q);
	}
	if (starts_number(lx, pos)) {
		*kind = TK_NUMBER;
		return number_end(lx, pos);
	}
	if (c == '$') {
		*kind = TK_VAR;
		return ident_end(lx, pos + 1);
	}
	if (c == '.') {
		i = ident_end(lx, pos + 1);
		*kind = i > pos + 1 && !is_digit(lx->src[pos + 1]) ? TK_FIELD
		                                                   : TK_DOT;
		return *kind == TK_FIELD ? i : pos + 1;
	}
	if (is_alpha(c)) {
		*kind = TK_IDENT;
		return ident_end(lx, pos);
	}
	if (at(lx, pos, ":=")) {
		*kind = TK_DECLARE;
		return pos + 2;
	}
	for (i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
		if (punct[i].c == c) {
			*kind = punct[i].kind;
			return pos + 1;
		}
	}
	return 0;
}

static err_t unterminated(struct lexer *lx, enum tmpl_tok_kind kind, int line)
{
	const char *what = kind == TK_RAW    ? "raw quoted string"
	                   : kind == TK_CHAR ? "character constant"
	                                     : "quoted string";

	return tmpl_error(lx->errmsg, lx->name, line, ERR_INVALID,
	                  "unterminated %s", what);
}

/* Tokens from pos (just past "{{" and any trim marker) to the close. */
static err_t lex_inside(struct lexer *lx, size_t pos, int open_line)
{
	enum tmpl_tok_kind kind = TK_EOF;
	size_t start, end, n;
	bool spaced, trim;
	int line;
	err_t rc;

	for (;;) {
		/* A close right after whitespace may carry a trim marker. */
		n = close_len(lx, pos, &trim);
		if (n == 0 && pos < lx->len && is_space(lx->src[pos])) {
			start = pos;
			while (pos < lx->len && is_space(lx->src[pos]) &&
			       close_len(lx, pos, &trim) == 0)
				pos++;
			count_lines(lx, start, pos);
			n = close_len(lx, pos, &trim);
			spaced = true;
		} else {
			spaced = pos > 0 && is_space(lx->src[pos - 1]);
		}
		if (n != 0) {
			rc = emit(lx, TK_CLOSE, false, pos, pos + n, lx->line);
			count_lines(lx, pos, pos + n);
			lx->pos = pos + n;
			lx->trim_next = trim;
			return rc;
		}
		if (pos >= lx->len)
			return tmpl_error(lx->errmsg, lx->name, open_line,
			                  ERR_INVALID, "unclosed action");

		line = lx->line;
		end = token_end(lx, pos, &kind);
		if (end == 0 &&
		    (kind == TK_STRING || kind == TK_RAW || kind == TK_CHAR))
			return unterminated(lx, kind, line);
		if (end == 0)
			return bad_char(lx, lx->src[pos]);
		rc = emit(lx, kind, spaced, pos, end, line);
		if (rc != ERR_OK)
			return rc;
		pos = end;
	}
}

static err_t lex_action(struct lexer *lx, size_t pos)
{
	int line = lx->line;
	err_t rc;

	pos += 2;
	if (at(lx, pos, "-") && pos + 1 < lx->len &&
	    is_space(lx->src[pos + 1])) {
		count_lines(lx, pos, pos + 2);
		pos += 2;
	}
	if (at(lx, pos, "/*"))
		return lex_comment(lx, pos, line);
	rc = emit(lx, TK_OPEN, false, pos, pos, line);
	if (rc != ERR_OK)
		return rc;
	return lex_inside(lx, pos, line);
}

static bool left_trim_marker(const struct lexer *lx, size_t open)
{
	return at(lx, open + 2, "-") && open + 3 < lx->len &&
	       is_space(lx->src[open + 3]);
}

/* The text up to the next "{{", trimmed as the markers around it ask. */
static err_t lex_text(struct lexer *lx, size_t *open)
{
	const char *found;
	size_t start = lx->pos, end;
	int line;

	found = find_pair(lx->src + lx->pos, lx->len - lx->pos, '{', '{');
	*open = found != NULL ? (size_t)(found - lx->src) : lx->len;
	end = *open;

	if (lx->trim_next) {
		while (start < end && is_space(lx->src[start])) {
			if (lx->src[start] == '\n')
				lx->line++;
			start++;
		}
		lx->trim_next = false;
	}
	line = lx->line;
	count_lines(lx, start, end);
	if (found != NULL && left_trim_marker(lx, *open))
		while (end > start && is_space(lx->src[end - 1]))
			end--;
	if (end == start)
		return ERR_OK;
	return emit(lx, TK_TEXT, false, start, end, line);
}

err_t tmpl_lex(const char *name, const char *src, size_t len,
               struct tmpl_tok **out, size_t *n_out, struct buf *errmsg)
{
	struct lexer lx = {0};
	size_t open;
	err_t rc = ERR_OK;

	lx.name = name;
	lx.src = src;
	lx.len = len;
	lx.line = 1;
	lx.errmsg = errmsg;

	while (lx.pos < lx.len) {
		rc = lex_text(&lx, &open);
		if (rc != ERR_OK || open >= lx.len)
			break;
		rc = lex_action(&lx, open);
		if (rc != ERR_OK)
			break;
	}
	if (rc == ERR_OK)
		rc = emit(&lx, TK_EOF, false, lx.len, lx.len, lx.line);
	if (rc == ERR_NOMEM)
		tmpl_error(errmsg, name, lx.line, rc, "out of memory");
	if (rc != ERR_OK) {
		free(lx.toks);
		return rc;
	}
	*out = lx.toks;
	*n_out = lx.n;
	return ERR_OK;
}

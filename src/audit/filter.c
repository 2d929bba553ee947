/*
 * filter.c - the audit filter language of filter.h: a lexer, a recursive
 * descent parser with a depth limit, and a matcher over the parsed tree.
 *
 * The tree lives in one array of nodes that refer to each other by index;
 * `and` and `or` nodes keep all their operands as one list of children,
 * so that a long chain (a and b and c ...) is one level deep and only
 * parentheses and `not` add depth. Matching therefore recurses at most
 * AUDIT_FILTER_MAX_DEPTH + 2 levels, whatever the input.
 *
 * Grammar (words are case-sensitive, as in go-bexpr):
 *   or      := and { "or" and }
 *   and     := unary { "and" unary }
 *   unary   := "not" unary | "(" or ")" | match
 *   match   := field ( "==" | "!=" ) value
 *            | field "is" [ "not" ] "empty"
 *            | field [ "not" ] ( "contains" | "matches" ) value
 *            | value [ "not" ] "in" field
 */
#include "audit/filter.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind {
	TOK_END,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_EQ,
	TOK_NE,
	TOK_WORD,
	TOK_STRING,
	TOK_NUMBER,
};

struct token {
	enum tok_kind kind;
	size_t col;     /* 1-based, for messages */
	char *text;     /* WORD, NUMBER: as written; STRING: decoded */
	size_t len;     /* of text */
	bool backquote; /* a `raw` string */
};

enum node_kind { NODE_AND, NODE_OR, NODE_NOT, NODE_MATCH };

enum field { F_MOUNT_POINT, F_MOUNT_TYPE, F_NAMESPACE, F_OPERATION, F_PATH };

enum match_op { OP_EQ, OP_EMPTY, OP_CONTAINS, OP_MATCHES };

struct node {
	enum node_kind kind;
	int child; /* first operand (AND, OR, NOT), -1 for none */
	int next;  /* the next operand of the parent, -1 for the last */
	/* NODE_MATCH */
	enum field field;
	enum match_op op;
	bool negate;
	char *value;
	regex_t *re;
};

struct audit_filter {
	struct node *nodes;
	size_t n, alloc;
	int root;
};

static const char *const field_names[] = {
    [F_MOUNT_POINT] = "mount_point",
    [F_MOUNT_TYPE] = "mount_type",
    [F_NAMESPACE] = "namespace",
    [F_OPERATION] = "operation",
    [F_PATH] = "path",
};

#define N_FIELDS (sizeof(field_names) / sizeof(field_names[0]))

/* ---- lexer --------------------------------------------------------------- */

struct lexer {
	const char *s;
	size_t pos;
	struct token *toks;
	size_t n, alloc;
	struct buf *msg;
};

static err_t lex_fail(struct lexer *lx, size_t at, const char *why)
{
	buf_printf(lx->msg, "invalid filter: %s at column %zu", why, at + 1);
	return ERR_INVALID;
}

static bool is_word_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_word_char(char ch)
{
	return is_word_start(ch) || is_digit(ch) || ch == '_' || ch == '/' ||
	       ch == '.';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Reads n hex digits at p; -1 when one is not a hex digit. */
static long hex_run(const char *p, int n)
{
	long v = 0;
	int i, h;

	for (i = 0; i < n; i++) {
		h = hex_value(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Appends code point cp (not a surrogate, not NUL) as UTF-8. */
static err_t put_utf8(struct buf *b, long cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | (cp >> 6));
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		u[0] = (uint8_t)(0xe0 | (cp >> 12));
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	}
	return buf_append(b, u, n);
}

/* One backslash escape at lx->pos (just past the backslash). */
static err_t lex_escape(struct lexer *lx, struct buf *out)
{
	static const char simple[] = "\"\"\\\\//''n\nr\rt\tb\bf\fv\va\a";
	size_t at = lx->pos - 1, i;
	char ch = lx->s[lx->pos];
	long cp;

	for (i = 0; simple[i] != 0; i += 2) {
		if (simple[i] == ch) {
			lx->pos++;
			return buf_append_byte(out, (uint8_t)simple[i + 1]);
		}
	}
	if (ch == 'x' || ch == 'u') {
		cp = hex_run(lx->s + lx->pos + 1, ch == 'x' ? 2 : 4);
		if (cp < 0)
			return lex_fail(lx, at, "bad hexadecimal escape");
		if (cp == 0)
			return lex_fail(lx, at,
			                "a NUL character is not allowed");
		if (cp >= 0xd800 && cp <= 0xdfff)
			return lex_fail(lx, at,
			                "a lone surrogate is not allowed");
		lx->pos += ch == 'x' ? 3 : 5;
		return ch == 'x' ? buf_append_byte(out, (uint8_t)cp)
		                 : put_utf8(out, cp);
	}
	return lex_fail(lx, at, "unknown escape sequence");
}

/* A "double-quoted" or `raw` string starting at lx->pos. */
static err_t lex_string(struct lexer *lx, struct token *t)
{
	char quote = lx->s[lx->pos];
	size_t start = lx->pos;
	struct buf text = BUF_INIT;
	err_t rc = ERR_OK;
	char ch;

	buf_init(&text, AUDIT_FILTER_MAX_LEN);
	lx->pos++;
	while (rc == ERR_OK && (ch = lx->s[lx->pos]) != quote) {
		if (ch == 0) {
			rc = lex_fail(lx, start, "unterminated string");
		} else if (quote == '"' && (unsigned char)ch < 0x20) {
			rc = lex_fail(lx, lx->pos,
			              "a control character in a string");
		} else if (quote == '"' && ch == '\\') {
			lx->pos++;
			rc = lex_escape(lx, &text);
		} else {
			rc = buf_append_byte(&text, (uint8_t)ch);
			lx->pos++;
		}
	}
	if (rc == ERR_OK) {
		lx->pos++;
		t->kind = TOK_STRING;
		t->backquote = quote == '`';
		t->len = text.len;
		t->text = buf_detach(&text);
		rc = t->text ? ERR_OK : ERR_NOMEM;
	}
	buf_release(&text);
	return rc;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)? followed by a space, ")" or the end. */
static err_t lex_number(struct lexer *lx, struct token *t)
{
	const char *s = lx->s;
	size_t start = lx->pos, p = lx->pos;

	if (s[p] == '-')
		p++;
	if (s[p] == '0')
		p++;
	else
		while (is_digit(s[p]))
			p++;
	if (s[p] == '.' && is_digit(s[p + 1]))
		for (p++; is_digit(s[p]); p++)
			;
	if (s[p] != 0 && s[p] != ' ' && s[p] != '\t' && s[p] != '\r' &&
	    s[p] != '\n' && s[p] != ')')
		return lex_fail(lx, start, "invalid number");
	lx->pos = p;
	t->kind = TOK_NUMBER;
	t->len = p - start;
	t->text = strndup(s + start, t->len);
	return t->text ? ERR_OK : ERR_NOMEM;
}

static err_t lex_word(struct lexer *lx, struct token *t)
{
	size_t start = lx->pos;

	while (is_word_char(lx->s[lx->pos]))
		lx->pos++;
	t->kind = TOK_WORD;
	t->len = lx->pos - start;
	t->text = strndup(lx->s + start, t->len);
	return t->text ? ERR_OK : ERR_NOMEM;
}

/* The next token into t. */
static err_t lex_one(struct lexer *lx, struct token *t)
{
	const char *s = lx->s;
	char ch;

	while (s[lx->pos] == ' ' || s[lx->pos] == '\t' || s[lx->pos] == '\r' ||
	       s[lx->pos] == '\n')
		lx->pos++;
	memset(t, 0, sizeof(*t));
	t->col = lx->pos + 1;
	ch = s[lx->pos];
	if (ch == 0) {
		t->kind = TOK_END;
		return ERR_OK;
	}
	if (ch == '(' || ch == ')') {
		t->kind = ch == '(' ? TOK_LPAREN : TOK_RPAREN;
		lx->pos++;
		return ERR_OK;
	}
	if ((ch == '=' || ch == '!') && s[lx->pos + 1] == '=') {
		t->kind = ch == '=' ? TOK_EQ : TOK_NE;
		lx->pos += 2;
		return ERR_OK;
	}
	if (ch == '"' || ch == '`')
		return lex_string(lx, t);
	if (is_digit(ch) || (ch == '-' && is_digit(s[lx->pos + 1])))
		return lex_number(lx, t);
	if (is_word_start(ch))
		return lex_word(lx, t);
	if (ch == '=' || ch == '!')
		return lex_fail(lx, lx->pos, "expected \"==\" or \"!=\"");
	return lex_fail(lx, lx->pos, "unexpected character");
}

static void tokens_free(struct token *toks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(toks[i].text);
	free(toks);
}

/* Every token of s, the last one TOK_END. */
static err_t lex_all(struct lexer *lx)
{
	struct token *p;
	err_t rc;

	do {
		if (lx->n == lx->alloc) {
			size_t alloc = lx->alloc ? lx->alloc * 2 : 16;
			p = realloc(lx->toks, alloc * sizeof(*p));
			if (p == NULL)
				return ERR_NOMEM;
			lx->toks = p;
			lx->alloc = alloc;
		}
		rc = lex_one(lx, &lx->toks[lx->n]);
		if (rc != ERR_OK)
			return rc;
		lx->n++;
	} while (lx->toks[lx->n - 1].kind != TOK_END);
	return ERR_OK;
}

/* ---- parser -------------------------------------------------------------- */

struct parser {
	const struct token *toks;
	size_t i;
	int depth;
	struct audit_filter *f;
	struct buf *msg;
};

static const struct token *peek(const struct parser *p, size_t ahead)
{
	size_t i = p->i;

	/* The last token is TOK_END: never look past it. */
	while (ahead-- > 0 && p->toks[i].kind != TOK_END)
		i++;
	return &p->toks[i];
}

static bool is_word(const struct token *t, const char *w)
{
	return t->kind == TOK_WORD && strcmp(t->text, w) == 0;
}

static err_t parse_fail(struct parser *p, const struct token *t,
                        const char *why)
{
	if (t->kind == TOK_END)
		buf_printf(p->msg, "invalid filter: %s at the end", why);
	else
		buf_printf(p->msg, "invalid filter: %s at column %zu", why,
		           t->col);
	return ERR_INVALID;
}

static err_t node_new(struct audit_filter *f, enum node_kind kind, int *out)
{
	struct node *p;

	if (f->n == f->alloc) {
		size_t alloc = f->alloc ? f->alloc * 2 : 8;
		p = realloc(f->nodes, alloc * sizeof(*p));
		if (p == NULL)
			return ERR_NOMEM;
		f->nodes = p;
		f->alloc = alloc;
	}
	memset(&f->nodes[f->n], 0, sizeof(f->nodes[f->n]));
	f->nodes[f->n].kind = kind;
	f->nodes[f->n].child = -1;
	f->nodes[f->n].next = -1;
	*out = (int)f->n++;
	return ERR_OK;
}

/* A field name, bare (mount_type) or as a JSON pointer ("/mount_type"). */
static err_t parse_field(struct parser *p, enum field *out)
{
	const struct token *t = peek(p, 0);
	const char *name = NULL;
	size_t i;

	if (t->kind == TOK_WORD)
		name = t->text;
	else if (t->kind == TOK_STRING && !t->backquote && t->text[0] == '/')
		name = t->text + 1;
	if (name == NULL)
		return parse_fail(p, t, "expected a field name");
	for (i = 0; i < N_FIELDS; i++) {
		if (strcmp(name, field_names[i]) == 0) {
			*out = (enum field)i;
			p->i++;
			return ERR_OK;
		}
	}
	buf_printf(p->msg,
	           "invalid filter: unknown field \"%.64s\" at column %zu "
	           "(a filter can use mount_point, mount_type, namespace, "
	           "operation and path)",
	           name, t->col);
	return ERR_INVALID;
}

static err_t parse_value(struct parser *p, struct node *m)
{
	const struct token *t = peek(p, 0);

	if (t->kind != TOK_STRING && t->kind != TOK_NUMBER &&
	    t->kind != TOK_WORD)
		return parse_fail(p, t, "expected a value");
	m->value = strdup(t->text);
	if (m->value == NULL)
		return ERR_NOMEM;
	p->i++;
	return ERR_OK;
}

/* Where the scan of regex_is_tame stands. */
enum re_last { RE_START, RE_ATOM, RE_GROUP, RE_GROUP_Q, RE_QUANT };

/* The end of the bracket expression starting at re[i] ('['). */
static size_t skip_bracket(const char *re, size_t i)
{
	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++;
	while (re[i] != 0 && re[i] != ']')
		i++;
	return re[i] == ']' ? i : i - 1;
}

/* A counted repetition {m}, {m,} or {m,n} at re[i]: whether it is small,
 * and where it ends in *end. */
static bool small_count(const char *re, size_t i, size_t *end)
{
	long count = 0;

	for (i++; re[i] != 0 && re[i] != '}'; i++) {
		if (re[i] == ',')
			count = 0;
		else if (is_digit(re[i]) &&
		         (count = count * 10 + (re[i] - '0')) > 16)
			return false;
	}
	*end = re[i] == '}' ? i : i - 1;
	return true;
}

/*
 * Refuses what makes a POSIX regular expression costly to compile or to
 * run (glibc copies a repeated part, and a repetition of a repetition
 * grows exponentially): back-references, a repetition of something
 * already repeated ("a+*", "(a+)*"), more than one counted repetition,
 * and a count above 16.
 */
static bool regex_is_tame(const char *re)
{
	bool quantified[AUDIT_FILTER_MAX_REGEX + 2] = {false};
	enum re_last last = RE_START;
	size_t i, depth = 0, braces = 0;

	for (i = 0; re[i] != 0; i++) {
		char ch = re[i];
		if (ch == '\\' && re[i + 1] >= '1' && re[i + 1] <= '9')
			return false;
		if (ch == '*' || ch == '+' || ch == '?' || ch == '{') {
			if (last == RE_QUANT || last == RE_GROUP_Q)
				return false;
			if (ch == '{' &&
			    (++braces > 1 || !small_count(re, i, &i)))
				return false;
			quantified[depth] = true;
			last = RE_QUANT;
		} else if (ch == '(') {
			if (++depth > AUDIT_FILTER_MAX_REGEX)
				return false;
			quantified[depth] = false;
			last = RE_START;
		} else if (ch == ')' && depth > 0) {
			last = quantified[depth] ? RE_GROUP_Q : RE_GROUP;
			depth--;
			quantified[depth] |= last == RE_GROUP_Q;
		} else {
			if (ch == '\\' && re[i + 1] != 0)
				i++;
			else if (ch == '[')
				i = skip_bracket(re, i);
			last = RE_ATOM;
		}
	}
	return true;
}

static err_t compile_regex(struct parser *p, const struct token *t,
                           struct node *m)
{
	char why[128];
	int rc;

	if (strlen(m->value) > AUDIT_FILTER_MAX_REGEX)
		return parse_fail(p, t, "regular expression too long");
	if (!regex_is_tame(m->value))
		return parse_fail(p, t,
		                  "regular expression with a back-reference, "
		                  "a repetition of a repetition or a large "
		                  "repetition count");
	m->re = calloc(1, sizeof(*m->re));
	if (m->re == NULL)
		return ERR_NOMEM;
	rc = regcomp(m->re, m->value, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, m->re, why, sizeof(why));
		free(m->re);
		m->re = NULL;
		buf_printf(p->msg,
		           "invalid filter: bad regular expression at column "
		           "%zu: %s",
		           t->col, why);
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* field OP value, field is [not] empty, ...; m is a fresh MATCH node. */
static err_t parse_field_first(struct parser *p, struct node *m)
{
	const struct token *t;
	err_t rc;

	rc = parse_field(p, &m->field);
	if (rc != ERR_OK)
		return rc;
	t = peek(p, 0);
	if (t->kind == TOK_EQ || t->kind == TOK_NE) {
		m->op = OP_EQ;
		m->negate = t->kind == TOK_NE;
		p->i++;
		return parse_value(p, m);
	}
	if (is_word(t, "is")) {
		p->i++;
		m->op = OP_EMPTY;
		if (is_word(peek(p, 0), "not")) {
			m->negate = true;
			p->i++;
		}
		if (!is_word(peek(p, 0), "empty"))
			return parse_fail(p, peek(p, 0), "expected \"empty\"");
		p->i++;
		return ERR_OK;
	}
	if (is_word(t, "not")) {
		m->negate = true;
		p->i++;
		t = peek(p, 0);
	}
	if (!is_word(t, "contains") && !is_word(t, "matches"))
		return parse_fail(p, t,
		                  "expected ==, !=, is, contains or matches");
	m->op = is_word(t, "contains") ? OP_CONTAINS : OP_MATCHES;
	p->i++;
	t = peek(p, 0);
	rc = parse_value(p, m);
	if (rc == ERR_OK && m->op == OP_MATCHES)
		rc = compile_regex(p, t, m);
	return rc;
}

/* value [not] in field. */
static err_t parse_value_first(struct parser *p, struct node *m)
{
	err_t rc;

	m->op = OP_CONTAINS;
	rc = parse_value(p, m);
	if (rc != ERR_OK)
		return rc;
	if (is_word(peek(p, 0), "not")) {
		m->negate = true;
		p->i++;
	}
	if (!is_word(peek(p, 0), "in"))
		return parse_fail(p, peek(p, 0), "expected \"in\"");
	p->i++;
	return parse_field(p, &m->field);
}

static err_t parse_match(struct parser *p, int *out)
{
	const struct token *next = peek(p, 1);
	bool value_first;
	err_t rc;

	/* A value comes first exactly when "in" or "not in" follows it. */
	value_first = is_word(next, "in") ||
	              (is_word(next, "not") && is_word(peek(p, 2), "in"));
	rc = node_new(p->f, NODE_MATCH, out);
	if (rc != ERR_OK)
		return rc;
	return value_first ? parse_value_first(p, &p->f->nodes[*out])
	                   : parse_field_first(p, &p->f->nodes[*out]);
}

static err_t parse_or(struct parser *p, int *out);

static err_t parse_unary(struct parser *p, int *out)
{
	const struct token *t = peek(p, 0);
	int inner = -1;
	err_t rc;

	if (!is_word(t, "not") && t->kind != TOK_LPAREN)
		return parse_match(p, out);
	if (++p->depth > AUDIT_FILTER_MAX_DEPTH)
		return parse_fail(p, t, "nested too deeply");
	p->i++;
	if (t->kind == TOK_LPAREN) {
		rc = parse_or(p, out);
		if (rc == ERR_OK && peek(p, 0)->kind != TOK_RPAREN)
			rc = parse_fail(p, peek(p, 0), "expected \")\"");
		p->i += rc == ERR_OK;
	} else {
		rc = parse_unary(p, &inner);
		if (rc == ERR_OK)
			rc = node_new(p->f, NODE_NOT, out);
		if (rc == ERR_OK)
			p->f->nodes[*out].child = inner;
	}
	p->depth--;
	return rc;
}

/*
 * One level of `and` or `or`: operands parsed by sub, separated by word.
 * A single operand is returned as it is; several become one node.
 */
static err_t parse_chain(struct parser *p, const char *word,
                         enum node_kind kind,
                         err_t (*sub)(struct parser *, int *), int *out)
{
	int first = -1, last, next = -1, chain;
	err_t rc;

	rc = sub(p, &first);
	if (rc != ERR_OK || !is_word(peek(p, 0), word)) {
		*out = first;
		return rc;
	}
	rc = node_new(p->f, kind, &chain);
	if (rc != ERR_OK)
		return rc;
	p->f->nodes[chain].child = first;
	last = first;
	while (is_word(peek(p, 0), word)) {
		p->i++;
		rc = sub(p, &next);
		if (rc != ERR_OK)
			return rc;
		p->f->nodes[last].next = next;
		last = next;
	}
	*out = chain;
	return ERR_OK;
}

static err_t parse_and(struct parser *p, int *out)
{
	return parse_chain(p, "and", NODE_AND, parse_unary, out);
}

static err_t parse_or(struct parser *p, int *out)
{
	return parse_chain(p, "or", NODE_OR, parse_and, out);
}

/* ---- the interface ------------------------------------------------------- */

void audit_filter_free(struct audit_filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->nodes[i].value);
		if (f->nodes[i].re != NULL) {
			regfree(f->nodes[i].re);
			free(f->nodes[i].re);
		}
	}
	free(f->nodes);
	free(f);
}

err_t audit_filter_parse(const char *expr, struct audit_filter **out,
                         struct buf *msg)
{
	struct lexer lx = {expr, 0, NULL, 0, 0, msg};
	struct parser p = {NULL, 0, 0, NULL, msg};
	size_t len = strlen(expr);
	err_t rc;

	*out = NULL;
	if (len > AUDIT_FILTER_MAX_LEN) {
		buf_printf(msg, "invalid filter: longer than %d bytes",
		           AUDIT_FILTER_MAX_LEN);
		return ERR_INVALID;
	}
	rc = lex_all(&lx);
	if (rc == ERR_OK && lx.toks[0].kind == TOK_END) {
		buf_append_str(msg, "invalid filter: the expression is empty");
		rc = ERR_INVALID;
	}
	if (rc == ERR_OK && (p.f = calloc(1, sizeof(*p.f))) == NULL)
		rc = ERR_NOMEM;
	p.toks = lx.toks;
	if (rc == ERR_OK)
		rc = parse_or(&p, &p.f->root);
	if (rc == ERR_OK && peek(&p, 0)->kind != TOK_END)
		rc = parse_fail(&p, peek(&p, 0),
		                "expected \"and\", \"or\" or the end");
	tokens_free(lx.toks, lx.n);
	if (rc != ERR_OK) {
		audit_filter_free(p.f);
		return rc;
	}
	*out = p.f;
	return ERR_OK;
}

static const char *field_value(const struct audit_filter_fields *in,
                               enum field f)
{
	const char *v = NULL;

	switch (f) {
	case F_MOUNT_POINT:
		v = in->mount_point;
		break;
	case F_MOUNT_TYPE:
		v = in->mount_type;
		break;
	case F_NAMESPACE:
		v = in->ns;
		break;
	case F_OPERATION:
		v = in->operation;
		break;
	case F_PATH:
		v = in->path;
		break;
	}
	return v != NULL ? v : "";
}

static bool match_one(const struct node *m,
                      const struct audit_filter_fields *in)
{
	const char *v = field_value(in, m->field);
	bool hit = false;

	switch (m->op) {
	case OP_EQ:
		hit = strcmp(v, m->value) == 0;
		break;
	case OP_EMPTY:
		hit = v[0] == 0;
		break;
	case OP_CONTAINS:
		hit = strstr(v, m->value) != NULL;
		break;
	case OP_MATCHES:
		hit = regexec(m->re, v, 0, NULL, 0) == 0;
		break;
	}
	return hit != m->negate;
}

static bool eval(const struct audit_filter *f, int idx,
                 const struct audit_filter_fields *in)
{
	const struct node *n = &f->nodes[idx];
	int c;

	switch (n->kind) {
	case NODE_MATCH:
		return match_one(n, in);
	case NODE_NOT:
		return !eval(f, n->child, in);
	case NODE_AND:
		for (c = n->child; c >= 0; c = f->nodes[c].next)
			if (!eval(f, c, in))
				return false;
		return true;
	case NODE_OR:
		for (c = n->child; c >= 0; c = f->nodes[c].next)
			if (eval(f, c, in))
				return true;
		return false;
	}
	return false;
}

bool audit_filter_match(const struct audit_filter *f,
                        const struct audit_filter_fields *in)
{
	return eval(f, f->root, in);
}

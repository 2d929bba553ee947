/*
 * db_template.c - statement templates: substitution, quoting, splitting.
 *
 * Invariant: a substituted value never changes where the SQL lexer is.
 * A small lexer follows the template (plain text, a string literal, a
 * quoted identifier, a comment) and quotes each value for the place it
 * lands in: inside a string or identifier the operator opened, the value
 * is escaped for that quote; in plain text it becomes a complete quoted
 * token of its own. Either way the text after the value is lexed exactly
 * as the operator wrote it, so a name or password holding quotes,
 * semicolons or comment marks cannot end a string, add a statement or
 * hide the rest of one. The same lexer splits the rendered text into
 * statements at the semicolons of plain text.
 *
 * Known shortcoming: dollar-quoted PostgreSQL strings ($$...$$) and
 * E'...' strings written by the operator are lexed as plain text and
 * plain strings; operator statements are trusted, and the values the
 * engine substitutes come from safe alphabets, so this stays harmless.
 */
#include <string.h>

#include "engines/database/db_plugin.h"

enum lex_state {
	LEX_PLAIN,
	LEX_STRING,
	LEX_IDENT,
	LEX_LINE_COMMENT,
	LEX_BLOCK_COMMENT,
};

struct lexer {
	const struct db_dialect *d;
	enum lex_state state;
	char quote; /* the quote that opened LEX_STRING or LEX_IDENT */
};

/*
 * Advances the lexer over the character at p; returns how many bytes
 * belong together (2 for an escaped quote or a comment mark, else 1).
 */
static size_t lex_step(struct lexer *lx, const char *p)
{
	switch (lx->state) {
	case LEX_PLAIN:
		if (*p != 0 && strchr(lx->d->string_quotes, *p) != NULL) {
			lx->state = LEX_STRING;
			lx->quote = *p;
		} else if (*p != 0 && strchr(lx->d->ident_quotes, *p) != NULL) {
			lx->state = LEX_IDENT;
			lx->quote = *p;
		} else if (p[0] == '-' && p[1] == '-') {
			lx->state = LEX_LINE_COMMENT;
			return 2;
		} else if (p[0] == '/' && p[1] == '*') {
			lx->state = LEX_BLOCK_COMMENT;
			return 2;
		}
		return 1;
	case LEX_STRING:
	case LEX_IDENT:
		if (lx->state == LEX_STRING && lx->d->backslash_escapes &&
		    p[0] == '\\' && p[1] != 0)
			return 2;
		if (*p == lx->quote) {
			if (p[1] == lx->quote)
				return 2;
			lx->state = LEX_PLAIN;
		}
		return 1;
	case LEX_LINE_COMMENT:
		if (*p == '\n')
			lx->state = LEX_PLAIN;
		return 1;
	case LEX_BLOCK_COMMENT:
		if (p[0] == '*' && p[1] == '/') {
			lx->state = LEX_PLAIN;
			return 2;
		}
		return 1;
	}
	return 1;
}

/* The value of variable name[0..n), and whether it names the user. */
static const char *lookup_var(const struct db_vars *v, const char *name,
                              size_t n, bool *is_name)
{
	*is_name = false;
	if ((n == 4 && memcmp(name, "name", 4) == 0) ||
	    (n == 8 && memcmp(name, "username", 8) == 0)) {
		*is_name = true;
		return v->name;
	}
	if (n == 8 && memcmp(name, "password", 8) == 0)
		return v->password;
	if (n == 10 && memcmp(name, "expiration", 10) == 0)
		return v->expiration;
	return NULL;
}

/* Substitutes the variable at p ("{{...}}"); *used is its length. */
static err_t render_var(const struct lexer *lx, struct db_conn *c,
                        const char *p, const struct db_vars *v, struct buf *out,
                        size_t *used, struct buf *why)
{
	const char *start = p + 2, *end = strstr(start, "}}");
	const char *value;
	enum db_quote how;
	bool is_name;
	size_t n;
	err_t rc;

	if (end == NULL) {
		buf_append_str(why, "statement has an unclosed \"{{\"");
		return ERR_INVALID;
	}
	*used = (size_t)(end - p) + 2;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	n = (size_t)(end - start);
	while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
		n--;
	value = lookup_var(v, start, n, &is_name);
	if (value == NULL) {
		buf_printf(why,
		           "statement uses an unknown or unset variable "
		           "\"{{%.*s}}\"",
		           (int)(n > 64 ? 64 : n), start);
		return ERR_INVALID;
	}

	if (lx->state == LEX_STRING)
		how = DB_QUOTE_LITERAL_INNER;
	else if (lx->state == LEX_IDENT)
		how = DB_QUOTE_IDENT_INNER;
	else
		how = is_name ? DB_QUOTE_IDENT : DB_QUOTE_LITERAL;
	rc = lx->d->quote(c, value, how, out);
	if (rc == ERR_INVALID)
		buf_printf(why, "the value of {{%.*s}} cannot be quoted",
		           (int)n, start);
	return rc;
}

err_t db_template_render(const struct db_dialect *d, struct db_conn *c,
                         const char *tmpl, const struct db_vars *v,
                         struct buf *out, struct buf *why)
{
	struct lexer lx = {d, LEX_PLAIN, 0};
	const char *p = tmpl;
	size_t n;
	err_t rc;

	while (*p != 0) {
		if (p[0] == '{' && p[1] == '{') {
			rc = render_var(&lx, c, p, v, out, &n, why);
			if (rc != ERR_OK)
				return rc;
			p += n;
			continue;
		}
		n = lex_step(&lx, p);
		rc = buf_append(out, p, n);
		if (rc != ERR_OK)
			return rc;
		p += n;
	}
	return ERR_OK;
}

/* True when s[0..n) holds something other than blanks. */
static bool not_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return true;
	return false;
}

err_t db_template_split(const struct db_dialect *d, const char *sql,
                        err_t (*fn)(void *ctx, const char *stmt), void *ctx)
{
	struct lexer lx = {d, LEX_PLAIN, 0};
	struct buf stmt = BUF_INIT;
	const char *p = sql, *start = sql;
	err_t rc = ERR_OK;

	for (;;) {
		bool end = *p == 0 || (lx.state == LEX_PLAIN && *p == ';');

		if (end) {
			size_t n = (size_t)(p - start);
			if (not_blank(start, n)) {
				buf_reset(&stmt);
				rc = buf_append(&stmt, start, n);
				if (rc == ERR_OK)
					rc = fn(ctx, buf_str(&stmt));
				if (rc != ERR_OK)
					break;
			}
			if (*p == 0)
				break;
			start = ++p;
			continue;
		}
		p += lex_step(&lx, p);
	}
	buf_release(&stmt);
	return rc;
}

bool db_statements_given(json_t *stmts)
{
	size_t i;
	json_t *s;

	json_array_foreach(stmts, i, s)
	{
		const char *t = json_string_value(s);
		if (t != NULL && not_blank(t, strlen(t)))
			return true;
	}
	return false;
}

void db_redact(struct buf *why, const char *secret)
{
	struct buf clean = BUF_INIT;
	const char *p = buf_str(why), *hit;
	size_t n = secret ? strlen(secret) : 0;

	if (n == 0 || strstr(p, secret) == NULL)
		return;
	while ((hit = strstr(p, secret)) != NULL) {
		buf_append(&clean, p, (size_t)(hit - p));
		buf_append_str(&clean, "[redacted]");
		p = hit + n;
	}
	buf_append_str(&clean, p);
	buf_reset(why);
	buf_append(why, clean.data, clean.len);
	buf_release(&clean);
}

struct run_ctx {
	struct db_conn *c;
	err_t (*exec)(struct db_conn *c, const char *sql, struct buf *why);
	struct buf *why;
};

static err_t run_one(void *ctx, const char *stmt)
{
	struct run_ctx *r = ctx;

	return r->exec(r->c, stmt, r->why);
}

/* Renders one template and runs the statements in it. */
static err_t run_template(const struct db_dialect *d, struct run_ctx *r,
                          const char *tmpl, const struct db_vars *v)
{
	struct buf sql = BUF_INIT;
	err_t rc;

	rc = db_template_render(d, r->c, tmpl, v, &sql, r->why);
	if (rc == ERR_OK)
		rc = db_template_split(d, buf_str(&sql), run_one, r);
	buf_release(&sql);
	return rc;
}

err_t db_statements_run(const struct db_dialect *d, struct db_conn *c,
                        json_t *stmts, const char *const *defaults,
                        const struct db_vars *v,
                        err_t (*exec)(struct db_conn *c, const char *sql,
                                      struct buf *why),
                        struct buf *why)
{
	struct run_ctx r = {c, exec, why};
	err_t rc = ERR_OK;
	size_t i;
	json_t *s;

	if (db_statements_given(stmts)) {
		json_array_foreach(stmts, i, s)
		{
			if (rc != ERR_OK)
				break;
			if (json_is_string(s))
				rc = run_template(d, &r, json_string_value(s),
				                  v);
		}
	} else {
		for (i = 0; defaults != NULL && defaults[i] != NULL; i++)
			if ((rc = run_template(d, &r, defaults[i], v)) !=
			    ERR_OK)
				break;
	}
	if (rc != ERR_OK)
		db_redact(why, v->password);
	return rc;
}

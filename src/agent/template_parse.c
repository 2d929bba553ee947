/*
 * template_parse.c - turns tokens into the syntax tree, and frees it.
 *
 * Everything that can be decided without the data is decided here, so a
 * broken template is refused when the agent starts: unknown functions,
 * wrong argument counts (the piped value counts as the last argument),
 * undefined variables (a variable lives until the {{end}} of the block
 * that declares it; one declared in a block's own pipeline is also seen
 * by its {{else}}), {{break}}/{{continue}} outside a range, a stray
 * {{end}} or {{else}}, a missing {{end}}, and nesting past
 * TMPL_MAX_DEPTH (blocks and parentheses together; an {{else if}} chain
 * counts once, however long).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"
#include "base/secret.h"

struct scope_var {
	const char *p;
	size_t n;
};

struct parser {
	const char *name;
	const struct tmpl_tok *t;
	size_t n, i;
	struct buf *errmsg;
	struct scope_var *vars;
	size_t n_vars, alloc_vars;
	unsigned depth, in_range;
};

enum term { TERM_EOF, TERM_END, TERM_ELSE };

static void pipe_free(struct tmpl_pipe *pipe);
static void list_release(struct tmpl_list *l);

/* ---- freeing ---------------------------------------------------------- */

static void arg_release(struct tmpl_arg *a)
{
	size_t i;

	free(a->var);
	pipe_free(a->pipe);
	json_decref(a->value);
	for (i = 0; i < a->n_fields; i++)
		free(a->fields[i]);
	free(a->fields);
}

static void pipe_free(struct tmpl_pipe *pipe)
{
	size_t i, j;

	if (pipe == NULL)
		return;
	for (i = 0; i < pipe->n_cmds; i++) {
		for (j = 0; j < pipe->cmds[i].n_args; j++)
			arg_release(&pipe->cmds[i].args[j]);
		free(pipe->cmds[i].args);
	}
	free(pipe->cmds);
	free(pipe->decl[0]);
	free(pipe->decl[1]);
	free(pipe);
}

static void node_free(struct tmpl_node *n)
{
	struct tmpl_node *next;

	/* An {{else if}} chain is freed in a loop: it may be long. */
	while (n != NULL) {
		next = n->chain;
		secret_free_n(n->text, n->len);
		pipe_free(n->pipe);
		list_release(&n->body);
		list_release(&n->alt);
		free(n);
		n = next;
	}
}

static void list_release(struct tmpl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		node_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	list_release(&t->root);
	free(t->name);
	free(t);
}

/* ---- helpers ---------------------------------------------------------- */

/*
 * Grows the array that vp points to (any pointer type; moved through
 * memcpy so no pointer is read as another type) so that one more of its
 * size-byte elements fits after n.
 */
static err_t grow(void *vp, size_t *alloc, size_t n, size_t size)
{
	size_t want;
	void *old, *p;

	if (n < *alloc)
		return ERR_OK;
	want = *alloc ? *alloc * 2 : 4;
	if (want > SIZE_MAX / size)
		return ERR_NOMEM;
	memcpy(&old, vp, sizeof(old));
	p = realloc(old, want * size);
	if (p == NULL)
		return ERR_NOMEM;
	memcpy(vp, &p, sizeof(p));
	*alloc = want;
	return ERR_OK;
}

/*
 * The same for arrays without a separate capacity: they hold n elements
 * in room for the next power of two, so they grow when n is one.
 */
static err_t grow_pow2(void *vp, size_t n, size_t size)
{
	size_t alloc = n;

	if (n != 0 && (n & (n - 1)) != 0)
		return ERR_OK;
	return grow(vp, &alloc, n, size);
}

static err_t fail(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static err_t fail(struct parser *p, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tmpl_error(p->errmsg, p->name, line, ERR_INVALID, "%s", msg);
}

static err_t nomem(struct parser *p)
{
	return tmpl_error(p->errmsg, p->name, p->t[p->i].line, ERR_NOMEM,
	                  "out of memory");
}

static const struct tmpl_tok *peek_at(const struct parser *p, size_t k)
{
	return &p->t[p->i + k < p->n ? p->i + k : p->n - 1];
}

static const struct tmpl_tok *next(struct parser *p)
{
	const struct tmpl_tok *t = &p->t[p->i];

	if (t->kind != TK_EOF)
		p->i++;
	return t;
}

static bool is_word(const struct tmpl_tok *t, const char *w)
{
	return t->kind == TK_IDENT && t->n == strlen(w) &&
	       memcmp(t->p, w, t->n) == 0;
}

/* How a token reads in a message; bounded, never the whole input. */
static int shown_len(const struct tmpl_tok *t)
{
	return t->n > 40 ? 40 : (int)t->n;
}

static const char *shown(const struct tmpl_tok *t)
{
	return t->kind == TK_EOF ? "end of input" : t->p;
}

static err_t unexpected(struct parser *p, const struct tmpl_tok *t,
                        const char *where)
{
	if (t->kind == TK_EOF)
		return fail(p, t->line, "unexpected end of input in %s", where);
	return fail(p, t->line, "unexpected \"%.*s\" in %s", shown_len(t),
	            shown(t), where);
}

static err_t expect_close(struct parser *p, const char *what)
{
	const struct tmpl_tok *t = next(p);

	if (t->kind == TK_CLOSE)
		return ERR_OK;
	return unexpected(p, t, what);
}

static bool in_scope(const struct parser *p, const char *name, size_t n)
{
	size_t i;

	if (n == 1)
		return true; /* $ is always there: the root */
	for (i = p->n_vars; i > 0; i--)
		if (p->vars[i - 1].n == n &&
		    memcmp(p->vars[i - 1].p, name, n) == 0)
			return true;
	return false;
}

static err_t declare(struct parser *p, const struct tmpl_tok *t)
{
	if (grow(&p->vars, &p->alloc_vars, p->n_vars, sizeof(*p->vars)) !=
	    ERR_OK)
		return nomem(p);
	p->vars[p->n_vars].p = t->p;
	p->vars[p->n_vars].n = t->n;
	p->n_vars++;
	return ERR_OK;
}

static err_t check_arity(struct parser *p, int line, const struct tmpl_func *fn,
                         size_t got)
{
	if (got >= fn->min_args && got <= fn->max_args)
		return ERR_OK;
	if (fn->max_args == TMPL_VARIADIC)
		return fail(p, line,
		            "wrong number of args for %s: want at least %zu "
		            "got %zu",
		            fn->name, fn->min_args, got);
	if (fn->min_args != fn->max_args)
		return fail(p, line,
		            "wrong number of args for %s: want %zu to %zu got "
		            "%zu",
		            fn->name, fn->min_args, fn->max_args, got);
	return fail(p, line, "wrong number of args for %s: want %zu got %zu",
	            fn->name, fn->min_args, got);
}

/* ---- operands, commands, pipelines ------------------------------------ */

static err_t parse_pipe(struct parser *p, size_t max_decl,
                        enum tmpl_tok_kind end, struct tmpl_pipe **out);

static err_t add_field(struct parser *p, struct tmpl_arg *a,
                       const struct tmpl_tok *t)
{
	char *name;

	if (grow_pow2(&a->fields, a->n_fields, sizeof(*a->fields)) != ERR_OK)
		return nomem(p);
	name = strndup(t->p + 1, t->n - 1);
	if (name == NULL)
		return nomem(p);
	a->fields[a->n_fields++] = name;
	return ERR_OK;
}

static err_t literal(struct parser *p, const struct tmpl_tok *t,
                     struct tmpl_arg *a)
{
	struct buf b = BUF_INIT;
	json_int_t c = 0;
	err_t rc;

	a->kind = TA_CONST;
	if (t->kind == TK_NUMBER) {
		rc = tmpl_number_value(t->p, t->n, &a->value);
	} else if (t->kind == TK_CHAR) {
		rc = tmpl_char_value(t->p, t->n, &c);
		if (rc == ERR_OK && (a->value = json_integer(c)) == NULL)
			rc = ERR_NOMEM;
	} else {
		rc = tmpl_unquote(t->p, t->n, &b);
		if (rc == ERR_OK && (a->value = tmpl_string(
		                         (const char *)b.data, b.len)) == NULL)
			rc = ERR_NOMEM;
	}
	buf_release(&b);
	if (rc == ERR_NOMEM)
		return nomem(p);
	if (rc != ERR_OK)
		return fail(p, t->line, "bad literal %.*s", shown_len(t), t->p);
	return ERR_OK;
}

static const char *const keywords[] = {
    "if",    "else",     "end",    "range",    "with",
    "break", "continue", "define", "template", "block",
};

/* A bare word: true, false, nil, or a function. */
static err_t word(struct parser *p, const struct tmpl_tok *t,
                  struct tmpl_arg *a)
{
	size_t i;

	a->kind = TA_CONST;
	if (is_word(t, "true") || is_word(t, "false") || is_word(t, "nil")) {
		a->value = is_word(t, "nil")    ? json_null()
		           : is_word(t, "true") ? json_true()
		                                : json_false();
		return ERR_OK;
	}
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (is_word(t, keywords[i]))
			return fail(p, t->line, "unexpected keyword %s",
			            keywords[i]);
	a->kind = TA_FUNC;
	a->fn = tmpl_func_find(t->p, t->n);
	if (a->fn == NULL)
		return fail(p, t->line, "function \"%.*s\" not defined",
		            shown_len(t), t->p);
	return ERR_OK;
}

/* The term an operand starts with; *chain says if fields may follow. */
static err_t term(struct parser *p, const struct tmpl_tok *t,
                  struct tmpl_arg *a, bool *chain)
{
	err_t rc;

	*chain = true;
	switch (t->kind) {
	case TK_FIELD:
		a->kind = TA_FIELD;
		return add_field(p, a, t);
	case TK_VAR:
		a->kind = TA_VAR;
		if (!in_scope(p, t->p, t->n))
			return fail(p, t->line, "undefined variable \"%.*s\"",
			            shown_len(t), t->p);
		a->var = strndup(t->p, t->n);
		return a->var != NULL ? ERR_OK : nomem(p);
	case TK_LPAREN:
		a->kind = TA_PIPE;
		if (++p->depth > TMPL_MAX_DEPTH)
			return fail(p, t->line, "nesting deeper than %d",
			            TMPL_MAX_DEPTH);
		rc = parse_pipe(p, 0, TK_RPAREN, &a->pipe);
		p->depth--;
		return rc;
	default:
		break;
	}
	*chain = false;
	if (t->kind == TK_DOT) {
		a->kind = TA_DOT;
		return ERR_OK;
	}
	if (t->kind == TK_STRING || t->kind == TK_RAW || t->kind == TK_CHAR ||
	    t->kind == TK_NUMBER)
		return literal(p, t, a);
	if (t->kind == TK_IDENT)
		return word(p, t, a);
	return unexpected(p, t, "operand");
}

static err_t operand(struct parser *p, struct tmpl_arg *a)
{
	const struct tmpl_tok *t = next(p);
	bool chain;
	err_t rc;

	rc = term(p, t, a, &chain);
	while (rc == ERR_OK && peek_at(p, 0)->kind == TK_FIELD &&
	       !peek_at(p, 0)->spaced) {
		if (!chain)
			return fail(p, t->line, "unexpected field after %.*s",
			            shown_len(t), t->p);
		rc = add_field(p, a, next(p));
	}
	return rc;
}

static bool ends_command(enum tmpl_tok_kind k)
{
	return k == TK_PIPE || k == TK_CLOSE || k == TK_RPAREN || k == TK_EOF;
}

/* Checks what the parser can know about a command's arguments. */
static err_t check_command(struct parser *p, int line, const struct tmpl_cmd *c,
                           size_t stage)
{
	const struct tmpl_arg *head = &c->args[0];
	size_t i;
	err_t rc;

	if (head->kind == TA_FUNC)
		rc =
		    check_arity(p, line, head->fn, c->n_args - 1 + (stage > 0));
	else if (c->n_args > 1 || stage > 0)
		rc = fail(p, line, "can't give argument to non-function");
	else if (head->kind == TA_CONST && json_is_null(head->value))
		rc = fail(p, line, "nil is not a command");
	else
		rc = ERR_OK;
	for (i = 1; rc == ERR_OK && i < c->n_args; i++)
		if (c->args[i].kind == TA_FUNC)
			rc = check_arity(p, line, c->args[i].fn, 0);
	return rc;
}

static err_t command(struct parser *p, size_t stage, struct tmpl_cmd *c)
{
	int line = peek_at(p, 0)->line;
	err_t rc;

	while (!ends_command(peek_at(p, 0)->kind)) {
		if (grow_pow2(&c->args, c->n_args, sizeof(*c->args)) != ERR_OK)
			return nomem(p);
		memset(&c->args[c->n_args], 0, sizeof(c->args[0]));
		c->n_args++;
		rc = operand(p, &c->args[c->n_args - 1]);
		if (rc != ERR_OK)
			return rc;
	}
	if (c->n_args == 0)
		return unexpected(p, peek_at(p, 0), "command");
	return check_command(p, line, c, stage);
}

/* "$x :=", "$x =", or in a range "$k, $v :=": how many tokens, or 0. */
static size_t decl_tokens(const struct parser *p, size_t max_decl)
{
	if (max_decl == 0 || peek_at(p, 0)->kind != TK_VAR)
		return 0;
	if (peek_at(p, 1)->kind == TK_DECLARE ||
	    peek_at(p, 1)->kind == TK_ASSIGN)
		return 2;
	if (max_decl == 2 && peek_at(p, 1)->kind == TK_COMMA &&
	    peek_at(p, 2)->kind == TK_VAR &&
	    (peek_at(p, 3)->kind == TK_DECLARE ||
	     peek_at(p, 3)->kind == TK_ASSIGN))
		return 4;
	return 0;
}

static err_t declarations(struct parser *p, size_t max_decl,
                          struct tmpl_pipe *pipe)
{
	size_t n = decl_tokens(p, max_decl), k;
	const struct tmpl_tok *t, *op;

	if (n == 0)
		return ERR_OK;
	op = peek_at(p, n - 1);
	pipe->assign = op->kind == TK_ASSIGN;
	if (pipe->assign && max_decl == 2)
		return fail(p, op->line, "range can only declare with :=");
	for (k = 0; k < n; k += 2) {
		t = peek_at(p, k);
		if (pipe->assign && !in_scope(p, t->p, t->n))
			return fail(p, t->line, "undefined variable \"%.*s\"",
			            shown_len(t), t->p);
		pipe->decl[pipe->n_decl] = strndup(t->p, t->n);
		if (pipe->decl[pipe->n_decl] == NULL)
			return nomem(p);
		pipe->n_decl++;
	}
	p->i += n;
	return ERR_OK;
}

/* The new variables come into scope after the pipeline that sets them. */
static err_t bring_into_scope(struct parser *p, size_t first, size_t n)
{
	size_t k;
	err_t rc = ERR_OK;

	for (k = 0; k < n && rc == ERR_OK; k++)
		rc = declare(p, &p->t[first + 2 * k]);
	return rc;
}

static err_t parse_pipe(struct parser *p, size_t max_decl,
                        enum tmpl_tok_kind end, struct tmpl_pipe **out)
{
	struct tmpl_pipe *pipe;
	const struct tmpl_tok *t;
	size_t first = p->i;
	err_t rc;

	pipe = calloc(1, sizeof(*pipe));
	if (pipe == NULL)
		return nomem(p);
	*out = pipe;
	pipe->line = peek_at(p, 0)->line;
	rc = declarations(p, max_decl, pipe);

	while (rc == ERR_OK) {
		if (grow_pow2(&pipe->cmds, pipe->n_cmds, sizeof(*pipe->cmds)) !=
		    ERR_OK)
			return nomem(p);
		memset(&pipe->cmds[pipe->n_cmds], 0, sizeof(pipe->cmds[0]));
		pipe->n_cmds++;
		rc =
		    command(p, pipe->n_cmds - 1, &pipe->cmds[pipe->n_cmds - 1]);
		if (rc != ERR_OK)
			break;
		t = next(p);
		if (t->kind == end)
			break;
		if (t->kind != TK_PIPE)
			rc = unexpected(p, t,
			                end == TK_RPAREN
			                    ? "parenthesized pipeline"
			                    : "action");
	}
	if (rc == ERR_OK && !pipe->assign)
		rc = bring_into_scope(p, first, pipe->n_decl);
	return rc;
}

/* ---- lists and blocks -------------------------------------------------- */

static err_t parse_list(struct parser *p, struct tmpl_list *l, enum term *term);

static err_t node_new(struct parser *p, enum tmpl_node_kind kind, int line,
                      struct tmpl_node **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return nomem(p);
	(*out)->kind = kind;
	(*out)->line = line;
	return ERR_OK;
}

static err_t list_add(struct parser *p, struct tmpl_list *l,
                      struct tmpl_node *n)
{
	if (grow(&l->v, &l->alloc, l->n, sizeof(*l->v)) != ERR_OK) {
		node_free(n);
		return nomem(p);
	}
	l->v[l->n++] = n;
	return ERR_OK;
}

static void scope_pop(struct parser *p, size_t mark)
{
	p->n_vars = mark;
}

/* One clause of a block: its pipeline, "}}", and its body. */
static err_t parse_clause(struct parser *p, struct tmpl_node *n,
                          enum term *term)
{
	size_t mark;
	err_t rc;

	rc = parse_pipe(p, n->kind == TN_RANGE ? 2 : 1, TK_CLOSE, &n->pipe);
	if (rc != ERR_OK)
		return rc;

	mark = p->n_vars;
	p->in_range += n->kind == TN_RANGE;
	rc = parse_list(p, &n->body, term);
	p->in_range -= n->kind == TN_RANGE;
	scope_pop(p, mark);
	return rc;
}

static const char *block_name(enum tmpl_node_kind kind)
{
	return kind == TN_IF ? "if" : kind == TN_WITH ? "with" : "range";
}

/* After {{else}}: the alternative body, which must end with {{end}}. */
static err_t parse_else(struct parser *p, struct tmpl_node *n, enum term *term)
{
	size_t mark = p->n_vars;
	err_t rc;

	rc = expect_close(p, "else");
	if (rc == ERR_OK)
		rc = parse_list(p, &n->alt, term);
	scope_pop(p, mark);
	if (rc == ERR_OK && *term == TERM_ELSE)
		rc = fail(p, peek_at(p, 0)->line,
		          "{{else}} after {{else}} in {{%s}}",
		          block_name(n->kind));
	return rc;
}

static err_t parse_block(struct parser *p, const struct tmpl_tok *kw,
                         enum tmpl_node_kind kind, struct tmpl_node **out)
{
	struct tmpl_node *cur;
	size_t mark = p->n_vars;
	enum term term = TERM_EOF;
	err_t rc;

	if (++p->depth > TMPL_MAX_DEPTH) {
		p->depth--;
		return fail(p, kw->line, "nesting deeper than %d",
		            TMPL_MAX_DEPTH);
	}
	rc = node_new(p, kind, kw->line, out);
	cur = *out;
	if (rc == ERR_OK)
		rc = parse_clause(p, cur, &term);

	/* {{else if}} in an if, {{else with}} in a with: one more clause. */
	while (rc == ERR_OK && term == TERM_ELSE && kind != TN_RANGE &&
	       is_word(peek_at(p, 0), block_name(kind))) {
		rc = node_new(p, kind, next(p)->line, &cur->chain);
		cur = cur->chain;
		if (rc == ERR_OK)
			rc = parse_clause(p, cur, &term);
	}
	if (rc == ERR_OK && term == TERM_ELSE)
		rc = parse_else(p, cur, &term);
	if (rc == ERR_OK && term == TERM_EOF)
		rc = fail(p, kw->line, "{{%s}} has no matching {{end}}",
		          block_name(kind));

	scope_pop(p, mark);
	p->depth--;
	return rc;
}

static err_t parse_action(struct parser *p, int line, struct tmpl_node **out)
{
	err_t rc;

	rc = node_new(p, TN_ACTION, line, out);
	if (rc == ERR_OK)
		rc = parse_pipe(p, 1, TK_CLOSE, &(*out)->pipe);
	return rc;
}

static err_t parse_loop_control(struct parser *p, const struct tmpl_tok *kw,
                                struct tmpl_node **out)
{
	bool brk = is_word(kw, "break");
	err_t rc;

	if (p->in_range == 0)
		return fail(p, kw->line, "{{%s}} outside {{range}}",
		            brk ? "break" : "continue");
	rc = expect_close(p, brk ? "break" : "continue");
	if (rc == ERR_OK)
		rc = node_new(p, brk ? TN_BREAK : TN_CONTINUE, kw->line, out);
	return rc;
}

/* What follows "{{" when it is neither {{end}} nor {{else}}. */
static err_t parse_statement(struct parser *p, int line, struct tmpl_node **out)
{
	const struct tmpl_tok *kw = peek_at(p, 0);

	if (is_word(kw, "if") || is_word(kw, "with") || is_word(kw, "range")) {
		next(p);
		return parse_block(p, kw,
		                   is_word(kw, "if")     ? TN_IF
		                   : is_word(kw, "with") ? TN_WITH
		                                         : TN_RANGE,
		                   out);
	}
	if (is_word(kw, "break") || is_word(kw, "continue")) {
		next(p);
		return parse_loop_control(p, kw, out);
	}
	if (is_word(kw, "define") || is_word(kw, "template") ||
	    is_word(kw, "block"))
		return fail(p, kw->line, "{{%.*s}} is not supported",
		            shown_len(kw), kw->p);
	return parse_action(p, line, out);
}

static err_t add_text(struct parser *p, struct tmpl_list *l,
                      const struct tmpl_tok *t)
{
	struct tmpl_node *n = NULL;
	err_t rc;

	rc = node_new(p, TN_TEXT, t->line, &n);
	if (rc != ERR_OK)
		return rc;
	n->text = malloc(t->n);
	if (n->text == NULL) {
		node_free(n);
		return nomem(p);
	}
	memcpy(n->text, t->p, t->n);
	n->len = t->n;
	return list_add(p, l, n);
}

/* Nodes up to {{end}}, {{else}} (left for the caller) or the input's end. */
static err_t parse_list(struct parser *p, struct tmpl_list *l, enum term *term)
{
	const struct tmpl_tok *t;
	struct tmpl_node *n;
	err_t rc;

	for (;;) {
		t = next(p);
		if (t->kind == TK_EOF) {
			*term = TERM_EOF;
			return ERR_OK;
		}
		if (t->kind == TK_TEXT) {
			rc = add_text(p, l, t);
			if (rc != ERR_OK)
				return rc;
			continue;
		}
		if (is_word(peek_at(p, 0), "end")) {
			next(p);
			*term = TERM_END;
			return expect_close(p, "end");
		}
		if (is_word(peek_at(p, 0), "else")) {
			next(p);
			*term = TERM_ELSE;
			return ERR_OK;
		}
		n = NULL;
		rc = parse_statement(p, t->line, &n);
		if (rc != ERR_OK) {
			node_free(n);
			return rc;
		}
		rc = list_add(p, l, n);
		if (rc != ERR_OK)
			return rc;
	}
}

static err_t parse_root(struct parser *p, struct tmpl *t)
{
	enum term term = TERM_EOF;
	err_t rc;

	rc = parse_list(p, &t->root, &term);
	if (rc != ERR_OK)
		return rc;
	if (term == TERM_END)
		return fail(p, p->t[p->i - 1].line, "unexpected {{end}}");
	if (term == TERM_ELSE)
		return fail(p, p->t[p->i - 1].line, "unexpected {{else}}");
	return ERR_OK;
}

err_t tmpl_parse(const char *name, const char *src, size_t len,
                 struct tmpl **out, struct buf *errmsg)
{
	struct parser p = {0};
	struct tmpl_tok *toks = NULL;
	struct tmpl *t = NULL;
	size_t n = 0;
	err_t rc;

	*out = NULL;
	if (name == NULL)
		name = "template";
	if (len > TMPL_MAX_SOURCE)
		return tmpl_error(errmsg, name, 1, ERR_INVALID,
		                  "template larger than %zu bytes",
		                  TMPL_MAX_SOURCE);
	rc = tmpl_lex(name, src, len, &toks, &n, errmsg);
	if (rc != ERR_OK)
		return rc;

	p.name = name;
	p.t = toks;
	p.n = n;
	p.errmsg = errmsg;
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->name = strdup(name)) == NULL)
		rc = nomem(&p);
	if (rc == ERR_OK)
		rc = parse_root(&p, t);

	free(p.vars);
	free(toks);
	if (rc != ERR_OK) {
		tmpl_free(t);
		return rc;
	}
	*out = t;
	return ERR_OK;
}

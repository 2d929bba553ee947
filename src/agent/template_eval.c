/*
 * template_eval.c - evaluating pipelines: operands, field chains,
 * function calls, variables.
 *
 * Every evaluation returns a new reference; dot and the variables are
 * held by their owners for as long as anything can see them. "and" and
 * "or" evaluate their arguments one at a time and stop at the first that
 * decides the answer, so that {{ if and .Data (index .Data "k") }} never
 * indexes what is not there.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"

err_t tmpl_var_push(struct tmpl_run *r, const char *name, json_t *value)
{
	struct tmpl_var *v;
	size_t alloc;

	if (r->n_vars == r->alloc_vars) {
		alloc = r->alloc_vars ? r->alloc_vars * 2 : 16;
		if (alloc > SIZE_MAX / sizeof(*v))
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		v = realloc(r->vars, alloc * sizeof(*v));
		if (v == NULL)
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		r->vars = v;
		r->alloc_vars = alloc;
	}
	r->vars[r->n_vars].name = name;
	r->vars[r->n_vars].value = json_incref(value);
	r->n_vars++;
	return ERR_OK;
}

void tmpl_var_pop(struct tmpl_run *r, size_t mark)
{
	while (r->n_vars > mark) {
		r->n_vars--;
		json_decref(r->vars[r->n_vars].value);
	}
}

static struct tmpl_var *var_find(struct tmpl_run *r, const char *name)
{
	size_t i;

	for (i = r->n_vars; i > 0; i--)
		if (strcmp(r->vars[i - 1].name, name) == 0)
			return &r->vars[i - 1];
	return NULL;
}

static err_t call(struct tmpl_run *r, const struct tmpl_func *fn,
                  json_t *const *args, size_t n, json_t **out)
{
	const char *outer = r->func;
	err_t rc;

	r->func = fn->name;
	rc = fn->call(r, args, n, out);
	r->func = outer;
	return rc;
}

/* Follows .a.b.c from v, which it takes over. */
static err_t walk(struct tmpl_run *r, json_t *v, char *const *fields, size_t n,
                  json_t **out)
{
	json_t *next;
	size_t i;
	err_t rc = ERR_OK;

	for (i = 0; i < n && rc == ERR_OK; i++) {
		rc = tmpl_field(r, v, fields[i], &next);
		json_decref(v);
		v = rc == ERR_OK ? next : NULL;
	}
	*out = v;
	return rc;
}

static err_t eval_arg(struct tmpl_run *r, const struct tmpl_arg *a, json_t *dot,
                      json_t **out)
{
	struct tmpl_var *var;
	json_t *v = NULL;
	err_t rc = ERR_OK;

	switch (a->kind) {
	case TA_DOT:
	case TA_FIELD:
		v = json_incref(dot);
		break;
	case TA_VAR:
		var = var_find(r, a->var);
		if (var == NULL)
			return tmpl_fail(r, ERR_INVALID,
			                 "undefined variable \"%s\"", a->var);
		v = json_incref(var->value);
		break;
	case TA_PIPE:
		rc = tmpl_eval_pipe(r, a->pipe, dot, false, &v);
		break;
	case TA_FUNC:
		rc = call(r, a->fn, NULL, 0, &v);
		break;
	case TA_CONST:
		v = json_incref(a->value);
		break;
	}
	if (rc != ERR_OK)
		return rc;
	return walk(r, v, a->fields, a->n_fields, out);
}

/* and/or: the first argument that decides, or the last one. */
static err_t eval_logic(struct tmpl_run *r, const struct tmpl_cmd *c,
                        json_t *dot, json_t *final, json_t **out)
{
	bool want = c->args[0].fn->lazy == TMPL_LAZY_OR;
	json_t *v = NULL;
	size_t i;
	err_t rc;

	for (i = 1; i < c->n_args; i++) {
		json_decref(v);
		rc = eval_arg(r, &c->args[i], dot, &v);
		if (rc != ERR_OK)
			return rc;
		if (tmpl_truth(v) == want)
			break;
	}
	if (final != NULL && (v == NULL || tmpl_truth(v) != want)) {
		json_decref(v);
		v = json_incref(final);
	}
	*out = v;
	return ERR_OK;
}

static err_t eval_call(struct tmpl_run *r, const struct tmpl_cmd *c,
                       json_t *dot, json_t *final, json_t **out)
{
	size_t n = c->n_args - 1 + (final != NULL), i, got = 0;
	json_t **args;
	err_t rc = ERR_OK;

	args = calloc(n ? n : 1, sizeof(*args));
	if (args == NULL)
		return tmpl_fail(r, ERR_NOMEM, "out of memory");
	for (i = 1; i < c->n_args && rc == ERR_OK; i++)
		if ((rc = eval_arg(r, &c->args[i], dot, &args[got])) == ERR_OK)
			got++;
	if (rc == ERR_OK && final != NULL)
		args[got++] = json_incref(final);
	if (rc == ERR_OK)
		rc = call(r, c->args[0].fn, args, n, out);

	for (i = 0; i < got; i++)
		json_decref(args[i]);
	free(args);
	return rc;
}

/* One command; final is the value piped in from the left, or NULL. */
static err_t eval_cmd(struct tmpl_run *r, const struct tmpl_cmd *c, json_t *dot,
                      json_t *final, json_t **out)
{
	const struct tmpl_arg *head = &c->args[0];

	if (++r->steps > TMPL_MAX_STEPS)
		return tmpl_fail(r, ERR_TOO_LARGE, "more than %d commands run",
		                 TMPL_MAX_STEPS);
	if (head->kind != TA_FUNC)
		return eval_arg(r, head, dot, out); /* the parser saw no args */
	if (head->fn->lazy != TMPL_LAZY_NONE)
		return eval_logic(r, c, dot, final, out);
	return eval_call(r, c, dot, final, out);
}

/* Sets the pipeline's variable: a new one for :=, the old one for =. */
static err_t set_var(struct tmpl_run *r, const struct tmpl_pipe *p, json_t *v)
{
	struct tmpl_var *var;

	if (!p->assign)
		return tmpl_var_push(r, p->decl[0], v);
	var = var_find(r, p->decl[0]);
	if (var == NULL)
		return tmpl_fail(r, ERR_INVALID, "undefined variable \"%s\"",
		                 p->decl[0]);
	json_decref(var->value);
	var->value = json_incref(v);
	return ERR_OK;
}

err_t tmpl_eval_pipe(struct tmpl_run *r, const struct tmpl_pipe *p, json_t *dot,
                     bool declare, json_t **out)
{
	json_t *v = NULL, *next = NULL;
	size_t i;
	err_t rc = ERR_OK;

	r->line = p->line;
	for (i = 0; i < p->n_cmds && rc == ERR_OK; i++) {
		rc = eval_cmd(r, &p->cmds[i], dot, v, &next);
		json_decref(v);
		v = rc == ERR_OK ? next : NULL;
	}
	if (rc == ERR_OK && declare && p->n_decl == 1)
		rc = set_var(r, p, v);
	if (rc != ERR_OK) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return ERR_OK;
}

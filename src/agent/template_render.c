/*
 * template_render.c - runs the syntax tree: text, actions, if/with/range
 * blocks, and the render's limits and bookkeeping.
 *
 * The root value ("." at the top and "$") is null: like Vault Agent, a
 * template reaches data only through functions such as secret.
 * range walks arrays in order, objects in sorted key order (as Go does
 * for maps), a non-negative integer n as 0..n-1; null and empty run the
 * {{else}}. A render stops with an error past TMPL_MAX_OUTPUT bytes of
 * output, TMPL_MAX_ITERS range iterations, TMPL_MAX_STEPS commands or
 * TMPL_MAX_WORK bytes built or scanned by functions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"
#include "base/secret.h"

err_t tmpl_fail(struct tmpl_run *r, err_t code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->failed)
		return code;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->func != NULL)
		return tmpl_error(r->errmsg, r->t->name, r->line, code,
		                  "%s: %s", r->func, msg);
	return tmpl_error(r->errmsg, r->t->name, r->line, code, "%s", msg);
}

err_t tmpl_charge(struct tmpl_run *r, size_t n)
{
	if (n > TMPL_MAX_WORK || r->work > TMPL_MAX_WORK - n)
		return tmpl_fail(
		    r, ERR_TOO_LARGE,
		    "functions built or scanned more than %zu bytes",
		    TMPL_MAX_WORK);
	r->work += n;
	return ERR_OK;
}

err_t tmpl_run_add_struct(struct tmpl_run *r, const json_t *obj)
{
	const json_t **v;
	size_t alloc;

	if (r->n_structs == r->alloc_structs) {
		alloc = r->alloc_structs ? r->alloc_structs * 2 : 8;
		if (alloc > SIZE_MAX / sizeof(*v))
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		v = realloc(r->structs, alloc * sizeof(*v));
		if (v == NULL)
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		r->structs = v;
		r->alloc_structs = alloc;
	}
	r->structs[r->n_structs++] = obj;
	return ERR_OK;
}

bool tmpl_run_is_struct(const struct tmpl_run *r, const json_t *v)
{
	size_t i;

	if (r == NULL || !json_is_object(v))
		return false;
	for (i = 0; i < r->n_structs; i++)
		if (r->structs[i] == v)
			return true;
	return false;
}

static err_t emit(struct tmpl_run *r, const void *p, size_t n)
{
	err_t rc;

	if (n > TMPL_MAX_OUTPUT ||
	    r->out->len - r->out_start > TMPL_MAX_OUTPUT - n)
		return tmpl_fail(r, ERR_TOO_LARGE,
		                 "output larger than %zu bytes",
		                 TMPL_MAX_OUTPUT);
	rc = buf_append(r->out, p, n);
	if (rc != ERR_OK)
		return tmpl_fail(r, rc, "writing the output: %s", err_str(rc));
	return ERR_OK;
}

static err_t emit_value(struct tmpl_run *r, const json_t *v)
{
	struct buf b;
	err_t rc;

	if (json_is_string(v))
		return emit(r, json_string_value(v), json_string_length(v));
	buf_init(&b, TMPL_MAX_OUTPUT);
	rc = tmpl_print(r, &b, v, "<no value>");
	if (rc == ERR_OK)
		rc = emit(r, b.data, b.len);
	else
		rc = tmpl_fail(r, rc, "cannot print a %s value",
		               tmpl_type_name(v));
	buf_release(&b);
	return rc;
}

static err_t exec_action(struct tmpl_run *r, const struct tmpl_node *n,
                         json_t *dot)
{
	json_t *v = NULL;
	err_t rc;

	rc = tmpl_eval_pipe(r, n->pipe, dot, true, &v);
	/* A declaration prints nothing: {{ $x := 1 }}. */
	if (rc == ERR_OK && n->pipe->n_decl == 0)
		rc = emit_value(r, v);
	json_decref(v);
	return rc;
}

/* if and with, with their {{else if}}/{{else with}} clauses. */
static err_t exec_if(struct tmpl_run *r, const struct tmpl_node *n, json_t *dot,
                     enum tmpl_flow *flow)
{
	size_t mark = r->n_vars;
	const struct tmpl_node *c;
	json_t *v = NULL;
	err_t rc = ERR_OK;

	for (c = n; c != NULL && rc == ERR_OK; c = c->chain) {
		rc = tmpl_eval_pipe(r, c->pipe, dot, true, &v);
		if (rc != ERR_OK)
			break;
		if (tmpl_truth(v)) {
			rc = tmpl_exec_list(r, &c->body,
			                    c->kind == TN_WITH ? v : dot, flow);
			json_decref(v);
			break;
		}
		json_decref(v);
		if (c->chain == NULL)
			rc = tmpl_exec_list(r, &c->alt, dot, flow);
	}
	tmpl_var_pop(r, mark);
	return rc;
}

/* One pass of a range body; key may be NULL when no variable wants it. */
static err_t iterate(struct tmpl_run *r, const struct tmpl_node *n, json_t *key,
                     json_t *elem, enum tmpl_flow *flow)
{
	const struct tmpl_pipe *p = n->pipe;
	size_t mark = r->n_vars;
	err_t rc = ERR_OK;

	if (++r->iters > TMPL_MAX_ITERS)
		return tmpl_fail(r, ERR_TOO_LARGE,
		                 "more than %d range iterations",
		                 TMPL_MAX_ITERS);
	if (p->n_decl == 2)
		rc = tmpl_var_push(r, p->decl[0], key);
	if (rc == ERR_OK && p->n_decl > 0)
		rc = tmpl_var_push(r, p->decl[p->n_decl - 1], elem);
	if (rc == ERR_OK)
		rc = tmpl_exec_list(r, &n->body, elem, flow);
	tmpl_var_pop(r, mark);
	return rc;
}

static err_t range_array(struct tmpl_run *r, const struct tmpl_node *n,
                         json_t *v)
{
	enum tmpl_flow flow = TF_NEXT;
	json_t *key = NULL;
	size_t i;
	err_t rc = ERR_OK;

	for (i = 0; i < json_array_size(v) && rc == ERR_OK; i++) {
		if (n->pipe->n_decl == 2 &&
		    (key = json_integer((json_int_t)i)) == NULL)
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		rc = iterate(r, n, key, json_array_get(v, i), &flow);
		json_decref(key);
		key = NULL;
		if (flow == TF_BREAK)
			break;
	}
	return rc;
}

static int key_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

static err_t range_object(struct tmpl_run *r, const struct tmpl_node *n,
                          json_t *v)
{
	enum tmpl_flow flow = TF_NEXT;
	size_t count = json_object_size(v), i = 0;
	const char **keys;
	json_t *key = NULL;
	void *it;
	err_t rc = ERR_OK;

	keys = calloc(count, sizeof(*keys));
	if (keys == NULL)
		return tmpl_fail(r, ERR_NOMEM, "out of memory");
	for (it = json_object_iter(v); it != NULL && i < count;
	     it = json_object_iter_next(v, it))
		keys[i++] = json_object_iter_key(it);
	qsort(keys, i, sizeof(*keys), key_cmp);

	for (count = i, i = 0; i < count && rc == ERR_OK; i++) {
		if (n->pipe->n_decl == 2 &&
		    (key = json_string_nocheck(keys[i])) == NULL) {
			rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
			break;
		}
		rc = iterate(r, n, key, json_object_get(v, keys[i]), &flow);
		json_decref(key);
		key = NULL;
		if (flow == TF_BREAK)
			break;
	}
	free(keys);
	return rc;
}

static err_t range_integer(struct tmpl_run *r, const struct tmpl_node *n,
                           json_int_t count)
{
	enum tmpl_flow flow = TF_NEXT;
	json_t *elem;
	json_int_t i;
	err_t rc = ERR_OK;

	if (n->pipe->n_decl == 2)
		return tmpl_fail(r, ERR_INVALID,
		                 "can't use two variables ranging over an int");
	for (i = 0; i < count && rc == ERR_OK && flow != TF_BREAK; i++) {
		elem = json_integer(i);
		if (elem == NULL)
			return tmpl_fail(r, ERR_NOMEM, "out of memory");
		rc = iterate(r, n, NULL, elem, &flow);
		json_decref(elem);
	}
	return rc;
}

static err_t exec_range(struct tmpl_run *r, const struct tmpl_node *n,
                        json_t *dot, enum tmpl_flow *flow)
{
	size_t mark = r->n_vars;
	json_t *v = NULL;
	err_t rc;

	rc = tmpl_eval_pipe(r, n->pipe, dot, false, &v);
	if (rc != ERR_OK)
		return rc;
	r->line = n->line;
	if (json_is_array(v) && json_array_size(v) > 0)
		rc = range_array(r, n, v);
	else if (json_is_object(v) && json_object_size(v) > 0)
		rc = range_object(r, n, v);
	else if (json_is_integer(v) && json_integer_value(v) > 0)
		rc = range_integer(r, n, json_integer_value(v));
	else if (json_is_array(v) || json_is_object(v) || json_is_null(v) ||
	         json_is_integer(v))
		rc = tmpl_exec_list(r, &n->alt, dot, flow);
	else
		rc = tmpl_fail(r, ERR_INVALID, "range can't iterate over %s",
		               tmpl_type_name(v));
	json_decref(v);
	tmpl_var_pop(r, mark);
	return rc;
}

err_t tmpl_exec_list(struct tmpl_run *r, const struct tmpl_list *l, json_t *dot,
                     enum tmpl_flow *flow)
{
	const struct tmpl_node *n;
	size_t i;
	err_t rc = ERR_OK;

	*flow = TF_NEXT;
	for (i = 0; i < l->n && rc == ERR_OK && *flow == TF_NEXT; i++) {
		n = l->v[i];
		r->line = n->line;
		switch (n->kind) {
		case TN_TEXT:
			rc = emit(r, n->text, n->len);
			break;
		case TN_ACTION:
			rc = exec_action(r, n, dot);
			break;
		case TN_IF:
		case TN_WITH:
			rc = exec_if(r, n, dot, flow);
			break;
		case TN_RANGE:
			rc = exec_range(r, n, dot, flow);
			break;
		case TN_BREAK:
			*flow = TF_BREAK;
			break;
		case TN_CONTINUE:
			*flow = TF_CONTINUE;
			break;
		}
	}
	return rc;
}

static void run_release(struct tmpl_run *r)
{
	size_t i;

	tmpl_var_pop(r, 0);
	free(r->vars);
	for (i = 0; i < r->n_fetched; i++) {
		buf_release(&r->fetched[i].key);
		json_decref(r->fetched[i].value);
	}
	free(r->fetched);
	free(r->structs);
}

err_t tmpl_render(const struct tmpl *t, const struct tmpl_env *env,
                  struct buf *out, struct buf *errmsg)
{
	struct tmpl_run r = {0};
	enum tmpl_flow flow;
	err_t rc;

	if (t == NULL || out == NULL)
		return ERR_INVALID;
	r.t = t;
	r.env = env;
	r.out = out;
	r.out_start = out->len;
	r.errmsg = errmsg;
	r.line = 1;

	rc = tmpl_var_push(&r, "$", json_null());
	if (rc == ERR_OK)
		rc = tmpl_exec_list(&r, &t->root, json_null(), &flow);
	run_release(&r);
	return rc;
}

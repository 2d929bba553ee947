/*
 * template_internal.h - the pieces of the template engine shared between
 * its files: tokens (template_lex.c), the syntax tree (template_parse.c),
 * the render state (template_render.c, template_eval.c), values
 * (template_value.c, template_json.c) and the function library
 * (template_funcs.c, template_strings.c, template_printf.c,
 * template_secret.c). Nothing here is for use outside src/agent/.
 *
 * Values are jansson values throughout. Go's "no value" (a missing map
 * key) and JSON null are the same thing here: json_null(). A secret
 * response is an object whose fields are a closed set, like the struct
 * consul-template hands to its templates; the render state remembers
 * which objects are such structs (tmpl_run_is_struct).
 */
#ifndef COFFER_AGENT_TEMPLATE_INTERNAL_H
#define COFFER_AGENT_TEMPLATE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/template.h"
#include "base/buf.h"
#include "base/error.h"

/* Limits that keep a hostile or broken template from hurting the agent. */
#define TMPL_MAX_SOURCE ((size_t)1 << 20)   /* template text */
#define TMPL_MAX_DEPTH  64                  /* nested blocks and parens */
#define TMPL_MAX_OUTPUT ((size_t)16 << 20)  /* rendered text */
#define TMPL_MAX_ITERS  1000000             /* range iterations per render */
#define TMPL_MAX_STEPS  10000000            /* commands run per render */
#define TMPL_MAX_WORK   ((size_t)256 << 20) /* bytes functions build/scan */
#define TMPL_MAX_JSON   512                 /* nesting of printed values */

/* ---- tokens ---------------------------------------------------------- */

enum tmpl_tok_kind {
	TK_EOF,
	TK_TEXT,    /* text between actions, trimmed as the markers ask */
	TK_OPEN,    /* {{ */
	TK_CLOSE,   /* }} */
	TK_IDENT,   /* a function name or a keyword */
	TK_FIELD,   /* .Name (one link of a chain) */
	TK_VAR,     /* $ or $name */
	TK_DOT,     /* . alone */
	TK_STRING,  /* "..." as written, quotes included */
	TK_RAW,     /* `...` as written, quotes included */
	TK_CHAR,    /* 'x' as written, quotes included */
	TK_NUMBER,  /* as written */
	TK_PIPE,    /* | */
	TK_LPAREN,  /* ( */
	TK_RPAREN,  /* ) */
	TK_DECLARE, /* := */
	TK_ASSIGN,  /* = */
	TK_COMMA,   /* , */
};

/* A token is a slice of the source; it owns nothing. */
struct tmpl_tok {
	enum tmpl_tok_kind kind;
	int line;
	bool spaced; /* whitespace came right before it */
	const char *p;
	size_t n;
};

/*
 * Splits src into tokens, ending with TK_EOF. On success *out is a heap
 * array the caller frees. On failure returns ERR_INVALID (ERR_NOMEM when
 * memory runs out) with "name:line: reason" in errmsg.
 */
err_t tmpl_lex(const char *name, const char *src, size_t len,
               struct tmpl_tok **out, size_t *n_out, struct buf *errmsg);

/* Appends "name:line: reason" to errmsg and returns code. */
err_t tmpl_error(struct buf *errmsg, const char *name, int line, err_t code,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Literals (template_literal.c); ERR_INVALID for a malformed one. */
err_t tmpl_unquote(const char *p, size_t n, struct buf *out);
err_t tmpl_char_value(const char *p, size_t n, json_int_t *out);
err_t tmpl_number_value(const char *p, size_t n, json_t **out);

/* Appends code point c as UTF-8 unless *rc already holds an error. */
void tmpl_put_utf8(struct buf *b, uint32_t c, err_t *rc);

/* ---- the syntax tree ------------------------------------------------- */

struct tmpl_run;

/*
 * A library function. args are borrowed; on success *out is a new
 * reference. Failures go through tmpl_fail so that the message carries
 * the line and the function's name.
 */
typedef err_t (*tmpl_call_fn)(struct tmpl_run *r, json_t *const *args, size_t n,
                              json_t **out);

enum tmpl_lazy {
	TMPL_LAZY_NONE,
	TMPL_LAZY_AND, /* and/or: arguments evaluated one at a time */
	TMPL_LAZY_OR,
};

struct tmpl_func {
	const char *name;
	size_t min_args;
	size_t max_args;   /* TMPL_VARIADIC: no upper bound */
	tmpl_call_fn call; /* NULL for the lazy ones */
	enum tmpl_lazy lazy;
};

#define TMPL_VARIADIC ((size_t)-1)

/* The function called name (n bytes), or NULL when there is none. */
const struct tmpl_func *tmpl_func_find(const char *name, size_t n);

enum tmpl_arg_kind {
	TA_DOT,   /* . */
	TA_FIELD, /* .A.B: fields of dot */
	TA_VAR,   /* $x.A.B */
	TA_PIPE,  /* (pipeline).A.B */
	TA_FUNC,  /* a function: called when it heads a command, or alone */
	TA_CONST, /* a literal */
};

struct tmpl_pipe;

struct tmpl_arg {
	enum tmpl_arg_kind kind;
	char *var;                  /* TA_VAR: the name with its '$' */
	const struct tmpl_func *fn; /* TA_FUNC */
	struct tmpl_pipe *pipe;     /* TA_PIPE */
	json_t *value;              /* TA_CONST */
	char **fields;              /* the chain after the term */
	size_t n_fields;
};

struct tmpl_cmd {
	struct tmpl_arg *args; /* args[0] is the function or the operand */
	size_t n_args;
};

struct tmpl_pipe {
	int line;
	char *decl[2]; /* variables declared or assigned, '$' included */
	size_t n_decl;
	bool assign; /* = rather than := */
	struct tmpl_cmd *cmds;
	size_t n_cmds;
};

enum tmpl_node_kind {
	TN_TEXT,
	TN_ACTION,
	TN_IF,
	TN_WITH,
	TN_RANGE,
	TN_BREAK,
	TN_CONTINUE,
};

struct tmpl_node;

struct tmpl_list {
	struct tmpl_node **v;
	size_t n, alloc;
};

struct tmpl_node {
	enum tmpl_node_kind kind;
	int line;
	char *text; /* TN_TEXT */
	size_t len;
	struct tmpl_pipe *pipe; /* TN_ACTION, TN_IF, TN_WITH, TN_RANGE */
	struct tmpl_list body;
	struct tmpl_list alt;    /* the {{else}} part */
	struct tmpl_node *chain; /* {{else if}} / {{else with}}: next clause */
};

struct tmpl {
	char *name;
	struct tmpl_list root;
};

/* ---- rendering ------------------------------------------------------- */

struct tmpl_var {
	const char *name; /* borrowed from the tree */
	json_t *value;    /* owned */
};

/* One secret or list fetched during a render, kept for its repeats. */
struct tmpl_fetch {
	struct buf key; /* kind, path and parameters: may hold secrets */
	json_t *value;
};

struct tmpl_run {
	const struct tmpl *t;
	const struct tmpl_env *env;
	struct buf *out;
	size_t out_start;
	struct buf *errmsg;
	int line;         /* of the pipeline being run, for messages */
	const char *func; /* the function being called, for messages */

	struct tmpl_var *vars;
	size_t n_vars, alloc_vars;
	struct tmpl_fetch *fetched;
	size_t n_fetched, alloc_fetched;
	const json_t **structs; /* objects with a closed set of fields */
	size_t n_structs, alloc_structs;

	size_t steps, iters, work;
	bool failed; /* a reason is recorded in errmsg */
};

/*
 * Records why the render fails ("name:line: func: reason") unless a
 * reason is already recorded, and returns code.
 */
err_t tmpl_fail(struct tmpl_run *r, err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Counts n bytes built or scanned; fails past TMPL_MAX_WORK. */
err_t tmpl_charge(struct tmpl_run *r, size_t n);

/* Marks obj (kept alive by the render) as a struct: fields are closed. */
err_t tmpl_run_add_struct(struct tmpl_run *r, const json_t *obj);
bool tmpl_run_is_struct(const struct tmpl_run *r, const json_t *v);

/* Runs a list of nodes (template_render.c). */
enum tmpl_flow { TF_NEXT, TF_BREAK, TF_CONTINUE };
err_t tmpl_exec_list(struct tmpl_run *r, const struct tmpl_list *l, json_t *dot,
                     enum tmpl_flow *flow);

/*
 * Evaluates a pipeline with dot as "." (template_eval.c); with declare,
 * its variable is declared or assigned (a range sets its own per
 * element instead). On success *out is a new reference.
 */
err_t tmpl_eval_pipe(struct tmpl_run *r, const struct tmpl_pipe *p, json_t *dot,
                     bool declare, json_t **out);

/* Variables: push takes a new reference; pop drops back to mark. */
err_t tmpl_var_push(struct tmpl_run *r, const char *name, json_t *value);
void tmpl_var_pop(struct tmpl_run *r, size_t mark);

/* ---- values ---------------------------------------------------------- */

/* A string value from bytes that need not be UTF-8; NULL without memory. */
json_t *tmpl_string(const char *p, size_t n);

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0. */
size_t tmpl_utf8_len(const unsigned char *p, size_t n);

/* eq without failing: values that cannot be compared are different. */
bool tmpl_same(const json_t *a, const json_t *b);

/* Go's notion of truth: false, 0, "", empty, null are false. */
bool tmpl_truth(const json_t *v);

/* Go's name for the type of v as fmt shows it ("string", "int", ...). */
const char *tmpl_type_name(const json_t *v);

/*
 * Appends v as {{ v }} prints it: strings raw, numbers as written in
 * JSON, bools, null as nil_text, objects and arrays as compact JSON.
 */
err_t tmpl_print(const struct tmpl_run *r, struct buf *b, const json_t *v,
                 const char *nil_text);

/*
 * The shortest text that reads back as d: JSON style (1000000, 1e+21,
 * 1e-7), or with go_g as Go's %g writes it (1e+06, 1e-07).
 */
void tmpl_real_text(double d, bool go_g, char out[40]);

/*
 * Compares a and b for eq/ne (*equal) or lt/le/gt/ge (*order < 0, 0,
 * > 0). ERR_INVALID for types that cannot be compared, with the reason
 * recorded through tmpl_fail.
 */
err_t tmpl_equal(struct tmpl_run *r, const json_t *a, const json_t *b,
                 bool *equal);
err_t tmpl_order(struct tmpl_run *r, const json_t *a, const json_t *b,
                 int *order);

/* The field name of v, as .name reads it; *out is a new reference. */
err_t tmpl_field(struct tmpl_run *r, json_t *v, const char *name, json_t **out);

/* Argument helpers: a string argument, an integer argument. */
err_t tmpl_arg_string(struct tmpl_run *r, const json_t *v, const char **p,
                      size_t *n);

/*
 * JSON text of v (template_json.c) the way Go's encoder writes it: keys
 * of maps sorted, struct fields in their order, <, > and & escaped when
 * html is set, invalid UTF-8 as U+FFFD; indent 0 for compact, else that
 * many spaces per level.
 */
err_t tmpl_json(const struct tmpl_run *r, const json_t *v, bool html,
                int indent, struct buf *out);

/* ---- functions defined outside template_funcs.c ---------------------- */

err_t tmpl_fn_secret(struct tmpl_run *r, json_t *const *args, size_t n,
                     json_t **out);
err_t tmpl_fn_secrets(struct tmpl_run *r, json_t *const *args, size_t n,
                      json_t **out);
err_t tmpl_fn_printf(struct tmpl_run *r, json_t *const *args, size_t n,
                     json_t **out);
err_t tmpl_fn_print(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out);
err_t tmpl_fn_println(struct tmpl_run *r, json_t *const *args, size_t n,
                      json_t **out);

/* String functions (template_strings.c). */
err_t tmpl_fn_base64_encode(struct tmpl_run *r, json_t *const *args, size_t n,
                            json_t **out);
err_t tmpl_fn_base64_decode(struct tmpl_run *r, json_t *const *args, size_t n,
                            json_t **out);
err_t tmpl_fn_base64url_encode(struct tmpl_run *r, json_t *const *args,
                               size_t n, json_t **out);
err_t tmpl_fn_base64url_decode(struct tmpl_run *r, json_t *const *args,
                               size_t n, json_t **out);
err_t tmpl_fn_contains(struct tmpl_run *r, json_t *const *args, size_t n,
                       json_t **out);
err_t tmpl_fn_in(struct tmpl_run *r, json_t *const *args, size_t n,
                 json_t **out);
err_t tmpl_fn_split(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out);
err_t tmpl_fn_join(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out);
err_t tmpl_fn_trim_space(struct tmpl_run *r, json_t *const *args, size_t n,
                         json_t **out);
err_t tmpl_fn_trim_prefix(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out);
err_t tmpl_fn_trim_suffix(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out);
err_t tmpl_fn_to_upper(struct tmpl_run *r, json_t *const *args, size_t n,
                       json_t **out);
err_t tmpl_fn_to_lower(struct tmpl_run *r, json_t *const *args, size_t n,
                       json_t **out);
err_t tmpl_fn_replace_all(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out);
err_t tmpl_fn_sha256_hex(struct tmpl_run *r, json_t *const *args, size_t n,
                         json_t **out);

#endif

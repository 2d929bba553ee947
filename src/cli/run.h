/*
 * run.h - `coffer run`: start a program with secrets in its environment.
 *
 *   coffer run -env DB_PASSWORD=secret/data/app#password \
 *              -env-file app.env.tpl -- ./server --flag
 *
 * Each variable names a reference, PATH#FIELD: the secret at PATH is read
 * once (however many variables point into it) and FIELD is looked up in
 * data.data for a KV version 2 read (secret/data/...), in data for
 * anything else. Without "#FIELD" the secret must hold exactly one field.
 * "NAME=literal:VALUE" sets a plain value. Every reference is resolved
 * before the program starts; any failure stops coffer with exit code 1 and
 * the program never runs.
 *
 * This header also holds the parsers for references and env files, which
 * have unit tests of their own.
 */
#ifndef COFFER_CLI_RUN_H
#define COFFER_CLI_RUN_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

/* The "literal:" prefix that makes a reference a plain value. */
#define ENVREF_LITERAL "literal:"

/* One variable to set in the program's environment. */
struct envref {
	char *name;    /* a shell variable name: [A-Za-z_][A-Za-z0-9_]* */
	char *path;    /* the secret's API path; NULL for a literal */
	char *field;   /* NULL: the secret's one and only field */
	char *literal; /* the value of a literal (a secret); else NULL */
};

/* The variables in the order they were given; a name appears once. */
struct envref_list {
	struct envref *items;
	size_t n;
	size_t alloc;
};

/* Wipes and frees every entry; l may be NULL or empty. */
void envref_list_release(struct envref_list *l);

/*
 * Parses "NAME=REFERENCE" (len bytes at spec, no NUL needed) and adds it to
 * l; a name already in l takes the new reference (the last one given
 * wins). Space around the name and around the reference is dropped. On
 * bad input returns ERR_INVALID with a message naming what is wrong in msg
 * (the reference itself is repeated, never a literal's value); l is then
 * unchanged. ERR_NOMEM otherwise.
 */
err_t envref_list_add(struct envref_list *l, const char *spec, size_t len,
                      struct buf *msg);

/*
 * Parses the text of an env file: one NAME=REFERENCE a line, an optional
 * "export " before the name, blank lines and lines starting with "#"
 * ignored (a "#" further on is part of the reference, PATH#FIELD). source
 * names the file in messages, which also give the line number. Returns as
 * envref_list_add; entries added before a bad line stay in l.
 */
err_t envref_parse_file(const char *text, size_t len, const char *source,
                        struct envref_list *l, struct buf *msg);

/*
 * Finds field (NULL: the only one) in body, the answer to a read of path:
 * in data.data when the answer is a KV version 2 read, in data otherwise.
 * Appends the value to value (a string as it is, null as nothing, any
 * other JSON value as compact JSON). Returns ERR_NOT_FOUND (no such field,
 * or no data at all), ERR_INVALID (no field named and not exactly one, or a
 * value with a NUL byte, which no environment can hold), each with a
 * message in msg that names fields but never shows a value; ERR_NOMEM.
 */
err_t envref_pick(json_t *body, const char *path, const char *field,
                  struct buf *value, struct buf *msg);

/* The command; see the usage text in cmd_run.c. */
int cmd_run(int argc, char **argv);

#endif

/*
 * flags.h - command-line flags spelled the way Vault's CLI spells them.
 *
 * A flag is one dash (two are accepted too) and a name, with its value
 * either glued on ("-format=json") or in the next argument ("-format json").
 * A boolean flag never takes the next argument: "-detailed" sets it,
 * "-detailed=false" clears it. Flags come before the positional arguments,
 * as with Go's flag package that Vault's CLI is built on: parsing stops at
 * the first argument that is not a flag, at a lone "-" (which commands read
 * as "standard input"), or after "--".
 */
#ifndef COFFER_CLI_FLAGS_H
#define COFFER_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

enum flag_kind {
	FLAG_BOOL,   /* target: bool * */
	FLAG_STRING, /* target: const char ** (points into argv) */
	FLAG_INT,    /* target: int64_t *, a decimal integer */
	FLAG_LIST,   /* target: struct flag_list *, one item per use */
};

/* The values of a flag that may be given several times. */
struct flag_list {
	const char **items; /* point into argv; the array is heap */
	size_t n;
};

struct flag_def {
	const char *name; /* without the dash; NULL ends a table */
	enum flag_kind kind;
	void *target;
};

/*
 * Parses the flags at the front of argv[0..argc) against the table defs
 * (ended by an entry whose name is NULL) and stores their values in the
 * targets. On success *first is the index of the first positional argument.
 * On a usage error (unknown flag, a missing or malformed value) returns
 * ERR_INVALID with a one-line message in msg; ERR_NOMEM when a list cannot
 * grow. String values point into argv and are not copied.
 */
err_t flags_parse(const struct flag_def *defs, int argc, char **argv,
                  int *first, struct buf *msg);

/* Frees the array of a list flag (not the strings); l may hold nothing. */
void flags_list_release(struct flag_list *l);

#endif

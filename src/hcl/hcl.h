/*
 * hcl.h - a small, strict parser for HCL (version 1 syntax) and JSON.
 *
 * Used for the server configuration and for ACL policies. The text becomes
 * a tree of nodes, each with the line and column it came from, so that a
 * consumer can say "file:line: reason". The parser knows no schema: it
 * keeps every member in source order, repeated keys included, and leaves
 * it to the consumer to decide what is allowed.
 *
 * The syntax taken:
 *
 *   # comment, // comment, and block comments
 *   key = "value"                  strings with \" \\ \/ \b \f \n \r \t
 *                                  and \uXXXX escapes (surrogate pairs too)
 *   "quoted key" = 12              integers (int64), floats, true, false
 *   list = ["a", "b",]             trailing comma and newlines allowed
 *   object = { a = 1, b = 2 }      commas between members are optional
 *   name { ... }                   a block: same as name = { ... }
 *   name "label" "label2" { ... }  a labelled block
 *   text = <<EOF                   heredoc; every line keeps its newline
 *   ...
 *   EOF
 *   text = <<-EOF                  indented heredoc: the marker may be
 *     ...                          indented, and the common leading
 *     EOF                          whitespace of the lines is removed
 *
 * Bare keys are made of letters, digits, '_', '-' and '.', starting with a
 * letter or '_'. A value must start on the line of its '='. A document
 * whose first token is '{' is read as JSON (quoted keys, ':', commas, no
 * trailing comma) and produces the same kind of tree; its nested objects
 * stand for labels (see hcl_blocks). A leading UTF-8 byte order mark is
 * skipped.
 *
 * Rejected, with the line, the column and a reason: anything outside that
 * syntax, invalid UTF-8, a NUL byte anywhere (also as \u0000), null,
 * nesting deeper than HCL_MAX_DEPTH and input larger than HCL_MAX_INPUT.
 * Not supported: ${...} interpolation (text inside strings is kept as it
 * is, which is what Vault's {{identity...}} policy templates need), hex
 * and octal numbers.
 */
#ifndef COFFER_HCL_HCL_H
#define COFFER_HCL_HCL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define HCL_MAX_INPUT  ((size_t)1 << 20)
#define HCL_MAX_DEPTH  100
#define HCL_MAX_LABELS 4

enum hcl_type {
	HCL_OBJECT, /* members in child, each with a key */
	HCL_LIST,   /* items in child, without keys */
	HCL_STRING,
	HCL_INT,
	HCL_FLOAT,
	HCL_BOOL,
};

/*
 * One value. As a member of an object it also carries its key (and the
 * labels of block syntax); as a list item or the root its key is NULL.
 * line and col (1-based, col counts characters) point at the key of a
 * member, or at the value of a list item.
 */
struct hcl_node {
	enum hcl_type type;
	int line, col;
	char *key;
	/* Block syntax: path "kv/a" { } has key "path" and labels {"kv/a"}. */
	char **labels;
	size_t n_labels;
	struct hcl_node *child; /* OBJECT and LIST: first member or item */
	size_t n_children;
	struct hcl_node *next; /* the next member or item, in source order */
	char *str;             /* STRING: NUL-terminated, never holds a NUL */
	size_t len;            /* STRING: strlen(str) */
	int64_t i;             /* INT */
	double f;              /* FLOAT */
	bool b;                /* BOOL */
};

struct hcl_error {
	int line, col; /* 0 when the error has no position (input too large) */
	char msg[200];
};

/*
 * Parses len bytes of text (no terminator needed). On success *out is the
 * root, an HCL_OBJECT holding the top-level members, which the caller
 * frees with hcl_free. On failure returns ERR_INVALID (or ERR_NOMEM) with
 * *out NULL and, when err is not NULL, the position and reason in err.
 */
err_t hcl_parse(const char *text, size_t len, struct hcl_node **out,
                struct hcl_error *err);

/* Frees a tree returned by hcl_parse; strings are wiped first. NULL is ok. */
void hcl_free(struct hcl_node *root);

/*
 * Appends the file at path to out, reading at most one byte more than
 * HCL_MAX_INPUT (hcl_parse then refuses it as too large). On failure
 * returns ERR_IO (or ERR_NOMEM) and puts "cannot read file: <reason>"
 * into why; out must be released by the caller in every case.
 */
err_t hcl_read_file(const char *path, struct buf *out, struct buf *why);

/* The first member of obj named key, or NULL (also when obj is no object). */
const struct hcl_node *hcl_get(const struct hcl_node *obj, const char *key);

/* How many members of obj are named key. */
size_t hcl_count(const struct hcl_node *obj, const char *key);

/* "object", "list", "string", "number", "bool": for error messages. */
const char *hcl_type_name(enum hcl_type type);

/* One block found by hcl_blocks. */
struct hcl_block {
	const char *labels[HCL_MAX_LABELS]; /* point into the tree */
	const struct hcl_node *body;        /* an HCL_OBJECT */
	int line, col;                      /* where the block starts */
};

/*
 * Collects the blocks named name among the members of obj that take
 * exactly n_labels labels (n_labels <= HCL_MAX_LABELS), in source order.
 * Labels may be written in block syntax (path "a" { }), or as nested
 * objects the way JSON has to ("path": {"a": { }}, also "path" = { "a" =
 * { } } in HCL), where one object may hold several labelled blocks, and a
 * list of such objects ("listener": [{"tcp": { }}, {"tcp": { }}]) stands
 * for repeated blocks. Returns ERR_INVALID with err filled when a block is
 * not an object or has the wrong number of labels, ERR_NOMEM when memory
 * runs out. On success *out is a heap array of *n blocks (NULL when there
 * are none) that the caller frees with free(); it points into obj, which
 * must outlive it.
 */
err_t hcl_blocks(const struct hcl_node *obj, const char *name, size_t n_labels,
                 struct hcl_block **out, size_t *n, struct hcl_error *err);

#endif

/*
 * filter.h - audit filter expressions: which records a device takes.
 *
 * A device enabled with the option filter="<expression>" records only the
 * requests (and their responses) the expression is true for, so that a
 * SIEM receives only what it wants. The language is the one Vault 1.16+
 * takes for its audit `filter` option (HashiCorp's go-bexpr):
 *
 *   mount_type == "kv" and operation != "list"
 *   not (namespace == "") or path matches "^auth/.+/login$"
 *   "secret/" in mount_point
 *
 * Fields: mount_point ("secret/", "" before routing), mount_type ("kv"),
 * namespace ("" for the root namespace, "team-a/" below it), operation
 * ("read", "update", ...) and path ("secret/data/app"). A field may also
 * be named by a JSON pointer string ("/mount_type").
 *
 * Matches, each on one field:
 *   F == V, F != V                 exact equality
 *   F is empty, F is not empty     the empty string
 *   F contains V, F not contains V V is a substring of F
 *   V in F, V not in F             the same, written the other way round
 *   F matches V, F not matches V   V is a POSIX extended regular expression
 *                                  found anywhere in F (not Go's RE2: \d
 *                                  and friends are not known)
 * and `not`, `and`, `or` (in that order of precedence) and parentheses.
 * A value is a "double-quoted" string (escapes \" \\ \/ \n \r \t \b \f
 * \v \a, \xHH, \uXXXX), a `raw string`, a number or a bare word
 * (letters, digits, '_', '/', '.').
 *
 * Limits, so that an expression can cost neither much memory nor much
 * time per record: AUDIT_FILTER_MAX_LEN bytes, AUDIT_FILTER_MAX_DEPTH
 * levels of parentheses and `not`, regular expressions of at most
 * AUDIT_FILTER_MAX_REGEX bytes without back-references, without a
 * repetition of something repeated ("(a+)*"), and with at most one
 * counted repetition ({m,n}) of at most 16: glibc's regcomp copies what
 * is repeated, so such patterns grow exponentially.
 */
#ifndef COFFER_AUDIT_FILTER_H
#define COFFER_AUDIT_FILTER_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"

#define AUDIT_FILTER_MAX_LEN   4096
#define AUDIT_FILTER_MAX_DEPTH 32
#define AUDIT_FILTER_MAX_REGEX 256

struct audit_filter;

/* What a filter can look at: the record's request, as strings. NULL
 * counts as "". All borrowed. */
struct audit_filter_fields {
	const char *mount_point;
	const char *mount_type;
	const char *ns; /* "namespace" */
	const char *operation;
	const char *path;
};

/*
 * Parses expr (a NUL-terminated string) into *out, which the caller frees
 * with audit_filter_free. An expression that does not parse, names an
 * unknown field or breaks a limit: ERR_INVALID, with a message for the
 * operator ("... at column N") appended to msg. ERR_NOMEM when memory ran
 * out.
 */
err_t audit_filter_parse(const char *expr, struct audit_filter **out,
                         struct buf *msg);

/* Whether f takes the record with these fields. f is read only, so many
 * threads may match against one filter at once. */
bool audit_filter_match(const struct audit_filter *f,
                        const struct audit_filter_fields *in);

/* Frees f; NULL is fine. */
void audit_filter_free(struct audit_filter *f);

#endif

/*
 * agent_delim.h - templates written with other delimiters.
 *
 * A template's left_delimiter and right_delimiter (say "[[" and "]]")
 * let a file that holds literal "{{" (a Helm chart, a Jinja file) be a
 * template. The engine (template.h) knows only "{{" and "}}", so such a
 * template is rewritten before it is parsed:
 *
 *   - each action "[[ ... ]]" becomes "{{ ... }}"; quoted strings, raw
 *     strings, character constants and comments inside it are copied as
 *     they are, so a "]]" in them does not end the action;
 *   - a "{" of the text that the engine would read as part of "{{"
 *     becomes the action {{"{"}}, which prints a "{".
 *
 * No line break is added or removed, so the engine's line numbers are
 * those of the file.
 */
#ifndef COFFER_AGENT_AGENT_DELIM_H
#define COFFER_AGENT_AGENT_DELIM_H

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

/*
 * Appends src[0..len) rewritten from left/right (NULL: "{{" and "}}") to
 * out. With the default delimiters the text is copied unchanged. An empty
 * delimiter, or one holding white space, is ERR_INVALID with a reason in
 * errmsg; ERR_NOMEM or ERR_TOO_LARGE when out cannot grow.
 */
err_t agent_delim_translate(const char *src, size_t len, const char *left,
                            const char *right, struct buf *out,
                            struct buf *errmsg);

#endif

/*
 * path.h - the request target: API path and query string.
 *
 * The path is decoded and brought to one canonical form here, before any
 * routing or policy check sees it, so that the path that is authorised is
 * exactly the path that is acted on: "//" collapses, and "." or ".."
 * segments (also when percent-encoded) are refused rather than resolved.
 */
#ifndef COFFER_HTTP_PATH_H
#define COFFER_HTTP_PATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct http_target {
	char *path;    /* decoded, without "/v1/"; heap */
	json_t *query; /* object: key -> string, or array when repeated */
	bool list;     /* ?list=<true> */
	bool help;     /* ?help=<non-empty> */
};

void http_target_init(struct http_target *t);
void http_target_release(struct http_target *t);

/*
 * Parses the request target target[0..len) into t (initialised). The keys
 * "list" and "help" are taken out of the query. Returns ERR_NOT_FOUND when
 * the target is not under "/v1/", ERR_INVALID for a bad escape, a NUL or
 * control character, invalid UTF-8, a "." or ".." segment, or a list value
 * that is not a boolean, ERR_NOMEM. On failure *why is a static message and
 * t holds nothing that needs releasing beyond http_target_release.
 */
err_t http_target_parse(struct http_target *t, const char *target, size_t len,
                        const char **why);

/*
 * Adds the pairs of a "k=v&k2=v2" string (percent and plus decoding) to
 * the object obj. A repeated key becomes an array of its values. Returns
 * ERR_INVALID with *why set for a bad escape, a NUL or invalid UTF-8.
 */
err_t http_form_parse(const char *p, size_t n, json_t *obj, const char **why);

/*
 * Normalises a namespace path into buf-like storage: slashes trimmed and
 * collapsed, one trailing "/" added unless empty. out must hold n + 2
 * bytes. ERR_INVALID for "." or ".." segments, control characters or
 * invalid UTF-8.
 */
err_t http_namespace_normalise(const char *p, size_t n, char *out,
                               const char **why);

/* True when p[0..n) is well-formed UTF-8 (no overlongs or surrogates). */
bool http_utf8_valid(const char *p, size_t n);

#endif

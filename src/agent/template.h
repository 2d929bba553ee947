/*
 * Templates in the syntax Vault Agent and consul-template users already
 * write: Go text/template actions ({{ with secret "p" }}...{{ end }},
 * range, if/else, pipelines, variables, whitespace trimming) over JSON
 * values, with a small function library (toJSON, base64Encode, env, ...).
 *
 * Parsing and rendering are separate so that a template that does not
 * parse is refused when the agent starts, before anything is written.
 */
#ifndef COFFER_AGENT_TEMPLATE_H
#define COFFER_AGENT_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

struct tmpl;

/*
 * Fetches one secret for `secret "path"` (params NULL: a read) or
 * `secret "path" "k=v" ...` (params: a JSON object, a write). On success
 * *out is the server's whole response object (request_id, lease_id,
 * lease_duration, renewable, data, warnings), owned by the caller of the
 * callback (the renderer) afterwards. On failure returns an error and may
 * put a reason into errmsg; the render fails and nothing is written.
 */
typedef err_t (*tmpl_secret_fn)(void *ctx, const char *path,
                                const json_t *params, json_t **out,
                                struct buf *errmsg);

/* Lists keys for `secrets "path"`; *out is a JSON array of strings. */
typedef err_t (*tmpl_list_fn)(void *ctx, const char *path, json_t **out,
                              struct buf *errmsg);

struct tmpl_env {
	tmpl_secret_fn secret;
	tmpl_list_fn list; /* NULL: `secrets` fails the render */
	void *ctx;
	/* NULL-terminated KEY=VALUE list for `env`; NULL means environ. */
	char *const *environ;
};

/*
 * Parses src (len bytes, need not be NUL-terminated). name is used in
 * messages ("name:line: reason"). On failure returns ERR_INVALID, *out
 * stays NULL and errmsg says where and why.
 */
err_t tmpl_parse(const char *name, const char *src, size_t len,
                 struct tmpl **out, struct buf *errmsg);

/*
 * Renders t into out (appended). Any secret the template reads is fetched
 * through env. On failure returns an error, out holds a partial result
 * that the caller must discard (and wipe: it may hold secrets), and
 * errmsg says why.
 */
err_t tmpl_render(const struct tmpl *t, const struct tmpl_env *env,
                  struct buf *out, struct buf *errmsg);

void tmpl_free(struct tmpl *t);

#endif

/*
 * agent_render_internal.h - what agent_render.c (loading, file templates)
 * and agent_render_env.c (env_template values) share.
 */
#ifndef COFFER_AGENT_AGENT_RENDER_INTERNAL_H
#define COFFER_AGENT_AGENT_RENDER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/agent_render.h"
#include "agent/template.h"

#define RENDER_DIGEST_LEN 32

struct rtemplate {
	const struct agent_template *cfg;
	struct tmpl *t;
	unsigned char digest[RENDER_DIGEST_LEN]; /* env: of the last value */
	bool has_digest;
};

struct agent_render {
	const struct agent_config *cfg;
	struct agent_secrets *store;
	struct rtemplate *items; /* cfg->templates, in the same order */
	size_t n;
	size_t n_env;
	char **env_pending; /* values not yet taken by the exec child */
};

/*
 * Renders rt into out (wiped by the caller, also on failure); errmsg
 * says why it failed.
 */
err_t agent_render_text(struct agent_render *r, const struct rtemplate *rt,
                        struct buf *out, struct buf *errmsg);

/* The env_template part of a pass; adds its failures to res. */
void agent_render_env_pass(struct agent_render *r, struct agent_pass *res);

#endif

/*
 * agent_render.h - templates rendered to files and to the values of
 * env_template variables.
 *
 * Every template is read and parsed when the agent starts; one that does
 * not parse stops the agent before anything is written. A render pass
 * then renders each template (secrets through agent_secrets.h):
 *
 *   - a file template that fails keeps its previous file, and the reason
 *     is logged; one whose output equals the file (same bytes) is not
 *     written, only its perms are corrected; otherwise the file is
 *     replaced atomically with its perms already set (agent_file.h) and
 *     its command runs, waited for at most command_timeout;
 *   - the env_template values are all rendered or none: they change
 *     together, when at least one differs from the last pass.
 *
 * The rendered text is wiped as soon as it is written; for env values
 * only a SHA-256 of each is kept to notice a change, and the values wait
 * for the exec child in agent_render_take_env.
 */
#ifndef COFFER_AGENT_AGENT_RENDER_H
#define COFFER_AGENT_AGENT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/agent_config.h"
#include "agent/agent_secrets.h"
#include "base/buf.h"
#include "base/error.h"

struct agent_render;

/* What one pass did. */
struct agent_pass {
	size_t failed;    /* templates that did not render */
	size_t written;   /* files replaced */
	bool env_changed; /* new env values wait in agent_render_take_env */
};

/*
 * Reads and parses every template of cfg (which, with store, must
 * outlive the result). On failure returns ERR_INVALID (or ERR_IO, for a
 * source that cannot be read) with "name:line: reason" in errmsg, and
 * nothing has been written.
 */
err_t agent_render_new(const struct agent_config *cfg,
                       struct agent_secrets *store, struct agent_render **out,
                       struct buf *errmsg);

void agent_render_free(struct agent_render *r);

/* Renders every template once, as described above. */
void agent_render_pass(struct agent_render *r, struct agent_pass *res);

/* Whether there are env_templates at all. */
bool agent_render_has_env(const struct agent_render *r);

/*
 * Hands over the env values of the last pass that changed them, as a
 * NULL-ended array of "NAME=VALUE" strings, or NULL when none wait. The
 * caller frees it with agent_render_free_env, which wipes them.
 */
char **agent_render_take_env(struct agent_render *r);

void agent_render_free_env(char **env);

#endif

/*
 * agent_config_internal.h - the schema helpers shared by the files that
 * read the agent's configuration (agent_config*.c); nothing else includes
 * it.
 *
 * Every helper reports a bad value through acfg_fail, so all messages
 * have the form "file:line: reason", and returns ERR_INVALID for it.
 */
#ifndef COFFER_AGENT_AGENT_CONFIG_INTERNAL_H
#define COFFER_AGENT_AGENT_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent_config.h"
#include "base/buf.h"
#include "hcl/hcl.h"

struct acfg {
	const char *name;   /* the file, for messages */
	struct buf *errmsg; /* may be NULL */
};

/* Sets errmsg to "name:line: reason" (no line when line is 0). */
err_t acfg_fail(struct acfg *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "invalid value for "key": why" at m's line. */
err_t acfg_bad(struct acfg *c, const struct hcl_node *m, const char *why);

/* An HCL parser error as a configuration error. */
err_t acfg_hcl_error(struct acfg *c, err_t rc, const struct hcl_error *e);

/*
 * Looks m's key up in names[0..n); an unknown key, or one already marked
 * in *seen (a bit per index), is an error. n must be at most 32.
 */
err_t acfg_key(struct acfg *c, const struct hcl_node *m,
               const char *const *names, size_t n, uint32_t *seen, size_t *idx);

/* A non-empty string, copied into *dst (an older value is freed). */
err_t acfg_string(struct acfg *c, const struct hcl_node *m, char **dst);

/* true/false, 0/1 or a string parse_bool takes. */
err_t acfg_bool(struct acfg *c, const struct hcl_node *m, bool *out);

/* Seconds or a duration string; must be > 0 unless zero_ok. */
err_t acfg_duration(struct acfg *c, const struct hcl_node *m, bool zero_ok,
                    int64_t *out);

/* A file mode: "0640" (octal digits) or an integer value (416). */
err_t acfg_mode(struct acfg *c, const struct hcl_node *m, mode_t *out);

/*
 * A command: a string (run by /bin/sh -c) or a non-empty list of strings
 * (run as they are). *out is a new NULL-ended argv; see
 * agent_config_free_argv.
 */
err_t acfg_command(struct acfg *c, const struct hcl_node *m, bool list_only,
                   char ***out);

/* An object value (a block or "key = { }"). */
err_t acfg_object(struct acfg *c, const struct hcl_node *m);

/*
 * The blocks called name with n_labels labels among obj's members; when
 * at_most_one, a second one is an error. *out as hcl_blocks.
 */
err_t acfg_blocks(struct acfg *c, const struct hcl_node *obj, const char *name,
                  size_t n_labels, bool at_most_one, struct hcl_block **out,
                  size_t *n);

/* The sections, one file each. */
err_t acfg_auto_auth(struct acfg *c, const struct hcl_node *root,
                     struct agent_config *out);
err_t acfg_templates(struct acfg *c, const struct hcl_node *root,
                     struct agent_config *out);
err_t acfg_exec(struct acfg *c, const struct hcl_node *root,
                struct agent_config *out);

void acfg_method_release(struct agent_method *m);
void acfg_template_release(struct agent_template *t);

#endif

/*
 * agent_config_tmpl.c - template, env_template, template_config and exec
 * blocks.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_config_internal.h"
#include "base/buf.h"

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const tmpl_keys[] = {"source",
                                        "contents",
                                        "destination",
                                        "perms",
                                        "command",
                                        "command_timeout",
                                        "error_on_missing_key",
                                        "left_delimiter",
                                        "right_delimiter",
                                        "create_dest_dirs"};

enum tmpl_key {
	TK_SOURCE,
	TK_CONTENTS,
	TK_DEST,
	TK_PERMS,
	TK_COMMAND,
	TK_TIMEOUT,
	TK_MISSING,
	TK_LEFT,
	TK_RIGHT,
	TK_DIRS,
};

/* What an env_template may not have: it writes no file. */
#define FILE_ONLY_KEYS                                                         \
	((1u << TK_DEST) | (1u << TK_PERMS) | (1u << TK_COMMAND) |             \
	 (1u << TK_TIMEOUT) | (1u << TK_DIRS))

static err_t tmpl_contents(struct acfg *c, const struct hcl_node *m, char **dst)
{
	char *copy;

	/* A template may be empty; it renders an empty file. */
	if (m->type != HCL_STRING)
		return acfg_bad(c, m, "must be a string");
	copy = strdup(m->str);
	if (copy == NULL)
		return ERR_NOMEM;
	free(*dst);
	*dst = copy;
	return ERR_OK;
}

static err_t tmpl_key(struct acfg *c, const struct hcl_node *m, enum tmpl_key k,
                      struct agent_template *t)
{
	switch (k) {
	case TK_SOURCE:
		return acfg_string(c, m, &t->source);
	case TK_CONTENTS:
		return tmpl_contents(c, m, &t->contents);
	case TK_DEST:
		return acfg_string(c, m, &t->destination);
	case TK_PERMS:
		t->has_perms = true;
		return acfg_mode(c, m, &t->perms);
	case TK_COMMAND:
		return acfg_command(c, m, false, &t->command);
	case TK_TIMEOUT:
		return acfg_duration(c, m, false, &t->command_timeout);
	case TK_MISSING:
		return acfg_bool(c, m, &t->error_on_missing_key);
	case TK_LEFT:
		return acfg_string(c, m, &t->left_delim);
	case TK_RIGHT:
		return acfg_string(c, m, &t->right_delim);
	case TK_DIRS:
		return acfg_bool(c, m, &t->create_dest_dirs);
	}
	return ERR_INTERNAL;
}

/* The name messages use: the source file, else what the text is for. */
static err_t tmpl_name(struct agent_template *t)
{
	struct buf b = BUF_INIT;

	if (t->source != NULL)
		buf_append_str(&b, t->source);
	else if (t->env_name != NULL)
		buf_printf(&b, "env_template %s", t->env_name);
	else
		buf_printf(&b, "template for %s", t->destination);
	t->name = buf_detach(&b);
	return t->name != NULL ? ERR_OK : ERR_NOMEM;
}

static err_t parse_template(struct acfg *c, const struct hcl_block *b, bool env,
                            struct agent_template *t)
{
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc = ERR_OK;

	t->line = b->line;
	t->create_dest_dirs = true;
	t->command_timeout = AGENT_DEFAULT_CMD_TIMEOUT;
	for (m = b->body->child; m != NULL && rc == ERR_OK; m = m->next) {
		rc = acfg_key(c, m, tmpl_keys, NKEYS(tmpl_keys), &seen, &k);
		if (rc == ERR_OK && env && ((1u << k) & FILE_ONLY_KEYS))
			rc = acfg_fail(c, m->line,
			               "an env_template takes no \"%s\"",
			               tmpl_keys[k]);
		if (rc == ERR_OK)
			rc = tmpl_key(c, m, (enum tmpl_key)k, t);
	}
	if (rc != ERR_OK)
		return rc;

	if ((t->source == NULL) == (t->contents == NULL))
		return acfg_fail(c, b->line,
		                 "a template needs exactly one of source and "
		                 "contents");
	if (!env && t->destination == NULL)
		return acfg_fail(c, b->line, "a template needs a destination");
	return tmpl_name(t);
}

static bool env_name_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      s[0] == '_'))
		return false;
	for (i = 1; s[i] != 0; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static err_t env_name(struct acfg *c, const struct hcl_block *b,
                      const struct agent_config *out, struct agent_template *t)
{
	size_t i;

	if (!env_name_ok(b->labels[0]))
		return acfg_fail(c, b->line,
		                 "env_template \"%.60s\" is not a variable "
		                 "name",
		                 b->labels[0]);
	for (i = 0; i < out->n_templates; i++)
		if (out->templates[i].env_name != NULL &&
		    strcmp(out->templates[i].env_name, b->labels[0]) == 0)
			return acfg_fail(c, b->line,
			                 "env_template \"%.60s\" is defined "
			                 "twice",
			                 b->labels[0]);
	t->env_name = strdup(b->labels[0]);
	return t->env_name != NULL ? ERR_OK : ERR_NOMEM;
}

/* Parses the blocks of one kind into out->templates (already sized). */
static err_t add_templates(struct acfg *c, const struct hcl_block *blocks,
                           size_t n, bool env, struct agent_config *out)
{
	struct agent_template *t;
	size_t i;
	err_t rc = ERR_OK;

	for (i = 0; i < n && rc == ERR_OK; i++) {
		t = &out->templates[out->n_templates];
		if (env)
			rc = env_name(c, &blocks[i], out, t);
		/* Counted at once, so a half-filled one is released too. */
		out->n_templates++;
		if (rc == ERR_OK)
			rc = parse_template(c, &blocks[i], env, t);
	}
	return rc;
}

static err_t template_config(struct acfg *c, const struct hcl_node *root,
                             struct agent_config *out)
{
	static const char *const keys[] = {"static_secret_render_interval",
	                                   "exit_on_retry_failure"};
	struct hcl_block *b = NULL;
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t n = 0, k = 0;
	err_t rc;

	out->static_interval = AGENT_DEFAULT_INTERVAL;
	rc = acfg_blocks(c, root, "template_config", 0, true, &b, &n);
	for (m = n ? b[0].body->child : NULL; m != NULL && rc == ERR_OK;
	     m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc == ERR_OK && k == 0)
			rc = acfg_duration(c, m, false, &out->static_interval);
		else if (rc == ERR_OK)
			rc = acfg_bool(c, m, &out->exit_on_retry_failure);
	}
	free(b);
	return rc;
}

err_t acfg_templates(struct acfg *c, const struct hcl_node *root,
                     struct agent_config *out)
{
	struct hcl_block *files = NULL, *envs = NULL;
	size_t n_files = 0, n_envs = 0;
	err_t rc;

	rc = acfg_blocks(c, root, "template", 0, false, &files, &n_files);
	if (rc == ERR_OK)
		rc = acfg_blocks(c, root, "env_template", 1, false, &envs,
		                 &n_envs);
	if (rc != ERR_OK || n_files + n_envs == 0)
		goto out;
	out->templates = calloc(n_files + n_envs, sizeof(*out->templates));
	if (out->templates == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = add_templates(c, files, n_files, false, out);
	if (rc == ERR_OK)
		rc = add_templates(c, envs, n_envs, true, out);
out:
	free(files);
	free(envs);
	return rc == ERR_OK ? template_config(c, root, out) : rc;
}

/* "SIGTERM" or "TERM", any case not allowed: signal names are upper. */
static err_t stop_signal(struct acfg *c, const struct hcl_node *m, int *out)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},
	            {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
	            {"USR2", SIGUSR2}};
	const char *name;
	size_t i;

	if (m->type != HCL_STRING)
		return acfg_bad(c, m, "must be a signal name such as SIGTERM");
	name = strncmp(m->str, "SIG", 3) == 0 ? m->str + 3 : m->str;
	for (i = 0; i < NKEYS(sigs); i++) {
		if (strcmp(name, sigs[i].name) == 0) {
			*out = sigs[i].sig;
			return ERR_OK;
		}
	}
	return acfg_bad(c, m,
	                "must be one of SIGTERM, SIGINT, SIGHUP, "
	                "SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2");
}

static err_t exec_key(struct acfg *c, const struct hcl_node *m, size_t k,
                      struct agent_exec *e)
{
	if (k == 0)
		return acfg_command(c, m, true, &e->command);
	if (k == 2)
		return stop_signal(c, m, &e->stop_signal);
	if (m->type == HCL_STRING && strcmp(m->str, "always") == 0)
		e->restart = AGENT_RESTART_ALWAYS;
	else if (m->type == HCL_STRING && strcmp(m->str, "never") == 0)
		e->restart = AGENT_RESTART_NEVER;
	else
		return acfg_bad(c, m, "must be \"always\" or \"never\"");
	return ERR_OK;
}

err_t acfg_exec(struct acfg *c, const struct hcl_node *root,
                struct agent_config *out)
{
	static const char *const keys[] = {
	    "command", "restart_on_secret_changes", "restart_stop_signal"};
	struct hcl_block *b = NULL;
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t n = 0, k = 0;
	err_t rc;

	rc = acfg_blocks(c, root, "exec", 0, true, &b, &n);
	if (rc != ERR_OK || n == 0)
		goto out;
	out->has_exec = true;
	out->exec.restart = AGENT_RESTART_ALWAYS;
	out->exec.stop_signal = SIGTERM;
	for (m = b[0].body->child; m != NULL && rc == ERR_OK; m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc == ERR_OK)
			rc = exec_key(c, m, k, &out->exec);
	}
	if (rc == ERR_OK && out->exec.command == NULL)
		rc = acfg_fail(c, b[0].line, "exec needs a command");
out:
	free(b);
	return rc;
}

void acfg_template_release(struct agent_template *t)
{
	free(t->name);
	free(t->env_name);
	free(t->source);
	free(t->contents);
	free(t->destination);
	agent_config_free_argv(t->command);
	free(t->left_delim);
	free(t->right_delim);
	memset(t, 0, sizeof(*t));
}

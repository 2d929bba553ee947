/*
 * agent_render.c - loading templates and rendering them to files (see
 * agent_render.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent_delim.h"
#include "agent/agent_file.h"
#include "agent/agent_proc.h"
#include "agent/agent_render_internal.h"
#include "base/log.h"
#include "base/secret.h"

/* The largest template source read. */
#define SOURCE_MAX ((size_t)1 << 20)
/* A new file's mode when the template sets none, as Vault Agent uses. */
#define DEFAULT_PERMS 0644

/* Reads (source) or copies (contents) t's text, then parses it. */
static err_t load(const struct agent_template *t, struct tmpl **out,
                  struct buf *errmsg)
{
	struct buf text = BUF_INIT, why = BUF_INIT, plain = BUF_INIT;
	err_t rc;

	if (t->source != NULL)
		rc = agent_file_read(t->source, SOURCE_MAX, &text, &why);
	else
		rc = buf_append_str(&text, t->contents);
	if (rc == ERR_OK)
		rc = agent_delim_translate((const char *)text.data, text.len,
		                           t->left_delim, t->right_delim,
		                           &plain, &why);
	if (rc == ERR_OK) {
		rc = tmpl_parse(t->name, (const char *)plain.data, plain.len,
		                out, errmsg);
	} else {
		buf_printf(errmsg, "%s: %s", t->name,
		           why.len ? buf_str(&why) : err_str(rc));
		rc = rc == ERR_NOMEM ? rc : ERR_INVALID;
	}
	buf_release(&text);
	buf_release(&why);
	buf_release(&plain);
	return rc;
}

err_t agent_render_new(const struct agent_config *cfg,
                       struct agent_secrets *store, struct agent_render **out,
                       struct buf *errmsg)
{
	struct agent_render *r = calloc(1, sizeof(*r));
	size_t i;
	err_t rc = ERR_OK;

	*out = NULL;
	if (r == NULL)
		return ERR_NOMEM;
	r->cfg = cfg;
	r->store = store;
	r->items =
	    calloc(cfg->n_templates ? cfg->n_templates : 1, sizeof(*r->items));
	if (r->items == NULL) {
		free(r);
		return ERR_NOMEM;
	}
	for (i = 0; i < cfg->n_templates && rc == ERR_OK; i++) {
		r->items[i].cfg = &cfg->templates[i];
		r->n++;
		if (cfg->templates[i].env_name != NULL)
			r->n_env++;
		rc = load(&cfg->templates[i], &r->items[i].t, errmsg);
	}
	if (rc != ERR_OK) {
		agent_render_free(r);
		return rc;
	}
	*out = r;
	return ERR_OK;
}

void agent_render_free_env(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		secret_free(env[i]);
	free(env);
}

void agent_render_free(struct agent_render *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		tmpl_free(r->items[i].t);
	free(r->items);
	agent_render_free_env(r->env_pending);
	free(r);
}

bool agent_render_has_env(const struct agent_render *r)
{
	return r->n_env > 0;
}

char **agent_render_take_env(struct agent_render *r)
{
	char **env = r->env_pending;

	r->env_pending = NULL;
	return env;
}

static bool contains(const struct buf *b, const char *word)
{
	size_t n = strlen(word), i;

	for (i = 0; n <= b->len && i <= b->len - n; i++)
		if (memcmp(b->data + i, word, n) == 0)
			return true;
	return false;
}

err_t agent_render_text(struct agent_render *r, const struct rtemplate *rt,
                        struct buf *out, struct buf *errmsg)
{
	struct tmpl_env env = {agent_secrets_get, agent_secrets_list, r->store,
	                       NULL};
	err_t rc;

	rc = tmpl_render(rt->t, &env, out, errmsg);
	/*
	 * Known gap: the engine has no missing-key option (template.h), and
	 * prints a missing key, like Go's text/template, as "<no value>".
	 * error_on_missing_key is read from that text, so a secret whose
	 * value is literally "<no value>" fails too, and JSON null is
	 * treated as missing.
	 */
	if (rc == ERR_OK && rt->cfg->error_on_missing_key &&
	    contains(out, "<no value>")) {
		buf_append_str(errmsg, "the template reads a key that the "
		                       "secret does not have");
		rc = ERR_NOT_FOUND;
	}
	return rc;
}

static void run_command(const struct agent_template *t)
{
	struct buf why = BUF_INIT;
	pid_t pid;
	int status = 0;
	err_t rc;

	rc = agent_proc_spawn(t->command, NULL, true, &pid, &why);
	if (rc != ERR_OK) {
		log_error("agent", "template %s: %s", t->destination,
		          buf_str(&why));
		goto out;
	}
	rc = agent_proc_wait(pid, t->command_timeout * 1000, &status);
	if (rc != ERR_OK)
		log_error("agent", "template %s: command killed after %llds",
		          t->destination, (long long)t->command_timeout);
	else if (agent_proc_exit_code(status) != 0)
		log_warn("agent", "template %s: command exited with %d",
		         t->destination, agent_proc_exit_code(status));
	else
		log_info("agent", "template %s: command ran", t->destination);
out:
	buf_release(&why);
}

/* The mode the file should have; what it has, when it exists. */
static mode_t wanted_mode(const struct agent_template *t, bool *exists,
                          mode_t *current)
{
	struct stat st;

	*exists = stat(t->destination, &st) == 0 && S_ISREG(st.st_mode);
	*current = *exists ? st.st_mode & 07777 : 0;
	if (t->has_perms)
		return t->perms;
	return *exists ? *current : DEFAULT_PERMS;
}

/* Writes out to t's destination unless it holds it already. */
static err_t place(const struct agent_template *t, const struct buf *out,
                   bool *written, struct buf *why)
{
	mode_t want, current, same_mode;
	bool exists;
	err_t rc = ERR_OK;

	*written = false;
	want = wanted_mode(t, &exists, &current);
	if (exists &&
	    agent_file_same(t->destination, out->data, out->len, &same_mode)) {
		if (same_mode == want)
			return ERR_OK;
		if (chmod(t->destination, want) != 0) {
			buf_printf(why, "cannot set the mode of %s",
			           t->destination);
			return ERR_IO;
		}
		log_info("agent", "template %s: mode set to %04o",
		         t->destination, (unsigned)want);
		return ERR_OK;
	}
	if (t->create_dest_dirs)
		rc = agent_file_make_parents(t->destination, why);
	if (rc == ERR_OK)
		rc = agent_file_write(t->destination, out->data, out->len, want,
		                      why);
	*written = rc == ERR_OK;
	return rc;
}

static void file_template(struct agent_render *r, const struct rtemplate *rt,
                          struct agent_pass *res)
{
	const struct agent_template *t = rt->cfg;
	struct buf out = BUF_INIT, why = BUF_INIT;
	bool written = false;
	err_t rc;

	rc = agent_render_text(r, rt, &out, &why);
	if (rc != ERR_OK) {
		log_error("agent",
		          "template %s: render failed, keeping the "
		          "previous file: %s",
		          t->destination,
		          why.len ? buf_str(&why) : err_str(rc));
		goto out;
	}
	rc = place(t, &out, &written, &why);
	if (rc != ERR_OK)
		log_error("agent", "template %s: %s", t->destination,
		          why.len ? buf_str(&why) : err_str(rc));
	/* The rendered text holds secrets; gone before the command runs. */
	buf_release(&out);
	if (written) {
		res->written++;
		log_info("agent", "template %s: rendered", t->destination);
		if (t->command != NULL)
			run_command(t);
	}
out:
	if (rc != ERR_OK)
		res->failed++;
	buf_release(&out);
	buf_release(&why);
}

void agent_render_pass(struct agent_render *r, struct agent_pass *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	agent_secrets_begin(r->store);
	for (i = 0; i < r->n; i++)
		if (r->items[i].cfg->env_name == NULL)
			file_template(r, &r->items[i], res);
	if (r->n_env > 0)
		agent_render_env_pass(r, res);
	agent_secrets_end(r->store, res->failed == 0);
}

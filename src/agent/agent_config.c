/*
 * agent_config.c - the top level of the agent's configuration: vault,
 * listener, cache, api_proxy and plain keys, and the checks between
 * sections. The HCL parser knows no schema; these tables are it, so a
 * misspelt key is an error instead of a setting silently not applied.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_config_internal.h"
#include "base/log.h"

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const vault_keys[] = {
    "address",    "ca_cert",         "ca_path",  "client_cert",
    "client_key", "tls_skip_verify", "namespace"};

static err_t vault_key(struct acfg *c, const struct hcl_node *m, size_t k,
                       struct agent_vault *v)
{
	char **const strs[] = {&v->address,     &v->ca_cert,    &v->ca_path,
	                       &v->client_cert, &v->client_key, NULL,
	                       &v->namespace};

	if (k == 5)
		return acfg_bool(c, m, &v->tls_skip_verify);
	return acfg_string(c, m, strs[k]);
}

static err_t parse_vault(struct acfg *c, const struct hcl_node *root,
                         struct agent_vault *v)
{
	struct hcl_block *b = NULL;
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t n = 0, k = 0;
	err_t rc;

	rc = acfg_blocks(c, root, "vault", 0, true, &b, &n);
	for (m = n ? b[0].body->child : NULL; m != NULL && rc == ERR_OK;
	     m = m->next) {
		rc = acfg_key(c, m, vault_keys, NKEYS(vault_keys), &seen, &k);
		if (rc == ERR_OK)
			rc = vault_key(c, m, k, v);
	}
	free(b);
	return rc;
}

static err_t parse_listener(struct acfg *c, const struct hcl_block *b,
                            struct listener_config *l)
{
	static const char *const keys[] = {"address", "tls_disable",
	                                   "tls_cert_file", "tls_key_file"};
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc = ERR_OK;

	listener_config_defaults(l);
	free(l->address);
	l->address = strdup(AGENT_DEFAULT_LISTEN);
	if (l->address == NULL || l->tls_min_version == NULL)
		return ERR_NOMEM;
	if (strcmp(b->labels[0], "tcp") != 0)
		return acfg_fail(
		    c, b->line, "unsupported listener type \"%.40s\" (use tcp)",
		    b->labels[0]);
	for (m = b->body->child; m != NULL && rc == ERR_OK; m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc != ERR_OK)
			break;
		if (k == 0)
			rc = acfg_string(c, m, &l->address);
		else if (k == 1)
			rc = acfg_bool(c, m, &l->tls_disable);
		else
			rc = acfg_string(c, m,
			                 k == 2 ? &l->tls_cert_file
			                        : &l->tls_key_file);
	}
	if (rc == ERR_OK && !l->tls_disable &&
	    (l->tls_cert_file == NULL || l->tls_key_file == NULL))
		rc = acfg_fail(c, b->line,
		               "listener needs tls_cert_file and tls_key_file "
		               "unless tls_disable is true");
	return rc;
}

static err_t parse_listeners(struct acfg *c, const struct hcl_node *root,
                             struct agent_config *out)
{
	struct hcl_block *b = NULL;
	size_t n = 0, i;
	err_t rc;

	rc = acfg_blocks(c, root, "listener", 1, false, &b, &n);
	if (rc != ERR_OK || n == 0)
		goto out;
	out->listeners = calloc(n, sizeof(*out->listeners));
	if (out->listeners == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n && rc == ERR_OK; i++) {
		out->n_listeners++;
		rc = parse_listener(c, &b[i], &out->listeners[i]);
	}
out:
	free(b);
	return rc;
}

/* use_auto_auth_token: a bool, or "force" to replace a client's token. */
static err_t auto_token(struct acfg *c, const struct hcl_node *m,
                        enum agent_auto_token *out)
{
	bool yes = false;
	err_t rc;

	if (m->type == HCL_STRING && strcmp(m->str, "force") == 0) {
		*out = AGENT_TOKEN_FORCE;
		return ERR_OK;
	}
	rc = acfg_bool(c, m, &yes);
	if (rc == ERR_OK)
		*out = yes ? AGENT_TOKEN_YES : AGENT_TOKEN_NO;
	return rc;
}

/*
 * cache { } turns the cache on; api_proxy { } only holds the token
 * setting. cache also takes use_auto_auth_token, where Vault Agent
 * versions before api_proxy had it.
 */
static err_t parse_proxy(struct acfg *c, const struct hcl_node *root,
                         const char *name, struct agent_config *out)
{
	static const char *const keys[] = {"use_auto_auth_token"};
	struct hcl_block *b = NULL;
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t n = 0, k = 0;
	err_t rc;

	rc = acfg_blocks(c, root, name, 0, true, &b, &n);
	if (rc == ERR_OK && n > 0 && strcmp(name, "cache") == 0)
		out->cache = true;
	for (m = n ? b[0].body->child : NULL; m != NULL && rc == ERR_OK;
	     m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc == ERR_OK)
			rc = auto_token(c, m, &out->use_auto_auth_token);
	}
	if (rc == ERR_OK && n > 0 && out->n_listeners == 0)
		rc = acfg_fail(c, b[0].line, "%s needs a listener block", name);
	free(b);
	return rc;
}

static const char *const top_keys[] = {
    "vault",           "auto_auth", "template",        "env_template",
    "template_config", "exec",      "listener",        "cache",
    "api_proxy",       "pid_file",  "exit_after_auth", "log_level"};

enum top_key {
	K_VAULT,
	K_AUTO_AUTH,
	K_TEMPLATE,
	K_ENV_TEMPLATE,
	K_TEMPLATE_CONFIG,
	K_EXEC,
	K_LISTENER,
	K_CACHE,
	K_API_PROXY,
	K_PID_FILE,
	K_EXIT_AFTER_AUTH,
	K_LOG_LEVEL,
};

/* Plain keys; blocks are read by their own parsers afterwards. */
static err_t top_key(struct acfg *c, const struct hcl_node *m, size_t k,
                     struct agent_config *out)
{
	enum log_level level;

	switch ((enum top_key)k) {
	case K_PID_FILE:
		return acfg_string(c, m, &out->pid_file);
	case K_EXIT_AFTER_AUTH:
		return acfg_bool(c, m, &out->exit_after_auth);
	case K_LOG_LEVEL:
		if (m->type != HCL_STRING || !log_parse_level(m->str, &level))
			return acfg_bad(c, m,
			                "must be trace, debug, info, "
			                "warn or error");
		return acfg_string(c, m, &out->log_level);
	default:
		return ERR_OK;
	}
}

static err_t parse_top_keys(struct acfg *c, const struct hcl_node *root,
                            struct agent_config *out)
{
	const uint32_t repeated =
	    (1u << K_TEMPLATE) | (1u << K_ENV_TEMPLATE) | (1u << K_LISTENER);
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc;

	for (m = root->child; m != NULL; m = m->next) {
		rc = acfg_key(c, m, top_keys, NKEYS(top_keys), &seen, &k);
		if (rc == ERR_OK)
			rc = top_key(c, m, k, out);
		if (rc != ERR_OK)
			return rc;
		seen &= ~repeated;
	}
	return ERR_OK;
}

/* What one section asks of another. */
static err_t cross_check(struct acfg *c, const struct agent_config *cfg)
{
	bool env = false;
	size_t i;

	for (i = 0; i < cfg->n_templates; i++)
		env = env || cfg->templates[i].env_name != NULL;
	if (env && !cfg->has_exec)
		return acfg_fail(c, 0, "env_template needs an exec block");
	if (!cfg->has_auto_auth &&
	    (cfg->n_templates > 0 || cfg->has_exec || cfg->exit_after_auth ||
	     cfg->use_auto_auth_token != AGENT_TOKEN_NO))
		return acfg_fail(c, 0,
		                 "templates, exec, exit_after_auth and "
		                 "use_auto_auth_token need an auto_auth block");
	if (cfg->exit_after_auth && (cfg->has_exec || cfg->n_listeners > 0))
		return acfg_fail(c, 0,
		                 "exit_after_auth cannot be used with exec or "
		                 "a listener");
	if (!cfg->has_auto_auth && cfg->n_listeners == 0)
		return acfg_fail(
		    c, 0,
		    "nothing to do: add an auto_auth or a listener "
		    "block");
	return ERR_OK;
}

static err_t parse_root(struct acfg *c, const struct hcl_node *root,
                        struct agent_config *out)
{
	err_t rc;

	rc = parse_top_keys(c, root, out);
	if (rc == ERR_OK)
		rc = parse_vault(c, root, &out->vault);
	if (rc == ERR_OK)
		rc = acfg_auto_auth(c, root, out);
	if (rc == ERR_OK)
		rc = acfg_templates(c, root, out);
	if (rc == ERR_OK)
		rc = acfg_exec(c, root, out);
	if (rc == ERR_OK)
		rc = parse_listeners(c, root, out);
	if (rc == ERR_OK)
		rc = parse_proxy(c, root, "cache", out);
	if (rc == ERR_OK)
		rc = parse_proxy(c, root, "api_proxy", out);
	if (rc == ERR_OK)
		rc = cross_check(c, out);
	return rc;
}

err_t agent_config_parse(const char *name, const char *text, size_t len,
                         struct agent_config *out, struct buf *errmsg)
{
	struct acfg c = {name != NULL ? name : "config", errmsg};
	struct hcl_node *root = NULL;
	struct hcl_error e;
	err_t rc;

	memset(out, 0, sizeof(*out));
	rc = hcl_parse(text, len, &root, &e);
	if (rc != ERR_OK) {
		rc = acfg_hcl_error(&c, rc, &e);
		goto out;
	}
	rc = parse_root(&c, root, out);
	if (rc == ERR_NOMEM)
		acfg_fail(&c, 0, "%s", err_str(rc));
out:
	hcl_free(root);
	if (rc != ERR_OK)
		agent_config_release(out);
	return rc;
}

err_t agent_config_load(const char *path, struct agent_config *out,
                        struct buf *errmsg)
{
	struct acfg c = {path, errmsg};
	struct buf text = BUF_INIT, why = BUF_INIT;
	err_t rc;

	memset(out, 0, sizeof(*out));
	rc = hcl_read_file(path, &text, &why);
	if (rc != ERR_OK)
		acfg_fail(&c, 0, "%s", buf_str(&why));
	else
		rc = agent_config_parse(path, buf_str(&text), text.len, out,
		                        errmsg);
	buf_release(&text);
	buf_release(&why);
	return rc;
}

void agent_config_release(struct agent_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->vault.address);
	free(cfg->vault.ca_cert);
	free(cfg->vault.ca_path);
	free(cfg->vault.client_cert);
	free(cfg->vault.client_key);
	free(cfg->vault.namespace);
	acfg_method_release(&cfg->method);
	for (i = 0; i < cfg->n_sinks; i++)
		free(cfg->sinks[i].path);
	free(cfg->sinks);
	for (i = 0; i < cfg->n_templates; i++)
		acfg_template_release(&cfg->templates[i]);
	free(cfg->templates);
	agent_config_free_argv(cfg->exec.command);
	for (i = 0; i < cfg->n_listeners; i++)
		listener_config_release(&cfg->listeners[i]);
	free(cfg->listeners);
	free(cfg->pid_file);
	free(cfg->log_level);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * agent_config_auth.c - the auto_auth block: one method and its sinks.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_config_internal.h"

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const approle_keys[] = {
    "role_id_file_path", "secret_id_file_path",
    "remove_secret_id_file_after_reading"};
static const char *const jwt_keys[] = {"path", "role",
                                       "remove_jwt_after_reading"};
static const char *const k8s_keys[] = {"role", "token_path"};
static const char *const token_file_keys[] = {"token_file_path"};

static err_t approle_key(struct acfg *c, const struct hcl_node *m, size_t k,
                         struct agent_method *am)
{
	if (k == 0)
		return acfg_string(c, m, &am->role_id_file);
	if (k == 1)
		return acfg_string(c, m, &am->secret_id_file);
	return acfg_bool(c, m, &am->remove_secret_id);
}

static err_t jwt_key(struct acfg *c, const struct hcl_node *m, size_t k,
                     struct agent_method *am)
{
	if (k == 0)
		return acfg_string(c, m, &am->jwt_file);
	if (k == 1)
		return acfg_string(c, m, &am->role);
	return acfg_bool(c, m, &am->remove_jwt);
}

static err_t k8s_key(struct acfg *c, const struct hcl_node *m, size_t k,
                     struct agent_method *am)
{
	if (k == 0)
		return acfg_string(c, m, &am->role);
	return acfg_string(c, m, &am->jwt_file);
}

/* The keys of one method's config map, then what each method requires. */
static err_t method_config(struct acfg *c, const struct hcl_node *conf,
                           int line, struct agent_method *am)
{
	static const struct {
		const char *const *keys;
		size_t n;
	} tables[] = {{approle_keys, NKEYS(approle_keys)},
	              {jwt_keys, NKEYS(jwt_keys)},
	              {k8s_keys, NKEYS(k8s_keys)},
	              {token_file_keys, NKEYS(token_file_keys)}};
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc = ERR_OK;

	for (m = conf ? conf->child : NULL; m != NULL && rc == ERR_OK;
	     m = m->next) {
		rc = acfg_key(c, m, tables[am->type].keys, tables[am->type].n,
		              &seen, &k);
		if (rc != ERR_OK)
			break;
		if (am->type == AGENT_METHOD_APPROLE)
			rc = approle_key(c, m, k, am);
		else if (am->type == AGENT_METHOD_JWT)
			rc = jwt_key(c, m, k, am);
		else if (am->type == AGENT_METHOD_KUBERNETES)
			rc = k8s_key(c, m, k, am);
		else
			rc = acfg_string(c, m, &am->token_file);
	}
	if (rc != ERR_OK)
		return rc;

	if (am->type == AGENT_METHOD_APPROLE && am->role_id_file == NULL)
		return acfg_fail(c, line, "approle needs role_id_file_path");
	if (am->type == AGENT_METHOD_JWT &&
	    (am->jwt_file == NULL || am->role == NULL))
		return acfg_fail(c, line, "jwt needs path and role");
	if (am->type == AGENT_METHOD_KUBERNETES && am->role == NULL)
		return acfg_fail(c, line, "kubernetes needs role");
	if (am->type == AGENT_METHOD_TOKEN_FILE && am->token_file == NULL)
		return acfg_fail(c, line, "token_file needs token_file_path");
	return ERR_OK;
}

static err_t method_type(struct acfg *c, const struct hcl_block *b,
                         struct agent_method *am)
{
	static const char *const names[] = {"approle", "jwt", "kubernetes",
	                                    "token_file"};
	size_t i;

	for (i = 0; i < NKEYS(names); i++)
		if (strcmp(b->labels[0], names[i]) == 0)
			break;
	if (i == NKEYS(names))
		return acfg_fail(c, b->line,
		                 "unsupported auto_auth method \"%.40s\" (use "
		                 "approle, jwt, kubernetes or token_file)",
		                 b->labels[0]);
	am->type = (enum agent_method_type)i;
	/* Vault's defaults: a secret-id file is consumed, a JWT too. */
	am->remove_secret_id = true;
	am->remove_jwt = am->type == AGENT_METHOD_JWT;
	if (am->type == AGENT_METHOD_KUBERNETES) {
		am->jwt_file = strdup(AGENT_DEFAULT_K8S_TOKEN);
		if (am->jwt_file == NULL)
			return ERR_NOMEM;
	}
	if (am->type == AGENT_METHOD_TOKEN_FILE)
		return ERR_OK;
	am->mount_path = malloc(strlen(names[i]) + 6);
	if (am->mount_path == NULL)
		return ERR_NOMEM;
	memcpy(am->mount_path, "auth/", 5);
	memcpy(am->mount_path + 5, names[i], strlen(names[i]) + 1);
	return ERR_OK;
}

/* mount_path with or without "auth/" in front; stored with it. */
static err_t mount_path(struct acfg *c, const struct hcl_node *m, char **dst)
{
	const char *p;
	size_t n;
	char *copy;

	if (m->type != HCL_STRING || m->len == 0)
		return acfg_bad(c, m, "must be a non-empty string");
	p = m->str;
	while (*p == '/')
		p++;
	if (strncmp(p, "auth/", 5) == 0)
		p += 5;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n == 0)
		return acfg_bad(c, m, "names no mount");
	copy = malloc(n + 6);
	if (copy == NULL)
		return ERR_NOMEM;
	memcpy(copy, "auth/", 5);
	memcpy(copy + 5, p, n);
	copy[n + 5] = 0;
	free(*dst);
	*dst = copy;
	return ERR_OK;
}

static err_t parse_method(struct acfg *c, const struct hcl_block *b,
                          struct agent_method *am)
{
	static const char *const keys[] = {"mount_path", "config"};
	const struct hcl_node *m, *conf = NULL;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc;

	rc = method_type(c, b, am);
	for (m = b->body->child; m != NULL && rc == ERR_OK; m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc == ERR_OK && k == 0)
			rc = mount_path(c, m, &am->mount_path);
		else if (rc == ERR_OK) {
			rc = acfg_object(c, m);
			conf = m;
		}
	}
	if (rc == ERR_OK && am->type == AGENT_METHOD_TOKEN_FILE && (seen & 1u))
		return acfg_fail(c, b->line, "token_file takes no mount_path");
	if (rc == ERR_OK)
		rc = method_config(c, conf, b->line, am);
	return rc;
}

static err_t sink_config(struct acfg *c, const struct hcl_node *conf,
                         struct agent_sink *s)
{
	static const char *const keys[] = {"path", "mode"};
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc = ERR_OK;

	for (m = conf->child; m != NULL && rc == ERR_OK; m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc == ERR_OK)
			rc = k == 0 ? acfg_string(c, m, &s->path)
			            : acfg_mode(c, m, &s->mode);
	}
	return rc;
}

static err_t parse_sink(struct acfg *c, const struct hcl_block *b,
                        struct agent_sink *s)
{
	static const char *const keys[] = {"config", "wrap_ttl"};
	const struct hcl_node *m;
	uint32_t seen = 0;
	size_t k = 0;
	err_t rc = ERR_OK;

	s->mode = AGENT_DEFAULT_SINK_MODE;
	if (strcmp(b->labels[0], "file") != 0)
		return acfg_fail(c, b->line,
		                 "unsupported sink type \"%.40s\" (use file)",
		                 b->labels[0]);
	for (m = b->body->child; m != NULL && rc == ERR_OK; m = m->next) {
		rc = acfg_key(c, m, keys, NKEYS(keys), &seen, &k);
		if (rc == ERR_OK && k == 0)
			rc = acfg_object(c, m);
		if (rc == ERR_OK && k == 0)
			rc = sink_config(c, m, s);
		else if (rc == ERR_OK)
			rc = acfg_duration(c, m, false, &s->wrap_ttl);
	}
	if (rc == ERR_OK && s->path == NULL)
		rc = acfg_fail(c, b->line, "a file sink needs config.path");
	return rc;
}

static err_t parse_sinks(struct acfg *c, const struct hcl_node *body,
                         struct agent_config *out)
{
	struct hcl_block *blocks = NULL;
	size_t n = 0, i;
	err_t rc;

	rc = acfg_blocks(c, body, "sink", 1, false, &blocks, &n);
	if (rc != ERR_OK || n == 0)
		goto out;
	out->sinks = calloc(n, sizeof(*out->sinks));
	if (out->sinks == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n && rc == ERR_OK; i++) {
		out->n_sinks++;
		rc = parse_sink(c, &blocks[i], &out->sinks[i]);
	}
out:
	free(blocks);
	return rc;
}

/* Checks auto_auth's own keys; its blocks are read by their parsers. */
static err_t auto_auth_keys(struct acfg *c, const struct hcl_node *body)
{
	const struct hcl_node *m;

	for (m = body->child; m != NULL; m = m->next)
		if (strcmp(m->key, "method") != 0 &&
		    strcmp(m->key, "sink") != 0)
			return acfg_fail(c, m->line, "unknown key \"%.60s\"",
			                 m->key);
	return ERR_OK;
}

err_t acfg_auto_auth(struct acfg *c, const struct hcl_node *root,
                     struct agent_config *out)
{
	struct hcl_block *aa = NULL, *methods = NULL;
	size_t n = 0, n_methods = 0;
	err_t rc;

	rc = acfg_blocks(c, root, "auto_auth", 0, true, &aa, &n);
	if (rc != ERR_OK || n == 0)
		goto out;
	out->has_auto_auth = true;
	rc = auto_auth_keys(c, aa[0].body);
	if (rc == ERR_OK)
		rc = acfg_blocks(c, aa[0].body, "method", 1, true, &methods,
		                 &n_methods);
	if (rc == ERR_OK && n_methods == 0)
		rc = acfg_fail(c, aa[0].line, "auto_auth needs a method block");
	if (rc == ERR_OK)
		rc = parse_method(c, &methods[0], &out->method);
	if (rc == ERR_OK)
		rc = parse_sinks(c, aa[0].body, out);
out:
	free(aa);
	free(methods);
	return rc;
}

void acfg_method_release(struct agent_method *m)
{
	free(m->mount_path);
	free(m->role_id_file);
	free(m->secret_id_file);
	free(m->jwt_file);
	free(m->role);
	free(m->token_file);
	memset(m, 0, sizeof(*m));
}

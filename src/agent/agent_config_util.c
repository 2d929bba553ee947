/*
 * agent_config_util.c - typed values and key tables for the agent's
 * configuration (see agent_config_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_config_internal.h"
#include "base/params.h"

err_t acfg_fail(struct acfg *c, int line, const char *fmt, ...)
{
	char reason[320], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Keys come from the file; keep the message on one line. */
	for (p = reason; *p != 0; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (c->errmsg == NULL)
		return ERR_INVALID;
	buf_reset(c->errmsg);
	if (line > 0)
		buf_printf(c->errmsg, "%s:%d: %s", c->name, line, reason);
	else
		buf_printf(c->errmsg, "%s: %s", c->name, reason);
	return ERR_INVALID;
}

err_t acfg_bad(struct acfg *c, const struct hcl_node *m, const char *why)
{
	return acfg_fail(c, m->line, "invalid value for \"%.60s\": %s",
	                 m->key ? m->key : "item", why);
}

err_t acfg_hcl_error(struct acfg *c, err_t rc, const struct hcl_error *e)
{
	if (rc != ERR_INVALID) {
		acfg_fail(c, 0, "%s", err_str(rc));
		return rc;
	}
	return acfg_fail(c, e->line, "%s", e->msg);
}

err_t acfg_key(struct acfg *c, const struct hcl_node *m,
               const char *const *names, size_t n, uint32_t *seen, size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m->key, names[i]) == 0)
			break;
	if (i == n)
		return acfg_fail(c, m->line, "unknown key \"%.60s\"", m->key);
	if (*seen & ((uint32_t)1 << i))
		return acfg_fail(c, m->line, "duplicate key \"%.60s\"", m->key);
	*seen |= (uint32_t)1 << i;
	*idx = i;
	return ERR_OK;
}

err_t acfg_string(struct acfg *c, const struct hcl_node *m, char **dst)
{
	char *copy;

	if (m->type != HCL_STRING)
		return acfg_bad(c, m, "must be a string");
	if (m->len == 0)
		return acfg_bad(c, m, "must not be empty");
	copy = strdup(m->str);
	if (copy == NULL)
		return ERR_NOMEM;
	free(*dst);
	*dst = copy;
	return ERR_OK;
}

err_t acfg_bool(struct acfg *c, const struct hcl_node *m, bool *out)
{
	if (m->type == HCL_BOOL) {
		*out = m->b;
		return ERR_OK;
	}
	if (m->type == HCL_INT && (m->i == 0 || m->i == 1)) {
		*out = m->i == 1;
		return ERR_OK;
	}
	if (m->type == HCL_STRING && parse_bool(m->str, out))
		return ERR_OK;
	return acfg_bad(c, m, "must be true or false");
}

err_t acfg_duration(struct acfg *c, const struct hcl_node *m, bool zero_ok,
                    int64_t *out)
{
	char num[32];
	const char *text;

	if (m->type == HCL_INT) {
		snprintf(num, sizeof(num), "%lld", (long long)m->i);
		text = num;
	} else if (m->type == HCL_STRING) {
		text = m->str;
	} else {
		return acfg_bad(c, m, "must be a duration such as \"5m\"");
	}
	if (parse_duration(text, out) != ERR_OK)
		return acfg_bad(c, m, "must be a duration such as \"5m\"");
	if (*out <= 0 && !zero_ok)
		return acfg_bad(c, m, "must be longer than zero");
	return ERR_OK;
}

err_t acfg_mode(struct acfg *c, const struct hcl_node *m, mode_t *out)
{
	unsigned v = 0;
	size_t i;

	if (m->type == HCL_INT) {
		if (m->i < 0 || m->i > 07777)
			return acfg_bad(c, m,
			                "must be a file mode such as "
			                "\"0640\"");
		*out = (mode_t)m->i;
		return ERR_OK;
	}
	if (m->type != HCL_STRING || m->len == 0 || m->len > 5)
		return acfg_bad(c, m, "must be a file mode such as \"0640\"");
	for (i = 0; i < m->len; i++) {
		if (m->str[i] < '0' || m->str[i] > '7')
			return acfg_bad(c, m,
			                "must be octal digits such as "
			                "\"0640\"");
		v = v * 8 + (unsigned)(m->str[i] - '0');
	}
	if (v > 07777)
		return acfg_bad(c, m, "must be a file mode such as \"0640\"");
	*out = (mode_t)v;
	return ERR_OK;
}

void agent_config_free_argv(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* argv for a list of strings; n is the list's length. */
static err_t command_list(struct acfg *c, const struct hcl_node *m, char **argv)
{
	const struct hcl_node *it;
	size_t i = 0;

	for (it = m->child; it != NULL; it = it->next) {
		if (it->type != HCL_STRING || it->len == 0)
			return acfg_bad(c, m,
			                "every item must be a non-empty "
			                "string");
		argv[i] = strdup(it->str);
		if (argv[i++] == NULL)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

err_t acfg_command(struct acfg *c, const struct hcl_node *m, bool list_only,
                   char ***out)
{
	size_t n = m->type == HCL_LIST ? m->n_children : 3;
	char **argv;
	err_t rc;

	if (m->type == HCL_LIST && m->n_children == 0)
		return acfg_bad(c, m, "must not be empty");
	if (m->type != HCL_LIST && (list_only || m->type != HCL_STRING))
		return acfg_bad(c, m,
		                list_only ? "must be a list of strings"
		                          : "must be a string or a list "
		                            "of strings");
	if (m->type == HCL_STRING && m->len == 0)
		return acfg_bad(c, m, "must not be empty");
	if (n > 4096)
		return acfg_bad(c, m, "too many arguments");
	argv = calloc(n + 1, sizeof(*argv));
	if (argv == NULL)
		return ERR_NOMEM;
	if (m->type == HCL_LIST) {
		rc = command_list(c, m, argv);
	} else {
		argv[0] = strdup("/bin/sh");
		argv[1] = strdup("-c");
		argv[2] = strdup(m->str);
		rc = argv[0] && argv[1] && argv[2] ? ERR_OK : ERR_NOMEM;
	}
	if (rc != ERR_OK) {
		agent_config_free_argv(argv);
		return rc;
	}
	agent_config_free_argv(*out);
	*out = argv;
	return ERR_OK;
}

err_t acfg_object(struct acfg *c, const struct hcl_node *m)
{
	if (m->type != HCL_OBJECT)
		return acfg_bad(c, m, "must be a block or an object");
	return ERR_OK;
}

err_t acfg_blocks(struct acfg *c, const struct hcl_node *obj, const char *name,
                  size_t n_labels, bool at_most_one, struct hcl_block **out,
                  size_t *n)
{
	struct hcl_error e;
	err_t rc;

	rc = hcl_blocks(obj, name, n_labels, out, n, &e);
	if (rc != ERR_OK)
		return acfg_hcl_error(c, rc, &e);
	if (at_most_one && *n > 1) {
		rc = acfg_fail(c, (*out)[1].line,
		               "only one %s block is allowed", name);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

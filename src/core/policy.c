/*
 * policy.c - the parser of the policy language (see policy.h).
 *
 * The HCL parser gives a tree with line numbers; this file applies the
 * schema: known keys only, each at most once per block, capabilities from
 * a fixed set, patterns with '*' only at the end. Every error names the
 * line, so an operator can fix the text without guessing.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "core/policy_internal.h"
#include "hcl/hcl.h"

struct cap_name {
	const char *name;
	uint32_t bits;
};

static const struct cap_name cap_names[] = {
    {"create", CAP_CREATE}, {"read", CAP_READ},     {"update", CAP_UPDATE},
    {"patch", CAP_PATCH},   {"delete", CAP_DELETE}, {"list", CAP_LIST},
    {"sudo", CAP_SUDO},     {"deny", CAP_DENY},
};

#define CAPS_WRITE                                                             \
	(CAP_CREATE | CAP_READ | CAP_UPDATE | CAP_PATCH | CAP_DELETE | CAP_LIST)

/* The legacy `policy = "..."` shorthands and what each expands to. */
static const struct cap_name legacy_names[] = {
    {"deny", CAP_DENY},
    {"read", CAP_READ | CAP_LIST},
    {"write", CAPS_WRITE},
    {"sudo", CAPS_WRITE | CAP_SUDO},
};

/* Parser state: where errors go. */
struct pstate {
	char *errmsg;
	size_t errlen;
};

static err_t fail(struct pstate *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static err_t fail(struct pstate *ps, int line, const char *fmt, ...)
{
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Line 0: the error has no position (the whole text is too big). */
	if (ps->errmsg != NULL && ps->errlen > 0 && line > 0)
		snprintf(ps->errmsg, ps->errlen,
		         "failed to parse policy: line %d: %s", line, reason);
	else if (ps->errmsg != NULL && ps->errlen > 0)
		snprintf(ps->errmsg, ps->errlen, "failed to parse policy: %s",
		         reason);
	return ERR_INVALID;
}

err_t policy_name_normalize(const char *name, char **out)
{
	size_t start = 0, end, i;
	char *s;

	if (name == NULL)
		return ERR_INVALID;
	end = strlen(name);
	while (start < end && isspace((unsigned char)name[start]))
		start++;
	while (end > start && isspace((unsigned char)name[end - 1]))
		end--;
	if (end == start || end - start > POLICY_NAME_MAX)
		return ERR_INVALID;
	for (i = start; i < end; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch == 0x7f || ch == '/')
			return ERR_INVALID;
	}

	s = malloc(end - start + 1);
	if (s == NULL)
		return ERR_NOMEM;
	for (i = start; i < end; i++)
		s[i - start] = (char)tolower((unsigned char)name[i]);
	s[end - start] = 0;
	*out = s;
	return ERR_OK;
}

/* Checks a pattern and returns a copy without its leading '/'. */
static err_t parse_pattern(struct pstate *ps, int line, const char *label,
                           char **out)
{
	size_t len, i;

	if (label[0] == '/')
		label++;
	len = strlen(label);
	if (len > POLICY_PATTERN_MAX)
		return fail(ps, line, "path is longer than %d bytes",
		            POLICY_PATTERN_MAX);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)label[i];
		if (ch < 0x20 || ch == 0x7f)
			return fail(ps, line, "path holds a control character");
		if (ch == '*' && i + 1 != len)
			return fail(
			    ps, line,
			    "path \"%s\": '*' is only allowed at the end",
			    label);
	}
	*out = strdup(label);
	return *out == NULL ? ERR_NOMEM : ERR_OK;
}

static err_t parse_capabilities(struct pstate *ps, const char *pattern,
                                const struct hcl_node *v, uint32_t *caps)
{
	const struct hcl_node *item;
	size_t i;

	if (v->type != HCL_LIST)
		return fail(ps, v->line,
		            "path \"%s\": capabilities must be a list",
		            pattern);
	for (item = v->child; item != NULL; item = item->next) {
		bool known = false;
		if (item->type != HCL_STRING)
			return fail(ps, item->line,
			            "path \"%s\": capabilities must be strings",
			            pattern);
		for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
			if (strcmp(item->str, cap_names[i].name) == 0) {
				*caps |= cap_names[i].bits;
				known = true;
			}
		}
		if (!known)
			return fail(ps, item->line,
			            "path \"%s\": invalid capability \"%.40s\"",
			            pattern, item->str);
	}
	return ERR_OK;
}

static err_t parse_legacy(struct pstate *ps, const char *pattern,
                          const struct hcl_node *v, uint32_t *caps)
{
	size_t i;

	if (v->type == HCL_STRING) {
		for (i = 0; i < sizeof(legacy_names) / sizeof(legacy_names[0]);
		     i++) {
			if (strcmp(v->str, legacy_names[i].name) == 0) {
				*caps |= legacy_names[i].bits;
				return ERR_OK;
			}
		}
	}
	return fail(ps, v->line,
	            "path \"%s\": policy must be \"deny\", \"read\", \"write\" "
	            "or \"sudo\"",
	            pattern);
}

/* A scalar of the policy text as JSON, for comparing with request values. */
static json_t *scalar_json(const struct hcl_node *v)
{
	switch (v->type) {
	case HCL_STRING:
		return json_string(v->str);
	case HCL_INT:
		return json_integer((json_int_t)v->i);
	case HCL_FLOAT:
		return json_real(v->f);
	case HCL_BOOL:
		return json_boolean(v->b);
	default:
		return NULL;
	}
}

/* Lower-cases s in place: parameter names match without regard to case. */
static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static err_t parse_value_list(struct pstate *ps, const char *pattern,
                              const struct hcl_node *v, json_t *list)
{
	const struct hcl_node *item;

	if (v->type != HCL_LIST)
		return fail(ps, v->line,
		            "path \"%s\": parameter \"%.40s\" needs a list of "
		            "values",
		            pattern, v->key);
	for (item = v->child; item != NULL; item = item->next) {
		json_t *j;
		if (item->type == HCL_LIST || item->type == HCL_OBJECT)
			return fail(ps, item->line,
			            "path \"%s\": parameter values must be "
			            "strings, numbers or booleans",
			            pattern);
		j = scalar_json(item);
		if (j == NULL || json_array_append_new(list, j) != 0)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* allowed_parameters / denied_parameters: name -> list of values. */
static err_t parse_param_map(struct pstate *ps, const char *pattern,
                             const struct hcl_node *v, json_t **out)
{
	const struct hcl_node *m;
	json_t *map;
	err_t rc = ERR_OK;

	if (v->type != HCL_OBJECT)
		return fail(ps, v->line, "path \"%s\": %s must be a map",
		            pattern, v->key);
	map = json_object();
	if (map == NULL)
		return ERR_NOMEM;
	for (m = v->child; m != NULL && rc == ERR_OK; m = m->next) {
		json_t *list = json_array();
		char *name = strdup(m->key);
		if (list == NULL || name == NULL) {
			rc = ERR_NOMEM;
		} else {
			lower(name);
			rc = parse_value_list(ps, pattern, m, list);
			/* A repeated name widens the list, like two rules. */
			if (rc == ERR_OK && json_object_get(map, name) != NULL)
				rc = json_array_extend(
				         json_object_get(map, name), list) == 0
				         ? ERR_OK
				         : ERR_NOMEM;
			else if (rc == ERR_OK &&
			         json_object_set(map, name, list) != 0)
				rc = ERR_NOMEM;
		}
		json_decref(list);
		free(name);
	}
	if (rc != ERR_OK) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return ERR_OK;
}

static err_t parse_required(struct pstate *ps, const char *pattern,
                            const struct hcl_node *v, json_t **out)
{
	const struct hcl_node *item;
	json_t *list;
	char *name;

	if (v->type != HCL_LIST)
		return fail(ps, v->line,
		            "path \"%s\": required_parameters must be a list",
		            pattern);
	list = json_array();
	if (list == NULL)
		return ERR_NOMEM;
	for (item = v->child; item != NULL; item = item->next) {
		json_t *j;
		if (item->type != HCL_STRING) {
			json_decref(list);
			return fail(ps, item->line,
			            "path \"%s\": required_parameters must be "
			            "strings",
			            pattern);
		}
		name = strdup(item->str);
		if (name != NULL)
			lower(name);
		j = name != NULL ? json_string(name) : NULL;
		free(name);
		if (j == NULL || json_array_append_new(list, j) != 0) {
			json_decref(list);
			return ERR_NOMEM;
		}
	}
	*out = list;
	return ERR_OK;
}

static err_t parse_ttl(struct pstate *ps, const char *pattern,
                       const struct hcl_node *v, int64_t *out)
{
	if (v->type == HCL_INT && v->i >= 0) {
		*out = v->i;
		return ERR_OK;
	}
	if (v->type == HCL_STRING && parse_duration(v->str, out) == ERR_OK)
		return ERR_OK;
	return fail(ps, v->line, "path \"%s\": %s is not a valid duration",
	            pattern, v->key);
}

/* Reads one member of a path block into r. */
static err_t parse_member(struct pstate *ps, struct policy_rule *r,
                          const struct hcl_node *m)
{
	const char *k = m->key, *p = r->pattern;

	if (strcmp(k, "capabilities") == 0)
		return parse_capabilities(ps, p, m, &r->caps);
	if (strcmp(k, "policy") == 0)
		return parse_legacy(ps, p, m, &r->caps);
	if (strcmp(k, "allowed_parameters") == 0)
		return parse_param_map(ps, p, m, &r->allowed);
	if (strcmp(k, "denied_parameters") == 0)
		return parse_param_map(ps, p, m, &r->denied);
	if (strcmp(k, "required_parameters") == 0)
		return parse_required(ps, p, m, &r->required);
	if (strcmp(k, "min_wrapping_ttl") == 0)
		return parse_ttl(ps, p, m, &r->min_wrapping_ttl);
	if (strcmp(k, "max_wrapping_ttl") == 0)
		return parse_ttl(ps, p, m, &r->max_wrapping_ttl);
	if (strcmp(k, "comment") == 0)
		return ERR_OK;
	/*
	 * MFA and control groups would add conditions this server cannot
	 * check; accepting the rule without them would grant more than
	 * written, so they are refused.
	 */
	if (strcmp(k, "mfa_methods") == 0 || strcmp(k, "control_group") == 0)
		return fail(ps, m->line, "path \"%s\": %s is not supported", p,
		            k);
	return fail(ps, m->line, "path \"%s\": unknown key \"%.40s\"", p, k);
}

static err_t parse_rule(struct pstate *ps, const struct hcl_block *b,
                        struct policy_rule *r)
{
	const struct hcl_node *m;
	err_t rc;

	r->line = b->line;
	rc = parse_pattern(ps, b->line, b->labels[0], &r->pattern);
	if (rc != ERR_OK)
		return rc;

	for (m = b->body->child; m != NULL; m = m->next) {
		const struct hcl_node *again = m->next;
		while (again != NULL && strcmp(again->key, m->key) != 0)
			again = again->next;
		if (again != NULL)
			return fail(
			    ps, again->line,
			    "path \"%s\": duplicate attribute \"%.40s\"",
			    r->pattern, m->key);
		rc = parse_member(ps, r, m);
		if (rc != ERR_OK)
			return rc;
	}

	/* deny overrides whatever else the block lists. */
	if (r->caps & CAP_DENY)
		r->caps = CAP_DENY;
	if (r->min_wrapping_ttl && r->max_wrapping_ttl &&
	    r->max_wrapping_ttl < r->min_wrapping_ttl)
		return fail(ps, b->line,
		            "path \"%s\": max_wrapping_ttl cannot be less than "
		            "min_wrapping_ttl",
		            r->pattern);
	return ERR_OK;
}

static void rule_release(struct policy_rule *r)
{
	free(r->pattern);
	json_decref(r->allowed);
	json_decref(r->denied);
	json_decref(r->required);
}

/* Only "path" blocks (and an ignored "name") may stand at the top. */
static err_t check_top_level(struct pstate *ps, const struct hcl_node *root)
{
	const struct hcl_node *m;

	for (m = root->child; m != NULL; m = m->next) {
		if (strcmp(m->key, "path") != 0 && strcmp(m->key, "name") != 0)
			return fail(ps, m->line, "unknown key \"%.40s\"",
			            m->key);
	}
	return ERR_OK;
}

static err_t parse_tree(struct pstate *ps, const struct hcl_node *root,
                        struct policy *p)
{
	struct hcl_block *blocks = NULL;
	struct hcl_error herr;
	size_t n = 0, i;
	err_t rc;

	rc = check_top_level(ps, root);
	if (rc != ERR_OK)
		return rc;
	rc = hcl_blocks(root, "path", 1, &blocks, &n, &herr);
	if (rc == ERR_INVALID)
		return fail(ps, herr.line, "%s", herr.msg);
	if (rc != ERR_OK)
		return rc;

	if (n > 0) {
		p->rules = calloc(n, sizeof(*p->rules));
		if (p->rules == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < n && rc == ERR_OK; i++) {
		rc = parse_rule(ps, &blocks[i], &p->rules[i]);
		p->n_rules = i + 1;
	}
out:
	free(blocks);
	return rc;
}

err_t policy_parse(const char *name, const char *text, size_t len,
                   struct policy **out, char *errmsg, size_t errlen)
{
	struct pstate ps = {errmsg, errlen};
	struct hcl_node *root = NULL;
	struct hcl_error herr;
	struct policy *p;
	err_t rc;

	if (errmsg != NULL && errlen > 0)
		errmsg[0] = 0;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	rc = policy_name_normalize(name, &p->name);
	if (rc == ERR_INVALID)
		rc = fail(&ps, 0, "invalid policy name");
	if (rc != ERR_OK)
		goto out;
	p->text = malloc(len + 1);
	if (p->text == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(p->text, text, len);
	p->text[len] = 0;

	rc = hcl_parse(text, len, &root, &herr);
	if (rc == ERR_INVALID)
		rc = fail(&ps, herr.line, "%s", herr.msg);
	if (rc == ERR_OK)
		rc = parse_tree(&ps, root, p);
out:
	hcl_free(root);
	if (rc != ERR_OK) {
		policy_free(p);
		return rc;
	}
	*out = p;
	return ERR_OK;
}

void policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_rules; i++)
		rule_release(&p->rules[i]);
	free(p->rules);
	free(p->name);
	free(p->text);
	free(p);
}

const char *policy_name(const struct policy *p)
{
	return p->name;
}

const char *policy_text(const struct policy *p)
{
	return p->text;
}

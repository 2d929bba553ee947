/*
 * acl.c - policies compiled into one lookup structure, and the decision
 * for one request (the rules are stated in policy.h).
 *
 * The structure is a radix tree over the patterns' bytes, with the
 * trailing '*' stripped and every '+' segment replaced by one PLUS byte.
 * A node may carry two merged rules: `end`, a pattern without '*' that
 * ends exactly there, and `glob`, a pattern with '*' whose prefix ends
 * there. Looking a path up walks the tree along the path's bytes; at a
 * node with a PLUS child it also follows that child, which swallows one
 * path segment. So the cost of a check grows with the length of the path
 * and the number of '+' branches along it, never with the number of rules:
 * a token with 100,000 rules is checked as fast as one with ten.
 *
 * Invariants:
 *  1. Each distinct pattern has one merged rule (one slot in the tree).
 *  2. Children of a node start with distinct bytes, sorted by that byte.
 *  3. A PLUS byte in a key stands at the start of a segment and spans the
 *     whole segment (the parser only turns a bare "+" segment into one,
 *     and rejects control bytes in patterns, so none is literal).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/policy_internal.h"

#define PLUS ((char)0x01)

#define CAPS_ALL                                                               \
	(CAP_CREATE | CAP_READ | CAP_UPDATE | CAP_PATCH | CAP_DELETE |         \
	 CAP_LIST | CAP_SUDO)

/* The rules of every policy for one pattern, merged. */
struct acl_rule {
	char *pattern; /* as written, '*' included */
	size_t len;
	size_t first_wild; /* offset of the first '+' or '*' */
	size_t n_plus;
	bool glob;    /* ends in '*' */
	bool literal; /* neither '*' nor '+' */
	uint32_t caps;
	json_t *allowed, *denied, *required; /* as in struct policy_rule */
	int64_t min_wrapping_ttl, max_wrapping_ttl;
};

struct rnode {
	char *label;
	size_t label_len;
	struct rnode **kids;
	size_t n_kids;
	struct acl_rule *end;
	struct acl_rule *glob;
};

struct acl {
	atomic_long refs;
	bool root;
	struct rnode *tree;
	struct acl_rule **rules; /* every rule once, for freeing */
	size_t n_rules, alloc_rules;
};

/* ---- the radix tree ---- */

static void node_free(struct rnode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->label);
	free(n);
}

static struct rnode *node_new(const char *label, size_t len)
{
	struct rnode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->label = malloc(len + 1);
	if (n->label == NULL) {
		free(n);
		return NULL;
	}
	memcpy(n->label, label, len);
	n->label[len] = 0;
	n->label_len = len;
	return n;
}

/* Index of the child starting with byte c, or of where it would go. */
static size_t kid_index(const struct rnode *n, unsigned char c, bool *found)
{
	size_t lo = 0, hi = n->n_kids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		unsigned char k = (unsigned char)n->kids[mid]->label[0];
		if (k == c) {
			*found = true;
			return mid;
		}
		if (k < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static const struct rnode *find_kid(const struct rnode *n, char c)
{
	bool found;
	size_t i = kid_index(n, (unsigned char)c, &found);

	return found ? n->kids[i] : NULL;
}

static err_t add_kid(struct rnode *n, size_t at, struct rnode *kid)
{
	struct rnode **kids;

	kids = realloc(n->kids, (n->n_kids + 1) * sizeof(*kids));
	if (kids == NULL)
		return ERR_NOMEM;
	memmove(kids + at + 1, kids + at, (n->n_kids - at) * sizeof(*kids));
	kids[at] = kid;
	n->kids = kids;
	n->n_kids++;
	return ERR_OK;
}

/* Cuts kid's label after c bytes, putting a new node above it. */
static err_t split_kid(struct rnode *parent, size_t at, size_t c)
{
	struct rnode *kid = parent->kids[at], *mid;
	char *rest;

	mid = node_new(kid->label, c);
	rest = strdup(kid->label + c);
	if (mid == NULL || rest == NULL)
		goto nomem;
	mid->kids = malloc(sizeof(*mid->kids));
	if (mid->kids == NULL)
		goto nomem;
	mid->kids[0] = kid;
	mid->n_kids = 1;
	free(kid->label);
	kid->label = rest;
	kid->label_len -= c;
	parent->kids[at] = mid;
	return ERR_OK;
nomem:
	node_free(mid);
	free(rest);
	return ERR_NOMEM;
}

/* Finds or makes the node where key ends. */
static err_t tree_insert(struct rnode *n, const char *key, size_t klen,
                         struct rnode **out)
{
	while (klen > 0) {
		bool found;
		size_t at = kid_index(n, (unsigned char)key[0], &found), c = 0;
		struct rnode *kid;

		if (!found) {
			kid = node_new(key, klen);
			if (kid == NULL || add_kid(n, at, kid) != ERR_OK) {
				node_free(kid);
				return ERR_NOMEM;
			}
			*out = kid;
			return ERR_OK;
		}
		kid = n->kids[at];
		while (c < kid->label_len && c < klen &&
		       kid->label[c] == key[c])
			c++;
		if (c < kid->label_len) {
			if (split_kid(n, at, c) != ERR_OK)
				return ERR_NOMEM;
			kid = n->kids[at];
		}
		n = kid;
		key += c;
		klen -= c;
	}
	*out = n;
	return ERR_OK;
}

/* ---- rules and their merging ---- */

static void acl_rule_free(struct acl_rule *r)
{
	if (r == NULL)
		return;
	free(r->pattern);
	json_decref(r->allowed);
	json_decref(r->denied);
	json_decref(r->required);
	free(r);
}

/*
 * Adds the values of src to dst, name by name. An empty list means "any
 * value" and absorbs the other side, as two rules together grant at least
 * what each does alone.
 */
static err_t merge_param_map(json_t **dst, json_t *src)
{
	const char *name;
	json_t *vals;

	if (src == NULL)
		return ERR_OK;
	if (*dst == NULL) {
		*dst = json_deep_copy(src);
		return *dst == NULL ? ERR_NOMEM : ERR_OK;
	}
	json_object_foreach(src, name, vals)
	{
		json_t *have = json_object_get(*dst, name);
		if (have == NULL) {
			if (json_object_set_new(*dst, name,
			                        json_deep_copy(vals)) != 0)
				return ERR_NOMEM;
		} else if (json_array_size(have) == 0 ||
		           json_array_size(vals) == 0) {
			json_array_clear(have);
		} else if (json_array_extend(have, vals) != 0) {
			return ERR_NOMEM;
		}
	}
	return ERR_OK;
}

/*
 * Folds one policy rule into the merged rule of its pattern. Parameter
 * constraints of every policy apply together (Vault does the same); the
 * wrapping bounds widen to the loosest given.
 */
static err_t merge_rule(struct acl_rule *m, const struct policy_rule *r)
{
	err_t rc;

	m->caps |= r->caps;
	if (m->caps & CAP_DENY)
		m->caps = CAP_DENY;
	rc = merge_param_map(&m->allowed, r->allowed);
	if (rc == ERR_OK)
		rc = merge_param_map(&m->denied, r->denied);
	if (rc == ERR_OK && r->required != NULL) {
		if (m->required == NULL)
			m->required = json_array();
		if (m->required == NULL ||
		    json_array_extend(m->required, r->required) != 0)
			rc = ERR_NOMEM;
	}
	if (r->min_wrapping_ttl > 0 &&
	    (m->min_wrapping_ttl == 0 ||
	     r->min_wrapping_ttl < m->min_wrapping_ttl))
		m->min_wrapping_ttl = r->min_wrapping_ttl;
	if (r->max_wrapping_ttl > m->max_wrapping_ttl)
		m->max_wrapping_ttl = r->max_wrapping_ttl;
	return rc;
}

/*
 * The tree key of a pattern: '*' stripped, bare "+" segments turned into
 * PLUS. Fills the ordering fields of r.
 */
static char *pattern_key(struct acl_rule *r, size_t *klen)
{
	size_t n = r->len, i;
	char *key;

	r->glob = n > 0 && r->pattern[n - 1] == '*';
	if (r->glob)
		n--;
	r->first_wild = r->glob ? n : r->len;
	key = malloc(n + 1);
	if (key == NULL)
		return NULL;
	memcpy(key, r->pattern, n);
	key[n] = 0;
	for (i = 0; i < n; i++) {
		if (key[i] == '+' && (i == 0 || key[i - 1] == '/') &&
		    (i + 1 == n || key[i + 1] == '/')) {
			key[i] = PLUS;
			if (r->n_plus++ == 0)
				r->first_wild = i;
		}
	}
	r->literal = !r->glob && r->n_plus == 0;
	*klen = n;
	return key;
}

static err_t remember_rule(struct acl *a, struct acl_rule *r)
{
	if (a->n_rules == a->alloc_rules) {
		size_t n = a->alloc_rules ? a->alloc_rules * 2 : 64;
		struct acl_rule **v = realloc(a->rules, n * sizeof(*v));
		if (v == NULL)
			return ERR_NOMEM;
		a->rules = v;
		a->alloc_rules = n;
	}
	a->rules[a->n_rules++] = r;
	return ERR_OK;
}

static err_t add_rule(struct acl *a, const struct policy_rule *pr)
{
	struct acl_rule probe = {0}, **slot, *r = NULL;
	struct rnode *at;
	size_t klen;
	char *key;
	err_t rc;

	probe.pattern = pr->pattern;
	probe.len = strlen(pr->pattern);
	key = pattern_key(&probe, &klen);
	if (key == NULL)
		return ERR_NOMEM;
	rc = tree_insert(a->tree, key, klen, &at);
	free(key);
	if (rc != ERR_OK)
		return rc;

	slot = probe.glob ? &at->glob : &at->end;
	if (*slot == NULL) {
		r = malloc(sizeof(*r));
		if (r == NULL)
			return ERR_NOMEM;
		*r = probe;
		r->pattern = strdup(pr->pattern);
		if (r->pattern == NULL || remember_rule(a, r) != ERR_OK) {
			acl_rule_free(r);
			return ERR_NOMEM;
		}
		*slot = r;
	}
	return merge_rule(*slot, pr);
}

/* ---- building and sharing ---- */

static struct acl *acl_alloc(void)
{
	struct acl *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	atomic_init(&a->refs, 1);
	a->tree = node_new("", 0);
	if (a->tree == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

static void acl_destroy(struct acl *a)
{
	size_t i;

	for (i = 0; i < a->n_rules; i++)
		acl_rule_free(a->rules[i]);
	free(a->rules);
	node_free(a->tree);
	free(a);
}

err_t acl_new(struct policy *const *policies, size_t n, struct acl **out)
{
	struct acl *a = acl_alloc();
	size_t i, j;
	err_t rc = ERR_OK;

	if (a == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n && rc == ERR_OK; i++) {
		const struct policy *p = policies[i];
		for (j = 0; j < p->n_rules && rc == ERR_OK; j++) {
			/* Templates are not implemented: see policy.h. */
			if (strstr(p->rules[j].pattern, "{{") != NULL)
				continue;
			rc = add_rule(a, &p->rules[j]);
		}
	}
	if (rc != ERR_OK) {
		acl_destroy(a);
		return rc;
	}
	*out = a;
	return ERR_OK;
}

err_t acl_new_root(struct acl **out)
{
	struct acl *a = acl_alloc();

	if (a == NULL)
		return ERR_NOMEM;
	a->root = true;
	*out = a;
	return ERR_OK;
}

struct acl *acl_ref(struct acl *a)
{
	if (a != NULL)
		atomic_fetch_add(&a->refs, 1);
	return a;
}

void acl_release(struct acl *a)
{
	if (a != NULL && atomic_fetch_sub(&a->refs, 1) == 1)
		acl_destroy(a);
}

void acl_free(struct acl *a)
{
	acl_release(a);
}

bool acl_is_root(const struct acl *a)
{
	return a != NULL && a->root;
}

/* ---- deciding ---- */

/* The best candidates seen during a walk. */
struct match {
	const struct acl_rule *exact; /* a literal rule equal to the path */
	const struct acl_rule *best;  /* the most specific wildcard rule */
};

/* Vault's order of specificity between two wildcard rules (policy.h). */
static bool more_specific(const struct acl_rule *a, const struct acl_rule *b)
{
	if (a->first_wild != b->first_wild)
		return a->first_wild > b->first_wild;
	if (a->glob != b->glob)
		return !a->glob;
	if (a->n_plus != b->n_plus)
		return a->n_plus < b->n_plus;
	if (a->len != b->len)
		return a->len > b->len;
	return strcmp(a->pattern, b->pattern) > 0;
}

static void consider(struct match *m, const struct acl_rule *r)
{
	if (r->literal)
		m->exact = r;
	else if (m->best == NULL || more_specific(r, m->best))
		m->best = r;
}

/* Matches n's label against path from *i; a PLUS eats one segment. */
static bool match_label(const struct rnode *n, const char *path, size_t plen,
                        size_t *i)
{
	size_t k, j = *i;

	for (k = 0; k < n->label_len; k++) {
		if (n->label[k] == PLUS) {
			size_t start = j;
			if (j > 0 && path[j - 1] != '/')
				return false;
			while (j < plen && path[j] != '/')
				j++;
			if (j == start)
				return false;
		} else if (j < plen && path[j] == n->label[k]) {
			j++;
		} else {
			return false;
		}
	}
	*i = j;
	return true;
}

/*
 * Walks the tree along path[0..plen), collecting the rules that match.
 * Iterates down literal children and recurses only into PLUS children,
 * so the depth of recursion is bounded by the number of segments.
 */
static void walk(const struct rnode *n, const char *path, size_t plen, size_t i,
                 struct match *m)
{
	while (n != NULL && match_label(n, path, plen, &i)) {
		const struct rnode *plus;

		if (n->glob != NULL)
			consider(m, n->glob);
		if (i == plen) {
			if (n->end != NULL)
				consider(m, n->end);
			return;
		}
		plus = find_kid(n, PLUS);
		if (plus != NULL)
			walk(plus, path, plen, i, m);
		if (path[i] == PLUS)
			return;
		n = find_kid(n, path[i]);
	}
}

/* The rule that decides path, or NULL when none matches. */
static const struct acl_rule *decide(const struct acl *a, const char *path,
                                     bool list)
{
	struct match m = {NULL, NULL}, t = {NULL, NULL};
	size_t plen = strlen(path);

	walk(a->tree, path, plen, 0, &m);
	if (m.exact != NULL)
		return m.exact;
	if (!list || plen == 0 || path[plen - 1] != '/')
		return m.best;

	/* LIST of "x/" is also decided by rules written for "x". */
	walk(a->tree, path, plen - 1, 0, &t);
	if (t.exact != NULL)
		return t.exact;
	return m.best != NULL ? m.best : t.best;
}

static uint32_t op_cap(enum op op)
{
	switch (op) {
	case OP_READ:
	case OP_HEAD:
		return CAP_READ;
	case OP_CREATE:
		return CAP_CREATE;
	case OP_UPDATE:
		return CAP_UPDATE;
	case OP_PATCH:
		return CAP_PATCH;
	case OP_DELETE:
		return CAP_DELETE;
	case OP_LIST:
		return CAP_LIST;
	}
	return CAP_DENY;
}

/* ---- parameter constraints ---- */

/* A scalar's text, for matching request values given as strings. */
static bool scalar_text(json_t *v, char *tmp, size_t tmplen, const char **out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*out = json_string_value(v);
		return true;
	case JSON_INTEGER:
		snprintf(tmp, tmplen, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(tmp, tmplen, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(tmp, tmplen, "true");
		break;
	case JSON_FALSE:
		snprintf(tmp, tmplen, "false");
		break;
	default:
		return false;
	}
	*out = tmp;
	return true;
}

/* "*" any; "ab*" prefix; "*ab" suffix; "*ab*" contains; else equal. */
static bool glob_match(const char *pat, const char *s)
{
	size_t pl = strlen(pat), sl = strlen(s);
	bool head = pl > 0 && pat[0] == '*',
	     tail = pl > 1 && pat[pl - 1] == '*';

	if (strcmp(pat, "*") == 0)
		return true;
	if (head && tail) {
		char *mid = strndup(pat + 1, pl - 2);
		bool hit = mid != NULL && strstr(s, mid) != NULL;
		free(mid);
		return hit;
	}
	if (head)
		return sl >= pl - 1 && strcmp(s + sl - (pl - 1), pat + 1) == 0;
	if (tail)
		return strncmp(s, pat, pl - 1) == 0;
	return strcmp(pat, s) == 0;
}

static bool value_matches(json_t *entry, json_t *v)
{
	char t1[64], t2[64];
	const char *a, *b;

	if (!scalar_text(entry, t1, sizeof(t1), &a) ||
	    !scalar_text(v, t2, sizeof(t2), &b))
		return json_equal(entry, v);
	if (json_is_string(entry))
		return glob_match(a, b);
	return strcmp(a, b) == 0;
}

/* True when v is one of list's values; an empty list holds every value. */
static bool value_listed(json_t *list, json_t *v)
{
	size_t i;
	json_t *e;

	if (json_array_size(list) == 0)
		return true;
	json_array_foreach(list, i, e)
	{
		if (value_matches(e, v))
			return true;
	}
	return false;
}

/* A list value is allowed when every item is; denied when any item is. */
static bool value_allowed(json_t *list, json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return value_listed(list, v);
	json_array_foreach(v, i, e)
	{
		if (!value_listed(list, e))
			return false;
	}
	return true;
}

static bool value_denied(json_t *list, json_t *v)
{
	size_t i;
	json_t *e;

	if (json_array_size(list) == 0 || !json_is_array(v))
		return value_listed(list, v);
	json_array_foreach(v, i, e)
	{
		if (value_listed(list, e))
			return true;
	}
	return false;
}

/* The constraint list for a request key, compared without case. */
static json_t *map_get_nocase(json_t *map, const char *key)
{
	char small[128], *name = small;
	size_t len = strlen(key), i;
	json_t *v;

	if (map == NULL)
		return NULL;
	if (len >= sizeof(small)) {
		name = malloc(len + 1);
		if (name == NULL)
			return NULL;
	}
	for (i = 0; i <= len; i++)
		name[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32
		                                                  : key[i]);
	v = json_object_get(map, name);
	if (name != small)
		free(name);
	return v;
}

static bool refuse(struct acl_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool refuse(struct acl_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->denied_reason, sizeof(res->denied_reason), fmt, ap);
	va_end(ap);
	return false;
}

/* Whether data holds key, compared without case. */
static bool data_has(json_t *data, const char *name)
{
	const char *key;
	json_t *v;

	json_object_foreach(data, key, v)
	{
		if (strcasecmp(key, name) == 0)
			return true;
	}
	return false;
}

static bool check_params(const struct acl_rule *r, json_t *data,
                         struct acl_result *res)
{
	bool any_key = map_get_nocase(r->allowed, "*") != NULL;
	const char *key;
	json_t *v, *name;
	size_t i;

	json_array_foreach(r->required, i, name)
	{
		if (!data_has(data, json_string_value(name)))
			return refuse(res,
			              "missing required parameter \"%.60s\"",
			              json_string_value(name));
	}
	if (!json_is_object(data))
		return true;
	if (map_get_nocase(r->denied, "*") != NULL && json_object_size(data))
		return refuse(res, "%s", "all parameters are denied");

	json_object_foreach(data, key, v)
	{
		json_t *deny = map_get_nocase(r->denied, key);
		json_t *allow = map_get_nocase(r->allowed, key);
		if (deny != NULL && value_denied(deny, v))
			return refuse(res, "parameter \"%.60s\" is denied",
			              key);
		if (r->allowed == NULL || json_object_size(r->allowed) == 0)
			continue;
		if (allow == NULL && !any_key)
			return refuse(res, "parameter \"%.60s\" is not allowed",
			              key);
		if (allow != NULL && !value_allowed(allow, v))
			return refuse(
			    res, "value of parameter \"%.60s\" is not allowed",
			    key);
	}
	return true;
}

/*
 * Parameters are checked for the operations that carry them; the rest
 * (delete, list) have none worth constraining, as in Vault.
 */
static bool op_has_params(enum op op)
{
	return op == OP_READ || op == OP_CREATE || op == OP_UPDATE ||
	       op == OP_PATCH;
}

err_t acl_check(const struct acl *a, const char *path, enum op op, json_t *data,
                struct acl_result *res)
{
	const struct acl_rule *r;

	memset(res, 0, sizeof(*res));
	res->caps = CAP_DENY;
	if (a->root) {
		res->allowed = res->sudo = true;
		res->caps = CAPS_ALL;
		return ERR_OK;
	}

	r = decide(a, path, op == OP_LIST);
	if (r == NULL) {
		refuse(res, "%s", "no policy grants access to the path");
		return ERR_OK;
	}
	res->caps = r->caps;
	res->sudo = (r->caps & CAP_SUDO) != 0;
	res->min_wrapping_ttl = r->min_wrapping_ttl;
	res->max_wrapping_ttl = r->max_wrapping_ttl;
	if (r->caps & CAP_DENY) {
		res->sudo = false;
		refuse(res, "denied by the rule for \"%.80s\"", r->pattern);
		return ERR_OK;
	}
	if (!(r->caps & op_cap(op))) {
		refuse(res, "the rule grants no \"%s\" capability",
		       op_name(op));
		return ERR_OK;
	}
	if (op_has_params(op) && !check_params(r, data, res))
		return ERR_OK;
	res->allowed = true;
	return ERR_OK;
}

uint32_t acl_capabilities(const struct acl *a, const char *path)
{
	const struct acl_rule *r;

	if (a->root)
		return CAPS_ALL;
	r = decide(a, path, false);
	if (r == NULL || r->caps == 0 || (r->caps & CAP_DENY))
		return CAP_DENY;
	return r->caps;
}

json_t *acl_capability_names(uint32_t caps)
{
	/* In alphabetical order, which is the order Vault reports. */
	static const struct {
		const char *name;
		uint32_t bit;
	} names[] = {
	    {"create", CAP_CREATE}, {"delete", CAP_DELETE}, {"list", CAP_LIST},
	    {"patch", CAP_PATCH},   {"read", CAP_READ},     {"sudo", CAP_SUDO},
	    {"update", CAP_UPDATE},
	};
	json_t *out = json_array();
	size_t i;

	if (out == NULL)
		return NULL;
	if ((caps & CAP_DENY) || (caps & CAPS_ALL) == 0) {
		if (json_array_append_new(out, json_string("deny")) != 0) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((caps & names[i].bit) &&
		    json_array_append_new(out, json_string(names[i].name)) !=
		        0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* Whether rule r could match some path under mount_path. */
static bool rule_reaches(const struct acl_rule *r, const char *mount,
                         size_t mlen)
{
	/* The fixed part of the pattern: up to its first '+' or '*'. */
	size_t fixed = r->literal ? r->len : r->first_wild;

	if (fixed >= mlen)
		return strncmp(r->pattern, mount, mlen) == 0;
	/* A shorter fixed part reaches in only through a wildcard. */
	return !r->literal && strncmp(r->pattern, mount, fixed) == 0;
}

bool acl_has_mount_access(const struct acl *a, const char *mount_path)
{
	size_t i, mlen = strlen(mount_path);

	if (a->root)
		return true;
	for (i = 0; i < a->n_rules; i++) {
		const struct acl_rule *r = a->rules[i];
		if ((r->caps & CAP_DENY) || (r->caps & CAPS_ALL) == 0)
			continue;
		if (rule_reaches(r, mount_path, mlen))
			return true;
	}
	return false;
}

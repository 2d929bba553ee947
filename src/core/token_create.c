/*
 * token_create.c - making tokens: the value and accessor, the policy rules
 * (subset of the parent's, role lists, "default"), the TTL arithmetic, and
 * the one commit that writes the entry with its indexes and lease.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/token_internal.h"

#define TOKEN_TTL_LIMIT ((int64_t)100 * 365 * 86400)

static bool list_has(json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		const char *s = json_string_value(v);
		if (s != NULL && strcmp(s, name) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A new array: the strings of list, lowercased, sorted, once each. */
static json_t *normalise(json_t *list)
{
	size_t n = json_array_size(list), i, k = 0;
	char **names = calloc(n ? n : 1, sizeof(*names));
	json_t *out = json_array();

	for (i = 0; names != NULL && out != NULL && i < n; i++) {
		const char *s = json_string_value(json_array_get(list, i));
		char *c;
		if (s == NULL || *s == 0 || (names[k] = strdup(s)) == NULL)
			continue;
		for (c = names[k]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		k++;
	}
	if (names != NULL)
		qsort(names, k, sizeof(*names), cmp_str);
	for (i = 0; names != NULL && out != NULL && i < k; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			json_array_append_new(out, json_string(names[i]));
	for (i = 0; names != NULL && i < k; i++)
		free(names[i]);
	if (names == NULL) {
		json_decref(out);
		out = NULL;
	}
	free(names);
	return out;
}

/*
 * The policies of the new token, or NULL with errmsg set. The parent's
 * policies bound the request unless the parent is root or a role's
 * allowed list takes their place.
 */
static json_t *resolve_policies(const struct token_params *p,
                                const struct token_entry *parent, char *errmsg,
                                size_t errlen)
{
	bool role_allows = p->role && json_array_size(p->allowed_policies);
	json_t *want, *out = NULL, *v;
	size_t i;

	if (p->policies != NULL)
		want = normalise(p->policies);
	else if (role_allows)
		want = normalise(p->allowed_policies);
	else if (parent != NULL)
		want = normalise(parent->policies);
	else
		want = json_array();
	if (want == NULL)
		return NULL;

	json_array_foreach(want, i, v)
	{
		const char *name = json_string_value(v);
		if (strcmp(name, "default") == 0)
			continue;
		/*
		 * A role's allowed list or sudo on the create path must never
		 * let a lesser token, or a login, mint a root token.
		 */
		if (strcmp(name, "root") == 0 &&
		    (parent == NULL || !token_is_root(parent))) {
			snprintf(
			    errmsg, errlen,
			    "root tokens may not be created without parent "
			    "token being root");
			goto out;
		}
		if (p->role && list_has(p->disallowed_policies, name)) {
			snprintf(errmsg, errlen,
			         "token policies (%s) must not include "
			         "disallowed policies of the role",
			         name);
			goto out;
		}
		if (role_allows ? !list_has(p->allowed_policies, name)
		                : parent != NULL && !token_is_root(parent) &&
		                      !list_has(parent->policies, name)) {
			snprintf(errmsg, errlen,
			         "child policies must be subset of parent");
			goto out;
		}
	}
	if (!p->no_default_policy && !list_has(want, "root") &&
	    !(p->role && list_has(p->disallowed_policies, "default")))
		json_array_append_new(want, json_string("default"));
	out = normalise(want);
	if (out == NULL)
		snprintf(errmsg, errlen, "out of memory");
out:
	json_decref(want);
	return out;
}

/* Fills e's TTL fields from p; errmsg on a bad combination. */
static err_t resolve_ttl(const struct token_params *p, struct token_entry *e,
                         int64_t now, char *errmsg, size_t errlen)
{
	int64_t ttl;

	if (p->ttl < 0 || p->explicit_max_ttl < 0 || p->period < 0 ||
	    p->ttl > TOKEN_TTL_LIMIT || p->explicit_max_ttl > TOKEN_TTL_LIMIT ||
	    p->period > TOKEN_TTL_LIMIT) {
		snprintf(errmsg, errlen, "invalid ttl, period or max ttl");
		return ERR_INVALID;
	}
	if (p->period > 0)
		ttl = p->period;
	else if (p->ttl > 0)
		ttl = p->ttl;
	else if (token_is_root(e) && p->explicit_max_ttl == 0)
		ttl = 0; /* a root token asked without a TTL never expires */
	else
		ttl = p->default_ttl;

	if (p->period == 0 && p->max_ttl > 0 && ttl > p->max_ttl)
		ttl = p->max_ttl;
	if (p->explicit_max_ttl > 0 && (ttl == 0 || ttl > p->explicit_max_ttl))
		ttl = p->explicit_max_ttl;

	e->ttl = ttl;
	e->expire_time = ttl > 0 ? now + ttl : 0;
	e->explicit_max_ttl = p->explicit_max_ttl;
	e->max_ttl = p->period == 0 ? p->max_ttl : 0;
	e->period = p->period;
	e->renewable = p->renewable && ttl > 0;
	return ERR_OK;
}

/*
 * "token", or "token-<name>" with anything but [A-Za-z0-9-] as "-". A
 * login's name ("approle", "userpass-alice") is taken without the prefix.
 */
static char *display_name(const char *name, bool login)
{
	struct buf b = BUF_INIT;
	size_t n;
	char *s;

	if (name == NULL || *name == 0)
		return strdup("token");
	if (buf_printf(&b, "%s%s", login ? "" : "token-", name) != ERR_OK) {
		buf_release(&b);
		return NULL;
	}
	s = buf_detach(&b);
	if (s == NULL)
		return NULL;
	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-')
			s[n] = '-';
	while (n > 0 && s[n - 1] == '-')
		s[--n] = 0;
	return s;
}

/* A new random token value. */
static err_t new_value(char **out)
{
	char rnd[TOKEN_RAND_LEN + 1];
	struct buf b = BUF_INIT;
	err_t rc;

	rc = rand_alnum(rnd, TOKEN_RAND_LEN);
	if (rc == ERR_OK)
		rc = buf_printf(&b, "%s%s", TOKEN_PREFIX, rnd);
	secret_wipe(rnd, sizeof(rnd));
	if (rc == ERR_OK && (*out = buf_detach(&b)) == NULL)
		rc = ERR_NOMEM;
	buf_release(&b);
	return rc;
}

/* Writes e (with its hash and accessor set) and its indexes in one go. */
static err_t store_new(struct token_store *ts, const struct token_entry *e)
{
	struct lease_txn t;
	struct buf key = BUF_INIT;
	json_t *acc = json_pack("{s:s, s:s, s:s}", "id_key", "", "namespace",
	                        e->ns, "accessor", e->accessor);
	char *acc_text = NULL;
	err_t rc = ERR_NOMEM;

	lease_txn_init(&t);
	if (acc == NULL ||
	    buf_printf(&key, "%s%s", TOKEN_ID_PREFIX, e->id_hash) != ERR_OK)
		goto out;
	json_object_set_new(acc, "id_key", json_string(buf_str(&key)));
	acc_text = json_dumps(acc, JSON_COMPACT);
	buf_reset(&key);
	if (acc_text == NULL || buf_printf(&key, "%s%s", TOKEN_ACCESSOR_PREFIX,
	                                   e->accessor) != ERR_OK)
		goto out;

	rc = token_txn_put_entry(&t, e);
	if (rc == ERR_OK)
		rc = lease_txn_put(&t, buf_str(&key), acc_text);
	if (rc == ERR_OK && e->parent[0]) {
		buf_reset(&key);
		rc = buf_printf(&key, "%s%s/%s", TOKEN_PARENT_PREFIX, e->parent,
		                e->id_hash);
		if (rc == ERR_OK)
			rc = lease_txn_put(&t, buf_str(&key), "1");
	}
	if (rc == ERR_OK)
		rc = token_txn_put_lease(ts, &t, e);
	if (rc == ERR_OK)
		rc = lease_txn_commit(ts->leases, ts->enc, &t);
out:
	free(acc_text);
	json_decref(acc);
	buf_release(&key);
	lease_txn_release(&t);
	return rc;
}

/* Picks the value (custom or random), its hash and a new accessor. */
static err_t name_token(struct token_store *ts, const char *id,
                        struct token_entry *e, char **value)
{
	err_t rc;

	*value = NULL;
	if (id != NULL)
		rc = (*value = strdup(id)) ? ERR_OK : ERR_NOMEM;
	else
		rc = new_value(value);
	if (rc == ERR_OK)
		rc = token_hash_value(ts, *value, e->id_hash);
	if (rc == ERR_OK)
		rc = rand_alnum(e->accessor, TOKEN_RAND_LEN);
	if (rc != ERR_OK) {
		secret_free(*value);
		*value = NULL;
	}
	return rc;
}

err_t token_create_root(struct token_store *ts, const char *id, char **token)
{
	struct token_entry e;
	char *value = NULL;
	err_t rc;

	memset(&e, 0, sizeof(e));
	e.ns = "";
	e.display_name = "root";
	e.path = "auth/token/root";
	e.parent = "";
	e.role = "";
	e.entity_id = "";
	e.creation_time = lease_now();
	e.orphan = true;
	e.policies = json_pack("[s]", "root");
	if (e.policies == NULL)
		return ERR_NOMEM;

	rc = name_token(ts, id, &e, &value);
	if (rc == ERR_OK)
		rc = store_new(ts, &e);
	if (rc == ERR_OK) {
		log_info("token", "root token created with accessor %s",
		         e.accessor);
		*token = value;
		value = NULL;
	}
	secret_free(value);
	json_decref(e.policies);
	return rc;
}

/* Checks the parts of a request that need no storage. */
static err_t check_params(const struct token_params *p, char *errmsg,
                          size_t errlen)
{
	if (p->num_uses < 0) {
		snprintf(errmsg, errlen, "number of uses cannot be negative");
		return ERR_INVALID;
	}
	if (p->id != NULL && (*p->id == 0 || strchr(p->id, '.') != NULL ||
	                      strlen(p->id) > 256)) {
		snprintf(errmsg, errlen,
		         "custom token ID must be 1 to 256 characters and "
		         "contain no \".\"");
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* Builds the entry of a new token from p and parent (no storage yet). */
static err_t build_entry(const struct token_params *p,
                         const struct token_entry *parent,
                         struct token_entry *e, char *errmsg, size_t errlen)
{
	e->creation_time = lease_now();
	e->ns = strdup(p->ns ? p->ns : "");
	e->display_name = display_name(
	    p->display_name,
	    p->path != NULL && strncmp(p->path, "auth/token/", 11) != 0);
	e->path = strdup(p->path ? p->path : "auth/token/create");
	e->parent = strdup(p->orphan || parent == NULL ? "" : parent->id_hash);
	e->role = strdup(p->role ? p->role : "");
	e->entity_id = strdup(p->entity_id ? p->entity_id : "");
	if (json_array_size(p->bound_cidrs) > 0)
		e->bound_cidrs = json_deep_copy(p->bound_cidrs);
	e->meta = p->meta && json_object_size(p->meta) ? json_deep_copy(p->meta)
	                                               : NULL;
	e->orphan = p->orphan || parent == NULL;
	e->num_uses = p->num_uses;
	if (e->ns == NULL || e->display_name == NULL || e->path == NULL ||
	    e->parent == NULL || e->role == NULL || e->entity_id == NULL) {
		snprintf(errmsg, errlen, "out of memory");
		return ERR_NOMEM;
	}
	e->policies = resolve_policies(p, parent, errmsg, errlen);
	if (e->policies == NULL)
		return errmsg[0] ? ERR_INVALID : ERR_NOMEM;
	return resolve_ttl(p, e, e->creation_time, errmsg, errlen);
}

/* Stores e unless its value is taken or its parent vanished. */
static err_t store_child(struct token_store *ts, struct token_entry *e,
                         char *errmsg, size_t errlen)
{
	struct token_entry *other = NULL;
	err_t rc;

	/* Under the tree lock a revocation cannot slip in between. */
	if (e->parent[0]) {
		rc = token_lookup_hash(ts, e->parent, &other);
		token_entry_free(other);
		other = NULL;
		if (rc == ERR_NOT_FOUND)
			return ERR_PERMISSION;
		if (rc != ERR_OK)
			return rc;
	}
	rc = token_load(ts, e->id_hash, &other);
	token_entry_free(other);
	if (rc == ERR_OK) {
		snprintf(errmsg, errlen,
		         "cannot create a token with a duplicate ID");
		return ERR_INVALID;
	}
	if (rc != ERR_NOT_FOUND)
		return rc;
	return store_new(ts, e);
}

err_t token_create(struct token_store *ts, const struct token_params *p,
                   const struct token_entry *parent, char **token,
                   struct token_entry **out, char *errmsg, size_t errlen)
{
	struct token_entry *e = calloc(1, sizeof(*e));
	char *value = NULL;
	err_t rc;

	errmsg[0] = 0;
	if (e == NULL)
		return ERR_NOMEM;
	rc = check_params(p, errmsg, errlen);
	if (rc == ERR_OK)
		rc = build_entry(p, parent, e, errmsg, errlen);
	if (rc == ERR_OK)
		rc = name_token(ts, p->id, e, &value);
	if (rc != ERR_OK)
		goto out;

	pthread_rwlock_rdlock(&ts->tree);
	rc = store_child(ts, e, errmsg, errlen);
	pthread_rwlock_unlock(&ts->tree);
	if (rc != ERR_OK)
		goto out;
	*token = value;
	value = NULL;
	*out = e;
	e = NULL;
out:
	secret_free(value);
	token_entry_free(e);
	return rc;
}

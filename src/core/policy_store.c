/*
 * policy_store.c - policies in storage and the cache of compiled ACLs
 * (see policy_store.h).
 *
 * The cache maps "<ns>\n<name>,<name>..." (names normalised, sorted, each
 * once) to a compiled ACL. It is an open-addressing table of fixed size;
 * when it fills up it is emptied and refilled, which bounds its memory by
 * the number of distinct policy sets in use rather than by the number of
 * tokens.
 *
 * Invalidation, and why no stale ACL survives a change: a writer first
 * stores the new text, then, under the write lock, bumps `generation` and
 * empties the cache. A reader that misses notes the generation under the
 * read lock before reading any policy, compiles without the lock, and
 * inserts its ACL only if the generation is still the one it noted. So an
 * ACL built from text older than a write is never cached after that write
 * has returned.
 */
#include "core/policy_store.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"

#define KEY_PREFIX   "sys/policy/"
#define CACHE_SLOTS  2048 /* a power of two */
#define CACHE_MAX    1024 /* entries before the cache is emptied */
#define MAX_POLICIES 256  /* policies one token may carry */
#define MEMO_SLOTS   512  /* a power of two */

/*
 * The built-in default policy: what every token may do to itself. Written
 * for Coffer; the paths are those Vault's default policy grants.
 */
static const char default_text[] =
    "# Look up, renew and revoke the token itself.\n"
    "path \"auth/token/lookup-self\" { capabilities = [\"read\"] }\n"
    "path \"auth/token/renew-self\" { capabilities = [\"update\"] }\n"
    "path \"auth/token/revoke-self\" { capabilities = [\"update\"] }\n"
    "\n"
    "# Ask what the token may do.\n"
    "path \"sys/capabilities-self\" { capabilities = [\"update\"] }\n"
    "\n"
    "# The token's private storage.\n"
    "path \"cubbyhole/*\" {\n"
    "  capabilities = [\"create\", \"read\", \"update\", \"delete\", "
    "\"list\"]\n"
    "}\n"
    "\n"
    "# Response wrapping.\n"
    "path \"sys/wrapping/wrap\" { capabilities = [\"update\"] }\n"
    "path \"sys/wrapping/lookup\" { capabilities = [\"update\"] }\n"
    "path \"sys/wrapping/unwrap\" { capabilities = [\"update\"] }\n"
    "\n"
    "# Hashing helper and the token's own leases.\n"
    "path \"sys/tools/hash\" { capabilities = [\"update\"] }\n"
    "path \"sys/tools/hash/*\" { capabilities = [\"update\"] }\n"
    "path \"sys/leases/lookup\" { capabilities = [\"update\"] }\n"
    "path \"sys/leases/renew\" { capabilities = [\"update\"] }\n"
    "path \"sys/renew\" { capabilities = [\"update\"] }\n"
    "\n"
    "# Control group requests.\n"
    "path \"sys/control-group/request\" { capabilities = [\"update\"] }\n";

struct slot {
	char *key; /* NULL: empty */
	struct acl *acl;
};

/* policy_store_acl_shared's answers, by the address of the names. */
struct memo {
	json_t *names; /* a reference: NULL when empty */
	char *ns;
	struct acl *acl;
};

struct policy_store {
	struct storage *enc;
	pthread_rwlock_t lock; /* over the fields below */
	uint64_t generation;
	struct slot cache[CACHE_SLOTS];
	struct memo memo[MEMO_SLOTS];
	size_t n_cached;
	struct acl *root;
};

const char *policy_store_default_text(void)
{
	return default_text;
}

/* ---- the cache; callers hold the lock ---- */

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *cache_slot(struct policy_store *ps, const char *key)
{
	size_t i = (size_t)hash_key(key) & (CACHE_SLOTS - 1);

	while (ps->cache[i].key != NULL && strcmp(ps->cache[i].key, key) != 0)
		i = (i + 1) & (CACHE_SLOTS - 1);
	return &ps->cache[i];
}

static void memo_clear(struct memo *m)
{
	json_decref(m->names);
	free(m->ns);
	acl_release(m->acl);
	*m = (struct memo){NULL, NULL, NULL};
}

static struct memo *memo_slot(struct policy_store *ps, const json_t *names)
{
	uintptr_t p = (uintptr_t)names;

	return &ps->memo[(size_t)((p >> 4) ^ (p >> 13)) & (MEMO_SLOTS - 1)];
}

static void cache_clear(struct policy_store *ps)
{
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		free(ps->cache[i].key);
		acl_release(ps->cache[i].acl);
		ps->cache[i].key = NULL;
		ps->cache[i].acl = NULL;
	}
	ps->n_cached = 0;
	for (i = 0; i < MEMO_SLOTS; i++)
		memo_clear(&ps->memo[i]);
}

/* Makes every later policy_store_acl see the current policies. */
static void invalidate(struct policy_store *ps)
{
	pthread_rwlock_wrlock(&ps->lock);
	ps->generation++;
	cache_clear(ps);
	pthread_rwlock_unlock(&ps->lock);
}

/* ---- storage ---- */

/* Appends the storage key of a policy (or, with name "", the prefix). */
static err_t storage_key(const char *ns, const char *name, struct buf *key)
{
	if (buf_append_str(key, KEY_PREFIX) != ERR_OK ||
	    buf_append_str(key, ns) != ERR_OK ||
	    buf_append_str(key, name) != ERR_OK)
		return ERR_NOMEM;
	return key->len > STORAGE_MAX_KEY ? ERR_INVALID : ERR_OK;
}

/* Reads the stored text of a normalised name; ERR_NOT_FOUND if none. */
static err_t load_text(struct policy_store *ps, const char *ns,
                       const char *name, char **text)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	json_t *o = NULL;
	const char *t;
	bool found = false;
	err_t rc;

	rc = storage_key(ns, name, &key);
	if (rc == ERR_OK)
		rc = storage_get(ps->enc, buf_str(&key), &val, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc != ERR_OK)
		goto out;

	o = json_loadb((const char *)val.data, val.len, 0, NULL);
	t = json_string_value(json_object_get(o, "policy"));
	if (t == NULL) {
		log_error("policy", "stored policy %s%s is damaged", ns, name);
		rc = ERR_STORAGE;
		goto out;
	}
	*text = strdup(t);
	rc = *text == NULL ? ERR_NOMEM : ERR_OK;
out:
	json_decref(o);
	buf_release(&key);
	buf_release(&val);
	return rc;
}

static err_t store_text(struct policy_store *ps, const char *ns,
                        const char *name, const char *text)
{
	struct buf key = BUF_INIT;
	json_t *o = json_pack("{s:s, s:s}", "name", name, "policy", text);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	err_t rc;

	rc = storage_key(ns, name, &key);
	if (rc == ERR_OK)
		rc = s == NULL ? ERR_NOMEM
		               : storage_put(ps->enc, buf_str(&key),
		                             (const uint8_t *)s, strlen(s));
	free(s);
	json_decref(o);
	buf_release(&key);
	return rc;
}

/* ---- the public API ---- */

err_t policy_store_new(struct storage *enc, struct policy_store **out)
{
	struct policy_store *ps = calloc(1, sizeof(*ps));
	char *text = NULL;
	err_t rc;

	if (ps == NULL)
		return ERR_NOMEM;
	ps->enc = enc;
	if (pthread_rwlock_init(&ps->lock, NULL) != 0) {
		free(ps);
		return ERR_NOMEM;
	}
	rc = acl_new_root(&ps->root);
	if (rc == ERR_OK)
		rc = load_text(ps, "", "default", &text);
	if (rc == ERR_NOT_FOUND) {
		rc = store_text(ps, "", "default", default_text);
		if (rc == ERR_OK)
			log_info("policy", "default policy created");
	}
	free(text);
	if (rc != ERR_OK) {
		policy_store_free(ps);
		return rc;
	}
	*out = ps;
	return ERR_OK;
}

void policy_store_free(struct policy_store *ps)
{
	if (ps == NULL)
		return;
	cache_clear(ps);
	acl_release(ps->root);
	pthread_rwlock_destroy(&ps->lock);
	free(ps);
}

err_t policy_store_put(struct policy_store *ps, const char *ns,
                       const char *name, const char *text, char *errmsg,
                       size_t errlen)
{
	struct policy *p = NULL;
	char *norm = NULL;
	err_t rc;

	rc = policy_name_normalize(name, &norm);
	if (rc == ERR_INVALID)
		snprintf(errmsg, errlen, "invalid policy name");
	if (rc != ERR_OK)
		goto out;
	if (strcmp(norm, "root") == 0) {
		snprintf(errmsg, errlen, "cannot update root policy");
		rc = ERR_INVALID;
		goto out;
	}
	rc = policy_parse(norm, text, strlen(text), &p, errmsg, errlen);
	if (rc == ERR_OK)
		rc = store_text(ps, ns, norm, text);
	if (rc == ERR_OK) {
		invalidate(ps);
		log_info("policy", "policy %s%s written", ns, norm);
	}
out:
	policy_free(p);
	free(norm);
	return rc;
}

err_t policy_store_get_text(struct policy_store *ps, const char *ns,
                            const char *name, char **text)
{
	char *norm = NULL;
	err_t rc;

	rc = policy_name_normalize(name, &norm);
	if (rc != ERR_OK)
		return rc;
	if (strcmp(norm, "root") == 0) {
		*text = strdup("");
		rc = *text == NULL ? ERR_NOMEM : ERR_OK;
	} else {
		rc = load_text(ps, ns, norm, text);
		if (rc == ERR_NOT_FOUND && strcmp(norm, "default") == 0) {
			*text = strdup(default_text);
			rc = *text == NULL ? ERR_NOMEM : ERR_OK;
		}
	}
	free(norm);
	return rc;
}

err_t policy_store_delete(struct policy_store *ps, const char *ns,
                          const char *name)
{
	struct buf key = BUF_INIT;
	char *norm = NULL;
	err_t rc;

	rc = policy_name_normalize(name, &norm);
	if (rc != ERR_OK)
		return rc;
	if (strcmp(norm, "root") == 0 || strcmp(norm, "default") == 0) {
		rc = ERR_INVALID;
		goto out;
	}
	rc = storage_key(ns, norm, &key);
	if (rc == ERR_OK)
		rc = storage_delete(ps->enc, buf_str(&key));
	if (rc == ERR_OK) {
		invalidate(ps);
		log_info("policy", "policy %s%s deleted", ns, norm);
	}
out:
	buf_release(&key);
	free(norm);
	return rc;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

/* Sorts an array of strings in place. */
static err_t sort_strings(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **items;

	if (n < 2)
		return ERR_OK;
	items = malloc(n * sizeof(*items));
	if (items == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(arr, i));
	qsort(items, n, sizeof(*items), cmp_json_str);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	free(items);
	return ERR_OK;
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

err_t policy_store_list(struct policy_store *ps, const char *ns, json_t **names)
{
	struct buf prefix = BUF_INIT;
	json_t *keys = NULL, *out = json_array(), *k;
	size_t i;
	err_t rc;

	rc = out == NULL ? ERR_NOMEM : storage_key(ns, "", &prefix);
	if (rc == ERR_OK)
		rc = storage_list(ps->enc, buf_str(&prefix), &keys);
	buf_release(&prefix);
	if (rc != ERR_OK)
		goto out;

	/* Entries ending in '/' are the namespaces below this one. */
	json_array_foreach(keys, i, k)
	{
		const char *s = json_string_value(k);
		if (s[0] != 0 && s[strlen(s) - 1] != '/')
			json_array_append(out, k);
	}
	if (!has_string(out, "default"))
		json_array_append_new(out, json_string("default"));
	if (ns[0] == 0)
		json_array_append_new(out, json_string("root"));
	rc = sort_strings(out);
out:
	json_decref(keys);
	if (rc != ERR_OK) {
		json_decref(out);
		return rc;
	}
	*names = out;
	return ERR_OK;
}

/* A token's policy names, normalised, sorted and without repeats. */
struct name_set {
	char *names[MAX_POLICIES];
	size_t n;
	bool root;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void name_set_release(struct name_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->names[i]);
	set->n = 0;
}

/*
 * Reads names (a JSON array) into set. Bad names are dropped: no policy
 * can exist under them. Sorting then dropping neighbours keeps this
 * O(n log n): a token with a hundred policies pays for it on every
 * request.
 */
static void name_set_read(json_t *names, struct name_set *set)
{
	size_t i, kept = 0;
	json_t *v;

	set->n = 0;
	set->root = false;
	json_array_foreach(names, i, v)
	{
		char *norm = NULL;
		if (set->n >= MAX_POLICIES)
			break;
		if (json_is_string(v) &&
		    policy_name_normalize(json_string_value(v), &norm) ==
		        ERR_OK)
			set->names[set->n++] = norm;
	}
	qsort(set->names, set->n, sizeof(set->names[0]), cmp_str);
	for (i = 0; i < set->n; i++) {
		if (kept > 0 &&
		    strcmp(set->names[kept - 1], set->names[i]) == 0) {
			free(set->names[i]);
			continue;
		}
		set->root |= strcmp(set->names[i], "root") == 0;
		set->names[kept++] = set->names[i];
	}
	set->n = kept;
}

/*
 * The cache key of a policy set: the namespace, then the names. Tokens
 * that list the same policies differently share one ACL.
 */
static err_t set_key(const char *ns, const struct name_set *set,
                     struct buf *key)
{
	size_t i;

	if (buf_append_str(key, ns) != ERR_OK ||
	    buf_append_byte(key, '\n') != ERR_OK)
		return ERR_NOMEM;
	for (i = 0; i < set->n; i++)
		if (buf_append_str(key, set->names[i]) != ERR_OK ||
		    buf_append_byte(key, ',') != ERR_OK)
			return ERR_NOMEM;
	return ERR_OK;
}

/* Reads, parses and compiles the named policies of ns. */
static err_t compile(struct policy_store *ps, const char *ns,
                     const struct name_set *set, struct acl **out)
{
	struct policy *pols[MAX_POLICIES];
	size_t n = 0, i;
	err_t rc = ERR_OK;

	for (i = 0; rc == ERR_OK && i < set->n; i++) {
		char *text = NULL;
		const char *name = set->names[i];
		rc = policy_store_get_text(ps, ns, name, &text);
		if (rc == ERR_NOT_FOUND || strcmp(name, "root") == 0) {
			rc = ERR_OK; /* gone since the token was made */
		} else if (rc == ERR_OK) {
			rc = policy_parse(name, text, strlen(text), &pols[n],
			                  NULL, 0);
			if (rc == ERR_INVALID) {
				log_error("policy",
				          "stored policy %s%s does "
				          "not parse",
				          ns, name);
				rc = ERR_STORAGE;
			}
			n += rc == ERR_OK;
		}
		free(text);
	}
	if (rc == ERR_OK)
		rc = acl_new(pols, n, out);
	for (i = 0; i < n; i++)
		policy_free(pols[i]);
	return rc;
}

/* Adds acl under key unless the policies changed since gen. */
static void cache_put(struct policy_store *ps, uint64_t gen, const char *key,
                      struct acl **acl)
{
	struct slot *s;

	pthread_rwlock_wrlock(&ps->lock);
	if (ps->generation != gen)
		goto out;
	s = cache_slot(ps, key);
	if (s->key != NULL) {
		/* Another request compiled the same set first: share it. */
		acl_release(*acl);
		*acl = acl_ref(s->acl);
		goto out;
	}
	if (ps->n_cached >= CACHE_MAX) {
		cache_clear(ps);
		s = cache_slot(ps, key);
	}
	s->key = strdup(key);
	if (s->key != NULL) {
		s->acl = acl_ref(*acl);
		ps->n_cached++;
	}
out:
	pthread_rwlock_unlock(&ps->lock);
}

err_t policy_store_acl(struct policy_store *ps, const char *ns, json_t *names,
                       struct acl **out)
{
	struct buf key = BUF_INIT;
	struct name_set set;
	struct acl *acl = NULL;
	struct slot *s;
	uint64_t gen;
	err_t rc;

	name_set_read(names, &set);
	if (set.root) {
		*out = acl_ref(ps->root);
		rc = ERR_OK;
		goto out;
	}
	if ((rc = set_key(ns, &set, &key)) != ERR_OK)
		goto out;

	pthread_rwlock_rdlock(&ps->lock);
	s = cache_slot(ps, buf_str(&key));
	if (s->key != NULL)
		acl = acl_ref(s->acl);
	gen = ps->generation;
	pthread_rwlock_unlock(&ps->lock);

	if (acl == NULL) {
		rc = compile(ps, ns, &set, &acl);
		if (rc == ERR_OK)
			cache_put(ps, gen, buf_str(&key), &acl);
	}
	if (rc == ERR_OK)
		*out = acl;
out:
	name_set_release(&set);
	buf_release(&key);
	return rc;
}

err_t policy_store_acl_shared(struct policy_store *ps, const char *ns,
                              json_t *names, struct acl **out)
{
	struct acl *acl = NULL;
	struct memo *m;
	uint64_t gen;
	char *ns_copy;
	err_t rc;

	pthread_rwlock_rdlock(&ps->lock);
	m = memo_slot(ps, names);
	if (m->names == names && strcmp(m->ns, ns) == 0)
		acl = acl_ref(m->acl);
	gen = ps->generation;
	pthread_rwlock_unlock(&ps->lock);
	if (acl != NULL) {
		*out = acl;
		return ERR_OK;
	}

	rc = policy_store_acl(ps, ns, names, &acl);
	if (rc != ERR_OK)
		return rc;
	ns_copy = strdup(ns);
	pthread_rwlock_wrlock(&ps->lock);
	/* Policies changed meanwhile: acl may be stale, do not keep it. */
	if (ns_copy != NULL && gen == ps->generation) {
		memo_clear(m);
		m->names = json_incref(names);
		m->ns = ns_copy;
		m->acl = acl_ref(acl);
		ns_copy = NULL;
	}
	pthread_rwlock_unlock(&ps->lock);
	free(ns_copy);
	*out = acl;
	return ERR_OK;
}

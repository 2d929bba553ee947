/*
 * identity_store.c - the records of the identity store and the two calls
 * the core makes: identity_login (find or create the entity of a login)
 * and identity_policies (what identity adds to a token's ACL).
 *
 * Every change of several keys is one storage commit, made under the
 * mount's lock, so an index never points at a record that is not there
 * and two concurrent first logins of one alias make one entity.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/log.h"
#include "identity/identity_internal.h"

err_t ident_key(struct buf *out, const char *ns, const char *fmt, ...)
{
	struct buf rest = BUF_INIT;
	char *hex = NULL;
	va_list ap;
	err_t rc;
	int n;

	buf_reset(out);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || n > STORAGE_MAX_KEY)
		return ERR_INVALID;
	rc = buf_reserve(&rest, (size_t)n + 1);
	if (rc != ERR_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)rest.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rest.len = (size_t)n;

	/* Hex keeps a namespace's "/" out of the key's levels. */
	if (ns[0] == 0) {
		rc = buf_printf(out, "root/%s", buf_str(&rest));
	} else {
		hex = hex_encode((const uint8_t *)ns, strlen(ns));
		rc = hex ? buf_printf(out, "ns-%s/%s", hex, buf_str(&rest))
		         : ERR_NOMEM;
	}
	free(hex);
	buf_release(&rest);
	return rc;
}

err_t ident_load(struct mount *m, const char *key, json_t **out)
{
	struct buf b = BUF_INIT;
	bool found = false;
	err_t rc = storage_get(m->view, key, &b, &found);

	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK &&
	    (*out = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL)
		rc = ERR_STORAGE;
	buf_release(&b);
	return rc;
}

err_t ident_load_id(struct mount *m, const char *key, struct buf *out)
{
	bool found = false;
	err_t rc;

	buf_reset(out);
	rc = storage_get(m->view, key, out, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	return rc;
}

err_t ident_txn_put_json(struct lease_txn *t, const char *key, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	err_t rc = text ? lease_txn_put(t, key, text) : ERR_NOMEM;

	free(text);
	return rc;
}

err_t ident_list(struct mount *m, const char *dir, json_t **out)
{
	return storage_list(m->view, dir, out);
}

bool ident_valid_id(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? id[i] != '-' : hex_digit(id[i]) < 0)
			return false;
	}
	return true;
}

bool ident_valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0, i;

	if (n == 0 || n > IDENT_MAX_NAME || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || iscntrl((unsigned char)name[i]))
			return false;
	return true;
}

json_t *ident_now(void)
{
	char s[40];
	int64_t sec;
	long nsec;

	time_now(&sec, &nsec);
	time_rfc3339(sec, nsec, s);
	return json_string(s);
}

/* Loads the record whose id the index at key holds. */
static err_t load_indexed(struct mount *m, const char *ns, const char *key,
                          const char *kind, json_t **out)
{
	struct buf id = BUF_INIT, rec = BUF_INIT;
	err_t rc = ident_load_id(m, key, &id);

	if (rc == ERR_OK)
		rc = ident_key(&rec, ns, "%s/id/%s", kind, buf_str(&id));
	if (rc == ERR_OK)
		rc = ident_load(m, buf_str(&rec), out);
	buf_release(&id);
	buf_release(&rec);
	return rc;
}

static err_t load_record(struct mount *m, const char *ns, const char *kind,
                         const char *id, json_t **out)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (!ident_valid_id(id))
		return ERR_NOT_FOUND;
	rc = ident_key(&key, ns, "%s/id/%s", kind, id);
	if (rc == ERR_OK)
		rc = ident_load(m, buf_str(&key), out);
	buf_release(&key);
	return rc;
}

static err_t load_by_name(struct mount *m, const char *ns, const char *kind,
                          const char *name, json_t **out)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (!ident_valid_name(name))
		return ERR_NOT_FOUND;
	rc = ident_key(&key, ns, "%s/name/%s", kind, name);
	if (rc == ERR_OK)
		rc = load_indexed(m, ns, buf_str(&key), kind, out);
	buf_release(&key);
	return rc;
}

err_t ident_entity_get(struct mount *m, const char *ns, const char *id,
                       json_t **out)
{
	return load_record(m, ns, "entity", id, out);
}

err_t ident_entity_by_name(struct mount *m, const char *ns, const char *name,
                           json_t **out)
{
	return load_by_name(m, ns, "entity", name, out);
}

err_t ident_group_get(struct mount *m, const char *ns, const char *id,
                      json_t **out)
{
	return load_record(m, ns, "group", id, out);
}

err_t ident_group_by_name(struct mount *m, const char *ns, const char *name,
                          json_t **out)
{
	return load_by_name(m, ns, "group", name, out);
}

err_t ident_alias_get(struct mount *m, const char *ns, const char *id,
                      json_t **out)
{
	return load_record(m, ns, "alias", id, out);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

err_t ident_entity_txn_put(struct lease_txn *t, const char *ns, json_t *e)
{
	struct buf key = BUF_INIT;
	err_t rc = ident_key(&key, ns, "entity/id/%s", jstr(e, "id"));

	if (rc == ERR_OK)
		rc = ident_txn_put_json(t, buf_str(&key), e);
	if (rc == ERR_OK)
		rc = ident_key(&key, ns, "entity/name/%s", jstr(e, "name"));
	if (rc == ERR_OK)
		rc = lease_txn_put(t, buf_str(&key), jstr(e, "id"));
	buf_release(&key);
	return rc;
}

/* "alias/key/<sha256 of accessor NUL name>": names may hold anything. */
static err_t alias_unique_key(struct buf *out, const char *ns,
                              const char *accessor, const char *name)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex = NULL;
	err_t rc = ERR_CRYPTO;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, accessor, strlen(accessor) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1)
		rc = (hex = hex_encode(md, mdlen)) ? ERR_OK : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = ident_key(out, ns, "alias/key/%s", hex);
	free(hex);
	EVP_MD_CTX_free(ctx);
	return rc;
}

err_t ident_alias_find(struct mount *m, const char *ns, const char *accessor,
                       const char *name, struct buf *out)
{
	struct buf key = BUF_INIT;
	err_t rc = alias_unique_key(&key, ns, accessor, name);

	if (rc == ERR_OK)
		rc = ident_load_id(m, buf_str(&key), out);
	buf_release(&key);
	return rc;
}

err_t ident_alias_txn_delete(struct lease_txn *t, const char *ns, json_t *a)
{
	struct buf key = BUF_INIT;
	err_t rc = ident_key(&key, ns, "alias/id/%s", jstr(a, "id"));

	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	if (rc == ERR_OK)
		rc = alias_unique_key(&key, ns, jstr(a, "mount_accessor"),
		                      jstr(a, "name"));
	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	if (rc == ERR_OK)
		rc = ident_key(&key, ns, "alias/entity/%s/%s",
		               jstr(a, "canonical_id"), jstr(a, "id"));
	if (rc == ERR_OK)
		rc = lease_txn_delete(t, buf_str(&key));
	buf_release(&key);
	return rc;
}

err_t ident_alias_txn_put(struct lease_txn *t, const char *ns, json_t *a,
                          json_t *old)
{
	struct buf key = BUF_INIT;
	err_t rc = old ? ident_alias_txn_delete(t, ns, old) : ERR_OK;

	if (rc == ERR_OK)
		rc = ident_key(&key, ns, "alias/id/%s", jstr(a, "id"));
	if (rc == ERR_OK)
		rc = ident_txn_put_json(t, buf_str(&key), a);
	if (rc == ERR_OK)
		rc = alias_unique_key(&key, ns, jstr(a, "mount_accessor"),
		                      jstr(a, "name"));
	if (rc == ERR_OK)
		rc = lease_txn_put(t, buf_str(&key), jstr(a, "id"));
	if (rc == ERR_OK)
		rc = ident_key(&key, ns, "alias/entity/%s/%s",
		               jstr(a, "canonical_id"), jstr(a, "id"));
	if (rc == ERR_OK)
		rc = lease_txn_put(t, buf_str(&key), "");
	buf_release(&key);
	return rc;
}

err_t ident_entity_groups(struct mount *m, const char *ns, const char *id,
                          json_t **out)
{
	struct buf key = BUF_INIT;
	err_t rc = ident_key(&key, ns, "group/entity/%s/", id);

	if (rc == ERR_OK)
		rc = ident_list(m, buf_str(&key), out);
	buf_release(&key);
	return rc;
}

static bool array_has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) ==
	                                  0) return true;
	return false;
}

err_t ident_parent_groups(struct mount *m, const char *ns, json_t *ids,
                          json_t **out)
{
	json_t *todo = json_copy(ids), *seen = json_array(), *parents = NULL;
	struct buf key = BUF_INIT;
	err_t rc = todo && seen ? ERR_OK : ERR_NOMEM;

	/* Breadth first, each group once, bounded by IDENT_MAX_GROUPS. */
	while (rc == ERR_OK && json_array_size(todo) > 0 &&
	       json_array_size(seen) < IDENT_MAX_GROUPS) {
		const char *g = json_string_value(json_array_get(todo, 0));
		size_t i;
		json_t *p;
		rc = ident_key(&key, ns, "group/parent/%s/", g);
		if (rc == ERR_OK)
			rc = ident_list(m, buf_str(&key), &parents);
		json_array_foreach(parents, i, p)
		{
			const char *s = json_string_value(p);
			if (rc == ERR_OK && !array_has(seen, s)) {
				json_array_append(seen, p);
				json_array_append(todo, p);
			}
		}
		json_decref(parents);
		parents = NULL;
		json_array_remove(todo, 0);
	}
	json_decref(todo);
	buf_release(&key);
	if (rc != ERR_OK) {
		json_decref(seen);
		return rc;
	}
	*out = seen;
	return ERR_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A trimmed, lower-case copy of s (heap), or NULL. */
static char *normal_name(const char *s)
{
	size_t n;
	char *out, *c;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	out = strndup(s, n);
	for (c = out; c != NULL && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

json_t *identity_normalise_policies(json_t *names, bool *root)
{
	size_t n = json_array_size(names), i, k = 0;
	char **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = v ? json_array() : NULL;

	*root = false;
	for (i = 0; out != NULL && i < n; i++) {
		const char *s = json_string_value(json_array_get(names, i));
		if (s == NULL || (v[k] = normal_name(s)) == NULL)
			continue;
		if (strcmp(v[k], "root") == 0)
			*root = true;
		if (v[k][0] == 0)
			free(v[k]);
		else
			k++;
	}
	if (v != NULL)
		qsort(v, k, sizeof(*v), cmp_names);
	for (i = 0; out != NULL && i < k; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(out, json_string(v[i]));
	for (i = 0; v != NULL && i < k; i++)
		free(v[i]);
	free(v);
	if (*root) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Appends the policies of group id to all. */
static err_t add_group_policies(struct mount *m, const char *ns, const char *id,
                                json_t *all)
{
	json_t *g = NULL;
	err_t rc = ident_group_get(m, ns, id, &g);

	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc == ERR_OK)
		json_array_extend(all, json_object_get(g, "policies"));
	json_decref(g);
	return rc;
}

/* Normalises all and drops "root" wherever it came from. */
static json_t *clean_policies(json_t *all)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	bool root;

	json_array_foreach(all, i, v)
	{
		json_t *one = json_pack("[O]", v), *norm;
		if (one == NULL)
			continue;
		norm = identity_normalise_policies(one, &root);
		if (norm != NULL)
			json_array_extend(out, norm);
		json_decref(norm);
		json_decref(one);
	}
	all = identity_normalise_policies(out, &root);
	json_decref(out);
	return all;
}

err_t identity_policies(struct mount *idm, const char *ns,
                        const char *entity_id, json_t **out, bool *disabled)
{
	json_t *e = NULL, *direct = NULL, *inherited = NULL,
	       *all = json_array();
	size_t i;
	json_t *g;
	err_t rc;

	*disabled = false;
	rc = all ? ident_entity_get(idm, ns, entity_id, &e) : ERR_NOMEM;
	if (rc == ERR_NOT_FOUND) {
		*out = all;
		return ERR_OK;
	}
	if (rc == ERR_OK) {
		*disabled = json_is_true(json_object_get(e, "disabled"));
		json_array_extend(all, json_object_get(e, "policies"));
		rc = ident_entity_groups(idm, ns, entity_id, &direct);
	}
	if (rc == ERR_OK)
		rc = ident_parent_groups(idm, ns, direct, &inherited);
	if (rc == ERR_OK)
		json_array_extend(direct, inherited);
	json_array_foreach(direct, i, g)
	{
		if (rc == ERR_OK)
			rc = add_group_policies(idm, ns, json_string_value(g),
			                        all);
	}
	json_decref(e);
	json_decref(direct);
	json_decref(inherited);
	if (rc == ERR_OK && (*out = clean_policies(all)) == NULL)
		rc = ERR_NOMEM;
	json_decref(all);
	return rc;
}

/* A new entity named "entity_<random>" and its alias, in one commit. */
static err_t create_for_login(struct mount *idm, const char *ns,
                              const struct mount *auth, const char *alias_name,
                              json_t *meta, struct buf *entity_id)
{
	char eid[37], aid[37], rnd[9];
	struct lease_txn t;
	json_t *e = NULL, *a = NULL;
	struct buf name = BUF_INIT;
	err_t rc;

	lease_txn_init(&t);
	rc = uuid_new(eid);
	if (rc == ERR_OK)
		rc = uuid_new(aid);
	if (rc == ERR_OK)
		rc = rand_alnum(rnd, 8);
	if (rc == ERR_OK)
		rc = buf_printf(&name, "entity_%s", rnd);
	if (rc != ERR_OK)
		goto out;
	e = json_pack("{s:s, s:s, s:[], s:n, s:b, s:o, s:o}", "id", eid, "name",
	              buf_str(&name), "policies", "metadata", "disabled", 0,
	              "creation_time", ident_now(), "last_update_time",
	              ident_now());
	a = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:n, s:o, s:o}", "id", aid,
	    "canonical_id", eid, "mount_accessor", auth->accessor, "mount_path",
	    auth->path, "mount_type", auth->type, "name", alias_name,
	    "metadata", meta ? meta : json_null(), "custom_metadata",
	    "creation_time", ident_now(), "last_update_time", ident_now());
	rc = e && a ? ident_entity_txn_put(&t, ns, e) : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = ident_alias_txn_put(&t, ns, a, NULL);
	if (rc == ERR_OK)
		rc = lease_txn_commit(NULL, idm->view, &t);
	if (rc == ERR_OK)
		rc = buf_append_str(entity_id, eid);
	if (rc == ERR_OK)
		log_info("identity", "created entity %s for a login at %s%s",
		         eid, ns, auth->path);
out:
	json_decref(e);
	json_decref(a);
	buf_release(&name);
	lease_txn_release(&t);
	return rc;
}

/* The entity of an existing alias, refused when it is disabled. */
static err_t entity_of_alias(struct mount *idm, const char *ns,
                             const char *alias_id, struct buf *entity_id)
{
	json_t *a = NULL, *e = NULL;
	err_t rc = ident_alias_get(idm, ns, alias_id, &a);

	if (rc == ERR_OK)
		rc = ident_entity_get(idm, ns, jstr(a, "canonical_id"), &e);
	if (rc == ERR_OK && json_is_true(json_object_get(e, "disabled")))
		rc = ERR_PERMISSION;
	if (rc == ERR_OK)
		rc = buf_append_str(entity_id, jstr(e, "id"));
	json_decref(a);
	json_decref(e);
	return rc;
}

err_t identity_login(struct mount *idm, const char *ns,
                     const struct mount *auth, const char *alias_name,
                     json_t *alias_metadata, char **entity_id)
{
	struct ident_state *st = idm->state;
	struct buf alias = BUF_INIT, id = BUF_INIT;
	err_t rc;

	if (alias_name == NULL || *alias_name == 0 ||
	    strlen(alias_name) > IDENT_MAX_NAME)
		return ERR_INVALID;
	pthread_mutex_lock(&st->lock);
	rc = ident_alias_find(idm, ns, auth->accessor, alias_name, &alias);
	if (rc == ERR_OK)
		rc = entity_of_alias(idm, ns, buf_str(&alias), &id);
	else if (rc == ERR_NOT_FOUND)
		rc = create_for_login(idm, ns, auth, alias_name, alias_metadata,
		                      &id);
	pthread_mutex_unlock(&st->lock);
	if (rc == ERR_OK && (*entity_id = buf_detach(&id)) == NULL)
		rc = ERR_NOMEM;
	buf_release(&alias);
	buf_release(&id);
	return rc;
}

/* Deletes every key below dir of s, depth first. */
static err_t delete_dir(struct storage *s, const char *dir)
{
	struct buf child = BUF_INIT;
	json_t *keys = NULL, *k;
	size_t i;
	err_t rc = storage_list(s, dir, &keys);

	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		if (rc != ERR_OK)
			break;
		buf_reset(&child);
		rc = buf_printf(&child, "%s%s", dir, name);
		if (rc != ERR_OK)
			break;
		if (name[strlen(name) - 1] == '/')
			rc = delete_dir(s, buf_str(&child));
		else
			rc = storage_delete(s, buf_str(&child));
	}
	json_decref(keys);
	buf_release(&child);
	return rc;
}

err_t identity_purge_namespace(struct mount *idm, const char *ns)
{
	struct buf dir = BUF_INIT;
	char *hex;
	err_t rc;

	if (ns[0] == 0)
		return ERR_INVALID; /* the root namespace is never deleted */
	hex = hex_encode((const uint8_t *)ns, strlen(ns));
	rc = hex ? buf_printf(&dir, "ns-%s/", hex) : ERR_NOMEM;
	free(hex);
	if (rc == ERR_OK)
		rc = delete_dir(idm->view, buf_str(&dir));
	buf_release(&dir);
	return rc;
}

/*
 * namespaces.c - the namespace table, and which namespace a request is in.
 */
#include "core/namespaces.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "core/core_internal.h"

#define NS_PREFIX    "sys/namespace/"
#define NS_MAX_PATH  512
#define NS_MAX_NAME  64
#define NS_MAX_DEPTH 8

static void ns_free(struct namespace *ns)
{
	if (ns == NULL)
		return;
	free(ns->path);
	json_decref(ns->custom_metadata);
	free(ns);
}

static int ns_cmp(const void *a, const void *b)
{
	const struct namespace *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

static err_t table_add(struct ns_table *t, struct namespace *ns)
{
	if (t->len == t->alloc) {
		size_t n = t->alloc ? t->alloc * 2 : 16;
		struct namespace **p = realloc(t->items, n * sizeof(*p));
		if (p == NULL)
			return ERR_NOMEM;
		t->items = p;
		t->alloc = n;
	}
	t->items[t->len++] = ns;
	qsort(t->items, t->len, sizeof(*t->items), ns_cmp);
	return ERR_OK;
}

const struct namespace *namespaces_find(struct core *c, const char *path)
{
	struct namespace key = {.path = (char *)path}, *kp = &key, **hit;

	if (c->namespaces.len == 0)
		return NULL;
	hit = bsearch(&kp, c->namespaces.items, c->namespaces.len,
	              sizeof(*c->namespaces.items), ns_cmp);
	return hit ? *hit : NULL;
}

static err_t ns_from_json(json_t *o, struct namespace **out)
{
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *meta = json_object_get(o, "custom_metadata");
	struct namespace *ns;

	if (path == NULL || id == NULL || strlen(id) >= sizeof(ns->id))
		return ERR_STORAGE;
	ns = calloc(1, sizeof(*ns));
	if (ns == NULL || (ns->path = strdup(path)) == NULL) {
		ns_free(ns);
		return ERR_NOMEM;
	}
	memcpy(ns->id, id, strlen(id) + 1);
	ns->custom_metadata =
	    json_is_object(meta) ? json_incref(meta) : json_object();
	*out = ns;
	return ERR_OK;
}

/* Every namespace entry, found by walking the folders below NS_PREFIX. */
static err_t load_dir(struct core *c, const char *dir)
{
	json_t *keys = NULL, *k;
	struct buf b = BUF_INIT, child = BUF_INIT;
	size_t i;
	err_t rc;

	rc = storage_list(c->enc, dir, &keys);
	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);
		size_t n = strlen(name);
		bool found = false;
		json_t *o;
		struct namespace *ns = NULL;

		buf_reset(&child);
		if ((rc = buf_printf(&child, "%s%s", dir, name)) != ERR_OK)
			break;
		if (n > 0 && name[n - 1] == '/') {
			if ((rc = load_dir(c, buf_str(&child))) != ERR_OK)
				break;
			continue;
		}
		buf_reset(&b);
		rc = storage_get(c->enc, buf_str(&child), &b, &found);
		if (rc != ERR_OK || !found)
			break;
		o = json_loadb((const char *)b.data, b.len, 0, NULL);
		rc = o ? ns_from_json(o, &ns) : ERR_STORAGE;
		json_decref(o);
		if (rc == ERR_OK &&
		    (rc = table_add(&c->namespaces, ns)) != ERR_OK)
			ns_free(ns);
		if (rc != ERR_OK)
			break;
	}
	json_decref(keys);
	buf_release(&b);
	buf_release(&child);
	return rc;
}

err_t namespaces_load(struct core *c)
{
	err_t rc = load_dir(c, NS_PREFIX);

	if (rc == ERR_OK && c->namespaces.len > 0)
		log_info("namespaces", "loaded %zu namespaces",
		         c->namespaces.len);
	return rc;
}

void namespaces_unload(struct core *c)
{
	size_t i;

	for (i = 0; i < c->namespaces.len; i++)
		ns_free(c->namespaces.items[i]);
	free(c->namespaces.items);
	memset(&c->namespaces, 0, sizeof(c->namespaces));
}

json_t *namespaces_describe(const struct namespace *ns)
{
	return json_pack("{s:s, s:s, s:O}", "id", ns->id, "path", ns->path,
	                 "custom_metadata", ns->custom_metadata);
}

err_t namespaces_resolve(struct core *c, struct request *req,
                         struct response *resp)
{
	struct buf cand = BUF_INIT;
	size_t best = 0, off = 0;
	const char *p = req->path;
	err_t rc = ERR_OK;

	if (req->ns[0] != 0 && namespaces_find(c, req->ns) == NULL)
		return response_error(resp, ERR_NOT_FOUND,
		                      "namespace not found: %s", req->ns);
	if (c->namespaces.len == 0)
		return ERR_OK;

	/* Try ever longer runs of leading segments as child namespaces. */
	while (rc == ERR_OK) {
		const char *slash = strchr(p + off, '/');
		if (slash == NULL)
			break;
		off = (size_t)(slash - p) + 1;
		buf_reset(&cand);
		rc = buf_printf(&cand, "%s%.*s", req->ns, (int)off, p);
		if (rc == ERR_OK && namespaces_find(c, buf_str(&cand)) != NULL)
			best = off;
	}
	if (rc == ERR_OK && best > 0) {
		buf_reset(&cand);
		rc = buf_printf(&cand, "%s%.*s", req->ns, (int)best, p);
		if (rc == ERR_OK) {
			free(req->ns_owned);
			req->ns_owned = buf_detach(&cand);
			rc = req->ns_owned ? ERR_OK : ERR_NOMEM;
		}
		if (rc == ERR_OK) {
			req->ns = req->ns_owned;
			memmove(req->path, req->path + best,
			        strlen(req->path + best) + 1);
		}
	}
	buf_release(&cand);
	return rc == ERR_OK ? ERR_OK : response_error(resp, rc, NULL);
}

/* One segment of a namespace path: letters, digits, '-', '_', '.'. */
static bool name_valid(const char *s, size_t n)
{
	static const char *const reserved[] = {"root",      "sys",      "auth",
	                                       "cubbyhole", "identity", "."};
	size_t i;

	if (n == 0 || n > NS_MAX_NAME || strspn(s, ".") == n)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == n &&
		    strncasecmp(s, reserved[i], n) == 0)
			return false;
	return true;
}

/* Joins parent and a user-given name ("a/b" or "a/b/") into "p/a/b/". */
static err_t ns_path(const char *parent, const char *name, struct buf *out)
{
	size_t n = strlen(name), depth = 0;
	const char *seg = name;
	err_t rc;

	while (n > 0 && name[n - 1] == '/')
		n--;
	if (n == 0)
		return ERR_INVALID;
	while (seg < name + n) {
		const char *end = memchr(seg, '/', (size_t)(name + n - seg));
		size_t len =
		    end ? (size_t)(end - seg) : (size_t)(name + n - seg);
		if (!name_valid(seg, len) || ++depth > NS_MAX_DEPTH)
			return ERR_INVALID;
		seg += len + 1;
	}
	rc = buf_printf(out, "%s%.*s/", parent, (int)n, name);
	if (rc == ERR_OK && out->len > NS_MAX_PATH)
		rc = ERR_INVALID;
	return rc;
}

static err_t ns_store(struct core *c, const struct namespace *ns)
{
	struct buf key = BUF_INIT;
	json_t *o = namespaces_describe(ns);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	err_t rc = text ? ERR_OK : ERR_NOMEM;

	if (rc == ERR_OK)
		rc = buf_printf(&key, "%s%.*s", NS_PREFIX,
		                (int)strlen(ns->path) - 1, ns->path);
	if (rc == ERR_OK)
		rc = storage_put(c->enc, buf_str(&key), (const uint8_t *)text,
		                 strlen(text));
	free(text);
	json_decref(o);
	buf_release(&key);
	return rc;
}

err_t namespaces_create(struct core *c, const char *parent, const char *name,
                        json_t *params, struct response *resp)
{
	struct namespace *ns = NULL;
	struct buf path = BUF_INIT;
	json_t *meta = NULL;
	const char *last;
	err_t rc;

	rc = ns_path(parent, name, &path);
	if (rc != ERR_OK) {
		rc = response_error(resp, ERR_INVALID,
		                    "invalid namespace name \"%s\"", name);
		goto out;
	}
	/* Every ancestor must exist already. */
	last = buf_str(&path) + path.len - 1;
	for (const char *s = buf_str(&path); s < last; s++) {
		char prefix[NS_MAX_PATH + 2];
		if (*s != '/')
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s",
		         (int)(s - buf_str(&path) + 1), buf_str(&path));
		if (namespaces_find(c, prefix) == NULL) {
			rc = response_error(resp, ERR_INVALID,
			                    "parent namespace %s does not "
			                    "exist",
			                    prefix);
			goto out;
		}
	}
	if (namespaces_find(c, buf_str(&path)) != NULL) {
		/* Creating an existing namespace changes nothing, as Vault. */
		response_set_data(resp, namespaces_describe(namespaces_find(
		                            c, buf_str(&path))));
		goto out;
	}
	if (param_strmap(params, "custom_metadata", &meta) == ERR_INVALID) {
		rc = response_error(resp, ERR_INVALID,
		                    "custom_metadata must be a map of "
		                    "strings");
		goto out;
	}

	ns = calloc(1, sizeof(*ns));
	rc = ns ? rand_alnum(ns->id, 5) : ERR_NOMEM;
	if (rc == ERR_OK) {
		ns->path = buf_detach(&path);
		ns->custom_metadata = meta ? meta : json_object();
		meta = NULL;
		rc = ns->path && ns->custom_metadata ? ns_store(c, ns)
		                                     : ERR_NOMEM;
	}
	if (rc == ERR_OK)
		rc = table_add(&c->namespaces, ns);
	if (rc != ERR_OK) {
		ns_free(ns);
		response_error(resp, rc, "cannot create namespace: %s",
		               err_str(rc));
		goto out;
	}
	log_info("namespaces", "created namespace %s", ns->path);
	response_set_data(resp, namespaces_describe(ns));
out:
	json_decref(meta);
	buf_release(&path);
	return rc;
}

/* Disables every mount of the namespace, deleting its data. */
static err_t ns_unmount_all(struct core *c, const char *path,
                            struct response *resp)
{
	size_t i = 0;
	err_t rc;

	while (i < c->mounts.len) {
		struct mount *m = c->mounts.items[i];
		if (strcmp(m->ns, path) != 0) {
			i++;
			continue;
		}
		rc = mounts_disable(c, path, m->path, resp);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

static void table_remove(struct ns_table *t, const struct namespace *ns)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (t->items[i] == ns) {
			memmove(&t->items[i], &t->items[i + 1],
			        (t->len - i - 1) * sizeof(*t->items));
			t->len--;
			return;
		}
	}
}

err_t namespaces_delete(struct core *c, const char *parent, const char *name,
                        struct response *resp)
{
	struct buf path = BUF_INIT, key = BUF_INIT;
	const struct namespace *ns;
	size_t i, n;
	err_t rc;

	rc = ns_path(parent, name, &path);
	if (rc != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "invalid namespace name \"%s\"", name);
	ns = namespaces_find(c, buf_str(&path));
	if (ns == NULL)
		goto out; /* deleting what is not there succeeds, as Vault */
	n = strlen(ns->path);
	for (i = 0; i < c->namespaces.len; i++) {
		const char *p = c->namespaces.items[i]->path;
		if (strlen(p) > n && strncmp(p, ns->path, n) == 0) {
			rc = response_error(resp, ERR_INVALID,
			                    "cannot delete namespace %s: it "
			                    "contains child namespaces",
			                    ns->path);
			goto out;
		}
	}

	rc = ns_unmount_all(c, ns->path, resp);
	if (rc == ERR_OK)
		rc = core_namespace_purge(c, ns->path);
	if (rc == ERR_OK)
		rc =
		    buf_printf(&key, "%s%.*s", NS_PREFIX, (int)n - 1, ns->path);
	if (rc == ERR_OK)
		rc = storage_delete(c->enc, buf_str(&key));
	if (rc != ERR_OK) {
		if (resp->err == ERR_OK)
			response_error(resp, rc, "cannot delete namespace: %s",
			               err_str(rc));
		goto out;
	}
	log_info("namespaces", "deleted namespace %s", ns->path);
	table_remove(&c->namespaces, ns);
	ns_free((struct namespace *)ns);
out:
	buf_release(&path);
	buf_release(&key);
	return rc;
}

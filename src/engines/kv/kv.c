/*
 * kv.c - the "kv" mount backend: version selection, dispatch, and the
 * helpers both versions share.
 *
 * m->options "version" is "1" (also absent or "") or "2"; the core has
 * already mapped the aliases "kv-v1", "generic" and "kv-v2" onto it. The
 * storage layouts of the two versions are described at the top of kv1.c
 * and kv2_store.c.
 *
 * Secret values pass through jansson objects; main() installs a wiping
 * allocator into jansson (base/wipe_alloc.h), and kv wipes the serialised
 * copies it owns (storage buffers and JSON text).
 */
#include "engines/kv/kv.h"

#include "storage/cache.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"

pthread_mutex_t *kv_stripe(struct kv_state *st, const char *path)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p != 0; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return &st->stripes[h % KV_STRIPES];
}

static bool bad_segment(const char *seg, size_t n)
{
	return n == 0 || (n == 1 && seg[0] == '.') ||
	       (n == 2 && seg[0] == '.' && seg[1] == '.');
}

err_t kv_check_path(const char *path, struct response *resp)
{
	const char *seg = path, *slash;

	if (path == NULL || *path == 0)
		return response_error(resp, ERR_NOT_FOUND,
		                      "no secret path given");
	if (strlen(path) > KV_MAX_PATH)
		return response_error(resp, ERR_INVALID,
		                      "secret path is longer than %d bytes",
		                      KV_MAX_PATH);

	/* Empty, "." and ".." segments would alias other paths. */
	for (;;) {
		slash = strchr(seg, '/');
		if (bad_segment(seg,
		                slash ? (size_t)(slash - seg) : strlen(seg)))
			return response_error(
			    resp, ERR_INVALID,
			    "secret path has an empty, \".\" or \"..\" segment");
		if (slash == NULL)
			break;
		seg = slash + 1;
	}
	return ERR_OK;
}

err_t kv_list_prefix(const char *base, const char *path, struct buf *out,
                     struct response *resp)
{
	size_t n = strlen(path);
	err_t rc;

	/* "" is the root; otherwise "a/b" and "a/b/" name one directory. */
	if (n > 0) {
		struct buf dir = BUF_INIT;
		rc = buf_append(&dir, path, path[n - 1] == '/' ? n - 1 : n);
		if (rc == ERR_OK)
			rc = kv_check_path(buf_str(&dir), resp);
		else
			rc = response_error(resp, rc, NULL);
		buf_release(&dir);
		if (rc != ERR_OK)
			return rc;
	}
	if (buf_append_str(out, base) != ERR_OK ||
	    buf_append(out, path, n) != ERR_OK ||
	    (n > 0 && path[n - 1] != '/' && buf_append_byte(out, '/')))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

err_t kv_load_json(struct storage *s, const char *key, json_t **out,
                   bool *found)
{
	json_t *obj = NULL;
	err_t rc;

	rc = cache_get_json(s, key, &obj, found);
	if (rc != ERR_OK || !*found)
		return rc;
	if (!json_is_object(obj)) {
		/* The text may be a secret: never log it, nor the key. */
		log_error("kv", "a stored kv value is not a json object");
		json_decref(obj);
		*found = false;
		return ERR_INTERNAL;
	}
	*out = obj;
	return ERR_OK;
}

struct storage *kv_store(const struct mount *m)
{
	const struct kv_state *st = m->state;

	return st->store;
}

err_t kv_dump_json(const json_t *obj, char **out, size_t *len)
{
	char *s = json_dumps(obj, JSON_COMPACT);

	if (s == NULL)
		return ERR_NOMEM;
	*out = s;
	*len = strlen(s);
	return ERR_OK;
}

err_t kv_list_keys(struct storage *s, const char *prefix, struct response *resp)
{
	json_t *keys = NULL, *data;
	err_t rc;

	rc = storage_list(s, prefix, &keys);
	if (rc != ERR_OK)
		return response_error(resp, rc, "listing failed: %s",
		                      err_str(rc));
	if (json_array_size(keys) == 0) {
		json_decref(keys);
		return response_error(resp, ERR_NOT_FOUND, NULL);
	}
	data = json_pack("{so}", "keys", keys);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, data);
	return ERR_OK;
}

/* options.version: absent or "" is 1; "1", "2", 1 or 2. */
static err_t read_version(json_t *options, int *out)
{
	const char *s;
	int64_t v = 1;

	if (param_str(options, "version", &s) == ERR_OK && *s == 0)
		v = 1;
	else if (param_int(options, "version", &v) == ERR_INVALID)
		return ERR_INVALID;
	if (v != 1 && v != 2)
		return ERR_INVALID;
	*out = (int)v;
	return ERR_OK;
}

static err_t kv_setup(struct mount *m, struct response *resp)
{
	struct kv_state *st;
	int version;
	size_t i;

	if (read_version(m->options, &version) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "kv option \"version\" must be 1 or 2");

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	st->version = version;
	if (cache_view_new(m->view, "", KV_CACHE_ENTRIES, &st->store) !=
	    ERR_OK) {
		free(st);
		return response_error(resp, ERR_NOMEM, NULL);
	}
	for (i = 0; i < KV_STRIPES; i++)
		pthread_mutex_init(&st->stripes[i], NULL);
	m->state = st;
	return ERR_OK;
}

static void kv_teardown(struct mount *m)
{
	struct kv_state *st = m->state;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < KV_STRIPES; i++)
		pthread_mutex_destroy(&st->stripes[i]);
	storage_free(st->store);
	free(st);
	m->state = NULL;
}

static err_t kv_handle(struct mount *m, struct request *req,
                       struct response *resp)
{
	struct kv_state *st = m->state;

	if (st == NULL)
		return response_error(resp, ERR_INTERNAL,
		                      "kv mount is not set up");
	if (req->data == NULL || !json_is_object(req->data))
		return response_error(resp, ERR_INVALID,
		                      "request body must be a JSON object");
	if (req->rel == NULL)
		req->rel = "";
	if (st->version == 2)
		return kv2_handle(m, req, resp);
	return kv1_handle(m, req, resp);
}

static err_t kv_exists(struct mount *m, struct request *req, bool *found)
{
	struct kv_state *st = m->state;
	const char *rel = req->rel != NULL ? req->rel : "";

	*found = false;
	if (st == NULL)
		return ERR_INTERNAL;
	if (st->version == 2)
		return kv2_exists(m, rel, found);
	return kv1_exists(m, rel, found);
}

const struct mount_backend kv_backend = {
    .type = "kv",
    .kind = MOUNT_SECRET,
    .setup = kv_setup,
    .teardown = kv_teardown,
    .handle = kv_handle,
    .exists = kv_exists,
    .unauthenticated = NULL,
};

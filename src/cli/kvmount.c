/*
 * kvmount.c - KV mounts seen from the client: which version a mount is,
 * listing a tree, and reading and writing one secret either way.
 */
#include "cli/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

void kvmount_release(struct kvmount *m)
{
	if (m == NULL)
		return;
	free(m->mount);
	*m = (struct kvmount){0};
}

/* Sends one request; a status of 400 or more becomes an error in msg. */
static err_t kvmount_call(struct client *c, const char *method,
                          const char *path, json_t *body, json_t **answer,
                          long *status, struct buf *msg)
{
	struct client_response resp = {0};
	err_t rc;

	if (answer != NULL)
		*answer = NULL;
	rc = client_request(c, method, path, NULL, body, &resp, msg);
	if (rc != ERR_OK)
		goto out;
	if (status != NULL)
		*status = resp.status;
	if (resp.status >= 400 && !(status != NULL && resp.status == 404)) {
		client_response_error(&resp, msg);
		rc = resp.status == 403   ? ERR_PERMISSION
		     : resp.status == 404 ? ERR_NOT_FOUND
		                          : ERR_IO;
		goto out;
	}
	if (answer != NULL)
		*answer = json_incref(resp.body);
out:
	client_response_release(&resp);
	return rc;
}

/* Fills m from one mount's description (type, options.version). */
static err_t kvmount_from(const char *mount, json_t *info, struct kvmount *m,
                          struct buf *msg)
{
	const char *type = json_string_value(json_object_get(info, "type"));
	const char *version = json_string_value(
	    json_object_get(json_object_get(info, "options"), "version"));
	size_t n = strlen(mount);

	if (type == NULL ||
	    (strcmp(type, "kv") != 0 && strcmp(type, "generic") != 0)) {
		buf_printf(msg, "%s is a %s mount, not a KV one", mount,
		           type ? type : "unknown");
		return ERR_NOT_FOUND;
	}
	m->version = version != NULL && strcmp(version, "2") == 0 ? 2 : 1;
	m->mount = malloc(n + 2);
	if (m->mount == NULL)
		return ERR_NOMEM;
	memcpy(m->mount, mount, n + 1);
	if (n == 0 || mount[n - 1] != '/')
		memcpy(m->mount + n, "/", 2);
	return ERR_OK;
}

/* The longest mount in a sys/mounts answer that path lies under. */
static err_t kvmount_pick(json_t *mounts, const char *path, struct kvmount *m,
                          struct buf *msg)
{
	const char *key, *best = NULL;
	json_t *v, *info = NULL;
	size_t n;

	json_object_foreach(mounts, key, v)
	{
		n = strlen(key);
		if (json_is_object(v) && n > 0 && strncmp(path, key, n) == 0 &&
		    (best == NULL || n > strlen(best))) {
			best = key;
			info = v;
		}
	}
	if (best == NULL) {
		buf_printf(msg, "no mount holds %s", path);
		return ERR_NOT_FOUND;
	}
	return kvmount_from(best, info, m, msg);
}

/* Asks sys/mounts, else (denied) sys/internal/ui/mounts/<path>. */
static err_t kvmount_ask(struct client *c, const char *path, struct kvmount *m,
                         struct buf *msg)
{
	struct buf ui = BUF_INIT;
	json_t *answer = NULL, *data;
	err_t rc;

	rc = kvmount_call(c, "GET", "sys/mounts", NULL, &answer, NULL, msg);
	if (rc == ERR_OK) {
		data = json_object_get(answer, "data");
		rc = kvmount_pick(json_is_object(data) ? data : answer, path, m,
		                  msg);
		goto out;
	}
	if (rc != ERR_PERMISSION)
		goto out;

	buf_reset(msg);
	rc = buf_printf(&ui, "sys/internal/ui/mounts/%s", path);
	if (rc == ERR_OK)
		rc = kvmount_call(c, "GET", buf_str(&ui), NULL, &answer, NULL,
		                  msg);
	data = json_object_get(answer, "data");
	if (rc == ERR_OK && json_is_string(json_object_get(data, "path")))
		rc = kvmount_from(
		    json_string_value(json_object_get(data, "path")), data, m,
		    msg);
	else if (rc == ERR_OK) {
		buf_printf(msg, "no mount holds %s", path);
		rc = ERR_NOT_FOUND;
	}
out:
	json_decref(answer);
	buf_release(&ui);
	return rc;
}

err_t kvmount_find(struct client *c, const char *path, struct kvmount *m,
                   char **rel, struct buf *msg)
{
	struct buf norm = BUF_INIT;
	const char *r;
	err_t rc;

	*rel = NULL;
	*m = (struct kvmount){0};
	while (*path == '/')
		path++;
	/* "secret" names the mount itself, as "secret/" does. */
	rc = buf_printf(&norm, "%s%s", path, strchr(path, '/') ? "" : "/");
	if (rc == ERR_OK)
		rc = kvmount_ask(c, buf_str(&norm), m, msg);
	if (rc != ERR_OK)
		goto out;

	r = buf_str(&norm) + strlen(m->mount);
	if (m->version == 2 && strncmp(r, "data/", 5) == 0)
		r += 5;
	else if (m->version == 2 && strncmp(r, "metadata/", 9) == 0)
		r += 9;
	*rel = strdup(r);
	if (*rel == NULL)
		rc = ERR_NOMEM;
out:
	if (rc != ERR_OK)
		kvmount_release(m);
	buf_release(&norm);
	return rc;
}

/* mount + (data/ or metadata/ for version 2) + rel. */
static err_t kvmount_path(const struct kvmount *m, const char *part,
                          const char *rel, struct buf *out)
{
	buf_reset(out);
	return buf_printf(out, "%s%s%s", m->mount, m->version == 2 ? part : "",
	                  rel);
}

err_t kvmount_walk(struct client *c, const struct kvmount *m, const char *rel,
                   json_t *out, size_t *failed)
{
	struct buf path = BUF_INIT, msg = BUF_INIT, sub = BUF_INIT;
	json_t *answer = NULL, *keys, *k;
	long status = 0;
	size_t i;
	err_t rc;

	rc = kvmount_path(m, "metadata/", rel, &path);
	if (rc == ERR_OK)
		rc = kvmount_call(c, "LIST", buf_str(&path), NULL, &answer,
		                  &status, &msg);
	if (rc == ERR_NOMEM)
		goto out;
	if (rc != ERR_OK) {
		fprintf(stderr, "Failed to list %s: %s\n", buf_str(&path),
		        msg.len ? buf_str(&msg) : err_str(rc));
		++*failed;
		rc = ERR_OK;
		goto out;
	}
	keys = json_object_get(json_object_get(answer, "data"), "keys");
	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);

		if (name == NULL || rc != ERR_OK)
			continue;
		buf_reset(&sub);
		rc = buf_printf(&sub, "%s%s", rel, name);
		if (rc == ERR_OK && name[0] != '\0' &&
		    name[strlen(name) - 1] == '/')
			rc = kvmount_walk(c, m, buf_str(&sub), out, failed);
		else if (rc == ERR_OK &&
		         json_array_append_new(out, json_string(buf_str(&sub))))
			rc = ERR_NOMEM;
	}
out:
	json_decref(answer);
	buf_release(&path);
	buf_release(&msg);
	buf_release(&sub);
	return rc;
}

/* The custom_metadata of a version 2 secret, or NULL when it has none. */
static err_t kvmount_custom(struct client *c, const struct kvmount *m,
                            const char *rel, json_t **custom, struct buf *msg)
{
	struct buf path = BUF_INIT;
	json_t *answer = NULL, *cm;
	err_t rc;

	*custom = NULL;
	rc = kvmount_path(m, "metadata/", rel, &path);
	if (rc == ERR_OK)
		rc = kvmount_call(c, "GET", buf_str(&path), NULL, &answer, NULL,
		                  msg);
	cm =
	    json_object_get(json_object_get(answer, "data"), "custom_metadata");
	if (rc == ERR_OK && json_is_object(cm) && json_object_size(cm) > 0)
		*custom = json_incref(cm);
	json_decref(answer);
	buf_release(&path);
	return rc;
}

err_t kvmount_read(struct client *c, const struct kvmount *m, const char *rel,
                   json_t **data, json_t **custom, struct buf *msg)
{
	struct buf path = BUF_INIT;
	json_t *answer = NULL, *d;
	long status = 0;
	err_t rc;

	*data = NULL;
	if (custom != NULL)
		*custom = NULL;
	rc = kvmount_path(m, "data/", rel, &path);
	if (rc == ERR_OK)
		rc = kvmount_call(c, "GET", buf_str(&path), NULL, &answer,
		                  &status, msg);
	if (rc != ERR_OK)
		goto out;
	d = json_object_get(answer, "data");
	if (m->version == 2)
		d = json_object_get(d, "data");
	if (status == 404 || !json_is_object(d)) {
		buf_printf(msg, "no data at %s%s", buf_str(&path),
		           json_is_object(json_object_get(
		               json_object_get(answer, "data"), "metadata"))
		               ? " (its latest version may be deleted)"
		               : "");
		rc = ERR_NOT_FOUND;
		goto out;
	}
	*data = json_incref(d);
	if (custom != NULL && m->version == 2)
		rc = kvmount_custom(c, m, rel, custom, msg);
out:
	if (rc != ERR_OK) {
		json_decref(*data);
		*data = NULL;
	}
	json_decref(answer);
	buf_release(&path);
	return rc;
}

/* Whether the destination already holds data (and custom, when given). */
static err_t kvmount_same(struct client *c, const struct kvmount *m,
                          const char *rel, json_t *data, json_t *custom,
                          bool *same_data, bool *same_custom)
{
	struct buf msg = BUF_INIT;
	json_t *cur = NULL, *cur_custom = NULL;
	err_t rc;

	rc = kvmount_read(c, m, rel, &cur, custom ? &cur_custom : NULL, &msg);
	*same_data = rc == ERR_OK && json_equal(cur, data);
	*same_custom = custom == NULL || m->version != 2 ||
	               (rc == ERR_OK && cur_custom != NULL &&
	                json_equal(cur_custom, custom));
	json_decref(cur);
	json_decref(cur_custom);
	buf_release(&msg);
	/* Nothing there yet is the usual case, not a failure. */
	return rc == ERR_NOMEM ? rc : ERR_OK;
}

err_t kvmount_write(struct client *c, const struct kvmount *m, const char *rel,
                    json_t *data, json_t *custom, bool *unchanged,
                    struct buf *msg)
{
	struct buf path = BUF_INIT;
	bool same_data, same_custom;
	json_t *body = NULL;
	err_t rc;

	rc = kvmount_same(c, m, rel, data, custom, &same_data, &same_custom);
	*unchanged = rc == ERR_OK && same_data && same_custom;
	if (rc != ERR_OK || *unchanged)
		return rc;

	if (!same_data) {
		rc = kvmount_path(m, "data/", rel, &path);
		body = m->version == 2 ? json_pack("{s:O}", "data", data)
		                       : json_incref(data);
		if (rc == ERR_OK && body == NULL)
			rc = ERR_NOMEM;
		if (rc == ERR_OK)
			rc = kvmount_call(c, "PUT", buf_str(&path), body, NULL,
			                  NULL, msg);
		json_decref(body);
	}
	if (rc == ERR_OK && !same_custom) {
		rc = kvmount_path(m, "metadata/", rel, &path);
		body = json_pack("{s:O}", "custom_metadata", custom);
		if (rc == ERR_OK && body == NULL)
			rc = ERR_NOMEM;
		if (rc == ERR_OK)
			rc = kvmount_call(c, "PUT", buf_str(&path), body, NULL,
			                  NULL, msg);
		json_decref(body);
	}
	buf_release(&path);
	return rc;
}

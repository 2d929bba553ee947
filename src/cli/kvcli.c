#include "cli/kvcli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"

/* Appends s to out without the slashes at either end. */
static err_t kvcli_append_trimmed(struct buf *out, const char *s)
{
	size_t n;

	while (*s == '/')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return buf_append(out, s, n);
}

/* Version 2 only when the mount's options say "2", as Vault reads it. */
static int kvcli_version_of(json_t *mount)
{
	json_t *v =
	    json_object_get(json_object_get(mount, "options"), "version");

	return json_is_string(v) && strcmp(json_string_value(v), "2") == 0 ? 2
	                                                                   : 1;
}

/* Whether path (no trailing slash) is at or under mount ("a/b/"). */
static bool kvcli_under(const char *path, const char *mount)
{
	size_t n = strlen(mount);

	if (n == 0 || mount[n - 1] != '/')
		return false;
	return strncmp(path, mount, n) == 0 ||
	       (strlen(path) == n - 1 && strncmp(path, mount, n - 1) == 0);
}

/*
 * The fallback: the longest mount in sys/mounts that holds the path.
 * Known gap: it needs read access to sys/mounts, which a token scoped to
 * its secrets lacks, so such a token cannot use `kv` on a server without
 * sys/internal/ui/mounts (Coffer's has none yet; that endpoint answers
 * any token with some capability under the mount).
 */
static int kvcli_from_mounts(struct client *c, struct kvcli_target *t)
{
	struct client_response resp = {0};
	const char *key, *best = NULL;
	json_t *mounts, *m, *best_m = NULL;
	int code;

	code = command_call(c, "GET", "sys/mounts", NULL, NULL,
	                    "determining the KV version", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	mounts = command_answer_data(resp.body);
	json_object_foreach(mounts, key, m)
	{
		if (!json_is_object(m) || !kvcli_under(buf_str(&t->path), key))
			continue;
		if (best == NULL || strlen(key) > strlen(best)) {
			best = key;
			best_m = m;
		}
	}
	/* No mount holds it: the request goes as typed; the server answers. */
	t->version = best ? kvcli_version_of(best_m) : 1;
	if (best != NULL && buf_append_str(&t->mount, best) != ERR_OK)
		code =
		    command_fail("determining the KV version", "out of memory");
out:
	client_response_release(&resp);
	return code;
}

/* Asks sys/internal/ui/mounts; falls back on a 404 (no such endpoint). */
static int kvcli_preflight(struct client *c, struct kvcli_target *t)
{
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	json_t *data, *mpath;
	int code;

	if (buf_printf(&api, "sys/internal/ui/mounts/%s", buf_str(&t->path))) {
		code =
		    command_fail("determining the KV version", "out of memory");
		goto out;
	}
	code = command_send(c, "GET", buf_str(&api), NULL, NULL,
	                    "determining the KV version", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (resp.status == 404) {
		code = kvcli_from_mounts(c, t);
		goto out;
	}
	code = command_check(&resp, "determining the KV version");
	if (code != COMMAND_EXIT_OK)
		goto out;

	data = json_object_get(resp.body, "data");
	mpath = json_object_get(data, "path");
	t->version = kvcli_version_of(data);
	if (json_is_string(mpath) &&
	    buf_append_str(&t->mount, json_string_value(mpath)) != ERR_OK)
		code =
		    command_fail("determining the KV version", "out of memory");
out:
	client_response_release(&resp);
	buf_release(&api);
	return code;
}

/* kvcli_open once the client is made. */
static int kvcli_resolve(struct client *c, const char *path, const char *mount,
                         struct kvcli_target *t)
{
	struct buf given = BUF_INIT;
	err_t rc = ERR_OK;
	int code;

	buf_init(&t->path, 0);
	buf_init(&t->mount, 0);
	t->version = 1;

	if (mount != NULL) {
		rc = kvcli_append_trimmed(&given, mount);
		if (rc == ERR_OK && *path != '\0')
			rc = buf_append_byte(&given, '/');
	}
	if (rc == ERR_OK)
		rc = buf_append_str(&given, path);
	if (rc == ERR_OK)
		rc = kvcli_append_trimmed(&t->path, buf_str(&given));
	buf_release(&given);
	if (rc != ERR_OK)
		return command_fail("building the path", err_str(rc));

	code = kvcli_preflight(c, t);
	/* -mount names the mount outright, whatever the longest match was. */
	if (code == COMMAND_EXIT_OK && mount != NULL) {
		buf_reset(&t->mount);
		if (kvcli_append_trimmed(&t->mount, mount) ||
		    buf_append_byte(&t->mount, '/'))
			code =
			    command_fail("building the path", "out of memory");
	}
	return code;
}

int kvcli_open(const struct command_opts *o, const char *path,
               const char *mount, struct client **c, struct kvcli_target *t)
{
	int code;

	code = command_client(o, c);
	if (code == COMMAND_EXIT_OK)
		code = kvcli_resolve(*c, path, mount, t);
	return code;
}

void kvcli_target_release(struct kvcli_target *t)
{
	if (t == NULL)
		return;
	buf_release(&t->path);
	buf_release(&t->mount);
}

/*
 * Known gap: inside a namespace Vault's ui/mounts answer may give the
 * mount with the namespace path in front, which Vault's CLI trims from
 * the front of the mount until it matches. Coffer's server has no
 * namespaces yet; a mount that does not prefix the path is used as if
 * the path were not under it (version 1 form).
 */
err_t kvcli_api_path(const struct kvcli_target *t, const char *family,
                     struct buf *out)
{
	const char *path = buf_str(&t->path), *mount = buf_str(&t->mount);
	size_t n = t->mount.len;

	if (t->version != 2 || n == 0 || !kvcli_under(path, mount))
		return buf_append_str(out, path);
	if (strlen(path) < n)
		return buf_printf(out, "%s%s", mount, family);
	return buf_printf(out, "%s%s/%s", mount, family, path + n);
}

/* Adds each number of one "1,2,3" item to arr. */
static err_t kvcli_versions_item(const char *item, json_t *arr, struct buf *msg)
{
	const char *p = item;
	long long v;
	char *end;

	while (*p != '\0') {
		errno = 0;
		v = strtoll(p, &end, 10);
		if (end == p || errno != 0 || v < 0 ||
		    (*end != ',' && *end != '\0') || *p == '-' || *p == '+') {
			buf_printf(msg, "invalid version list \"%s\"", item);
			return ERR_INVALID;
		}
		if (json_array_append_new(arr, json_integer(v)))
			return ERR_NOMEM;
		p = *end == ',' ? end + 1 : end;
	}
	return ERR_OK;
}

err_t kvcli_versions(const char *const *items, size_t n, json_t **out,
                     struct buf *msg)
{
	size_t i;
	err_t rc = ERR_OK;

	*out = json_array();
	if (*out == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n && rc == ERR_OK; i++)
		rc = kvcli_versions_item(items[i], *out, msg);
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

void kvcli_print_path(const char *title, const char *path)
{
	command_print_banner(title, strlen(path));
	printf("%s\n\n", path);
}

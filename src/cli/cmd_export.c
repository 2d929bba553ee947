/*
 * cmd_export.c - `coffer export`: a KV tree (or one secret) printed as JSON
 * or dotenv, the reverse of `coffer import json|env`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "cli/command.h"
#include "cli/import.h"

static const char export_usage[] =
    "Usage: coffer export [options] -path=MOUNT/PREFIX/\n"
    "\n"
    "  Prints the secrets under PREFIX/ as one JSON object of\n"
    "  {\"relative/path\": {fields}}, or the fields alone when PATH (without\n"
    "  a final slash) names one secret; with -format=env as KEY=\"VALUE\"\n"
    "  lines, under a \"# path\" comment per secret. The output holds the\n"
    "  secrets themselves: mind where it goes. Exits 1, after printing\n"
    "  what it could read, when a secret could not be read.\n"
    "\n"
    "  -path=MOUNT/PREFIX/  what to export (required)\n"
    "  -format=json|env     how to print it (json)\n";

static bool export_env_key(const char *k)
{
	size_t i;

	if (!((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') ||
	      k[0] == '_'))
		return false;
	for (i = 1; k[i]; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= '0' && k[i] <= '9') || strchr("_.-", k[i])))
			return false;
	return true;
}

/* KEY="VALUE" with the escapes import_parse_dotenv reads back. */
static err_t export_env_line(const char *key, json_t *v, struct buf *out)
{
	struct buf text = BUF_INIT;
	err_t rc;
	size_t i;

	rc = command_format_value(v, &text);
	if (rc == ERR_OK && json_is_null(v))
		buf_reset(&text);
	if (rc == ERR_OK)
		rc = buf_printf(out, "%s=\"", key);
	for (i = 0; rc == ERR_OK && i < text.len; i++) {
		char ch = (char)text.data[i];

		switch (ch) {
		case '\n':
			rc = buf_append_str(out, "\\n");
			break;
		case '\r':
			rc = buf_append_str(out, "\\r");
			break;
		case '\t':
			rc = buf_append_str(out, "\\t");
			break;
		case '\\':
		case '"':
		case '$':
			rc = buf_append_byte(out, '\\');
			if (rc == ERR_OK)
				rc = buf_append_byte(out, (uint8_t)ch);
			break;
		default:
			rc = buf_append_byte(out, (uint8_t)ch);
		}
	}
	if (rc == ERR_OK)
		rc = buf_append_str(out, "\"\n");
	buf_release(&text);
	return rc;
}

static int export_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One secret's fields as dotenv lines, sorted by key. */
static err_t export_env_secret(json_t *data, struct buf *out)
{
	const char **keys, *k;
	size_t n = 0, i;
	json_t *v;
	err_t rc = ERR_OK;

	keys = calloc(json_object_size(data) + 1, sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;
	json_object_foreach(data, k, v)
	{
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), export_cmp);
	for (i = 0; i < n && rc == ERR_OK; i++) {
		if (!export_env_key(keys[i])) {
			fprintf(stderr,
			        "Error: field \"%s\" cannot be a "
			        "dotenv key\n",
			        keys[i]);
			rc = ERR_INVALID;
		} else {
			rc = export_env_line(
			    keys[i], json_object_get(data, keys[i]), out);
		}
	}
	free(keys);
	return rc;
}

/* Prints result: JSON as it is, or dotenv (tree: path -> fields). */
static int export_print(json_t *result, bool tree, const char *format)
{
	struct buf out = BUF_INIT;
	const char **paths = NULL, *p;
	size_t n = 0, i;
	json_t *v;
	err_t rc = ERR_OK;

	if (strcmp(format, "json") == 0)
		return command_print_json(result);
	if (!tree)
		rc = export_env_secret(result, &out);
	paths = calloc(json_object_size(result) + 1, sizeof(*paths));
	if (paths == NULL)
		rc = ERR_NOMEM;
	json_object_foreach(result, p, v)
	{
		if (tree && paths != NULL)
			paths[n++] = p;
	}
	qsort(paths, n, sizeof(*paths), export_cmp);
	for (i = 0; i < n && rc == ERR_OK; i++) {
		rc = buf_printf(&out, "%s# %s\n", i ? "\n" : "", paths[i]);
		if (rc == ERR_OK)
			rc = export_env_secret(
			    json_object_get(result, paths[i]), &out);
	}
	if (rc == ERR_OK)
		fwrite(out.data ? out.data : (uint8_t *)"", 1, out.len, stdout);
	free(paths);
	buf_release(&out);
	if (rc == ERR_INVALID)
		return COMMAND_EXIT_ERROR;
	return rc == ERR_OK ? COMMAND_EXIT_OK
	                    : command_fail("exporting", err_str(rc));
}

/* Reads every secret under rel into result; failures are counted. */
static err_t export_tree(struct client *c, const struct kvmount *m,
                         const char *rel, json_t *result, size_t *failed)
{
	struct buf msg = BUF_INIT;
	json_t *list = json_array(), *p, *data;
	size_t i;
	err_t rc;

	rc = list ? kvmount_walk(c, m, rel, list, failed) : ERR_NOMEM;
	json_array_foreach(list, i, p)
	{
		const char *r = json_string_value(p);

		if (rc != ERR_OK)
			break;
		buf_reset(&msg);
		rc = kvmount_read(c, m, r, &data, NULL, &msg);
		if (rc == ERR_OK) {
			rc = json_object_set_new(result, r + strlen(rel), data)
			         ? ERR_NOMEM
			         : ERR_OK;
		} else if (rc != ERR_NOMEM) {
			fprintf(stderr, "Failed to read %s%s: %s\n", m->mount,
			        r, msg.len ? buf_str(&msg) : err_str(rc));
			++*failed;
			rc = ERR_OK;
		}
	}
	json_decref(list);
	buf_release(&msg);
	return rc;
}

/* The secret at rel (no final slash), or its folder when there is none. */
static int export_run(struct client *c, const char *path, const char *format)
{
	struct kvmount m = {0};
	struct buf msg = BUF_INIT, dir = BUF_INIT;
	json_t *result = NULL;
	size_t failed = 0;
	char *rel = NULL;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	rc = kvmount_find(c, path, &m, &rel, &msg);
	if (rc != ERR_OK) {
		code = command_fail("finding the KV mount",
		                    msg.len ? buf_str(&msg) : err_str(rc));
		goto out;
	}
	if (*rel != '\0' && rel[strlen(rel) - 1] != '/') {
		rc = kvmount_read(c, &m, rel, &result, NULL, &msg);
		if (rc == ERR_OK) {
			code = export_print(result, false, format);
			goto out;
		}
		if (rc != ERR_NOT_FOUND) {
			code = command_fail("reading", buf_str(&msg));
			goto out;
		}
	}
	rc = buf_printf(&dir, "%s%s", rel,
	                *rel && rel[strlen(rel) - 1] != '/' ? "/" : "");
	result = json_object();
	if (rc == ERR_OK)
		rc = result ? export_tree(c, &m, buf_str(&dir), result, &failed)
		            : ERR_NOMEM;
	code = rc == ERR_OK ? export_print(result, true, format)
	                    : command_fail("exporting", err_str(rc));
	if (code == COMMAND_EXIT_OK && failed > 0)
		code = command_fail("exporting", "some secrets could not be "
		                                 "read (listed above)");
out:
	json_decref(result);
	kvmount_release(&m);
	free(rel);
	buf_release(&msg);
	buf_release(&dir);
	return code;
}

int cmd_export(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *path = NULL, *format = "json";
	/* Listed first, this -format shadows the common one (table|json). */
	struct flag_def defs[] = {{"format", FLAG_STRING, &format},
	                          COMMAND_COMMON_FLAGS(&o),
	                          {"path", FLAG_STRING, &path},
	                          {0}};
	struct client *c = NULL;
	int first, code;

	code = command_parse(export_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first != argc)
		return command_usage_error(export_usage,
		                           "Unexpected arguments");
	if (path == NULL || *path == '\0')
		return command_usage_error(export_usage, "-path is required");
	if (strcmp(format, "json") != 0 && strcmp(format, "env") != 0)
		return command_usage_error(export_usage,
		                           "-format must be json or env");
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = export_run(c, path, format);
	client_free(c);
	return code;
}

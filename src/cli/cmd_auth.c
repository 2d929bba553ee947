/*
 * cmd_auth.c - `coffer auth enable|disable|list`: auth methods through
 * sys/auth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_auth.h"
#include "cli/command.h"

static const char enable_usage[] =
    "Usage: coffer auth enable [options] TYPE\n"
    "\n"
    "  Enables an auth method of TYPE (approle, userpass, ...) at a path\n"
    "  that defaults to TYPE; it then lives at auth/<path>/.\n"
    "\n"
    "    $ coffer auth enable -path=machines approle\n"
    "\n"
    "  -path=PATH              where to enable it\n"
    "  -description=TEXT       what it is for\n"
    "  -default-lease-ttl=D    default TTL of its tokens\n"
    "  -max-lease-ttl=D        maximum TTL of its tokens\n";

static const char disable_usage[] =
    "Usage: coffer auth disable [options] PATH\n"
    "\n"
    "  Disables the auth method at PATH and revokes its tokens.\n";

static const char list_usage[] =
    "Usage: coffer auth list [options]\n"
    "\n"
    "  Lists the enabled auth methods.\n"
    "\n"
    "  -format=table|json     how to print the answer\n";

/* "auth/" path names as the server shows them: one trailing slash. */
static err_t auth_path(const char *path, struct buf *out)
{
	err_t rc;

	while (*path == '/')
		path++;
	rc = buf_append_str(out, path);
	while (rc == ERR_OK && out->len > 0 && out->data[out->len - 1] == '/')
		out->data[--out->len] = '\0';
	if (rc == ERR_OK && out->len == 0)
		rc = ERR_INVALID;
	if (rc == ERR_OK)
		rc = buf_append_byte(out, '/');
	return rc;
}

static json_t *enable_body(const char *type, const char *desc, const char *dttl,
                           const char *mttl)
{
	json_t *body = json_pack("{s:s, s:s, s:{}}", "type", type,
	                         "description", desc ? desc : "", "config");
	json_t *config = json_object_get(body, "config");

	if (body != NULL && dttl != NULL)
		json_object_set_new(config, "default_lease_ttl",
		                    json_string(dttl));
	if (body != NULL && mttl != NULL)
		json_object_set_new(config, "max_lease_ttl", json_string(mttl));
	return body;
}

int cmd_auth_enable(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *path = NULL, *desc = NULL, *dttl = NULL, *mttl = NULL;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"path", FLAG_STRING, &path},
	                          {"description", FLAG_STRING, &desc},
	                          {"default-lease-ttl", FLAG_STRING, &dttl},
	                          {"max-lease-ttl", FLAG_STRING, &mttl},
	                          {0}};
	struct client_response resp = {0};
	struct buf p = BUF_INIT, api = BUF_INIT;
	struct client *c = NULL;
	json_t *body = NULL;
	int first, code;

	code = command_parse(enable_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first != 1)
		return command_usage_error(
		    enable_usage, "Expected exactly one argument: TYPE");
	if (auth_path(path ? path : argv[first], &p) != ERR_OK ||
	    buf_printf(&api, "sys/auth/%.*s", (int)p.len - 1, buf_str(&p))) {
		code = command_usage_error(enable_usage, "Invalid path");
		goto out;
	}
	body = enable_body(argv[first], desc, dttl, mttl);
	code = body ? command_client(&o, &c)
	            : command_fail("enabling auth method", "out of memory");
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "POST", buf_str(&api), NULL, body,
		                    "enabling auth method", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Enabled %s auth method at: %s\n", argv[first],
		       buf_str(&p));
out:
	json_decref(body);
	client_response_release(&resp);
	client_free(c);
	buf_release(&p);
	buf_release(&api);
	return code;
}

int cmd_auth_disable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf p = BUF_INIT, api = BUF_INIT;
	struct client *c = NULL;
	int first, code;

	code = command_parse(disable_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first != 1)
		return command_usage_error(
		    disable_usage, "Expected exactly one argument: PATH");
	if (auth_path(argv[first], &p) != ERR_OK ||
	    buf_printf(&api, "sys/auth/%.*s", (int)p.len - 1, buf_str(&p))) {
		code = command_usage_error(disable_usage, "Invalid path");
		goto out;
	}
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "DELETE", buf_str(&api), NULL, NULL,
		                    "disabling auth method", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Disabled the auth method (if it existed) at: "
		       "%s\n",
		       buf_str(&p));
out:
	client_response_release(&resp);
	client_free(c);
	buf_release(&p);
	buf_release(&api);
	return code;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int auth_print(json_t *mounts)
{
	static const char *const head[] = {"Path", "Type", "Accessor",
	                                   "Description"};
	const char **paths =
	               calloc(json_object_size(mounts) + 1, sizeof(*paths)),
	           *p, *cells[4];
	size_t n = 0, i;
	struct table t;
	json_t *m;
	err_t rc = table_init(&t, 4, head);
	int code;

	if (paths == NULL)
		rc = ERR_NOMEM;
	json_object_foreach(mounts, p, m) if (paths != NULL &&
	                                      json_is_object(m)) paths[n++] = p;
	if (paths != NULL)
		qsort(paths, n, sizeof(*paths), cmp_keys);
	for (i = 0; i < n && rc == ERR_OK; i++) {
		m = json_object_get(mounts, paths[i]);
		cells[0] = paths[i];
		cells[1] = json_string_value(json_object_get(m, "type"));
		cells[2] = json_string_value(json_object_get(m, "accessor"));
		cells[3] = json_string_value(json_object_get(m, "description"));
		rc = table_add_row(&t, cells);
	}
	code = rc ? command_fail("listing auth methods", err_str(rc))
	          : command_print_table(&t);
	table_release(&t);
	free(paths);
	return code;
}

int cmd_auth_list(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct client *c = NULL;
	json_t *mounts;
	int first, code;

	code = command_parse(list_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first != argc)
		return command_usage_error(list_usage, "Too many arguments");
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "GET", "sys/auth", NULL, NULL,
		                    "listing auth methods", &resp);
	if (code == COMMAND_EXIT_OK) {
		mounts = json_object_get(resp.body, "data");
		if (!json_is_object(mounts))
			mounts = resp.body;
		code = strcmp(o.format, "json") == 0
		           ? command_print_json(mounts)
		           : auth_print(mounts);
	}
	client_response_release(&resp);
	client_free(c);
	return code;
}

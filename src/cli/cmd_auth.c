/*
 * cmd_auth.c - `coffer auth enable|disable|list`: auth methods through
 * sys/auth.
 */
#include <stdio.h>
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

/* A path of slashes alone would name sys/auth itself. */
static bool auth_path_empty(const char *path)
{
	return path[strspn(path, "/")] == '\0';
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
	struct buf p = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(enable_usage, defs, argc, argv, &o, 1, "TYPE",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	if (auth_path_empty(path ? path : argv[first]))
		return command_usage_error(enable_usage, "Invalid path");
	body = enable_body(argv[first], desc, dttl, mttl);
	code = body ? command_mount_request(&o, "auth", "POST",
	                                    path ? path : argv[first], body,
	                                    "enabling auth method", &p)
	            : command_fail("enabling auth method", "out of memory");
	if (code == COMMAND_EXIT_OK)
		printf("Success! Enabled %s auth method at: %s\n", argv[first],
		       buf_str(&p));
	json_decref(body);
	buf_release(&p);
	return code;
}

int cmd_auth_disable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct buf p = BUF_INIT;
	int first, code;

	code = command_parse_args(disable_usage, defs, argc, argv, &o, 1,
	                          "PATH", &first);
	if (code != COMMAND_RUN)
		return code;
	if (auth_path_empty(argv[first]))
		return command_usage_error(disable_usage, "Invalid path");
	code = command_mount_request(&o, "auth", "DELETE", argv[first], NULL,
	                             "disabling auth method", &p);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Disabled the auth method (if it existed) at: "
		       "%s\n",
		       buf_str(&p));
	buf_release(&p);
	return code;
}

static err_t auth_row(struct table *t, const char *path, json_t *m,
                      const void *arg)
{
	const char *cells[4];

	(void)arg;
	cells[0] = path;
	cells[1] = json_string_value(json_object_get(m, "type"));
	cells[2] = json_string_value(json_object_get(m, "accessor"));
	cells[3] = json_string_value(json_object_get(m, "description"));
	return table_add_row(t, cells);
}

static int auth_print(json_t *mounts, const void *arg)
{
	static const char *const head[] = {"Path", "Type", "Accessor",
	                                   "Description"};

	(void)arg;
	return command_print_rows(mounts, 4, head, auth_row, NULL,
	                          "listing auth methods");
}

int cmd_auth_list(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	int first, code;

	code = command_parse_args(list_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	return command_list_map(&o, "sys/auth", "listing auth methods",
	                        auth_print, NULL);
}

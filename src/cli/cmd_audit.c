/*
 * cmd_audit.c - `coffer audit ...`: enable, disable and list audit devices
 * through sys/audit.
 */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"

static const char enable_usage[] =
    "Usage: coffer audit enable [options] TYPE [K=V...]\n"
    "\n"
    "  Enables an audit device of TYPE (file, syslog, socket, http) with\n"
    "  the options given as K=V pairs, at a path that defaults to TYPE.\n"
    "\n"
    "    $ coffer audit enable file file_path=/var/log/coffer/audit.log\n"
    "\n"
    "  -path=PATH              where to enable it\n"
    "  -description=TEXT       what it is for\n"
    "  -local                  do not replicate it\n";

static const char disable_usage[] =
    "Usage: coffer audit disable [options] PATH\n"
    "\n"
    "  Disables the audit device at PATH.\n";

static const char list_usage[] =
    "Usage: coffer audit list [options]\n"
    "\n"
    "  Lists the enabled audit devices.\n"
    "\n"
    "  -detailed              show their options\n"
    "  -format=table|json     how to print the answer\n";

/* {"type": T, "description": D, "local": L, "options": {K: V...}}. */
static int audit_body(char **kv, int n, const char *type, const char *desc,
                      bool local, json_t **out)
{
	json_t *options = json_object();
	int i;

	*out = json_pack("{s:s, s:s, s:b}", "type", type, "description",
	                 desc ? desc : "", "local", local);
	if (*out == NULL || options == NULL ||
	    json_object_set_new(*out, "options", options)) {
		json_decref(options);
		return command_fail("building the request",
		                    "a value is not valid UTF-8 text");
	}
	for (i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		if (eq == NULL || eq == kv[i])
			return command_usage_error(
			    enable_usage, "Options must be given as K=V");
		if (json_object_setn_new(options, kv[i], (size_t)(eq - kv[i]),
		                         json_string(eq + 1)))
			return command_fail("building the request",
			                    "a value is not valid UTF-8 text");
	}
	return COMMAND_EXIT_OK;
}

int cmd_audit_enable(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *path = NULL, *desc = NULL;
	bool local = false;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"path", FLAG_STRING, &path},
	                          {"description", FLAG_STRING, &desc},
	                          {"local", FLAG_BOOL, &local},
	                          {0}};
	struct buf dev = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse(enable_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first < 1)
		return command_usage_error(enable_usage,
		                           "Expected at least one argument: "
		                           "TYPE");
	code = audit_body(argv + first + 1, argc - first - 1, argv[first], desc,
	                  local, &body);
	if (code == COMMAND_EXIT_OK)
		code = command_mount_request(&o, "audit", "PUT",
		                             path ? path : argv[first], body,
		                             "enabling audit device", &dev);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Enabled the %s audit device at: %s\n",
		       argv[first], buf_str(&dev));
	json_decref(body);
	buf_release(&dev);
	return code;
}

int cmd_audit_disable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct buf dev = BUF_INIT;
	int first, code;

	code = command_parse_args(disable_usage, defs, argc, argv, &o, 1,
	                          "PATH", &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_mount_request(&o, "audit", "DELETE", argv[first], NULL,
	                             "disabling audit device", &dev);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Disabled audit device (if it was enabled) "
		       "at: %s\n",
		       buf_str(&dev));
	buf_release(&dev);
	return code;
}

static err_t audit_row(struct table *t, const char *path, json_t *d,
                       const void *arg)
{
	const bool *detailed = arg;
	struct buf opts = BUF_INIT;
	const char *cells[5];
	err_t rc = ERR_OK;

	cells[0] = path;
	cells[1] = json_string_value(json_object_get(d, "type"));
	cells[2] = json_string_value(json_object_get(d, "description"));
	if (!*detailed)
		return table_add_row(t, cells);
	cells[3] =
	    json_is_true(json_object_get(d, "local")) ? "local" : "replicated";
	rc = command_format_value(json_object_get(d, "options"), &opts);
	cells[4] = buf_str(&opts);
	if (rc == ERR_OK)
		rc = table_add_row(t, cells);
	buf_release(&opts);
	return rc;
}

/* arg: whether -detailed was given. */
static int audit_print(json_t *devices, const void *arg)
{
	static const char *const headers[] = {"Path", "Type", "Description",
	                                      "Replication", "Options"};
	const bool *detailed = arg;

	if (json_object_size(devices) == 0) {
		printf("No audit devices are enabled.\n");
		return COMMAND_EXIT_USAGE;
	}
	return command_print_rows(devices, *detailed ? 5 : 3, headers,
	                          audit_row, detailed, "listing audit devices");
}

int cmd_audit_list(int argc, char **argv)
{
	struct command_opts o = {0};
	bool detailed = false;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"detailed", FLAG_BOOL, &detailed}, {0}};
	int first, code;

	code = command_parse_args(list_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	return command_list_map(&o, "sys/audit", "listing audit devices",
	                        audit_print, &detailed);
}

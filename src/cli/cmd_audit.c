/*
 * cmd_audit.c - `coffer audit ...`: enable, disable and list audit devices
 * through sys/audit.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* A device path as the server shows it: no leading, one trailing slash. */
static err_t audit_device_path(const char *path, struct buf *out)
{
	err_t rc;

	while (*path == '/')
		path++;
	rc = buf_append_str(out, path);
	while (rc == ERR_OK && out->len > 0 && out->data[out->len - 1] == '/')
		out->data[--out->len] = '\0';
	if (rc == ERR_OK)
		rc = buf_append_byte(out, '/');
	return rc;
}

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
	struct client_response resp = {0};
	struct buf dev = BUF_INIT, api = BUF_INIT;
	struct client *c = NULL;
	json_t *body = NULL;
	int first, code;

	code = command_parse(enable_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		goto out;
	if (argc - first < 1) {
		code = command_usage_error(enable_usage,
		                           "Expected at least one argument: "
		                           "TYPE");
		goto out;
	}
	code = audit_body(argv + first + 1, argc - first - 1, argv[first], desc,
	                  local, &body);
	if (code == COMMAND_EXIT_OK)
		code = command_client(&o, &c);
	if (code != COMMAND_EXIT_OK)
		goto out;

	if (audit_device_path(path ? path : argv[first], &dev) ||
	    buf_printf(&api, "sys/audit/%.*s", (int)dev.len - 1,
	               buf_str(&dev))) {
		code = command_fail("enabling audit device", "out of memory");
		goto out;
	}
	code = command_call(c, "PUT", buf_str(&api), NULL, body,
	                    "enabling audit device", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Enabled the %s audit device at: %s\n",
		       argv[first], buf_str(&dev));
out:
	json_decref(body);
	client_response_release(&resp);
	client_free(c);
	buf_release(&dev);
	buf_release(&api);
	return code;
}

int cmd_audit_disable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf dev = BUF_INIT, api = BUF_INIT;
	struct client *c = NULL;
	int first, code;

	code = command_parse(disable_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first != 1)
		return command_usage_error(
		    disable_usage, "Expected exactly one argument: PATH");
	code = command_client(&o, &c);
	if (code != COMMAND_EXIT_OK)
		goto out;

	if (audit_device_path(argv[first], &dev) ||
	    buf_printf(&api, "sys/audit/%.*s", (int)dev.len - 1,
	               buf_str(&dev))) {
		code = command_fail("disabling audit device", "out of memory");
		goto out;
	}
	code = command_call(c, "DELETE", buf_str(&api), NULL, NULL,
	                    "disabling audit device", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Disabled audit device (if it was enabled) "
		       "at: %s\n",
		       buf_str(&dev));
out:
	client_response_release(&resp);
	client_free(c);
	buf_release(&dev);
	buf_release(&api);
	return code;
}

static int audit_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static err_t audit_row(struct table *t, const char *path, json_t *d,
                       bool detailed)
{
	struct buf opts = BUF_INIT;
	const char *cells[5];
	err_t rc = ERR_OK;

	cells[0] = path;
	cells[1] = json_string_value(json_object_get(d, "type"));
	cells[2] = json_string_value(json_object_get(d, "description"));
	if (!detailed)
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

static int audit_print(json_t *devices, bool detailed)
{
	static const char *const headers[] = {"Path", "Type", "Description",
	                                      "Replication", "Options"};
	const char **paths, *p;
	size_t n = 0, i;
	struct table t;
	json_t *d;
	err_t rc;
	int code;

	if (json_object_size(devices) == 0) {
		printf("No audit devices are enabled.\n");
		return COMMAND_EXIT_USAGE;
	}
	rc = table_init(&t, detailed ? 5 : 3, headers);
	paths = calloc(json_object_size(devices) + 1, sizeof(*paths));
	if (paths == NULL)
		rc = ERR_NOMEM;
	json_object_foreach(devices, p, d)
	{
		if (paths != NULL && json_is_object(d))
			paths[n++] = p;
	}
	if (paths != NULL)
		qsort(paths, n, sizeof(*paths), audit_strcmp);
	for (i = 0; i < n && rc == ERR_OK; i++)
		rc = audit_row(&t, paths[i], json_object_get(devices, paths[i]),
		               detailed);
	code = rc ? command_fail("listing audit devices", err_str(rc))
	          : command_print_table(&t);
	table_release(&t);
	free(paths);
	return code;
}

int cmd_audit_list(int argc, char **argv)
{
	struct command_opts o = {0};
	bool detailed = false;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"detailed", FLAG_BOOL, &detailed}, {0}};
	struct client_response resp = {0};
	struct client *c = NULL;
	json_t *devices;
	int first, code;

	code = command_parse(list_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first != argc)
		return command_usage_error(list_usage, "Too many arguments");
	code = command_client(&o, &c);
	if (code != COMMAND_EXIT_OK)
		goto out;

	code = command_call(c, "GET", "sys/audit", NULL, NULL,
	                    "listing audit devices", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	devices = json_object_get(resp.body, "data");
	if (!json_is_object(devices))
		devices = resp.body;
	code = strcmp(o.format, "json") == 0 ? command_print_json(devices)
	                                     : audit_print(devices, detailed);
out:
	client_response_release(&resp);
	client_free(c);
	return code;
}

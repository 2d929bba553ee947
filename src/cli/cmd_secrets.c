/*
 * cmd_secrets.c - `coffer secrets ...`: mount, unmount, list and tune
 * secrets engines through sys/mounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "cli/command.h"

static const char enable_usage[] =
    "Usage: coffer secrets enable [options] TYPE\n"
    "\n"
    "  Mounts a secrets engine of TYPE (kv, transit, ...) at a path,\n"
    "  by default the name of its type.\n"
    "\n"
    "  -path=PATH              where to mount it\n"
    "  -description=TEXT      what it is for\n"
    "  -version=N              the KV version (1 or 2)\n"
    "  -options=K=V            an engine option; may be repeated\n"
    "  -default-lease-ttl=D    the default lease duration (\"1h\")\n"
    "  -max-lease-ttl=D        the longest lease duration\n";

static const char disable_usage[] =
    "Usage: coffer secrets disable [options] PATH\n"
    "\n"
    "  Unmounts the secrets engine at PATH; its data and leases are gone.\n";

static const char list_usage[] =
    "Usage: coffer secrets list [options]\n"
    "\n"
    "  Lists the mounted secrets engines.\n"
    "\n"
    "  -detailed              show lease durations, options and UUIDs\n"
    "  -format=table|json     how to print the answer\n";

static const char tune_usage[] =
    "Usage: coffer secrets tune [options] PATH\n"
    "\n"
    "  Changes the settings of the secrets engine at PATH.\n"
    "\n"
    "  -description=TEXT      what it is for\n"
    "  -default-lease-ttl=D    the default lease duration (\"1h\")\n"
    "  -max-lease-ttl=D        the longest lease duration\n"
    "  -options=K=V            an engine option; may be repeated\n"
    "  -version=N              the KV version (upgrades 1 to 2)\n";

/* The settings enable and tune share. */
struct secrets_settings {
	const char *description;
	const char *default_ttl;
	const char *max_ttl;
	struct flag_list options;
	int64_t version;
};

/* A mount path as Vault shows it: no leading slash, one trailing slash. */
static err_t secrets_mount_path(const char *path, struct buf *out)
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

/* {"version": "2", "k": "v"} from -version and the -options pairs. */
static err_t secrets_options(const struct secrets_settings *s, json_t **out,
                             struct buf *msg)
{
	const char *item, *eq;
	char version[24];
	size_t i;

	*out = NULL;
	if (s->options.n == 0 && s->version == 0)
		return ERR_OK;
	*out = json_object();
	if (*out == NULL)
		return ERR_NOMEM;
	for (i = 0; i < s->options.n; i++) {
		item = s->options.items[i];
		eq = strchr(item, '=');
		if (eq == NULL || eq == item) {
			buf_printf(msg,
			           "invalid -options value \"%s\": expected "
			           "K=V",
			           item);
			return ERR_INVALID;
		}
		if (json_object_setn_new(*out, item, (size_t)(eq - item),
		                         json_string(eq + 1)))
			return ERR_INVALID;
	}
	if (s->version != 0) {
		snprintf(version, sizeof(version), "%lld",
		         (long long)s->version);
		if (json_object_set_new(*out, "version", json_string(version)))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/*
 * Adds the settings that were given to body: description and options at
 * the top, the lease durations under config (enable) or at the top (tune).
 */
static err_t secrets_fill(const struct secrets_settings *s, json_t *body,
                          bool nest_ttls, struct buf *msg)
{
	json_t *config = body, *options = NULL;
	err_t rc;

	if (s->description != NULL &&
	    json_object_set_new(body, "description",
	                        json_string(s->description)))
		return ERR_INVALID;
	rc = secrets_options(s, &options, msg);
	if (rc != ERR_OK) {
		json_decref(options);
		return rc;
	}
	if (options != NULL && json_object_set_new(body, "options", options))
		return ERR_NOMEM;
	if (nest_ttls && (s->default_ttl || s->max_ttl)) {
		config = json_object();
		if (json_object_set_new(body, "config", config))
			return ERR_NOMEM;
	}
	/* The server parses durations; "1h" and "3600" both go as given. */
	if (s->default_ttl != NULL &&
	    json_object_set_new(config, "default_lease_ttl",
	                        json_string(s->default_ttl)))
		return ERR_INVALID;
	if (s->max_ttl != NULL && json_object_set_new(config, "max_lease_ttl",
	                                              json_string(s->max_ttl)))
		return ERR_INVALID;
	return ERR_OK;
}

/* Builds the body of an enable or tune; prints the problem on failure. */
static int secrets_body(const char *usage, const struct secrets_settings *s,
                        const char *type, json_t **out)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	*out = json_object();
	if (*out == NULL)
		return command_fail("building the request", "out of memory");
	rc = ERR_OK;
	if (type != NULL &&
	    json_object_set_new(*out, "type", json_string(type)))
		rc = ERR_INVALID;
	if (rc == ERR_OK)
		rc = secrets_fill(s, *out, type != NULL, &msg);
	if (rc != ERR_OK) {
		code = command_usage_error(
		    usage, msg.len ? buf_str(&msg)
		                   : "a value is not valid UTF-8 text");
		json_decref(*out);
		*out = NULL;
	}
	buf_release(&msg);
	return code;
}

#define SECRETS_SETTING_FLAGS(s)                                               \
	{"description", FLAG_STRING, &(s)->description},                       \
	    {"default-lease-ttl", FLAG_STRING, &(s)->default_ttl},             \
	    {"max-lease-ttl", FLAG_STRING, &(s)->max_ttl},                     \
	    {"options", FLAG_LIST, &(s)->options},                             \
	{                                                                      \
		"version", FLAG_INT, &(s)->version                             \
	}

int cmd_secrets_enable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct secrets_settings s = {0};
	const char *path = NULL;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          SECRETS_SETTING_FLAGS(&s),
	                          {"path", FLAG_STRING, &path},
	                          {0}};
	struct client_response resp = {0};
	struct buf mount = BUF_INIT, api = BUF_INIT;
	struct client *c = NULL;
	json_t *body = NULL;
	int first, code;

	code = command_parse(enable_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		goto out;
	if (argc - first != 1) {
		code = command_usage_error(
		    enable_usage, "Expected exactly one argument: TYPE");
		goto out;
	}
	code = secrets_body(enable_usage, &s, argv[first], &body);
	if (code == COMMAND_EXIT_OK)
		code = command_client(&o, &c);
	if (code != COMMAND_EXIT_OK)
		goto out;

	if (secrets_mount_path(path ? path : argv[first], &mount) ||
	    buf_printf(&api, "sys/mounts/%.*s", (int)mount.len - 1,
	               buf_str(&mount))) {
		code = command_fail("enabling", "out of memory");
		goto out;
	}
	code = command_call(c, "POST", buf_str(&api), NULL, body, "enabling",
	                    &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Enabled the %s secrets engine at: %s\n",
		       argv[first], buf_str(&mount));
out:
	flags_list_release(&s.options);
	json_decref(body);
	client_response_release(&resp);
	client_free(c);
	buf_release(&mount);
	buf_release(&api);
	return code;
}

int cmd_secrets_disable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf mount = BUF_INIT, api = BUF_INIT, what = BUF_INIT;
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

	if (secrets_mount_path(argv[first], &mount) ||
	    buf_printf(&api, "sys/mounts/%.*s", (int)mount.len - 1,
	               buf_str(&mount)) ||
	    buf_printf(&what, "disabling secrets engine at %s",
	               buf_str(&mount))) {
		code = command_fail("disabling", "out of memory");
		goto out;
	}
	code = command_call(c, "DELETE", buf_str(&api), NULL, NULL,
	                    buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Disabled the secrets engine (if it existed) "
		       "at: %s\n",
		       buf_str(&mount));
out:
	client_response_release(&resp);
	client_free(c);
	buf_release(&mount);
	buf_release(&api);
	buf_release(&what);
	return code;
}

int cmd_secrets_tune(int argc, char **argv)
{
	struct command_opts o = {0};
	struct secrets_settings s = {0};
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), SECRETS_SETTING_FLAGS(&s), {0}};
	struct client_response resp = {0};
	struct buf mount = BUF_INIT, api = BUF_INIT, what = BUF_INIT;
	struct client *c = NULL;
	json_t *body = NULL;
	int first, code;

	code = command_parse(tune_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		goto out;
	if (argc - first != 1) {
		code = command_usage_error(
		    tune_usage, "Expected exactly one argument: PATH");
		goto out;
	}
	code = secrets_body(tune_usage, &s, NULL, &body);
	if (code == COMMAND_EXIT_OK)
		code = command_client(&o, &c);
	if (code != COMMAND_EXIT_OK)
		goto out;

	if (secrets_mount_path(argv[first], &mount) ||
	    buf_printf(&api, "sys/mounts/%stune", buf_str(&mount)) ||
	    buf_printf(&what, "tuning secrets engine %s", buf_str(&mount))) {
		code = command_fail("tuning", "out of memory");
		goto out;
	}
	code = command_call(c, "POST", buf_str(&api), NULL, body,
	                    buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Tuned the secrets engine at: %s\n",
		       buf_str(&mount));
out:
	flags_list_release(&s.options);
	json_decref(body);
	client_response_release(&resp);
	client_free(c);
	buf_release(&mount);
	buf_release(&api);
	buf_release(&what);
	return code;
}

static int secrets_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A lease duration in seconds, or "system" for 0 (the server's default). */
static void secrets_ttl(json_t *config, const char *key, char *out, size_t len)
{
	json_int_t secs = json_integer_value(json_object_get(config, key));

	if (secs <= 0)
		snprintf(out, len, "system");
	else
		format_duration(secs, out, len);
}

static err_t secrets_row(struct table *t, const char *path, json_t *m,
                         bool detailed)
{
	json_t *config = json_object_get(m, "config");
	json_t *options = json_object_get(m, "options");
	char dttl[32], mttl[32];
	struct buf opts = BUF_INIT;
	const char *cells[8];
	err_t rc = ERR_OK;

	cells[0] = path;
	cells[1] = json_string_value(json_object_get(m, "type"));
	cells[2] = json_string_value(json_object_get(m, "accessor"));
	if (!detailed) {
		cells[3] = json_string_value(json_object_get(m, "description"));
		return table_add_row(t, cells);
	}
	secrets_ttl(config, "default_lease_ttl", dttl, sizeof(dttl));
	secrets_ttl(config, "max_lease_ttl", mttl, sizeof(mttl));
	if (json_object_size(options) > 0)
		rc = command_format_value(options, &opts);
	else
		rc = buf_append_str(&opts, "n/a");
	cells[3] = dttl;
	cells[4] = mttl;
	cells[5] = buf_str(&opts);
	cells[6] = json_string_value(json_object_get(m, "description"));
	cells[7] = json_string_value(json_object_get(m, "uuid"));
	if (rc == ERR_OK)
		rc = table_add_row(t, cells);
	buf_release(&opts);
	return rc;
}

static int secrets_print(json_t *mounts, bool detailed)
{
	static const char *const brief[] = {"Path", "Type", "Accessor",
	                                    "Description"};
	static const char *const full[] = {"Path",        "Type",    "Accessor",
	                                   "Default TTL", "Max TTL", "Options",
	                                   "Description", "UUID"};
	const char **paths = NULL, *p;
	size_t n = 0, i;
	struct table t;
	json_t *m;
	err_t rc;
	int code;

	rc = table_init(&t, detailed ? 8 : 4, detailed ? full : brief);
	paths = calloc(json_object_size(mounts) + 1, sizeof(*paths));
	if (paths == NULL)
		rc = ERR_NOMEM;
	json_object_foreach(mounts, p, m)
	{
		if (paths != NULL && json_is_object(m))
			paths[n++] = p;
	}
	if (paths != NULL)
		qsort(paths, n, sizeof(*paths), secrets_strcmp);
	for (i = 0; i < n && rc == ERR_OK; i++)
		rc = secrets_row(&t, paths[i],
		                 json_object_get(mounts, paths[i]), detailed);

	code = rc ? command_fail("listing secrets engines", err_str(rc))
	          : command_print_table(&t);
	table_release(&t);
	free(paths);
	return code;
}

int cmd_secrets_list(int argc, char **argv)
{
	struct command_opts o = {0};
	bool detailed = false;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"detailed", FLAG_BOOL, &detailed}, {0}};
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
	if (code != COMMAND_EXIT_OK)
		goto out;

	code = command_call(c, "GET", "sys/mounts", NULL, NULL,
	                    "listing secrets engines", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	/* Older servers answer with the mounts at the top level only. */
	mounts = json_object_get(resp.body, "data");
	if (!json_is_object(mounts))
		mounts = resp.body;
	code = strcmp(o.format, "json") == 0 ? command_print_json(mounts)
	                                     : secrets_print(mounts, detailed);
out:
	client_response_release(&resp);
	client_free(c);
	return code;
}

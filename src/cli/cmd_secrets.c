/*
 * cmd_secrets.c - `coffer secrets ...`: mount, unmount, list and tune
 * secrets engines through sys/mounts.
 */
#include <stdio.h>
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
	struct buf mount = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(enable_usage, defs, argc, argv, &o, 1, "TYPE",
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	code = secrets_body(enable_usage, &s, argv[first], &body);
	if (code == COMMAND_EXIT_OK)
		code = command_mount_request(&o, "mounts", "POST",
		                             path ? path : argv[first], body,
		                             "enabling", &mount);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Enabled the %s secrets engine at: %s\n",
		       argv[first], buf_str(&mount));
out:
	flags_list_release(&s.options);
	json_decref(body);
	buf_release(&mount);
	return code;
}

int cmd_secrets_disable(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf mount = BUF_INIT, api = BUF_INIT, what = BUF_INIT;
	int first, code;

	code = command_parse_args(disable_usage, defs, argc, argv, &o, 1,
	                          "PATH", &first);
	if (code != COMMAND_RUN)
		return code;
	if (command_mount_path("mounts", argv[first], &mount, &api) ||
	    buf_printf(&what, "disabling secrets engine at %s",
	               buf_str(&mount)))
		code = command_fail("disabling", "out of memory");
	else
		code = command_call_once(&o, "DELETE", buf_str(&api), NULL,
		                         NULL, buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Disabled the secrets engine (if it existed) "
		       "at: %s\n",
		       buf_str(&mount));
	client_response_release(&resp);
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
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(tune_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	code = secrets_body(tune_usage, &s, NULL, &body);
	if (code != COMMAND_EXIT_OK)
		goto out;

	if (command_mount_path("mounts", argv[first], &mount, &api) ||
	    buf_append_str(&api, "/tune") ||
	    buf_printf(&what, "tuning secrets engine %s", buf_str(&mount))) {
		code = command_fail("tuning", "out of memory");
		goto out;
	}
	code = command_call_once(&o, "POST", buf_str(&api), NULL, body,
	                         buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Tuned the secrets engine at: %s\n",
		       buf_str(&mount));
out:
	flags_list_release(&s.options);
	json_decref(body);
	client_response_release(&resp);
	buf_release(&mount);
	buf_release(&api);
	buf_release(&what);
	return code;
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
                         const void *arg)
{
	const bool *detailed = arg;
	json_t *config = json_object_get(m, "config");
	json_t *options = json_object_get(m, "options");
	char dttl[32], mttl[32];
	struct buf opts = BUF_INIT;
	const char *cells[8];
	err_t rc = ERR_OK;

	cells[0] = path;
	cells[1] = json_string_value(json_object_get(m, "type"));
	cells[2] = json_string_value(json_object_get(m, "accessor"));
	if (!*detailed) {
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

/* arg: whether -detailed was given. */
static int secrets_print(json_t *mounts, const void *arg)
{
	static const char *const brief[] = {"Path", "Type", "Accessor",
	                                    "Description"};
	static const char *const full[] = {"Path",        "Type",    "Accessor",
	                                   "Default TTL", "Max TTL", "Options",
	                                   "Description", "UUID"};
	const bool *detailed = arg;

	return command_print_rows(mounts, *detailed ? 8 : 4,
	                          *detailed ? full : brief, secrets_row,
	                          detailed, "listing secrets engines");
}

int cmd_secrets_list(int argc, char **argv)
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
	return command_list_map(&o, "sys/mounts", "listing secrets engines",
	                        secrets_print, &detailed);
}

/*
 * cmd_kv_metadata.c - `coffer kv metadata get|put|delete`: the settings
 * and version history a version 2 mount keeps for each secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/params.h"
#include "cli/command.h"
#include "cli/kvcli.h"

static const char metadata_usage[] =
    "Usage: coffer kv metadata <get|put|delete> [options] PATH\n"
    "\n"
    "  get      show a secret's settings and the state of each version\n"
    "  put      change a secret's settings (creating its metadata)\n"
    "  delete   delete the secret with all its versions and metadata\n";

static const char get_usage[] =
    "Usage: coffer kv metadata get [options] PATH\n"
    "\n"
    "  Shows the metadata of the secret at PATH and of each version.\n"
    "\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n"
    "  -format=table|json   how to print the answer\n";

static const char put_usage[] =
    "Usage: coffer kv metadata put [options] PATH\n"
    "\n"
    "  Writes the settings of the secret at PATH.\n"
    "\n"
    "  -max-versions=N            versions kept (0: the mount's setting)\n"
    "  -cas-required=true|false   whether writes need -cas\n"
    "  -delete-version-after=D    delete versions this long after writing\n"
    "  -custom-metadata=K=V       a key of custom metadata; may be repeated\n"
    "  -mount=PATH                the mount; PATH is then relative to it\n";

static const char delete_usage[] =
    "Usage: coffer kv metadata delete [options] PATH\n"
    "\n"
    "  Deletes the secret at PATH: every version and its metadata.\n"
    "\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n";

/*
 * Resolves PATH (kvcli_open) and sends one request of method to its
 * <mount>metadata/<path>, which api receives; version 2 mounts only. A GET
 * goes through command_fetch, so that finding nothing gives
 * COMMAND_ABSENT. doing heads the error messages ("reading").
 */
static int kv_meta_request(const struct command_opts *o, const char *path,
                           const char *mount, const char *method, json_t *body,
                           const char *doing, struct client_response *resp,
                           struct buf *api)
{
	struct kvcli_target t = {0};
	struct buf what = BUF_INIT;
	struct client *c = NULL;
	int code;

	code = kvcli_open(o, path, mount, &c, &t);
	if (code == COMMAND_EXIT_OK && t.version != 2)
		code = command_fail("reaching the metadata",
		                    "metadata exists only on KV version 2 "
		                    "mounts");
	if (code == COMMAND_EXIT_OK &&
	    (kvcli_api_path(&t, "metadata", api) != ERR_OK ||
	     buf_printf(&what, "%s %s", doing, buf_str(api)) != ERR_OK))
		code = command_fail("building the path", "out of memory");
	if (code == COMMAND_EXIT_OK && strcmp(method, "GET") == 0)
		code = command_fetch(c, method, buf_str(api), NULL,
		                     buf_str(&what), resp);
	else if (code == COMMAND_EXIT_OK)
		code = command_call(c, method, buf_str(api), NULL, body,
		                    buf_str(&what), resp);
	kvcli_target_release(&t);
	client_free(c);
	buf_release(&what);
	return code;
}

static int kv_meta_cmp(const void *a, const void *b)
{
	long long x = strtoll(*(const char *const *)a, NULL, 10);
	long long y = strtoll(*(const char *const *)b, NULL, 10);

	return (x > y) - (x < y);
}

/* One "== Version N ==" table per version, oldest first. */
static int kv_meta_print_versions(json_t *versions)
{
	const char **keys, *k;
	char title[48];
	size_t n = 0, i;
	json_t *v;
	int code = COMMAND_EXIT_OK;

	keys = calloc(json_object_size(versions) + 1, sizeof(*keys));
	if (keys == NULL)
		return command_fail("printing the versions", "out of memory");
	json_object_foreach(versions, k, v)
	{
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), kv_meta_cmp);
	for (i = 0; i < n && code == COMMAND_EXIT_OK; i++) {
		v = json_object_get(versions, keys[i]);
		snprintf(title, sizeof(title), "Version %s", keys[i]);
		putchar('\n');
		command_print_map_banner(title, v);
		code = command_print_map(v);
	}
	free(keys);
	return code;
}

static int kv_meta_print(const char *api, json_t *body, const char *format)
{
	json_t *data = json_object_get(body, "data"), *rest;
	int code;

	if (strcmp(format, "json") == 0)
		return command_print_json(body);
	rest = json_is_object(data) ? json_copy(data) : json_object();
	if (rest == NULL)
		return command_fail("printing the metadata", "out of memory");
	json_object_del(rest, "versions");

	command_print_warnings(body);
	kvcli_print_path("Metadata Path", api);
	command_print_map_banner("Metadata", rest);
	code = command_print_map(rest);
	if (code == COMMAND_EXIT_OK)
		code =
		    kv_meta_print_versions(json_object_get(data, "versions"));
	json_decref(rest);
	return code;
}

static int kv_meta_get(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *mount = NULL;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"mount", FLAG_STRING, &mount}, {0}};
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	int first, code;

	code = command_parse_args(get_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = kv_meta_request(&o, argv[first], mount, "GET", NULL, "reading",
	                       &resp, &api);
	if (code == COMMAND_ABSENT)
		code = command_no_value(buf_str(&api));
	else if (code == COMMAND_EXIT_OK)
		code = kv_meta_print(buf_str(&api), resp.body, o.format);
	client_response_release(&resp);
	buf_release(&api);
	return code;
}

struct kv_meta_settings {
	int64_t max_versions; /* -1: not given */
	const char *cas_required;
	const char *delete_after;
	struct flag_list custom;
};

/* {"k": "v"} from the -custom-metadata pairs. */
static err_t kv_meta_custom(const struct flag_list *l, json_t *body,
                            struct buf *msg)
{
	const char *eq;
	json_t *map;
	size_t i;

	if (l->n == 0)
		return ERR_OK;
	map = json_object();
	if (map == NULL || json_object_set_new(body, "custom_metadata", map))
		return ERR_NOMEM;
	for (i = 0; i < l->n; i++) {
		eq = strchr(l->items[i], '=');
		if (eq == NULL || eq == l->items[i]) {
			buf_printf(msg,
			           "invalid -custom-metadata \"%s\": "
			           "expected K=V",
			           l->items[i]);
			return ERR_INVALID;
		}
		if (json_object_setn_new(map, l->items[i],
		                         (size_t)(eq - l->items[i]),
		                         json_string(eq + 1))) {
			buf_printf(msg, "-custom-metadata is not valid UTF-8");
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

/* The body of a metadata put: only the settings that were given. */
static err_t kv_meta_body(const struct kv_meta_settings *s, json_t *body,
                          struct buf *msg)
{
	int64_t secs;
	bool cas;

	if (s->max_versions < -1 ||
	    (s->max_versions >= 0 &&
	     json_object_set_new(body, "max_versions",
	                         json_integer(s->max_versions)))) {
		buf_printf(msg, "-max-versions must not be negative");
		return ERR_INVALID;
	}
	if (s->cas_required != NULL) {
		if (!parse_bool(s->cas_required, &cas)) {
			buf_printf(msg, "invalid -cas-required \"%s\"",
			           s->cas_required);
			return ERR_INVALID;
		}
		if (json_object_set_new(body, "cas_required",
		                        json_boolean(cas)))
			return ERR_NOMEM;
	}
	if (s->delete_after != NULL) {
		if (parse_duration(s->delete_after, &secs) != ERR_OK) {
			buf_printf(msg, "invalid -delete-version-after \"%s\"",
			           s->delete_after);
			return ERR_INVALID;
		}
		if (json_object_set_new(body, "delete_version_after",
		                        json_string(s->delete_after)))
			return ERR_INVALID;
	}
	return kv_meta_custom(&s->custom, body, msg);
}

static int kv_meta_put(int argc, char **argv)
{
	struct command_opts o = {0};
	struct kv_meta_settings s = {.max_versions = -1};
	const char *mount = NULL;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o),
	    {"max-versions", FLAG_INT, &s.max_versions},
	    {"cas-required", FLAG_STRING, &s.cas_required},
	    {"delete-version-after", FLAG_STRING, &s.delete_after},
	    {"custom-metadata", FLAG_LIST, &s.custom},
	    {"mount", FLAG_STRING, &mount},
	    {0}};
	struct client_response resp = {0};
	struct buf msg = BUF_INIT, api = BUF_INIT;
	json_t *body = NULL;
	int first, code;
	err_t rc;

	code = command_parse_args(put_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	body = json_object();
	rc = body ? kv_meta_body(&s, body, &msg) : ERR_NOMEM;
	if (rc != ERR_OK) {
		code = rc == ERR_INVALID
		           ? command_usage_error(put_usage, buf_str(&msg))
		           : command_fail("building the request", err_str(rc));
		goto out;
	}
	code = kv_meta_request(&o, argv[first], mount, "PUT", body,
	                       "writing data to", &resp, &api);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Data written to: %s\n", buf_str(&api));
out:
	flags_list_release(&s.custom);
	json_decref(body);
	client_response_release(&resp);
	buf_release(&api);
	buf_release(&msg);
	return code;
}

static int kv_meta_delete(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *mount = NULL;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"mount", FLAG_STRING, &mount}, {0}};
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	int first, code;

	code = command_parse_args(delete_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = kv_meta_request(&o, argv[first], mount, "DELETE", NULL,
	                       "deleting", &resp, &api);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Data deleted (if it existed) at: %s\n",
		       buf_str(&api));
	client_response_release(&resp);
	buf_release(&api);
	return code;
}

int cmd_kv_metadata(int argc, char **argv)
{
	if (argc < 2) {
		fputs(metadata_usage, stderr);
		return COMMAND_EXIT_USAGE;
	}
	if (strcmp(argv[1], "get") == 0)
		return kv_meta_get(argc - 1, argv + 1);
	if (strcmp(argv[1], "put") == 0)
		return kv_meta_put(argc - 1, argv + 1);
	if (strcmp(argv[1], "delete") == 0)
		return kv_meta_delete(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "-help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(metadata_usage, stdout);
		return COMMAND_EXIT_OK;
	}
	fprintf(stderr, "Unknown command: kv metadata %s\n\n%s", argv[1],
	        metadata_usage);
	return COMMAND_EXIT_USAGE;
}

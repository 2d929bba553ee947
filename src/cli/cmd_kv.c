/*
 * cmd_kv.c - `coffer kv get|put|patch|list`: the key/value commands that
 * hide the difference between KV version 1 and 2 mounts. The path is the
 * one the user thinks in ("secret/app"); on version 2 the commands insert
 * "data/" or "metadata/" after the mount, found out by kvcli_open.
 */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/kvcli.h"

static const char get_usage[] =
    "Usage: coffer kv get [options] PATH\n"
    "\n"
    "  Reads the secret at PATH from a KV mount (version 1 or 2). Exits 2\n"
    "  when nothing is stored there.\n"
    "\n"
    "  -version=N           the version to read (version 2; default latest)\n"
    "  -field=NAME          print only this key's value\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n"
    "  -format=table|json   how to print the answer\n";

static const char put_usage[] =
    "Usage: coffer kv put [options] PATH K=V ...\n"
    "\n"
    "  Writes the secret at PATH, replacing all of its keys. A value\n"
    "  \"@file\" is read from the file and \"-\" from standard input; a lone\n"
    "  \"-\" argument reads a JSON object from standard input.\n"
    "\n"
    "  -cas=N               write only if the current version is N (0: only\n"
    "                       if the secret does not exist; version 2)\n"
    "  -field=NAME          print only this field of the answer\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n"
    "  -format=table|json   how to print the answer\n";

static const char patch_usage[] =
    "Usage: coffer kv patch [options] PATH K=V ...\n"
    "\n"
    "  Changes some keys of the latest version of the secret at PATH and\n"
    "  keeps the others, as a new version (version 2 mounts only).\n"
    "\n"
    "  -cas=N               patch only if the current version is N\n"
    "  -field=NAME          print only this field of the answer\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n"
    "  -format=table|json   how to print the answer\n";

static const char list_usage[] =
    "Usage: coffer kv list [options] PATH\n"
    "\n"
    "  Lists the secrets under PATH; names ending in \"/\" hold more.\n"
    "  Exits 2 when there are none.\n"
    "\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n"
    "  -format=table|json   how to print the answer\n";

/* A 404 may still carry a deleted version's metadata, worth showing. */
static bool kv_has_secret(const struct client_response *resp)
{
	if (resp->status != 404)
		return true;
	return json_object_size(json_object_get(resp->body, "data")) > 0;
}

/* `kv get -field` on version 2 looks among the secret's own keys. */
static int kv_get_field(const char *api, json_t *data, const char *field)
{
	json_t *secret = json_object_get(data, "data");

	if (!json_is_object(secret)) {
		fprintf(stderr, "No data found at %s\n", api);
		return COMMAND_EXIT_USAGE;
	}
	return command_print_field_of(secret, field);
}

static int kv_get_print(const struct kvcli_target *t, const char *api,
                        json_t *body, const char *format, const char *field)
{
	json_t *data = json_object_get(body, "data");
	json_t *metadata = json_object_get(data, "metadata");
	json_t *secret = t->version == 2 ? json_object_get(data, "data") : data;
	int code = COMMAND_EXIT_OK;

	if (field != NULL && t->version == 2)
		return kv_get_field(api, data, field);
	if (field != NULL || strcmp(format, "json") == 0)
		return command_print_secret(body, format, field);

	command_print_warnings(body);
	if (t->version == 2) {
		kvcli_print_path("Secret Path", api);
		if (json_is_object(metadata)) {
			command_print_map_banner("Metadata", metadata);
			code = command_print_map(metadata);
			putchar('\n');
		}
	}
	/* A deleted or destroyed version has metadata but no data. */
	if (code == COMMAND_EXIT_OK && json_is_object(secret)) {
		command_print_map_banner("Data", secret);
		code = command_print_map(secret);
	}
	return code;
}

int cmd_kv_get(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *field = NULL, *mount = NULL;
	int64_t version = 0;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"field", FLAG_STRING, &field},
	                          {"mount", FLAG_STRING, &mount},
	                          {"version", FLAG_INT, &version},
	                          {0}};
	struct client_response resp = {0};
	struct kvcli_target t = {0};
	struct buf api = BUF_INIT, query = BUF_INIT, what = BUF_INIT;
	struct client *c = NULL;
	int first, code;

	code = command_parse_args(get_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	if (version < 0)
		return command_usage_error(get_usage,
		                           "-version must not be negative");
	code = kvcli_open(&o, argv[first], mount, &c, &t);
	if (code != COMMAND_EXIT_OK)
		goto out;

	if (kvcli_api_path(&t, "data", &api) ||
	    (t.version == 2 && version > 0 &&
	     buf_printf(&query, "version=%lld", (long long)version)) ||
	    buf_printf(&what, "reading %s", buf_str(&api))) {
		code = command_fail("reading", "out of memory");
		goto out;
	}
	code = command_send(c, "GET", buf_str(&api), buf_str(&query), NULL,
	                    buf_str(&what), &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (!kv_has_secret(&resp)) {
		code = command_no_value(buf_str(&api));
		goto out;
	}
	if (resp.status != 404)
		code = command_check(&resp, buf_str(&what));
	if (code == COMMAND_EXIT_OK)
		code =
		    kv_get_print(&t, buf_str(&api), resp.body, o.format, field);
out:
	kvcli_target_release(&t);
	client_response_release(&resp);
	client_free(c);
	buf_release(&api);
	buf_release(&query);
	buf_release(&what);
	return code;
}

/*
 * The body of a put or patch: the K=V pairs as they are on version 1;
 * {"data": {...}, "options": {"cas": N}} on version 2.
 */
static int kv_write_body(const char *usage, int argc, char **argv, int version,
                         int64_t cas, json_t **out)
{
	struct buf msg = BUF_INIT;
	json_t *pairs = NULL, *options;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	*out = NULL;
	rc = args_parse_kv(argc, argv, stdin, &pairs, &msg);
	if (rc != ERR_OK) {
		code =
		    rc == ERR_INVALID
		        ? command_usage_error(usage, buf_str(&msg))
		        : command_fail("parsing the data",
		                       msg.len ? buf_str(&msg) : err_str(rc));
		goto out;
	}
	if (version != 2) {
		*out = pairs;
		pairs = NULL;
		goto out;
	}
	*out = json_pack("{s:O}", "data", pairs);
	if (*out != NULL && cas >= 0) {
		options = json_pack("{s:I}", "cas", (json_int_t)cas);
		if (options == NULL ||
		    json_object_set_new(*out, "options", options)) {
			json_decref(*out);
			*out = NULL;
		}
	}
	if (*out == NULL)
		code = command_fail("building the request", "out of memory");
out:
	json_decref(pairs);
	buf_release(&msg);
	return code;
}

/* The answer of a put or patch: the new version's metadata on v2. */
static int kv_write_print(const char *api, json_t *body, const char *format,
                          const char *field)
{
	json_t *data = json_object_get(body, "data");

	if (field != NULL)
		return json_is_object(data)
		           ? command_print_field_of(data, field)
		           : command_print_secret(body, format, field);
	if (body == NULL || !json_is_object(data)) {
		/* Version 1 answers 204: nothing but the news. */
		if (strcmp(format, "table") == 0)
			printf("Success! Data written to: %s\n", api);
		return COMMAND_EXIT_OK;
	}
	if (strcmp(format, "json") == 0)
		return command_print_json(body);
	command_print_warnings(body);
	kvcli_print_path("Secret Path", api);
	command_print_map_banner("Metadata", data);
	return command_print_map(data);
}

struct kv_write_opts {
	struct command_opts o;
	const char *field, *mount;
	int64_t cas;
};

/* Sends the put or patch once the flags are known. */
static int kv_write_send(struct kv_write_opts *w, const char *usage, bool patch,
                         int argc, char **argv)
{
	struct client_response resp = {0};
	struct kvcli_target t = {0};
	struct buf api = BUF_INIT, what = BUF_INIT;
	struct client *c = NULL;
	json_t *body = NULL;
	int code;

	code = kvcli_open(&w->o, argv[0], w->mount, &c, &t);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (patch && t.version != 2) {
		code = command_fail("patching",
		                    "the KV mount must be version 2 for patch");
		goto out;
	}
	code =
	    kv_write_body(usage, argc - 1, argv + 1, t.version, w->cas, &body);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (kvcli_api_path(&t, "data", &api) ||
	    buf_printf(&what, "writing data to %s", buf_str(&api))) {
		code = command_fail("writing", "out of memory");
		goto out;
	}
	/* The server demands the merge-patch type for PATCH. */
	code = patch ? command_call_typed(c, "PATCH", buf_str(&api), body,
	                                  "application/merge-patch+json",
	                                  buf_str(&what), &resp)
	             : command_call(c, "PUT", buf_str(&api), NULL, body,
	                            buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		code = kv_write_print(buf_str(&api), resp.body, w->o.format,
		                      w->field);
out:
	json_decref(body);
	kvcli_target_release(&t);
	client_response_release(&resp);
	client_free(c);
	buf_release(&api);
	buf_release(&what);
	return code;
}

static int kv_write(const char *usage, bool patch, int argc, char **argv)
{
	struct kv_write_opts w = {.cas = -1};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&w.o),
	                          {"field", FLAG_STRING, &w.field},
	                          {"mount", FLAG_STRING, &w.mount},
	                          {"cas", FLAG_INT, &w.cas},
	                          {0}};
	int first, code;

	code = command_parse(usage, defs, argc, argv, &w.o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first >= argc)
		return command_usage_error(
		    usage, "Not enough arguments (expected PATH and data)");
	if (argc - first < 2)
		return command_usage_error(usage, "Must supply data");
	if (w.cas < -1)
		return command_usage_error(usage, "-cas must not be negative");
	return kv_write_send(&w, usage, patch, argc - first, argv + first);
}

int cmd_kv_put(int argc, char **argv)
{
	return kv_write(put_usage, false, argc, argv);
}

int cmd_kv_patch(int argc, char **argv)
{
	return kv_write(patch_usage, true, argc, argv);
}

int cmd_kv_list(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *mount = NULL;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"mount", FLAG_STRING, &mount}, {0}};
	struct client_response resp = {0};
	struct kvcli_target t = {0};
	struct buf api = BUF_INIT, what = BUF_INIT;
	struct client *c = NULL;
	int first, code;

	code = command_parse_args(list_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = kvcli_open(&o, argv[first], mount, &c, &t);
	if (code != COMMAND_EXIT_OK)
		goto out;

	/* A directory is listed by its name with the trailing slash. */
	if (kvcli_api_path(&t, "metadata", &api) ||
	    buf_append_byte(&api, '/') ||
	    buf_printf(&what, "listing %s", buf_str(&api))) {
		code = command_fail("listing", "out of memory");
		goto out;
	}
	code = command_fetch(c, "LIST", buf_str(&api), NULL, buf_str(&what),
	                     &resp);
	if (code == COMMAND_ABSENT)
		code = command_no_value(buf_str(&api));
	else if (code == COMMAND_EXIT_OK)
		code = command_print_keys(resp.body, o.format);
out:
	kvcli_target_release(&t);
	client_response_release(&resp);
	client_free(c);
	buf_release(&api);
	buf_release(&what);
	return code;
}

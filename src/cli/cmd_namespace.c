/*
 * cmd_namespace.c - `coffer namespace list|create|delete|lookup`: the
 * namespaces under sys/namespaces/. Each command acts inside the namespace
 * of -namespace (VAULT_NAMESPACE), so children are made one level at a
 * time.
 */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"

static const char list_usage[] =
    "Usage: coffer namespace list [options]\n"
    "\n"
    "  Lists the child namespaces of the current namespace. Exits 2 when\n"
    "  there are none.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static const char create_usage[] =
    "Usage: coffer namespace create [options] PATH\n"
    "\n"
    "  Creates the namespace PATH.\n"
    "\n"
    "  -custom-metadata=K=V  metadata to keep with it; may be repeated\n"
    "  -format=table|json    how to print the answer\n";

static const char delete_usage[] =
    "Usage: coffer namespace delete [options] PATH\n"
    "\n"
    "  Deletes the namespace PATH, which must have no children.\n";

static const char lookup_usage[] =
    "Usage: coffer namespace lookup [options] PATH\n"
    "\n"
    "  Shows the namespace PATH. Exits 2 when there is none.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

/*
 * "sys/namespaces/<path>" with the path's outer slashes dropped;
 * ERR_INVALID for an empty path, which would name the whole collection.
 */
static err_t namespace_api(const char *name, struct buf *out)
{
	size_t n;

	while (*name == '/')
		name++;
	n = strlen(name);
	while (n > 0 && name[n - 1] == '/')
		n--;
	if (n == 0)
		return ERR_INVALID;
	return buf_printf(out, "sys/namespaces/%.*s", (int)n, name);
}

int cmd_namespace_list(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	int first, code;

	code = command_parse_args(list_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_fetch_once(&o, "LIST", "sys/namespaces", NULL,
	                          "listing namespaces", &resp);
	if (code == COMMAND_ABSENT) {
		fputs("No namespaces found\n", stderr);
		code = COMMAND_EXIT_USAGE;
	} else if (code == COMMAND_EXIT_OK) {
		code = command_print_keys(resp.body, o.format);
	}
	client_response_release(&resp);
	return code;
}

/* {"custom_metadata": {...}} from the -custom-metadata pairs, or NULL. */
static int namespace_body(const struct flag_list *l, json_t **out)
{
	const char *eq;
	json_t *map;
	size_t i;

	*out = NULL;
	if (l->n == 0)
		return COMMAND_EXIT_OK;
	map = json_object();
	*out = json_pack("{s:o}", "custom_metadata", map);
	if (*out == NULL)
		return command_fail("creating namespace", "out of memory");
	for (i = 0; i < l->n; i++) {
		eq = strchr(l->items[i], '=');
		if (eq == NULL || eq == l->items[i] ||
		    json_object_setn_new(map, l->items[i],
		                         (size_t)(eq - l->items[i]),
		                         json_string(eq + 1)))
			return command_usage_error(create_usage,
			                           "invalid -custom-metadata: "
			                           "expected K=V");
	}
	return COMMAND_EXIT_OK;
}

int cmd_namespace_create(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_list meta = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"custom-metadata", FLAG_LIST, &meta},
	                          {0}};
	struct buf api = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(create_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	code = namespace_body(&meta, &body);
	if (code == COMMAND_EXIT_OK && namespace_api(argv[first], &api))
		code = command_usage_error(create_usage,
		                           "the namespace path is empty");
	if (code == COMMAND_EXIT_OK)
		code = command_call_print(&o, "PUT", buf_str(&api), body,
		                          "creating namespace", NULL);
out:
	flags_list_release(&meta);
	json_decref(body);
	buf_release(&api);
	return code;
}

/*
 * Parses the flags and the one PATH of delete and lookup, with *first at
 * it, into its API path. Returns COMMAND_RUN to go on, else the exit code.
 */
static int namespace_path_arg(const char *usage, const struct flag_def *defs,
                              int argc, char **argv, struct command_opts *o,
                              struct buf *api, int *first)
{
	int code;

	code = command_parse_args(usage, defs, argc, argv, o, 1, "PATH", first);
	if (code == COMMAND_RUN && namespace_api(argv[*first], api) != ERR_OK)
		code =
		    command_usage_error(usage, "the namespace path is empty");
	return code;
}

int cmd_namespace_delete(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	int first, code;

	code = namespace_path_arg(delete_usage, defs, argc, argv, &o, &api,
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	code = command_call_once(&o, "DELETE", buf_str(&api), NULL, NULL,
	                         "deleting namespace", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Namespace deleted at: %s/\n",
		       buf_str(&api) + strlen("sys/namespaces/"));
out:
	client_response_release(&resp);
	buf_release(&api);
	return code;
}

int cmd_namespace_lookup(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	int first, code;

	code = namespace_path_arg(lookup_usage, defs, argc, argv, &o, &api,
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	code = command_fetch_once(&o, "GET", buf_str(&api), NULL,
	                          "looking up namespace", &resp);
	if (code == COMMAND_ABSENT) {
		fprintf(stderr, "Namespace not found: %s\n", argv[first]);
		code = COMMAND_EXIT_USAGE;
	} else if (code == COMMAND_EXIT_OK) {
		code = command_print_secret(resp.body, o.format, NULL);
	}
out:
	client_response_release(&resp);
	buf_release(&api);
	return code;
}

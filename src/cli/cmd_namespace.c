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
	struct client *c = NULL;
	json_t *keys;
	int first, code;

	code = command_parse(list_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first != argc)
		return command_usage_error(list_usage, "Too many arguments");
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_send(c, "LIST", "sys/namespaces", NULL, NULL,
		                    "listing namespaces", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	keys = json_object_get(json_object_get(resp.body, "data"), "keys");
	if (resp.status == 404 ||
	    (resp.status < 400 && json_array_size(keys) == 0)) {
		fputs("No namespaces found\n", stderr);
		code = COMMAND_EXIT_USAGE;
		goto out;
	}
	code = command_check(&resp, "listing namespaces");
	if (code == COMMAND_EXIT_OK)
		code = command_print_keys(resp.body, o.format);
out:
	client_response_release(&resp);
	client_free(c);
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
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	struct client *c = NULL;
	json_t *body = NULL;
	int first, code;

	code = command_parse(create_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		goto out;
	if (argc - first != 1) {
		code = command_usage_error(
		    create_usage, "Expected exactly one argument: PATH");
		goto out;
	}
	code = namespace_body(&meta, &body);
	if (code == COMMAND_EXIT_OK && namespace_api(argv[first], &api))
		code = command_usage_error(create_usage,
		                           "the namespace path is empty");
	if (code == COMMAND_EXIT_OK)
		code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "PUT", buf_str(&api), NULL, body,
		                    "creating namespace", &resp);
	if (code == COMMAND_EXIT_OK)
		code = command_print_secret(resp.body, o.format, NULL);
out:
	flags_list_release(&meta);
	json_decref(body);
	client_response_release(&resp);
	client_free(c);
	buf_release(&api);
	return code;
}

int cmd_namespace_delete(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	struct client *c = NULL;
	int first, code;

	code = command_parse(delete_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first != 1)
		return command_usage_error(
		    delete_usage, "Expected exactly one argument: PATH");
	if (namespace_api(argv[first], &api) != ERR_OK) {
		code = command_usage_error(delete_usage,
		                           "the namespace path is empty");
		goto out;
	}
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "DELETE", buf_str(&api), NULL, NULL,
		                    "deleting namespace", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Namespace deleted at: %s/\n",
		       buf_str(&api) + strlen("sys/namespaces/"));
out:
	client_response_release(&resp);
	client_free(c);
	buf_release(&api);
	return code;
}

int cmd_namespace_lookup(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf api = BUF_INIT;
	struct client *c = NULL;
	int first, code;

	code = command_parse(lookup_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first != 1)
		return command_usage_error(
		    lookup_usage, "Expected exactly one argument: PATH");
	if (namespace_api(argv[first], &api) != ERR_OK) {
		code = command_usage_error(lookup_usage,
		                           "the namespace path is empty");
		goto out;
	}
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_send(c, "GET", buf_str(&api), NULL, NULL,
		                    "looking up namespace", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (resp.status == 404) {
		fprintf(stderr, "Namespace not found: %s\n", argv[first]);
		code = COMMAND_EXIT_USAGE;
		goto out;
	}
	code = command_check(&resp, "looking up namespace");
	if (code == COMMAND_EXIT_OK)
		code = command_print_secret(resp.body, o.format, NULL);
out:
	client_response_release(&resp);
	client_free(c);
	buf_release(&api);
	return code;
}

/*
 * cmd_kv_versions.c - `coffer kv delete|undelete|destroy`: soft-delete the
 * latest or the listed versions of a secret, bring them back, or destroy
 * their data for good (the last two on version 2 mounts only).
 */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/kvcli.h"

static const char delete_usage[] =
    "Usage: coffer kv delete [options] PATH\n"
    "\n"
    "  Deletes the secret at PATH. On version 2 this marks the latest\n"
    "  version (or those of -versions) deleted; undelete brings them back.\n"
    "\n"
    "  -versions=1,2        the versions to delete (version 2)\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n";

static const char undelete_usage[] =
    "Usage: coffer kv undelete [options] -versions=N[,N...] PATH\n"
    "\n"
    "  Restores deleted versions of the secret at PATH (version 2).\n"
    "\n"
    "  -versions=1,2        the versions to restore (required)\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n";

static const char destroy_usage[] =
    "Usage: coffer kv destroy [options] -versions=N[,N...] PATH\n"
    "\n"
    "  Removes the data of versions of the secret at PATH for good; their\n"
    "  metadata stays (version 2).\n"
    "\n"
    "  -versions=1,2        the versions to destroy (required)\n"
    "  -mount=PATH          the mount; PATH is then relative to it\n";

/* What differs between the three commands. */
struct kv_versions_cmd {
	const char *usage;
	const char *family; /* "delete", "undelete", "destroy" */
	const char *doing;  /* for messages */
	bool need_versions; /* undelete and destroy act on listed ones */
};

/* Parses -versions; an empty list is a usage error where one is needed. */
static int kv_versions_arg(const struct kv_versions_cmd *k,
                           const struct flag_list *l, json_t **out)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	*out = NULL;
	if (l->n == 0 && !k->need_versions)
		return COMMAND_EXIT_OK;
	rc = kvcli_versions(l->items, l->n, out, &msg);
	if (rc == ERR_OK && json_array_size(*out) == 0) {
		buf_printf(&msg, "No versions given: -versions=N[,N...] names "
		                 "the versions to act on");
		rc = ERR_INVALID;
	}
	if (rc == ERR_INVALID)
		code = command_usage_error(k->usage, buf_str(&msg));
	else if (rc != ERR_OK)
		code = command_fail(k->doing, err_str(rc));
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	buf_release(&msg);
	return code;
}

/*
 * Sends the request: DELETE of the data path (version 1, or version 2
 * without -versions), else a write of {"versions": [...]} to
 * <mount><family>/<path>.
 */
static int kv_versions_send(const struct kv_versions_cmd *k, struct client *c,
                            const struct kvcli_target *t, json_t *versions)
{
	struct client_response resp = {0};
	struct buf api = BUF_INIT, what = BUF_INIT;
	json_t *body = NULL;
	int code;

	if (versions != NULL && t->version != 2) {
		code = command_fail(k->doing, "versions exist only on KV "
		                              "version 2 mounts");
		goto out;
	}
	if (kvcli_api_path(t, versions ? k->family : "data", &api) ||
	    buf_printf(&what, "%s %s", k->doing, buf_str(&api))) {
		code = command_fail(k->doing, "out of memory");
		goto out;
	}
	if (versions == NULL) {
		code = command_call(c, "DELETE", buf_str(&api), NULL, NULL,
		                    buf_str(&what), &resp);
		if (code == COMMAND_EXIT_OK)
			printf("Success! Data deleted (if it existed) at: %s\n",
			       buf_str(&api));
		goto out;
	}
	body = json_pack("{s:O}", "versions", versions);
	code = body ? command_call(c, "PUT", buf_str(&api), NULL, body,
	                           buf_str(&what), &resp)
	            : command_fail(k->doing, "out of memory");
	if (code == COMMAND_EXIT_OK && strcmp(k->family, "delete") == 0)
		printf("Success! Data deleted (if it existed) at: %s\n",
		       buf_str(&api));
	else if (code == COMMAND_EXIT_OK)
		printf("Success! Data written to: %s\n", buf_str(&api));
out:
	json_decref(body);
	client_response_release(&resp);
	buf_release(&api);
	buf_release(&what);
	return code;
}

static int kv_versions_run(const struct kv_versions_cmd *k, int argc,
                           char **argv)
{
	struct command_opts o = {0};
	struct flag_list list = {0};
	const char *mount = NULL;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"versions", FLAG_LIST, &list},
	                          {"mount", FLAG_STRING, &mount},
	                          {0}};
	struct kvcli_target t = {0};
	struct client *c = NULL;
	json_t *versions = NULL;
	int first, code;

	code = command_parse_args(k->usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		goto out;
	code = kv_versions_arg(k, &list, &versions);
	if (code == COMMAND_EXIT_OK)
		code = kvcli_open(&o, argv[first], mount, &c, &t);
	if (code == COMMAND_EXIT_OK && k->need_versions && t.version != 2)
		code = command_fail(k->doing, "the KV mount must be version 2");
	if (code == COMMAND_EXIT_OK)
		code = kv_versions_send(k, c, &t, versions);
out:
	flags_list_release(&list);
	json_decref(versions);
	kvcli_target_release(&t);
	client_free(c);
	return code;
}

int cmd_kv_delete(int argc, char **argv)
{
	static const struct kv_versions_cmd k = {delete_usage, "delete",
	                                         "deleting", false};

	return kv_versions_run(&k, argc, argv);
}

int cmd_kv_undelete(int argc, char **argv)
{
	static const struct kv_versions_cmd k = {undelete_usage, "undelete",
	                                         "undeleting", true};

	return kv_versions_run(&k, argc, argv);
}

int cmd_kv_destroy(int argc, char **argv)
{
	static const struct kv_versions_cmd k = {destroy_usage, "destroy",
	                                         "destroying", true};

	return kv_versions_run(&k, argc, argv);
}

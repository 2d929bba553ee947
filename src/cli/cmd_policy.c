/*
 * cmd_policy.c - `coffer policy list|read|write|delete`: ACL policies
 * under sys/policies/acl/.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"

static const char list_usage[] =
    "Usage: coffer policy list [options]\n"
    "\n"
    "  Lists the names of the ACL policies, one a line.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static const char read_usage[] =
    "Usage: coffer policy read [options] NAME\n"
    "\n"
    "  Prints the text of the policy NAME. Exits 2 when there is none.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static const char write_usage[] =
    "Usage: coffer policy write [options] NAME FILE\n"
    "\n"
    "  Uploads the policy in FILE (\"-\": standard input) as NAME,\n"
    "  replacing any policy of that name.\n";

static const char delete_usage[] =
    "Usage: coffer policy delete [options] NAME\n"
    "\n"
    "  Deletes the policy NAME. Deleting one that does not exist succeeds.\n";

/* Policy names are case-insensitive; the server keeps them lower case. */
static err_t policy_path(const char *name, struct buf *out)
{
	err_t rc = buf_append_str(out, "sys/policies/acl/");

	for (; *name != '\0' && rc == ERR_OK; name++)
		rc = buf_append_byte(out,
		                     (uint8_t)tolower((unsigned char)*name));
	return rc;
}

/*
 * Parses the flags and the one NAME of read and delete, with *first at it,
 * into its API path. Returns COMMAND_RUN to go on, else the exit code.
 */
static int policy_name_arg(const char *usage, const struct flag_def *defs,
                           int argc, char **argv, struct command_opts *o,
                           int *first, struct buf *path)
{
	int code;

	code = command_parse_args(usage, defs, argc, argv, o, 1, "NAME", first);
	if (code == COMMAND_RUN && policy_path(argv[*first], path) != ERR_OK)
		code = command_fail("building the path", "out of memory");
	return code;
}

int cmd_policy_list(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	json_t *keys, *k;
	size_t i;
	int first, code;

	code = command_parse_args(list_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_call_once(&o, "LIST", "sys/policies/acl", NULL, NULL,
	                         "listing policies", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;

	keys = json_object_get(json_object_get(resp.body, "data"), "keys");
	if (strcmp(o.format, "json") == 0) {
		code = command_print_json(keys ? keys : json_null());
		goto out;
	}
	/* One name a line, no header: made to be read by scripts too. */
	json_array_foreach(keys, i, k)
	{
		if (json_is_string(k))
			printf("%s\n", json_string_value(k));
	}
out:
	client_response_release(&resp);
	return code;
}

static int policy_print(json_t *body, const char *format)
{
	json_t *text = json_object_get(json_object_get(body, "data"), "policy");
	json_t *out;
	const char *s;
	size_t n;
	int code;

	if (!json_is_string(text))
		return command_fail("reading the policy",
		                    "the answer holds no policy text");
	if (strcmp(format, "json") == 0) {
		out = json_pack("{s:O}", "policy", text);
		code =
		    out ? command_print_json(out)
		        : command_fail("printing the policy", "out of memory");
		json_decref(out);
		return code;
	}
	/* The text as written, without the blank lines around it. */
	s = json_string_value(text);
	n = json_string_length(text);
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	printf("%.*s\n", (int)n, s);
	return COMMAND_EXIT_OK;
}

int cmd_policy_read(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf path = BUF_INIT, what = BUF_INIT;
	int first, code;

	code = policy_name_arg(read_usage, defs, argc, argv, &o, &first, &path);
	if (code != COMMAND_RUN)
		goto out;
	buf_printf(&what, "reading policy named %s", argv[first]);
	code = command_fetch_once(&o, "GET", buf_str(&path), NULL,
	                          buf_str(&what), &resp);
	if (code == COMMAND_ABSENT) {
		fprintf(stderr, "No policy named: %s\n", argv[first]);
		code = COMMAND_EXIT_USAGE;
	} else if (code == COMMAND_EXIT_OK) {
		code = policy_print(resp.body, o.format);
	}
out:
	client_response_release(&resp);
	buf_release(&path);
	buf_release(&what);
	return code;
}

/* The policy text from FILE or standard input, as a JSON body. */
static int policy_body(const char *file, json_t **out)
{
	struct buf text = BUF_INIT;
	FILE *f = stdin;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	*out = NULL;
	if (strcmp(file, "-") != 0) {
		f = fopen(file, "r");
		if (f == NULL) {
			fprintf(stderr, "Error opening policy file %s: %s\n",
			        file, strerror(errno));
			return COMMAND_EXIT_ERROR;
		}
	}
	rc = args_read_stream(f, &text);
	if (f != stdin)
		fclose(f);
	if (rc != ERR_OK)
		code = command_fail("reading the policy", err_str(rc));
	else if (text.len == 0)
		code =
		    command_fail("reading the policy", "the policy is empty");
	if (code == COMMAND_EXIT_OK) {
		*out = json_pack("{s:s%}", "policy", buf_str(&text), text.len);
		if (*out == NULL)
			code = command_fail("reading the policy",
			                    "the policy is not UTF-8 text");
	}
	buf_release(&text);
	return code;
}

int cmd_policy_write(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf path = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(write_usage, defs, argc, argv, &o, 2,
	                          "NAME FILE", &first);
	if (code != COMMAND_RUN)
		return code;
	if (policy_path(argv[first], &path) != ERR_OK) {
		code = command_fail("building the path", "out of memory");
		goto out;
	}
	code = policy_body(argv[first + 1], &body);
	if (code == COMMAND_EXIT_OK)
		code = command_call_once(&o, "PUT", buf_str(&path), NULL, body,
		                         "uploading policy", &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Uploaded policy: %s\n",
		       buf_str(&path) + strlen("sys/policies/acl/"));
out:
	json_decref(body);
	client_response_release(&resp);
	buf_release(&path);
	return code;
}

int cmd_policy_delete(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf path = BUF_INIT, what = BUF_INIT;
	int first, code;

	code =
	    policy_name_arg(delete_usage, defs, argc, argv, &o, &first, &path);
	if (code != COMMAND_RUN)
		goto out;
	buf_printf(&what, "deleting %s", argv[first]);
	code = command_call_once(&o, "DELETE", buf_str(&path), NULL, NULL,
	                         buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Deleted policy: %s\n",
		       buf_str(&path) + strlen("sys/policies/acl/"));
out:
	client_response_release(&resp);
	buf_release(&path);
	buf_release(&what);
	return code;
}

/*
 * cmd_path.c - read, write, list and delete: the generic commands that work
 * on any API path, whatever engine serves it.
 */
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "cli/args.h"
#include "cli/command.h"

static const char read_usage[] =
    "Usage: coffer read [options] PATH [K=V ...]\n"
    "\n"
    "  Reads the data at PATH and prints it. K=V pairs are sent as query\n"
    "  parameters. Exits 2 when nothing is stored at PATH.\n"
    "\n"
    "  -field=NAME          print only this field's value\n"
    "  -format=table|json   how to print the answer\n";

static const char write_usage[] =
    "Usage: coffer write [options] PATH [K=V ...]\n"
    "\n"
    "  Writes data to PATH. A value \"@file\" is read from the file and\n"
    "  \"-\" from standard input; a lone \"-\" argument reads a JSON object\n"
    "  from standard input.\n"
    "\n"
    "  -force, -f           write even without data\n"
    "  -field=NAME          print only this field of the answer\n"
    "  -format=table|json   how to print the answer\n";

static const char list_usage[] =
    "Usage: coffer list [options] PATH\n"
    "\n"
    "  Lists the keys under PATH; names ending in \"/\" hold more keys.\n"
    "  Exits 2 when there are none.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static const char delete_usage[] =
    "Usage: coffer delete [options] PATH\n"
    "\n"
    "  Deletes the data at PATH. Deleting what does not exist succeeds.\n";

/* Appends one "k=v" pair, both sides percent-encoded. */
static err_t path_query_pair(const char *arg, const char *eq, struct buf *out)
{
	struct buf key = BUF_INIT;
	err_t rc;

	rc = buf_append(&key, arg, (size_t)(eq - arg));
	if (rc == ERR_OK)
		rc = client_escape_component(buf_str(&key), out);
	if (rc == ERR_OK)
		rc = buf_append_byte(out, '=');
	if (rc == ERR_OK)
		rc = client_escape_component(eq + 1, out);
	buf_release(&key);
	return rc;
}

/* Turns K=V arguments into an encoded query string. */
static err_t path_query(int argc, char **argv, struct buf *out, struct buf *msg)
{
	const char *eq;
	int i;
	err_t rc = ERR_OK;

	for (i = 0; i < argc && rc == ERR_OK; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i]) {
			buf_printf(msg, "invalid key/value pair \"%s\"",
			           argv[i]);
			return ERR_INVALID;
		}
		if (i > 0)
			rc = buf_append_byte(out, '&');
		if (rc == ERR_OK)
			rc = path_query_pair(argv[i], eq, out);
	}
	return rc;
}

int cmd_read(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *field = NULL;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"field", FLAG_STRING, &field}, {0}};
	struct client_response resp = {0};
	struct buf query = BUF_INIT, msg = BUF_INIT, what = BUF_INIT;
	int first, code;

	code = command_parse(read_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first >= argc)
		return command_usage_error(
		    read_usage, "Not enough arguments (expected at least 1)");
	if (path_query(argc - first - 1, argv + first + 1, &query, &msg)) {
		code = command_usage_error(read_usage, buf_str(&msg));
		goto out;
	}

	buf_printf(&what, "reading %s", argv[first]);
	code = command_fetch_once(&o, "GET", argv[first], buf_str(&query),
	                          buf_str(&what), &resp);
	if (code == COMMAND_ABSENT)
		code = command_no_value(argv[first]);
	else if (code == COMMAND_EXIT_OK)
		code = command_print_secret(resp.body, o.format, field);
out:
	client_response_release(&resp);
	buf_release(&query);
	buf_release(&msg);
	buf_release(&what);
	return code;
}

/* The body of a write: K=V pairs, or nothing with -force. */
static int write_body(int argc, char **argv, bool force, json_t **out)
{
	struct buf msg = BUF_INIT;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	*out = NULL;
	if (argc == 0 && !force)
		return command_usage_error(write_usage,
		                           "Must supply data or use -force");
	if (argc == 0)
		return COMMAND_EXIT_OK; /* forced: a request without a body */
	rc = args_parse_kv(argc, argv, stdin, out, &msg);
	if (rc == ERR_INVALID)
		code = command_usage_error(write_usage, buf_str(&msg));
	else if (rc != ERR_OK)
		code = command_fail("parsing the data",
		                    msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&msg);
	return code;
}

/* Whether a write's answer holds anything worth a table. */
static bool write_has_answer(json_t *body)
{
	json_t *w = json_object_get(body, "warnings");

	return json_object_size(json_object_get(body, "data")) > 0 ||
	       json_is_object(json_object_get(body, "auth")) ||
	       (json_is_array(w) && json_array_size(w) > 0);
}

int cmd_write(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *field = NULL;
	bool force = false;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"field", FLAG_STRING, &field},
	                          {"force", FLAG_BOOL, &force},
	                          {"f", FLAG_BOOL, &force},
	                          {0}};
	struct client_response resp = {0};
	struct buf what = BUF_INIT;
	json_t *body = NULL;
	int first, code;

	code = command_parse(write_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (first >= argc)
		return command_usage_error(
		    write_usage, "Not enough arguments (expected at least 1)");
	code = write_body(argc - first - 1, argv + first + 1, force, &body);
	if (code != COMMAND_EXIT_OK)
		goto out;

	buf_printf(&what, "writing data to %s", argv[first]);
	code = command_call_once(&o, "PUT", argv[first], NULL, body,
	                         buf_str(&what), &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	if (!write_has_answer(resp.body) && field == NULL &&
	    strcmp(o.format, "table") == 0)
		printf("Success! Data written to: %s\n", argv[first]);
	else
		code = command_print_secret(resp.body, o.format, field);
out:
	json_decref(body);
	client_response_release(&resp);
	buf_release(&what);
	return code;
}

int cmd_list(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf path = BUF_INIT, what = BUF_INIT;
	int first, code;

	code = command_parse_args(list_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		return code;

	/* A directory is named with its trailing slash, as Vault prints it. */
	buf_append_str(&path, argv[first]);
	if (path.len == 0 || path.data[path.len - 1] != '/')
		buf_append_byte(&path, '/');
	buf_printf(&what, "listing %s", buf_str(&path));
	code = command_fetch_once(&o, "LIST", buf_str(&path), NULL,
	                          buf_str(&what), &resp);
	if (code == COMMAND_ABSENT)
		code = command_no_value(buf_str(&path));
	else if (code == COMMAND_EXIT_OK)
		code = command_print_keys(resp.body, o.format);
	client_response_release(&resp);
	buf_release(&path);
	buf_release(&what);
	return code;
}

int cmd_delete(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct buf what = BUF_INIT;
	int first, code;

	code = command_parse_args(delete_usage, defs, argc, argv, &o, 1, "PATH",
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	buf_printf(&what, "deleting %s", argv[first]);
	code = command_call_once(&o, "DELETE", argv[first], NULL, NULL,
	                         buf_str(&what), &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Data deleted (if it existed) at: %s\n",
		       argv[first]);
	client_response_release(&resp);
	buf_release(&what);
	return code;
}

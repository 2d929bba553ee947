/*
 * cmd_status.c - `coffer status`: is the server initialized and unsealed?
 *
 * The exit code answers the question for scripts: 0 unsealed, 2 sealed,
 * 1 when the server could not be asked.
 */
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "cli/command.h"

static const char status_usage[] =
    "Usage: coffer status [options]\n"
    "\n"
    "  Shows whether the server is initialized and sealed, and how far an\n"
    "  unseal has come. Needs no token. Exits 0 when the server is\n"
    "  unsealed, 2 when it is sealed and 1 on an error.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

/* Adds key = the text of v, or = text when v is absent. */
static err_t status_row(struct table *t, const char *key, json_t *v,
                        const char *text)
{
	struct buf value = BUF_INIT;
	err_t rc;

	rc = v ? command_format_value(v, &value) : buf_append_str(&value, text);
	if (rc == ERR_OK)
		rc = table_add_kv(t, key, buf_str(&value));
	buf_release(&value);
	return rc;
}

static err_t status_rows(struct table *t, json_t *st, bool sealed)
{
	struct buf progress = BUF_INIT;
	err_t rc;

	rc = status_row(t, "Seal Type", json_object_get(st, "type"), "shamir");
	if (!rc)
		rc = status_row(t, "Initialized",
		                json_object_get(st, "initialized"), "false");
	if (!rc)
		rc = status_row(t, "Sealed", json_object_get(st, "sealed"),
		                "true");
	if (!rc)
		rc = status_row(t, "Total Shares", json_object_get(st, "n"),
		                "0");
	if (!rc)
		rc = status_row(t, "Threshold", json_object_get(st, "t"), "0");
	if (!rc && sealed) {
		rc = buf_printf(
		    &progress, "%lld/%lld",
		    json_integer_value(json_object_get(st, "progress")),
		    json_integer_value(json_object_get(st, "t")));
		if (!rc)
			rc = table_add_kv(t, "Unseal Progress",
			                  buf_str(&progress));
		if (!rc)
			rc = status_row(t, "Unseal Nonce",
			                json_object_get(st, "nonce"), "");
	}
	if (!rc)
		rc = status_row(t, "Version", json_object_get(st, "version"),
		                "n/a");
	if (!rc && json_object_get(st, "build_date"))
		rc = status_row(t, "Build Date",
		                json_object_get(st, "build_date"), "");
	if (!rc)
		rc = status_row(t, "Storage Type",
		                json_object_get(st, "storage_type"), "n/a");
	if (!rc && !sealed && json_object_get(st, "cluster_name"))
		rc = status_row(t, "Cluster Name",
		                json_object_get(st, "cluster_name"), "");
	if (!rc && !sealed && json_object_get(st, "cluster_id"))
		rc = status_row(t, "Cluster ID",
		                json_object_get(st, "cluster_id"), "");
	/* The server runs alone until HA over PostgreSQL exists (DESIGN.md). */
	if (!rc)
		rc = table_add_kv(t, "HA Enabled", "false");
	buf_release(&progress);
	return rc;
}

int cmd_status_print(json_t *status, const char *format)
{
	static const char *const headers[] = {"Key", "Value"};
	json_t *sealed = json_object_get(status, "sealed");
	struct table t;
	int code;
	err_t rc;

	if (!json_is_object(status) || !json_is_boolean(sealed))
		return command_fail("reading the seal status",
		                    "the answer has no \"sealed\" field");
	if (strcmp(format, "json") == 0)
		return command_print_json(status);
	rc = table_init(&t, 2, headers);
	if (rc == ERR_OK)
		rc = status_rows(&t, status, json_is_true(sealed));
	code = rc == ERR_OK ? command_print_table(&t)
	                    : command_fail("printing the status", err_str(rc));
	table_release(&t);
	return code;
}

int cmd_status(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	int first, code;

	code = command_parse_args(status_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_call_once(&o, "GET", "sys/seal-status", NULL, NULL,
	                         "checking seal status", &resp);
	if (code == COMMAND_EXIT_OK)
		code = cmd_status_print(resp.body, o.format);
	if (code == COMMAND_EXIT_OK &&
	    json_is_true(json_object_get(resp.body, "sealed")))
		code = COMMAND_EXIT_USAGE; /* 2 means sealed here */
	client_response_release(&resp);
	return code;
}

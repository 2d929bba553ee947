/*
 * command.h - what every CLI command shares: the common flags, exit codes,
 * talking to the server, and printing answers.
 *
 * A command is a function run(argc, argv) where argv[0] is its own name
 * ("read", "unseal") and the flags start at argv[1]. It returns the exit
 * code: 0 success, 1 an error from the server or a local failure, 2 a usage
 * error (and, like Vault's CLI, a read of a path that holds nothing).
 * Results go to stdout, errors to stderr.
 */
#ifndef COFFER_CLI_COMMAND_H
#define COFFER_CLI_COMMAND_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/client.h"
#include "cli/flags.h"
#include "cli/table.h"

#define COMMAND_EXIT_OK    0
#define COMMAND_EXIT_ERROR 1
#define COMMAND_EXIT_USAGE 2
/* command_parse's answer when the command should go on. */
#define COMMAND_RUN (-1)
/* command_fetch's answer when there is nothing at the path. */
#define COMMAND_ABSENT (-2)

struct command_opts {
	struct client_config http;
	const char *format; /* "table" or "json" once parsed */
	bool help;
};

/* The flags every command that talks to the server accepts. */
#define COMMAND_COMMON_FLAGS(o)                                                \
	{"address", FLAG_STRING, &(o)->http.address},                          \
	    {"namespace", FLAG_STRING, &(o)->http.namespace},                  \
	    {"ns", FLAG_STRING, &(o)->http.namespace},                         \
	    {"ca-cert", FLAG_STRING, &(o)->http.ca_cert},                      \
	    {"ca-path", FLAG_STRING, &(o)->http.ca_path},                      \
	    {"client-cert", FLAG_STRING, &(o)->http.client_cert},              \
	    {"client-key", FLAG_STRING, &(o)->http.client_key},                \
	    {"tls-skip-verify", FLAG_BOOL, &(o)->http.tls_skip_verify},        \
	    {"format", FLAG_STRING, &(o)->format},                             \
	    {"h", FLAG_BOOL, &(o)->help},                                      \
	{                                                                      \
		"help", FLAG_BOOL, &(o)->help                                  \
	}

/*
 * Parses argv[1..argc) against defs (which should include
 * COMMAND_COMMON_FLAGS(o)) and checks -format (default VAULT_FORMAT, else
 * "table"). Returns COMMAND_RUN with *first at the first positional
 * argument, or an exit code to return at once: 0 after printing usage for
 * -h, 2 after reporting a usage error (with usage) on stderr.
 */
int command_parse(const char *usage, const struct flag_def *defs, int argc,
                  char **argv, struct command_opts *o, int *first);

/*
 * command_parse for a command that takes exactly nargs (0, 1 or 2)
 * positional arguments, named by names in the usage error ("PATH",
 * "NAME FILE"; NULL for none): "Too many arguments", or "Expected exactly
 * one argument: PATH". Returns COMMAND_RUN with *first at the first of
 * them, or an exit code to return at once.
 */
int command_parse_args(const char *usage, const struct flag_def *defs, int argc,
                       char **argv, struct command_opts *o, int nargs,
                       const char *names, int *first);

/*
 * Reports a wrong number of positional arguments: prints msg and usage to
 * stderr and returns 2.
 */
int command_usage_error(const char *usage, const char *msg);

/* Creates the client for o; prints the reason and returns 1 on failure. */
int command_client(const struct command_opts *o, struct client **out);

/*
 * Sends one request (see client_request). When no answer came, prints
 * "Error <what>: <reason>" and returns 1; otherwise returns 0 and the
 * caller inspects resp, which it must release in either case.
 */
int command_send(struct client *c, const char *method, const char *path,
                 const char *query, json_t *body, const char *what,
                 struct client_response *resp);

/*
 * Prints an answer with a status of 400 or more as Vault's API error
 * ("Error <what>: Error making API request. ...") and returns 1; returns 0
 * for any other status.
 */
int command_check(const struct client_response *resp, const char *what);

/*
 * command_send, and then a status of 400 or more is printed as Vault's
 * API error ("Error <what>: Error making API request. ...") and gives 1.
 */
int command_call(struct client *c, const char *method, const char *path,
                 const char *query, json_t *body, const char *what,
                 struct client_response *resp);

/*
 * command_call for a read that may find nothing: a 404, or an answer to
 * LIST without keys, gives COMMAND_ABSENT with nothing printed, for the
 * caller to say so in its own words (with exit code 2, as Vault's CLI).
 */
int command_fetch(struct client *c, const char *method, const char *path,
                  const char *query, const char *what,
                  struct client_response *resp);

/*
 * command_call and command_fetch on a client made for o and freed again:
 * all that a command with one request to make needs. resp is the caller's
 * to release in every case.
 */
int command_call_once(const struct command_opts *o, const char *method,
                      const char *path, const char *query, json_t *body,
                      const char *what, struct client_response *resp);
int command_fetch_once(const struct command_opts *o, const char *method,
                       const char *path, const char *query, const char *what,
                       struct client_response *resp);

/*
 * command_call_once, and the answer printed by command_print_secret with
 * o's format and field (may be NULL). Returns an exit code.
 */
int command_call_print(const struct command_opts *o, const char *method,
                       const char *path, json_t *body, const char *what,
                       const char *field);

/* Prints "No value found at <path>" on stderr and returns 2. */
int command_no_value(const char *path);

/*
 * command_call with the body sent as content_type (a KV patch goes as
 * "application/merge-patch+json"); no query string.
 */
int command_call_typed(struct client *c, const char *method, const char *path,
                       json_t *body, const char *content_type, const char *what,
                       struct client_response *resp);

/* Prints "Error <what>: <detail>" on stderr and returns 1. */
int command_fail(const char *what, const char *detail);

/* Prints v as JSON indented by two spaces, keys sorted; 1 on failure. */
int command_print_json(json_t *v);

/* Renders t onto stdout; returns 0, or 1 on failure. */
int command_print_table(const struct table *t);

/*
 * Writes how a table shows a JSON value into out: strings as they are,
 * null as "<nil>", anything else as compact JSON.
 */
err_t command_format_value(json_t *v, struct buf *out);

/*
 * Prints the answer to a read or write (a Vault envelope) the way -format
 * and -field ask: the whole envelope as JSON; one field's value on a line
 * of its own; or a Key/Value table of the lease, the auth block and the
 * data, with warnings on stderr. Returns an exit code (1 when field is not
 * in the answer).
 */
int command_print_secret(json_t *envelope, const char *format,
                         const char *field);

/* Prints the "warnings" of an envelope, if any, on stderr. */
void command_print_warnings(json_t *env);

/*
 * Whether a key names a duration that Vault's CLI shows spelled out
 * ("ttl", "creation_ttl", "period", "lease_duration", ...), so that a
 * whole number of seconds under it prints as "1h0m0s".
 */
bool command_is_duration_key(const char *key);

/*
 * Prints the line "== title ==" that heads a section of `kv get`: equal
 * signs on both sides (two at least) so that it is about width wide.
 */
void command_print_banner(const char *title, size_t width);

/* command_print_banner as wide as a Key/Value table of obj will be. */
void command_print_map_banner(const char *title, json_t *obj);

/*
 * Prints a Key/Value table of the members of obj, sorted by key, with
 * durations spelled out and empty values as "n/a"; nothing for an empty
 * or missing object. Returns an exit code.
 */
int command_print_map(json_t *obj);

/*
 * Prints the raw value of obj's member field on a line of its own (-field).
 * Returns 1 with a message when obj has no such member.
 */
int command_print_field_of(json_t *obj, const char *field);

/*
 * The "data" object of an answer; older servers answer some sys/ paths
 * with it at the top level only, and then that is body itself.
 */
json_t *command_answer_data(json_t *body);

/*
 * GETs path and prints the object of command_answer_data: as JSON with
 * -format=json, else as print(map, arg) has it. What the list commands of
 * mounts, auth methods and audit devices do. Returns an exit code.
 */
int command_list_map(const struct command_opts *o, const char *path,
                     const char *what, int (*print)(json_t *, const void *),
                     const void *arg);

/* Adds the row of one member of a map: its key, its value and the arg. */
typedef err_t (*command_row_fn)(struct table *t, const char *key, json_t *v,
                                const void *arg);

/*
 * Prints a table headed by headers[0..ncols) with one row per member of
 * map whose value is an object, in key order, each made by row. On a
 * failure prints "Error <what>: <reason>". Returns an exit code.
 */
int command_print_rows(json_t *map, size_t ncols, const char *const *headers,
                       command_row_fn row, const void *arg, const char *what);

/*
 * The keys of obj (none when it is not an object) in strcmp order: a new
 * array of *n pointers into obj, for the caller to free(); NULL when out
 * of memory.
 */
const char **command_sorted_keys(json_t *obj, size_t *n);

/* command_sorted_keys for the strings of a JSON array; other items skipped. */
const char **command_sorted_strings(json_t *array, size_t *n);

/*
 * The path of a mount, an auth method or an audit device as the server
 * shows it, "a/b/" (no leading slash, one trailing), into shown; the path
 * of its settings, "sys/<kind>/a/b", into api.
 */
err_t command_mount_path(const char *kind, const char *path, struct buf *shown,
                         struct buf *api);

/*
 * command_call_once of method with body to the settings path of the mount
 * at path (see command_mount_path), under sys/<kind>/: how mounts, auth
 * methods and audit devices are enabled and disabled. shown (the caller's
 * to release) receives the mount path for the news. Returns an exit code.
 */
int command_mount_request(const struct command_opts *o, const char *kind,
                          const char *method, const char *path, json_t *body,
                          const char *what, struct buf *shown);

/*
 * Prints the "keys" of a LIST answer: sorted under a "Keys" header, or as
 * a JSON array with format "json". Returns an exit code.
 */
int command_print_keys(json_t *body, const char *format);

/* The commands, one function each; see cli.c for the listing. */
int cmd_status(int argc, char **argv);
/*
 * Prints a seal-status answer (also the answer of sys/unseal) as a table or
 * JSON; shared by `status` and `operator unseal`. Returns an exit code.
 */
int cmd_status_print(json_t *status, const char *format);
int cmd_operator_init(int argc, char **argv);
int cmd_operator_unseal(int argc, char **argv);
int cmd_operator_seal(int argc, char **argv);
int cmd_operator_rotate(int argc, char **argv);
int cmd_operator_key_status(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_secrets_enable(int argc, char **argv);
int cmd_secrets_disable(int argc, char **argv);
int cmd_secrets_list(int argc, char **argv);
int cmd_secrets_tune(int argc, char **argv);
int cmd_token_create(int argc, char **argv);
int cmd_token_lookup(int argc, char **argv);
int cmd_token_renew(int argc, char **argv);
int cmd_token_revoke(int argc, char **argv);
int cmd_token_capabilities(int argc, char **argv);
int cmd_policy_list(int argc, char **argv);
int cmd_policy_read(int argc, char **argv);
int cmd_policy_write(int argc, char **argv);
int cmd_policy_delete(int argc, char **argv);
int cmd_kv_get(int argc, char **argv);
int cmd_kv_put(int argc, char **argv);
int cmd_kv_patch(int argc, char **argv);
int cmd_kv_list(int argc, char **argv);
int cmd_kv_delete(int argc, char **argv);
int cmd_kv_undelete(int argc, char **argv);
int cmd_kv_destroy(int argc, char **argv);
/* `kv metadata get|put|delete`: argv[0] is "metadata". */
int cmd_kv_metadata(int argc, char **argv);
int cmd_lease_lookup(int argc, char **argv);
int cmd_lease_renew(int argc, char **argv);
int cmd_lease_revoke(int argc, char **argv);
int cmd_namespace_list(int argc, char **argv);
int cmd_namespace_create(int argc, char **argv);
int cmd_namespace_delete(int argc, char **argv);
int cmd_namespace_lookup(int argc, char **argv);
int cmd_audit_enable(int argc, char **argv);
int cmd_audit_disable(int argc, char **argv);
int cmd_audit_list(int argc, char **argv);

#endif

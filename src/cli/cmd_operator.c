/*
 * cmd_operator.c - `coffer operator ...`: initialize, unseal, seal and
 * rotate the barrier key of a server.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/secret.h"
#include "cli/command.h"

static const char init_usage[] =
    "Usage: coffer operator init [options]\n"
    "\n"
    "  Initializes a new server: creates its keys, splits the unseal key\n"
    "  into shares and prints them with the initial root token. This is\n"
    "  the only time they are shown.\n"
    "\n"
    "  -key-shares=5        how many shares to split the unseal key into\n"
    "  -key-threshold=3     how many shares it takes to unseal\n"
    "  -status              only tell whether the server is initialized\n"
    "                       (exit 0 yes, 2 no)\n"
    "  -format=table|json   how to print the answer\n";

static const char unseal_usage[] =
    "Usage: coffer operator unseal [options] [KEY]\n"
    "\n"
    "  Gives the server one unseal key share. Without KEY the share is\n"
    "  asked for on the terminal without echo, or read as one line from\n"
    "  standard input. Prints the seal status afterwards.\n"
    "\n"
    "  -reset               forget the shares given so far\n"
    "  -format=table|json   how to print the answer\n";

static const char seal_usage[] =
    "Usage: coffer operator seal [options]\n"
    "\n"
    "  Seals the server: it forgets its keys and answers nothing but\n"
    "  status until it is unsealed again. Needs a sudo-capable token.\n";

static const char rotate_usage[] =
    "Usage: coffer operator rotate [options]\n"
    "\n"
    "  Installs a new barrier encryption key for new writes; data written\n"
    "  under older keys stays readable. Needs a sudo-capable token.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static const char key_status_usage[] =
    "Usage: coffer operator key-status [options]\n"
    "\n"
    "  Shows the term and install time of the active barrier key.\n"
    "\n"
    "  -format=table|json   how to print the answer\n";

static void operator_print_init(json_t *body, int64_t threshold)
{
	json_t *keys = json_object_get(body, "keys_base64"), *k;
	size_t i, n;

	json_array_foreach(keys, i, k)
	{
		printf("Unseal Key %zu: %s\n", i + 1, json_string_value(k));
	}
	printf("\nInitial Root Token: %s\n\n",
	       json_string_value(json_object_get(body, "root_token")));

	n = json_array_size(keys);
	printf("The server is initialized and sealed. Its unseal key was split "
	       "into %zu\nshares",
	       n);
	printf(", any %lld of which unseal it", (long long)threshold);
	printf(".\n\nThese keys and the root token are shown this once and "
	       "never again. Give\neach share to a different trusted person "
	       "and keep it apart from the\nothers: whoever holds enough "
	       "shares can unseal the server, and with\ntoo few shares left "
	       "the data can never be read again. Use the root\ntoken to set "
	       "up policies and other ways to log in, then revoke it.\n");
}

static int operator_init_status(const struct command_opts *o)
{
	struct client_response resp = {0};
	int code;

	code = command_call_once(o, "GET", "sys/init", NULL, NULL,
	                         "checking initialization status", &resp);
	if (code == COMMAND_EXIT_OK &&
	    json_is_true(json_object_get(resp.body, "initialized")))
		printf("The server is initialized.\n");
	else if (code == COMMAND_EXIT_OK) {
		printf("The server is not initialized.\n");
		code = COMMAND_EXIT_USAGE;
	}
	client_response_release(&resp);
	return code;
}

int cmd_operator_init(int argc, char **argv)
{
	struct command_opts o = {0};
	int64_t shares = 5, threshold = 3;
	bool status = false;
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o),
	                          {"key-shares", FLAG_INT, &shares},
	                          {"key-threshold", FLAG_INT, &threshold},
	                          {"status", FLAG_BOOL, &status},
	                          {0}};
	struct client_response resp = {0};
	json_t *body = NULL;
	int first, code;

	code = command_parse_args(init_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	if (status)
		return operator_init_status(&o);

	body = json_pack("{sIsI}", "secret_shares", (json_int_t)shares,
	                 "secret_threshold", (json_int_t)threshold);
	if (body == NULL) {
		code = command_fail("initializing", "out of memory");
		goto out;
	}
	code = command_call_once(&o, "PUT", "sys/init", NULL, body,
	                         "initializing", &resp);
	if (code != COMMAND_EXIT_OK)
		goto out;
	/* Printing the keys and the root token is what init is for. */
	if (strcmp(o.format, "json") == 0)
		code = command_print_json(resp.body);
	else
		operator_print_init(resp.body, threshold);
out:
	json_decref(body);
	client_response_release(&resp);
	return code;
}

/* Reads one line from f into key, without its line ending. */
static err_t operator_read_line(FILE *f, struct buf *key)
{
	int ch;
	err_t rc = ERR_OK;

	while ((ch = fgetc(f)) != EOF && ch != '\n' && rc == ERR_OK)
		rc = buf_append_byte(key, (uint8_t)ch);
	while (key->len > 0 && (key->data[key->len - 1] == '\r' ||
	                        key->data[key->len - 1] == ' '))
		key->data[--key->len] = '\0';
	if (rc == ERR_OK && ferror(f))
		rc = ERR_IO;
	return rc;
}

/*
 * Asks for the share on the terminal with echo off, so that it shows
 * neither on screen nor in the scrollback; from a pipe, reads one line.
 */
static err_t operator_prompt_key(struct buf *key)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	err_t rc;

	if (tty) {
		fputs("Unseal Key (will be hidden): ", stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	rc = operator_read_line(stdin, key);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

/* {"reset": true}, or {"key": share} with the share from argv or a prompt. */
static int operator_unseal_body(bool reset, const char *arg, json_t **out)
{
	struct buf key;
	int code = COMMAND_EXIT_OK;
	err_t rc;

	*out = NULL;
	if (reset) {
		*out = json_pack("{sb}", "reset", 1);
		return *out ? COMMAND_EXIT_OK
		            : command_fail("unsealing", "out of memory");
	}
	buf_init(&key, 4096);
	rc = arg ? buf_append_str(&key, arg) : operator_prompt_key(&key);
	if (rc != ERR_OK)
		code = command_fail("reading the unseal key", err_str(rc));
	else if (key.len == 0)
		code = command_usage_error(
		    unseal_usage, "Missing unseal key (none was given)");
	/* jansson's copy of the share is wiped on free: see client.h. */
	else if ((*out = json_pack("{ss}", "key", buf_str(&key))) == NULL)
		code = command_fail("unsealing", "out of memory");
	buf_release(&key);
	return code;
}

int cmd_operator_unseal(int argc, char **argv)
{
	struct command_opts o = {0};
	bool reset = false;
	struct flag_def defs[] = {
	    COMMAND_COMMON_FLAGS(&o), {"reset", FLAG_BOOL, &reset}, {0}};
	struct client_response resp = {0};
	json_t *body = NULL;
	int first, code;

	code = command_parse(unseal_usage, defs, argc, argv, &o, &first);
	if (code != COMMAND_RUN)
		return code;
	if (argc - first > 1 || (reset && argc - first == 1))
		return command_usage_error(unseal_usage, "Too many arguments");
	code = operator_unseal_body(reset, first < argc ? argv[first] : NULL,
	                            &body);
	if (code == COMMAND_EXIT_OK)
		code = command_call_once(&o, "PUT", "sys/unseal", NULL, body,
		                         "unsealing", &resp);
	if (code == COMMAND_EXIT_OK)
		code = cmd_status_print(resp.body, o.format);
	json_decref(body);
	client_response_release(&resp);
	return code;
}

int cmd_operator_seal(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	int first, code;

	code = command_parse_args(seal_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_call_once(&o, "PUT", "sys/seal", NULL, NULL, "sealing",
	                         &resp);
	if (code == COMMAND_EXIT_OK)
		printf("Success! Vault is sealed.\n");
	client_response_release(&resp);
	return code;
}

/*
 * "2024-05-06T10:11:12.5Z" as Vault's CLI shows it, "06 May 24 10:11 UTC";
 * anything else is shown as it came.
 */
static err_t operator_install_time(const char *rfc3339, struct buf *out)
{
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr",
	                                 "May", "Jun", "Jul", "Aug",
	                                 "Sep", "Oct", "Nov", "Dec"};
	int y, mo, d, h, mi;

	if (sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) != 5 ||
	    mo < 1 || mo > 12 || strchr(rfc3339, 'Z') == NULL)
		return buf_append_str(out, rfc3339);
	return buf_printf(out, "%02d %s %02d %02d:%02d UTC", d, months[mo - 1],
	                  y % 100, h, mi);
}

static int operator_print_key_status(json_t *body, const char *format)
{
	json_t *data = command_answer_data(body);
	const char *when_text;
	struct buf when = BUF_INIT, term = BUF_INIT, count = BUF_INIT;
	struct table t;
	err_t rc;
	int code;

	when_text = json_string_value(json_object_get(data, "install_time"));
	if (strcmp(format, "json") == 0)
		return command_print_json(data);
	rc = table_init(&t, 2, NULL);
	if (!rc)
		rc = command_format_value(json_object_get(data, "term"), &term);
	if (!rc)
		rc =
		    operator_install_time(when_text ? when_text : "n/a", &when);
	if (!rc)
		rc = table_add_kv(&t, "Key Term", buf_str(&term));
	if (!rc)
		rc = table_add_kv(&t, "Install Time", buf_str(&when));
	if (!rc && json_object_get(data, "encryptions")) {
		rc = command_format_value(json_object_get(data, "encryptions"),
		                          &count);
		if (!rc)
			rc = table_add_kv(&t, "Encryption Count",
			                  buf_str(&count));
	}
	code = rc ? command_fail("printing the key status", err_str(rc))
	          : command_print_table(&t);
	table_release(&t);
	buf_release(&when);
	buf_release(&term);
	buf_release(&count);
	return code;
}

int cmd_operator_key_status(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	int first, code;

	code = command_parse_args(key_status_usage, defs, argc, argv, &o, 0,
	                          NULL, &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_call_once(&o, "GET", "sys/key-status", NULL, NULL,
	                         "reading key status", &resp);
	if (code == COMMAND_EXIT_OK)
		code = operator_print_key_status(resp.body, o.format);
	client_response_release(&resp);
	return code;
}

int cmd_operator_rotate(int argc, char **argv)
{
	struct command_opts o = {0};
	struct flag_def defs[] = {COMMAND_COMMON_FLAGS(&o), {0}};
	struct client_response resp = {0};
	struct client *c = NULL;
	int first, code;

	code = command_parse_args(rotate_usage, defs, argc, argv, &o, 0, NULL,
	                          &first);
	if (code != COMMAND_RUN)
		return code;
	code = command_client(&o, &c);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "PUT", "sys/rotate", NULL, NULL,
		                    "rotating key", &resp);
	client_response_release(&resp);
	if (code == COMMAND_EXIT_OK)
		code = command_call(c, "GET", "sys/key-status", NULL, NULL,
		                    "reading key status", &resp);
	if (code == COMMAND_EXIT_OK) {
		if (strcmp(o.format, "table") == 0)
			printf("Success! Rotated key\n\n");
		code = operator_print_key_status(resp.body, o.format);
	}
	client_response_release(&resp);
	client_free(c);
	return code;
}

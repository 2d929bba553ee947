#include "cli/cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cmd_auth.h"
#include "cli/command.h"
#include "cli/import.h"
#include "cli/run.h"

struct cli_command {
	const char *group; /* argv[1] */
	const char *name;  /* argv[2], or NULL for a one-word command */
	int (*run)(int argc, char **argv);
	const char *synopsis;
};

static const struct cli_command cli_commands[] = {
    {"status", NULL, cmd_status, "Show whether the server is sealed"},
    {"read", NULL, cmd_read, "Read data at a path"},
    {"write", NULL, cmd_write, "Write data to a path"},
    {"list", NULL, cmd_list, "List the keys under a path"},
    {"delete", NULL, cmd_delete, "Delete the data at a path"},
    {"operator", "init", cmd_operator_init,
     "Initialize the server and print its unseal keys"},
    {"operator", "unseal", cmd_operator_unseal,
     "Give the server one unseal key share"},
    {"operator", "seal", cmd_operator_seal, "Seal the server"},
    {"operator", "rotate", cmd_operator_rotate,
     "Install a new encryption key in the barrier"},
    {"operator", "key-status", cmd_operator_key_status,
     "Show the barrier key term and install time"},
    {"secrets", "enable", cmd_secrets_enable, "Mount a secrets engine"},
    {"secrets", "disable", cmd_secrets_disable, "Unmount a secrets engine"},
    {"secrets", "list", cmd_secrets_list, "List the mounted secrets engines"},
    {"secrets", "tune", cmd_secrets_tune,
     "Change the settings of a secrets engine"},
    {"kv", "get", cmd_kv_get, "Read a secret from a KV mount"},
    {"kv", "put", cmd_kv_put, "Write a secret to a KV mount"},
    {"kv", "patch", cmd_kv_patch, "Change some keys of a secret (KV v2)"},
    {"kv", "list", cmd_kv_list, "List the secrets under a KV path"},
    {"kv", "delete", cmd_kv_delete, "Delete a secret or some of its versions"},
    {"kv", "undelete", cmd_kv_undelete,
     "Restore deleted versions of a secret (KV v2)"},
    {"kv", "destroy", cmd_kv_destroy,
     "Remove versions of a secret for good (KV v2)"},
    {"kv", "metadata", cmd_kv_metadata,
     "get, put or delete a secret's metadata (KV v2)"},
    {"token", "create", cmd_token_create, "Create a token"},
    {"token", "lookup", cmd_token_lookup, "Show the properties of a token"},
    {"token", "renew", cmd_token_renew, "Extend the life of a token"},
    {"token", "revoke", cmd_token_revoke, "Revoke a token and its children"},
    {"token", "capabilities", cmd_token_capabilities,
     "Show what a token may do at a path"},
    {"policy", "list", cmd_policy_list, "List the ACL policies"},
    {"policy", "read", cmd_policy_read, "Print an ACL policy"},
    {"policy", "write", cmd_policy_write, "Upload an ACL policy"},
    {"policy", "delete", cmd_policy_delete, "Delete an ACL policy"},
    {"lease", "lookup", cmd_lease_lookup, "Show a lease"},
    {"lease", "renew", cmd_lease_renew, "Extend a lease"},
    {"lease", "revoke", cmd_lease_revoke, "Revoke a lease or a prefix"},
    {"namespace", "list", cmd_namespace_list, "List the child namespaces"},
    {"namespace", "create", cmd_namespace_create, "Create a namespace"},
    {"namespace", "delete", cmd_namespace_delete, "Delete a namespace"},
    {"namespace", "lookup", cmd_namespace_lookup, "Show a namespace"},
    {"run", NULL, cmd_run, "Run a program with secrets in its environment"},
    {"import", "vault", cmd_import_vault,
     "Copy a KV tree from a Vault or Coffer server"},
    {"import", "env", cmd_import_env, "Write a dotenv file as one secret"},
    {"import", "json", cmd_import_json, "Write a JSON file as secrets"},
    {"import", "yaml", cmd_import_yaml, "Write a YAML file as secrets"},
    {"export", NULL, cmd_export, "Print a KV tree as JSON or dotenv"},
    {"audit", "enable", cmd_audit_enable, "Enable an audit device"},
    {"audit", "disable", cmd_audit_disable, "Disable an audit device"},
    {"audit", "list", cmd_audit_list, "List the enabled audit devices"},
    {"login", NULL, cmd_login, "Log in and store the token"},
    {"auth", "enable", cmd_auth_enable, "Enable an auth method"},
    {"auth", "disable", cmd_auth_disable, "Disable an auth method"},
    {"auth", "list", cmd_auth_list, "List the enabled auth methods"},
    {"agent", NULL, cmd_agent,
     "Log in, render templates and proxy the API for a workload"},
};

#define CLI_NCOMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

static bool cli_is_help(const char *arg)
{
	return strcmp(arg, "help") == 0 || strcmp(arg, "-h") == 0 ||
	       strcmp(arg, "-help") == 0 || strcmp(arg, "--help") == 0;
}

/* Lists the commands (of one group, or all) on f. */
static void cli_usage(FILE *f, const char *group)
{
	size_t i;
	char name[64];

	fprintf(f, "Usage: coffer %s%s<command> [options] [args]\n\n",
	        group ? group : "", group ? " " : "");
	fputs(group ? "Commands:\n"
	            : "A client of the Coffer secrets server. "
	              "Commands:\n",
	      f);
	for (i = 0; i < CLI_NCOMMANDS; i++) {
		if (group != NULL && strcmp(group, cli_commands[i].group) != 0)
			continue;
		if (group != NULL)
			snprintf(name, sizeof(name), "%s",
			         cli_commands[i].name);
		else if (cli_commands[i].name != NULL)
			snprintf(name, sizeof(name), "%s %s",
			         cli_commands[i].group, cli_commands[i].name);
		else
			snprintf(name, sizeof(name), "%s",
			         cli_commands[i].group);
		fprintf(f, "    %-20s %s\n", name, cli_commands[i].synopsis);
	}
	if (group == NULL)
		fputs(
		    "    server               Run the server\n"
		    "\nRun \"coffer <command> -h\" for a command's options.\n"
		    "The server address comes from -address, COFFER_ADDR or "
		    "VAULT_ADDR,\nthe token from COFFER_TOKEN, VAULT_TOKEN or "
		    "~/.vault-token.\n",
		    f);
}

/* A two-word command: argv[0] is the group, argv[1] the name. */
static int cli_group(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || cli_is_help(argv[1])) {
		cli_usage(argc < 2 ? stderr : stdout, argv[0]);
		return argc < 2 ? COMMAND_EXIT_USAGE : COMMAND_EXIT_OK;
	}
	for (i = 0; i < CLI_NCOMMANDS; i++)
		if (cli_commands[i].name != NULL &&
		    strcmp(cli_commands[i].group, argv[0]) == 0 &&
		    strcmp(cli_commands[i].name, argv[1]) == 0)
			return cli_commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "Unknown command: %s %s\n\n", argv[0], argv[1]);
	cli_usage(stderr, argv[0]);
	return COMMAND_EXIT_USAGE;
}

int cli_main(int argc, char **argv)
{
	static bool curl_ready;
	size_t i;

	if (argc < 2) {
		cli_usage(stderr, NULL);
		return COMMAND_EXIT_USAGE;
	}
	if (cli_is_help(argv[1])) {
		cli_usage(stdout, NULL);
		return COMMAND_EXIT_OK;
	}
	/* Once per process, before any thread could use curl. */
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fputs("Error: libcurl failed to start\n", stderr);
			return COMMAND_EXIT_ERROR;
		}
		curl_ready = true;
	}

	for (i = 0; i < CLI_NCOMMANDS; i++) {
		if (strcmp(cli_commands[i].group, argv[1]) != 0)
			continue;
		if (cli_commands[i].name != NULL)
			return cli_group(argc - 1, argv + 1);
		return cli_commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "Unknown command: %s\n\n", argv[1]);
	cli_usage(stderr, NULL);
	return COMMAND_EXIT_USAGE;
}

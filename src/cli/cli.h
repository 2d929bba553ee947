/*
 * cli.h - the `coffer` command-line client of the HTTP API.
 *
 * Every subcommand but `server` lands here: status, operator, read, write,
 * list, delete, secrets, kv, token, policy, lease, namespace, help. The
 * client talks to a server only over HTTP, as any other client would.
 */
#ifndef COFFER_CLI_CLI_H
#define COFFER_CLI_CLI_H

/*
 * Runs the subcommand argv[1] with the arguments after it; argv[0] is the
 * program name. Returns the process exit code: 0 success, 1 an error from
 * the server or a local failure, 2 a usage error (and `status` on a sealed
 * server, `read` of an empty path). Writes to stdout and stderr.
 */
int cli_main(int argc, char **argv);

#endif

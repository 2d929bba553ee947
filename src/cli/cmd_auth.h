/*
 * cmd_auth.h - the CLI commands of the auth methods: `coffer login` and
 * `coffer auth enable|disable|list`. Declared apart from command.h so
 * that helpers adding methods touch only cmd_login.c's method table.
 */
#ifndef COFFER_CLI_CMD_AUTH_H
#define COFFER_CLI_CMD_AUTH_H

int cmd_login(int argc, char **argv);
int cmd_auth_enable(int argc, char **argv);
int cmd_auth_disable(int argc, char **argv);
int cmd_auth_list(int argc, char **argv);

#endif

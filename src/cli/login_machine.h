/*
 * login_machine.h - the machine-identity methods of `coffer login`:
 * -method=jwt (also oidc's JWT login and kubernetes, which take the same
 * body) and -method=cert.
 *
 *   coffer login -method=jwt role=ci jwt=@/var/run/token
 *   coffer login -method=jwt -path=gitlab role=ci jwt=eyJ...
 *   coffer login -method=cert -client-cert=c.pem -client-key=k.pem name=web
 *
 * These functions do the method-specific part; the `login` command (its
 * flag parsing, -path, printing the auth block and storing the token) is
 * the caller's. Interface for it: after parsing flags, call
 * login_machine(client, method, mount, nargs, args, &resp) with the
 * positional key=value arguments, then print resp.body's "auth" and keep
 * auth.client_token as any login does.
 */
#ifndef COFFER_CLI_LOGIN_MACHINE_H
#define COFFER_CLI_LOGIN_MACHINE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"
#include "cli/client.h"

/* Longest JWT read from a file or argument. */
#define LOGIN_JWT_MAX ((size_t)64 << 10)

/* Whether method is one of these: "jwt", "oidc", "kubernetes", "cert". */
bool login_machine_handles(const char *method);

/*
 * Builds the login body of method from key=value arguments: for jwt, oidc
 * and kubernetes "role=R" (optional with a default_role) and "jwt=VALUE"
 * or "jwt=@FILE" (the file's content, trailing white space dropped); for
 * cert an optional "name=N". *body is new (the JWT in it is a secret).
 * ERR_INVALID with a message in msg for a missing jwt, an unknown key, a
 * file that cannot be read or is over LOGIN_JWT_MAX bytes.
 */
err_t login_machine_body(const char *method, int nargs, char **args,
                         json_t **body, struct buf *msg);

/*
 * Posts the body of method to auth/<mount>/login (mount defaults to the
 * method's name when NULL or empty). The TLS client certificate of a cert
 * login is the client's (-client-cert/-client-key or VAULT_CLIENT_CERT and
 * VAULT_CLIENT_KEY). Returns a CLI exit code: 0 with the answer in resp,
 * 1 after printing the error, 2 for bad arguments. resp must be released
 * by the caller in every case.
 */
int login_machine(struct client *c, const char *method, const char *mount,
                  int nargs, char **args, struct client_response *resp);

#endif

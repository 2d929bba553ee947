/*
 * agent_method.h - one login with the configured auto-auth method.
 *
 *   approle     POST <mount>/login {role_id, secret_id} from files
 *   jwt         POST <mount>/login {role, jwt} with the JWT from a file
 *   kubernetes  the same body, the service account token as the JWT
 *   token_file  no login: the token in the file, checked by lookup-self
 *
 * A credential file is read at every login; a missing one falls back to
 * the copy from the last successful read (see agent_auth.h for why).
 */
#ifndef COFFER_AGENT_AGENT_METHOD_H
#define COFFER_AGENT_AGENT_METHOD_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent_config.h"
#include "agent/agent_http.h"
#include "base/buf.h"
#include "base/error.h"

/* The credentials read last; each buffer is wiped on release. */
struct agent_creds {
	struct buf role_id;
	struct buf secret_id;
	struct buf jwt;
	struct buf token;
};

/* The result of a login. */
struct agent_login {
	char *token;    /* a secret: secret_free it */
	char *accessor; /* safe to log */
	int64_t ttl;    /* seconds; 0: the token does not expire */
	bool renewable;
};

void agent_creds_release(struct agent_creds *c);

/* Wipes and frees what l holds; l may be NULL. */
void agent_login_release(struct agent_login *l);

/*
 * Logs in once with m, reading its files (and removing those the
 * configuration says to remove). On success fills out. On failure
 * returns an error with a reason in errmsg that names files and the
 * server's answer, never a credential: ERR_INVALID for a credential file
 * that cannot be used, ERR_IO when the server is unreachable,
 * ERR_PERMISSION when it refuses, others as agent_http_call.
 */
err_t agent_method_login(const struct agent_method *m, struct agent_creds *c,
                         struct agent_http *h, struct agent_login *out,
                         struct buf *errmsg);

/*
 * Reads the auth block of a login or renewal answer (or the data of a
 * lookup-self when lookup is true) into out; token is taken from the
 * answer unless lookup. ERR_INVALID when the answer lacks what is needed.
 */
err_t agent_method_parse_auth(json_t *body, bool lookup,
                              struct agent_login *out);

#endif

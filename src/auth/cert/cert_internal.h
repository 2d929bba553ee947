/*
 * cert_internal.h - what the files of the cert auth method share.
 */
#ifndef COFFER_AUTH_CERT_CERT_INTERNAL_H
#define COFFER_AUTH_CERT_CERT_INTERNAL_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "auth/cert/cert.h"
#include "base/buf.h"

/* The chain a client presented: its leaf and the certificates after it. */
struct cert_chain {
	X509 *leaf;
	STACK_OF(X509) * rest;
};

/*
 * Parses the PEM the listener passed (leaf first). ERR_INVALID when pem
 * is NULL or holds no certificate; release with cert_chain_release.
 */
err_t cert_chain_parse(const char *pem, struct cert_chain *out);

void cert_chain_release(struct cert_chain *ch);

/* Every certificate of a PEM text; NULL when it holds none. */
STACK_OF(X509) * cert_pem_stack(const char *pem);

/*
 * Whether the client's chain is trusted by role's "certificate" (see
 * cert.h for the two ways), ignoring the name constraints.
 */
bool cert_trusted(const struct cert_chain *ch, json_t *role);

/* Whether the leaf satisfies role's allowed_* constraints. */
bool cert_constraints_ok(X509 *leaf, json_t *role);

/* Lower-case hex SHA-256 of the leaf's DER into out. */
err_t cert_fingerprint(X509 *leaf, struct buf *out);

/* The login endpoint. */
err_t cert_login(struct mount *m, struct request *req, struct response *resp);

/* Loads the JSON object at key of m's view; *out NULL when absent. */
err_t cert_load(struct mount *m, const char *key, json_t **out);

#endif

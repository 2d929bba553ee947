/*
 * kubernetes.h - the Kubernetes auth method ("kubernetes").
 *
 * A pod logs in with its service-account token. This server verifies the
 * token locally, with the public keys configured in pem_keys (the keys
 * the cluster's API server signs service-account tokens with), and then
 * checks the service account's name and namespace against the role.
 *
 * Known gap: Vault can instead ask the cluster's TokenReview API whether
 * a token is still valid (which also catches tokens of deleted service
 * accounts). That call to kubernetes_host is not implemented: a mount
 * without pem_keys refuses every login with a 400 that says so. This is
 * the behaviour of Vault with pem_keys set and disable_local_ca_jwt, minus
 * the review.
 *
 * Storage of a mount: config (JSON) and role/<name> (JSON).
 */
#ifndef COFFER_AUTH_KUBERNETES_KUBERNETES_H
#define COFFER_AUTH_KUBERNETES_KUBERNETES_H

#include <jansson.h>

#include "base/buf.h"
#include "core/mount.h"

extern const struct mount_backend kubernetes_backend;

/* Who a service-account token says it is. */
struct k8s_identity {
	const char *name;        /* service account name */
	const char *ns;          /* its namespace */
	const char *uid;         /* its uid, or NULL */
	const char *secret_name; /* legacy secret-based tokens, or NULL */
};

/*
 * Reads the service account from the claims of a verified token, in the
 * legacy flat form ("kubernetes.io/serviceaccount/...") or the projected
 * form ("kubernetes.io": {"namespace", "serviceaccount": {"name",
 * "uid"}}). The strings borrow from claims. ERR_INVALID when name or
 * namespace is missing, or "sub" names another account.
 */
err_t k8s_identity_read(json_t *claims, struct k8s_identity *out);

/*
 * The login endpoint (k8s_login.c): verifies req's "jwt" for the role
 * named "role" and issues a token through core_login. 400 for a bad
 * request or token, 403 when the service account is not bound.
 */
err_t k8s_login(struct mount *m, struct request *req, struct response *resp);

#endif

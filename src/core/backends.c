/*
 * backends.c - the one table of backends a mount can be made of.
 *
 * Adding an engine or auth method is adding its backend here. The kv
 * aliases ("kv-v2", "generic") are resolved by mounts.c before the lookup.
 */
#include <string.h>

#include "auth/approle/approle.h"
#include "auth/cert/cert.h"
#include "auth/jwt/jwt_backend.h"
#include "auth/kubernetes/kubernetes.h"
#include "auth/userpass/userpass.h"
#include "core/core_internal.h"
#include "core/mount.h"
#include "engines/cubbyhole/cubbyhole.h"
#include "engines/database/db_backend.h"
#include "identity/identity.h"

static const struct mount_backend *const backends[] = {
    &system_backend,    &token_backend,      &kv_backend,
    &cubbyhole_backend, &identity_backend,   &approle_backend,
    &userpass_backend,  &jwt_backend,        &oidc_backend,
    &cert_backend,      &kubernetes_backend, &database_backend,
};

const struct mount_backend *mount_backend_find(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->type, type) == 0)
			return backends[i];
	return NULL;
}

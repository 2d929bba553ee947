/*
 * approle.h - the AppRole auth method (type "approle"): machines log in
 * with a role ID and a secret ID (vault-api.md 4.1).
 */
#ifndef COFFER_AUTH_APPROLE_APPROLE_H
#define COFFER_AUTH_APPROLE_APPROLE_H

#include "core/mount.h"

extern const struct mount_backend approle_backend;

#endif

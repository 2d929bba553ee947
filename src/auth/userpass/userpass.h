/*
 * userpass.h - the userpass auth method (type "userpass"): people log in
 * with a user name and a password (vault-api.md 4.2).
 *
 * Passwords are kept only as Argon2id hashes (libargon2's encoded form,
 * which carries its salt and parameters). A login for a user that does
 * not exist verifies against a valid dummy hash made with the same
 * parameters, so it costs the same time as a wrong password
 * (CVE-2025-6011). User names are normalised (white space trimmed, ASCII
 * letters lowercased) in one function used at create, login, read and
 * delete, so "Alice", " alice" and "alice" are one user (CVE-2025-6004);
 * other bytes are kept as they are (no Unicode normalisation).
 *
 * Known shortcoming: no lockout after repeated failures
 * (user_lockout_config of sys/auth/<path>/tune) yet.
 */
#ifndef COFFER_AUTH_USERPASS_USERPASS_H
#define COFFER_AUTH_USERPASS_USERPASS_H

#include <stdbool.h>

#include "base/buf.h"
#include "core/mount.h"

/* Longest password accepted, in bytes. */
#define USERPASS_MAX_PASSWORD 1024
/* Longest user name accepted, in bytes, after normalisation. */
#define USERPASS_MAX_NAME 128

extern const struct mount_backend userpass_backend;

/*
 * Normalises a user name into out (appending): leading and trailing
 * white space removed, A-Z lowercased. ERR_INVALID when the result is
 * empty, longer than USERPASS_MAX_NAME, or holds "/" or a control
 * character.
 */
err_t userpass_normalise_name(const char *in, struct buf *out);

/*
 * Hashes password with Argon2id and a random salt into *encoded (heap;
 * the caller frees it). ERR_INVALID for a password over
 * USERPASS_MAX_PASSWORD bytes; ERR_NOMEM; ERR_CRYPTO.
 */
err_t userpass_hash_password(const char *password, char **encoded);

/*
 * Whether password matches the encoded Argon2id hash. libargon2
 * recomputes the hash and compares in constant time; a malformed hash
 * never matches. At most a few verifications run at once (each takes
 * tens of MiB), the rest wait.
 */
bool userpass_verify_password(const char *encoded, const char *password);

#endif

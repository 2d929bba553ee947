/*
 * secret.h - handling of secret material in memory.
 *
 * Keys, tokens, passwords and plaintext values are wiped before their memory
 * is released (the compiler may not drop the wipe) and compared in constant
 * time, so that timing does not tell an attacker how much of a guess was
 * right.
 */
#ifndef COFFER_BASE_SECRET_H
#define COFFER_BASE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Overwrites n bytes at p with zeros; p may be NULL. */
void secret_wipe(void *p, size_t n);

/* Wipes a NUL-terminated string and frees it; s may be NULL. */
void secret_free(char *s);

/* Wipes n bytes at p and frees p; p may be NULL. */
void secret_free_n(void *p, size_t n);

/*
 * Compares two byte strings in time that depends only on their lengths.
 * Returns true when both have the same length and the same bytes.
 */
bool secret_equal(const void *a, size_t alen, const void *b, size_t blen);

/* secret_equal for NUL-terminated strings; NULL never equals anything. */
bool secret_streq(const char *a, const char *b);

/*
 * Locks all present and future pages of the process into RAM so that
 * secrets are never written to swap. Returns ERR_IO, with errno set, when
 * the OS refuses (no CAP_IPC_LOCK, RLIMIT_MEMLOCK too low).
 */
err_t secret_lock_memory(void);

#endif

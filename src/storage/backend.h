/*
 * backend.h - checks and helpers shared by the storage backends.
 *
 * Every backend (and the prefix view) enforces the same rules on keys,
 * values and list prefixes, so a caller gets the same ERR_INVALID whichever
 * backend is configured. The rules live here, in one place.
 */
#ifndef COFFER_STORAGE_BACKEND_H
#define COFFER_STORAGE_BACKEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "storage/storage.h"

/*
 * Checks a key: not NULL, 1..STORAGE_MAX_KEY bytes, valid UTF-8 (list()
 * must hand names back as JSON strings), not ending with "/" (such a key
 * would be indistinguishable from a folder in list()). ERR_INVALID if not.
 */
err_t backend_check_key(const char *key);

/* Checks a value: at most STORAGE_MAX_VALUE bytes, NULL only when empty. */
err_t backend_check_value(const uint8_t *value, size_t len);

/* Checks a list prefix: "" or ending with "/", at most STORAGE_MAX_KEY. */
err_t backend_check_prefix(const char *prefix);

/* Checks every operation of a commit; ERR_INVALID on the first bad one. */
err_t backend_check_ops(const struct storage_op *ops, size_t n);

/*
 * For rest, the part of a key after a list prefix, gives the length of the
 * direct child's name and sets *dir when the key lies below a folder.
 */
size_t backend_child(const char *rest, bool *dir);

/*
 * Appends the child name of rest to the JSON array keys: the name itself,
 * or the folder name with its trailing "/". ERR_NOMEM on failure.
 */
err_t backend_list_add(json_t *keys, const char *rest, size_t len, bool dir);

/*
 * Writes the first key that sorts after every key below the folder
 * prefix + rest[0..len) + "/": the same bytes followed by "0", the byte
 * after "/". out must hold STORAGE_MAX_KEY + 1 bytes; ERR_INVALID if the
 * result would not fit.
 */
err_t backend_skip_key(const char *prefix, const char *rest, size_t len,
                       char *out);

/*
 * The string value of name in a backend configuration object, or NULL
 * when config is not an object or the member is missing. A member that is
 * present but not a string sets *bad.
 */
const char *backend_config_string(json_t *config, const char *name, bool *bad);

/* printf-style message into a caller's errmsg buffer (may be NULL). */
void backend_errmsg(char *errmsg, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

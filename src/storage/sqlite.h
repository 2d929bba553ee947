/*
 * sqlite.h - what the SQLite backend offers beyond storage.h.
 *
 * The backend itself is opened through storage_open("sqlite", ...); see
 * sqlite.c for its configuration, durability and locking rules.
 */
#ifndef COFFER_STORAGE_SQLITE_H
#define COFFER_STORAGE_SQLITE_H

#include <stddef.h>

#include "base/error.h"
#include "storage/storage.h"

/*
 * Runs SQLite's integrity check over the whole file behind s, which must
 * come from sqlite_open (ERR_INVALID otherwise). Returns ERR_OK when the
 * file is sound; ERR_STORAGE with the first problem SQLite reports written
 * into errmsg when it is not, or when the check itself could not run.
 * May take long on a big file; it reads but never blocks writers.
 */
err_t sqlite_check_integrity(struct storage *s, char *errmsg, size_t errlen);

#endif

/*
 * view.h - a storage seen through a key prefix.
 *
 * Each mount gets a view rooted at its private prefix, so the keys it can
 * name are exactly those that start with that prefix in the parent: a key
 * k in the view is prefix + k in the parent, and nothing else is reachable
 * (keys are plain strings; ".." has no meaning in them).
 */
#ifndef COFFER_STORAGE_VIEW_H
#define COFFER_STORAGE_VIEW_H

#include "base/error.h"
#include "storage/storage.h"

/*
 * Makes a view of parent under prefix, which must be non-empty, end with
 * "/" and be a valid key prefix (ERR_INVALID otherwise). The view borrows
 * parent, which must outlive it; storage_free on the view leaves parent
 * alone. list() names are relative to the listed prefix, as for any
 * backend; commit() prefixes every operation and stays all-or-nothing.
 * Keys longer than STORAGE_MAX_KEY once prefixed are ERR_INVALID.
 */
err_t view_new(struct storage *parent, const char *prefix,
               struct storage **out);

#endif

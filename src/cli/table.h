/*
 * table.h - the column tables the CLI prints, laid out like Vault's.
 *
 *   Key             Value
 *   ---             -----
 *   Seal Type       shamir
 *
 * Every column but the last is padded to its widest cell plus four spaces;
 * the header is underlined with as many dashes as it has characters. Cells
 * may hold secrets (a read shows secret values), so they are wiped when the
 * table is released.
 */
#ifndef COFFER_CLI_TABLE_H
#define COFFER_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

#define TABLE_MAX_COLS 12

struct table {
	size_t ncols;
	size_t nrows; /* the header, when there is one, counts as a row */
	bool header;  /* row 0 is a header, underlined with dashes */
	char **cells; /* nrows * ncols heap strings, row after row */
	size_t alloc; /* rows the cells array has room for */
};

/*
 * Sets up a table whose header row is headers[0..ncols), or a table with
 * no header when headers is NULL; ncols is 1 to TABLE_MAX_COLS. Returns
 * ERR_NOMEM (or ERR_INVALID for a bad ncols), leaving t releasable.
 */
err_t table_init(struct table *t, size_t ncols, const char *const *headers);

/* Wipes and frees every cell; t may be NULL or already released. */
void table_release(struct table *t);

/* Appends a row of ncols cells (copied; a NULL cell prints as ""). */
err_t table_add_row(struct table *t, const char *const *cells);

/* table_add_row for the common two-column Key/Value table. */
err_t table_add_kv(struct table *t, const char *key, const char *value);

/* Appends the laid-out table, one line per row, to out. */
err_t table_render(const struct table *t, struct buf *out);

#endif

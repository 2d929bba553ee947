#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

err_t table_init(struct table *t, size_t ncols, const char *const *headers)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cells = NULL;
	t->alloc = 0;
	t->header = headers != NULL;
	if (ncols == 0 || ncols > TABLE_MAX_COLS)
		return ERR_INVALID;
	return headers ? table_add_row(t, headers) : ERR_OK;
}

void table_release(struct table *t)
{
	size_t i;

	if (t == NULL || t->cells == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		secret_free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
	t->alloc = 0;
}

static err_t table_grow(struct table *t)
{
	size_t rows;
	char **cells;

	if (t->nrows < t->alloc)
		return ERR_OK;
	rows = t->alloc ? t->alloc * 2 : 16;
	if (rows > SIZE_MAX / sizeof(char *) / t->ncols)
		return ERR_NOMEM;
	cells = realloc(t->cells, rows * t->ncols * sizeof(char *));
	if (cells == NULL)
		return ERR_NOMEM;
	t->cells = cells;
	t->alloc = rows;
	return ERR_OK;
}

err_t table_add_row(struct table *t, const char *const *cells)
{
	char **row;
	size_t i;
	err_t rc;

	rc = table_grow(t);
	if (rc != ERR_OK)
		return rc;
	row = t->cells + t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (row[i] == NULL) {
			while (i-- > 0)
				secret_free(row[i]);
			return ERR_NOMEM;
		}
	}
	t->nrows++;
	return ERR_OK;
}

err_t table_add_kv(struct table *t, const char *key, const char *value)
{
	const char *cells[2] = {key, value};

	return table_add_row(t, cells);
}

/* Characters on screen, not bytes: UTF-8 continuation bytes add nothing. */
static size_t table_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static err_t table_line(struct buf *out, const size_t *widths, size_t ncols,
                        const char *const *cells)
{
	size_t c, pad;
	err_t rc = ERR_OK;

	for (c = 0; c < ncols && rc == ERR_OK; c++) {
		rc = buf_append_str(out, cells[c]);
		if (c + 1 == ncols)
			break;
		for (pad = table_width(cells[c]);
		     pad < widths[c] + 4 && rc == ERR_OK; pad++)
			rc = buf_append_byte(out, ' ');
	}
	if (rc == ERR_OK)
		rc = buf_append_byte(out, '\n');
	return rc;
}

err_t table_render(const struct table *t, struct buf *out)
{
	size_t widths[TABLE_MAX_COLS] = {0};
	char *dashes[TABLE_MAX_COLS] = {0};
	size_t r, c, w;
	err_t rc = ERR_OK;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			w = table_width(t->cells[r * t->ncols + c]);
			widths[c] = w > widths[c] ? w : widths[c];
		}

	/* The underline is as long as the header word, not the column. */
	for (c = 0; t->header && c < t->ncols && rc == ERR_OK; c++) {
		w = table_width(t->cells[c]);
		dashes[c] = malloc(w + 1);
		if (dashes[c] == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		memset(dashes[c], '-', w);
		dashes[c][w] = '\0';
	}

	for (r = 0; r < t->nrows && rc == ERR_OK; r++) {
		rc = table_line(out, widths, t->ncols,
		                (const char *const *)t->cells + r * t->ncols);
		if (r == 0 && t->header && rc == ERR_OK)
			rc = table_line(out, widths, t->ncols,
			                (const char *const *)dashes);
	}
	for (c = 0; c < t->ncols; c++)
		free(dashes[c]);
	return rc;
}

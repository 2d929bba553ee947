/*
 * agent_file.h - the agent's file operations: atomic replacement of a
 * rendered file or a token sink, and bounded reads of credential files.
 *
 * A reader of a destination file must see either the old content or the
 * new, never a half-written file, and never the new content with the old
 * (wider) permissions. So a file is written to a temporary file in the
 * same directory (created 0600), fsynced, given its mode, and renamed
 * over the destination; the directory is fsynced so the rename survives a
 * crash.
 */
#ifndef COFFER_AGENT_AGENT_FILE_H
#define COFFER_AGENT_AGENT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/error.h"

/*
 * Replaces path with data[0..len) and mode, as described above. On
 * failure the old file is untouched, no temporary file is left, and
 * errmsg says which step failed (never the data). ERR_IO or ERR_NOMEM.
 */
err_t agent_file_write(const char *path, const void *data, size_t len,
                       mode_t mode, struct buf *errmsg);

/*
 * Appends the content of path to out (whose contents are wiped as it
 * grows, so it may be a secret). ERR_NOT_FOUND when there is no such
 * file, ERR_TOO_LARGE past max bytes, ERR_IO otherwise; errmsg says why.
 */
err_t agent_file_read(const char *path, size_t max, struct buf *out,
                      struct buf *errmsg);

/*
 * agent_file_read for a credential (role id, secret id, JWT, token):
 * surrounding white space is dropped, and an empty file or one holding a
 * NUL or a control character is ERR_INVALID. what names the setting in
 * errmsg ("cannot read secret_id_file_path /x: ...").
 */
err_t agent_file_read_credential(const char *what, const char *path,
                                 struct buf *out, struct buf *errmsg);

/*
 * Whether path holds exactly data[0..len): compared in constant time,
 * since both sides are rendered secrets. *mode gets the file's permission
 * bits; false when the file does not exist or cannot be read.
 */
bool agent_file_same(const char *path, const void *data, size_t len,
                     mode_t *mode);

/* Creates the missing parent directories of path with mode 0755. */
err_t agent_file_make_parents(const char *path, struct buf *errmsg);

#endif

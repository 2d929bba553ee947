/*
 * import.h - moving KV secrets in and out: `coffer import vault|env|json|
 * yaml` and `coffer export`, the file parsers they use, and the KV mount
 * helpers that hide the difference between KV versions 1 and 2.
 *
 * Paths given to the commands name a mount and a place inside it
 * ("secret/app/"), never the API's "data/" or "metadata/" segments: the
 * helpers find the mount's version (sys/mounts, options.version) and add
 * them where version 2 needs them.
 */
#ifndef COFFER_CLI_IMPORT_H
#define COFFER_CLI_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "cli/client.h"

/* A KV mount as found on a server. */
struct kvmount {
	char *mount; /* "secret/", with its trailing slash */
	int version; /* 1 or 2 */
};

/*
 * Finds the KV mount that holds path (a path inside the mount, like
 * "secret/app/") on the server c talks to: from GET sys/mounts, or when
 * that is denied from GET sys/internal/ui/mounts/<path>, which tokens
 * without sys access may read. On success m holds the mount (release with
 * kvmount_release) and *rel the place inside it: "" or ending in "/" when
 * path ends in "/", with a leading "data/" or "metadata/" dropped for
 * version 2; the caller frees *rel. Returns ERR_NOT_FOUND (no KV mount
 * there), ERR_IO or ERR_PERMISSION (the server could not tell), each with a
 * message in msg; ERR_NOMEM.
 */
err_t kvmount_find(struct client *c, const char *path, struct kvmount *m,
                   char **rel, struct buf *msg);

/* Frees what m holds; m may be NULL or empty. */
void kvmount_release(struct kvmount *m);

/*
 * Lists, recursively, every secret under rel ("" or ending in "/") and
 * appends each one's path relative to the mount to out (a JSON array of
 * strings), depth first in the server's order. A folder that cannot be
 * listed is printed on stderr ("Failed to list ...") and counted in
 * *failed; the walk goes on with the rest. Returns ERR_NOMEM only.
 */
err_t kvmount_walk(struct client *c, const struct kvmount *m, const char *rel,
                   json_t *out, size_t *failed);

/*
 * Reads the secret at rel: *data its fields (the latest version for KV
 * version 2) and, when custom is not NULL, *custom its custom_metadata
 * (NULL for version 1 or when it has none). Both are new references owned
 * by the caller. Returns ERR_NOT_FOUND (nothing there, or the latest
 * version deleted), or the server's refusal as ERR_PERMISSION/ERR_IO, with
 * a message in msg.
 */
err_t kvmount_read(struct client *c, const struct kvmount *m, const char *rel,
                   json_t **data, json_t **custom, struct buf *msg);

/*
 * Writes data (and custom, when not NULL and the mount is version 2) at
 * rel, unless the secret there already holds exactly that: then nothing is
 * written, so a version 2 secret gains no version, and *unchanged is true.
 * Neither data nor custom is consumed. Errors as kvmount_read.
 */
err_t kvmount_write(struct client *c, const struct kvmount *m, const char *rel,
                    json_t *data, json_t *custom, bool *unchanged,
                    struct buf *msg);

/*
 * Parses a dotenv file: KEY=VALUE lines, an optional "export " before the
 * key, # comments (whole lines, or after white space outside quotes),
 * "double quoted" values with \n \r \t \\ \" \$ escapes, 'single quoted'
 * values taken as they are, both of which may span lines. A key given
 * twice keeps its last value. On success *out is a new object of strings.
 * Bad input gives ERR_INVALID with "SOURCE line N: why" in msg (no value is
 * ever quoted).
 */
err_t import_parse_dotenv(const char *text, size_t len, const char *source,
                          json_t **out, struct buf *msg);

/*
 * Parses the subset of YAML that configuration files of secrets use:
 * nested mappings (indented with spaces) of scalars, plain or quoted
 * ('single', "double" with backslash escapes), # comments, an optional
 * leading "---". Every scalar is kept as the text it is written with (so
 * "true" and "8080" stay strings, which is what an environment needs), and
 * a key with nothing after it holds "". Anything else (lists, anchors,
 * aliases, tags, block or flow styles, duplicate keys) is refused with
 * ERR_INVALID and "SOURCE line N: why" in msg. On success *out is a new
 * object.
 */
err_t import_parse_yaml(const char *text, size_t len, const char *source,
                        json_t **out, struct buf *msg);

/*
 * Turns a document (an object) into secrets: its non-object values form
 * one secret at path, and each object value becomes secrets under
 * path/key, recursively. Adds each secret to out (an object of path ->
 * fields). path has no trailing slash. Returns ERR_INVALID when doc is not
 * an object, ERR_NOMEM.
 */
err_t import_flatten(json_t *doc, const char *path, json_t *out,
                     struct buf *msg);

/* The commands; see the usage texts in cmd_import.c. */
int cmd_import_vault(int argc, char **argv);
int cmd_import_env(int argc, char **argv);
int cmd_import_json(int argc, char **argv);
int cmd_import_yaml(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif

/*
 * kvcli.h - what the `kv` commands share: finding the KV mount a path is
 * under and its version, and turning the path the user typed into the API
 * path of the version 2 layout ("secret/foo" -> "secret/data/foo").
 *
 * The mount and its version come from GET sys/internal/ui/mounts/<path>,
 * as with Vault's CLI. A server without that endpoint answers 404; then
 * the list of GET sys/mounts is searched for the longest mount path the
 * secret path starts with, which needs read access to sys/mounts.
 */
#ifndef COFFER_CLI_KVCLI_H
#define COFFER_CLI_KVCLI_H

#include <stdbool.h>

#include "base/buf.h"
#include "cli/client.h"

struct kvcli_target {
	struct buf path;  /* the secret path, no slash at either end */
	struct buf mount; /* "secret/"; empty when no mount matched */
	int version;      /* 1 or 2 */
};

struct command_opts;

/*
 * How every kv command starts: makes the client of o into *c (the
 * caller's to free in every case) and with it resolves the secret path
 * (with -mount=M when mount is not NULL: the path is then relative to M)
 * into t, asking the server as described above. t, zeroed by the caller,
 * is the caller's to release with kvcli_target_release in every case.
 * Returns an exit code: 0, or 1 after printing why the client could not
 * be made or the mount could not be found out (no answer, a refused
 * request).
 */
int kvcli_open(const struct command_opts *o, const char *path,
               const char *mount, struct client **c, struct kvcli_target *t);

/* Wipes and frees what t holds; t may be NULL. */
void kvcli_target_release(struct kvcli_target *t);

/*
 * Appends the API path of t for family ("data", "metadata", "delete", ...)
 * to out: "<mount><family>/<rest>" on version 2, the secret path itself on
 * version 1. A path naming the mount itself gives "<mount><family>".
 */
err_t kvcli_api_path(const struct kvcli_target *t, const char *family,
                     struct buf *out);

/*
 * Parses the -versions flag values ("1,2", given once or repeated) into a
 * new JSON array of integers. Returns ERR_INVALID with a message in msg
 * for anything but non-negative integers.
 */
err_t kvcli_versions(const char *const *items, size_t n, json_t **out,
                     struct buf *msg);

/*
 * Prints a "== title ==" banner as wide as path, the path and a blank line:
 * how `kv get` and `kv put` head their answer on version 2.
 */
void kvcli_print_path(const char *title, const char *path);

#endif

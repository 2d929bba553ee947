/*
 * args.h - the "K=V" arguments of write and read.
 *
 * Each argument is split at its first "=", so values may hold "=" too
 * ("query=a=b" gives "a=b"). A value "@path" is replaced by the contents of
 * the file at path and a value "-" by everything on standard input; a lone
 * "-" argument reads a whole JSON object from standard input and merges its
 * keys. A key given twice collects its values in a JSON array, which is how
 * list parameters ("policies=a policies=b") are sent.
 */
#ifndef COFFER_CLI_ARGS_H
#define COFFER_CLI_ARGS_H

#include <jansson.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/error.h"

/* The most an "@file" or "-" value may hold, like the server's body cap. */
#define ARGS_VALUE_MAX ((size_t)32 << 20)

/*
 * Builds a new JSON object from argv[0..argc). in stands for standard input
 * (it is read at most once). On success *out is a new reference owned by the
 * caller. On bad input returns ERR_INVALID (an argument without "=", an empty
 * key, stdin used twice, a value that is not UTF-8, stdin that is not a JSON
 * object) or ERR_IO (a file that cannot be read), with a message for the
 * user in msg; *out is then NULL.
 */
err_t args_parse_kv(int argc, char **argv, FILE *in, json_t **out,
                    struct buf *msg);

/*
 * Appends everything readable from f to out, failing with ERR_TOO_LARGE past
 * ARGS_VALUE_MAX bytes and ERR_IO on a read error. out may hold a secret; it
 * is wiped as it grows.
 */
err_t args_read_stream(FILE *f, struct buf *out);

#endif

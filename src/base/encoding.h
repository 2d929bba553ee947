/*
 * encoding.h - hex, base64, random values, UUIDs and timestamps.
 *
 * All encoders return a heap string that the caller frees (secret_free when
 * it holds key material), or NULL when memory runs out. Decoders are strict:
 * any character outside the alphabet, or a bad length, is ERR_INVALID.
 */
#ifndef COFFER_BASE_ENCODING_H
#define COFFER_BASE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

char *hex_encode(const uint8_t *p, size_t n);
err_t hex_decode(const char *s, struct buf *out);

/* Standard base64 with padding (RFC 4648 section 4). */
char *b64_encode(const uint8_t *p, size_t n);
err_t b64_decode(const char *s, struct buf *out);

/* Fills p with n bytes from the OpenSSL CSPRNG. */
err_t rand_bytes(void *p, size_t n);

/* A random (version 4) UUID in its 36-character text form. */
err_t uuid_new(char out[37]);

/*
 * A random string of n characters from [A-Za-z0-9], for token values and
 * accessors. out must hold n + 1 bytes.
 */
err_t rand_alnum(char *out, size_t n);

/* RFC 3339 in UTC with nanoseconds: "2024-05-06T10:11:12.123456789Z". */
void time_rfc3339(int64_t sec, long nsec, char out[40]);

/* The current wall-clock time in seconds and nanoseconds. */
void time_now(int64_t *sec, long *nsec);

#endif

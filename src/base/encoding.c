#include "base/encoding.h"
#include "base/secret.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char hexdigits[] = "0123456789abcdef";

char *hex_encode(const uint8_t *p, size_t n)
{
	char *s;
	size_t i;

	if (n > (SIZE_MAX - 1) / 2)
		return NULL;
	s = malloc(n * 2 + 1);
	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		s[2 * i] = hexdigits[p[i] >> 4];
		s[2 * i + 1] = hexdigits[p[i] & 15];
	}
	s[n * 2] = 0;
	return s;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

err_t hex_decode(const char *s, struct buf *out)
{
	size_t n = strlen(s), i;
	err_t rc;

	if (n % 2 != 0)
		return ERR_INVALID;
	rc = buf_reserve(out, n / 2);
	if (rc != ERR_OK)
		return rc;
	for (i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return ERR_INVALID;
		out->data[out->len++] = (uint8_t)(hi << 4 | lo);
	}
	out->data[out->len] = 0;
	return ERR_OK;
}

char *b64_encode(const uint8_t *p, size_t n)
{
	size_t outlen;
	char *s;

	if (n > (SIZE_MAX / 4) * 3 - 3 || n > INT32_MAX)
		return NULL;
	outlen = 4 * ((n + 2) / 3);
	s = malloc(outlen + 1);
	if (s == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	s[outlen] = 0;
	return s;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

err_t b64_decode(const char *s, struct buf *out)
{
	size_t n = strlen(s), i, pad = 0;
	int got;
	err_t rc;

	if (n % 4 != 0 || n > INT32_MAX)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || !b64_char(s[i]))
			return ERR_INVALID;
	}
	rc = buf_reserve(out, n / 4 * 3);
	if (rc != ERR_OK)
		return rc;
	got = EVP_DecodeBlock(out->data + out->len, (const unsigned char *)s,
	                      (int)n);
	if (got < 0 || (size_t)got < pad)
		return ERR_INVALID;
	out->len += (size_t)got - pad;
	out->data[out->len] = 0;
	return ERR_OK;
}

err_t rand_bytes(void *p, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(p, (int)n) != 1)
		return ERR_CRYPTO;
	return ERR_OK;
}

/*
 * Every request takes a UUID: one RAND_bytes call (a lock and a DRBG run)
 * each showed as a twentieth of a KV read. Each thread draws a batch and
 * hands it out 16 bytes at a time; bytes leave the pool as they are used,
 * and UUIDs are identifiers, not keys, so a batch in memory gives nothing
 * away. The server never forks without exec, so no two processes share a
 * batch.
 */
#define UUID_POOL 1024

static err_t uuid_bytes(uint8_t b[16])
{
	static _Thread_local uint8_t pool[UUID_POOL];
	static _Thread_local size_t left;
	err_t rc;

	if (left < 16) {
		if ((rc = rand_bytes(pool, sizeof(pool))) != ERR_OK)
			return rc;
		left = sizeof(pool);
	}
	left -= 16;
	memcpy(b, pool + left, 16);
	secret_wipe(pool + left, 16);
	return ERR_OK;
}

err_t uuid_new(char out[37])
{
	uint8_t b[16];
	size_t i, o = 0;
	err_t rc = uuid_bytes(b);

	if (rc != ERR_OK)
		return rc;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);

	/* Every request makes one: a formatted print showed in profiles. */
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hexdigits[b[i] >> 4];
		out[o++] = hexdigits[b[i] & 15];
	}
	out[o] = 0;
	return ERR_OK;
}

err_t rand_alnum(char *out, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r;
	size_t i = 0;

	/* Rejection sampling keeps every character equally likely. */
	while (i < n) {
		if (rand_bytes(&r, 1) != ERR_OK)
			return ERR_CRYPTO;
		if (r >= 248)
			continue;
		out[i++] = alphabet[r % 62];
	}
	out[n] = 0;
	return ERR_OK;
}

void time_rfc3339(int64_t sec, long nsec, char out[40])
{
	struct tm tm;
	time_t t = (time_t)sec;
	char date[24];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%09ldZ", date, nsec);
}

void time_now(int64_t *sec, long *nsec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (int64_t)ts.tv_sec;
	*nsec = ts.tv_nsec;
}

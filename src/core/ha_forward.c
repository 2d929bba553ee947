/*
 * ha_forward.c - signing and checking X-Coffer-Forwarded-For; see
 * ha_forward.h for the format and what it protects.
 */
#include "core/ha_forward.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/secret.h"

#define MAC_LEN     32
#define MAC_HEX_LEN (2 * MAC_LEN)
#define MAX_FIELD   4096 /* a value longer than this is refused unread */

/* An IP address in text form: hex digits, dots and colons, not empty. */
static bool addr_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= HA_FORWARD_ADDR_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!(hex_digit((unsigned char)ch) >= 0 || ch == '.' ||
		      ch == ':'))
			return false;
	}
	return true;
}

/*
 * Each field goes into the MAC with its length in front, so that no two
 * different requests give the same input whatever bytes they hold.
 */
static err_t mac_field(struct buf *in, const char *s, size_t n)
{
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
	                  (uint8_t)(n >> 8), (uint8_t)n};
	err_t rc = buf_append(in, len, sizeof(len));

	if (rc == ERR_OK)
		rc = buf_append(in, s, n);
	return rc;
}

static err_t forward_mac(const uint8_t key[HA_FORWARD_KEY_LEN], const char *ts,
                         const char *addr, size_t addr_len, const char *id,
                         const struct request *req, uint8_t mac[MAC_LEN])
{
	static const char label[] = "coffer forwarded-for v1";
	const char *op = op_name(req->op);
	const char *ns = req->ns != NULL ? req->ns : "";
	const char *path = req->path != NULL ? req->path : "";
	struct buf in = BUF_INIT;
	unsigned int len = 0;
	err_t rc;

	rc = mac_field(&in, label, sizeof(label) - 1);
	if (rc == ERR_OK)
		rc = mac_field(&in, ts, strlen(ts));
	if (rc == ERR_OK)
		rc = mac_field(&in, addr, addr_len);
	if (rc == ERR_OK)
		rc = mac_field(&in, id, strlen(id));
	if (rc == ERR_OK)
		rc = mac_field(&in, op, strlen(op));
	if (rc == ERR_OK)
		rc = mac_field(&in, ns, strlen(ns));
	if (rc == ERR_OK)
		rc = mac_field(&in, path, strlen(path));
	if (rc == ERR_OK && (HMAC(EVP_sha256(), key, HA_FORWARD_KEY_LEN,
	                          in.data, in.len, mac, &len) == NULL ||
	                     len != MAC_LEN))
		rc = ERR_CRYPTO;
	buf_release(&in);
	return rc;
}

err_t ha_forward_sign(const uint8_t key[HA_FORWARD_KEY_LEN],
                      const struct request *req, int64_t now, struct buf *out)
{
	const char *addr = req->remote_addr != NULL ? req->remote_addr : "";
	uint8_t mac[MAC_LEN];
	char ts[24];
	char *hex = NULL;
	err_t rc;

	if (!addr_ok(addr, strlen(addr)))
		return ERR_INVALID;
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	rc = forward_mac(key, ts, addr, strlen(addr), req->id, req, mac);
	if (rc == ERR_OK && (hex = hex_encode(mac, MAC_LEN)) == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK)
		rc = buf_printf(out, "v1;%s;%s;%s;%s", ts, addr, req->id, hex);
	free(hex);
	secret_wipe(mac, sizeof(mac));
	return rc;
}

/* Splits value into its five fields, in place in copy. */
static bool split_fields(char *copy, char *f[5])
{
	char *p = copy;
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = p;
		p = strchr(p, ';');
		if (i < 4) {
			if (p == NULL)
				return false;
			*p++ = 0;
		}
	}
	return p == NULL;
}

/* Unix seconds in decimal, and within the window of now. */
static bool time_ok(const char *ts, int64_t now)
{
	int64_t v = 0;
	size_t i, n = strlen(ts);

	if (n == 0 || n > 12)
		return false;
	for (i = 0; i < n; i++) {
		if (ts[i] < '0' || ts[i] > '9')
			return false;
		v = v * 10 + (ts[i] - '0');
	}
	return v >= now - HA_FORWARD_WINDOW && v <= now + HA_FORWARD_WINDOW;
}

err_t ha_forward_check(const uint8_t key[HA_FORWARD_KEY_LEN], const char *value,
                       const struct request *req, int64_t now,
                       char addr[HA_FORWARD_ADDR_LEN])
{
	char copy[MAX_FIELD + 1], *f[5];
	uint8_t mac[MAC_LEN];
	char *hex = NULL;
	size_t n = strlen(value);
	err_t rc = ERR_INVALID;

	addr[0] = 0;
	if (n > MAX_FIELD)
		return ERR_INVALID;
	memcpy(copy, value, n + 1);
	if (!split_fields(copy, f) || strcmp(f[0], "v1") != 0 ||
	    !time_ok(f[1], now) || !addr_ok(f[2], strlen(f[2])) ||
	    strlen(f[3]) != 36 || strlen(f[4]) != MAC_HEX_LEN)
		goto out;

	rc = forward_mac(key, f[1], f[2], strlen(f[2]), f[3], req, mac);
	if (rc == ERR_OK && (hex = hex_encode(mac, MAC_LEN)) == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK && !secret_equal(hex, MAC_HEX_LEN, f[4], MAC_HEX_LEN))
		rc = ERR_PERMISSION;
	if (rc == ERR_OK)
		memcpy(addr, f[2], strlen(f[2]) + 1);
out:
	free(hex);
	secret_wipe(mac, sizeof(mac));
	return rc;
}

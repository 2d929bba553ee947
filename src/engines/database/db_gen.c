/*
 * db_gen.c - generated passwords and user names, and the expiration text.
 *
 * Passwords come from [A-Za-z0-9-] (no quote, backslash or separator a
 * driver or shell could trip on), drawn from the OpenSSL CSPRNG without
 * modulo bias. password_policy is a tiny built-in language: "" for the
 * default (20 characters), or "length=N" with N from 8 to 128. Vault
 * names policies stored under sys/policies/password; Coffer has no such
 * store yet, so other values are refused rather than ignored.
 *
 * User names are reduced to [A-Za-z0-9_-] whatever the role or token
 * display name holds, so that even an operator's statement that quotes
 * {{name}} wrongly cannot be broken out of by a name.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/encoding.h"
#include "base/secret.h"
#include "engines/database/database.h"

static const char lower[] = "abcdefghijklmnopqrstuvwxyz";
static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char digits[] = "0123456789";
static const char alphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

/* A uniform index below n (n <= 256), by rejection sampling. */
static err_t rand_below(size_t n, size_t *out)
{
	unsigned char b;
	size_t limit = 256 - 256 % n;
	err_t rc;

	do {
		if ((rc = rand_bytes(&b, 1)) != ERR_OK)
			return rc;
	} while ((size_t)b >= limit);
	*out = (size_t)b % n;
	return ERR_OK;
}

static bool parse_policy(const char *policy, size_t *len)
{
	char *end;
	long n;

	if (policy == NULL || *policy == 0) {
		*len = DB_PASSWORD_LEN;
		return true;
	}
	if (strncmp(policy, "length=", 7) != 0)
		return false;
	n = strtol(policy + 7, &end, 10);
	if (*end != 0 || end == policy + 7 || n < DB_PASSWORD_MIN ||
	    n > DB_PASSWORD_MAX)
		return false;
	*len = (size_t)n;
	return true;
}

bool db_password_policy_ok(const char *policy)
{
	size_t len;

	return parse_policy(policy, &len);
}

err_t db_password_new(const char *policy, char **out)
{
	const char *classes[4] = {lower, upper, digits, "-"};
	size_t len, i, j, k, pos[4];
	char *pw;
	err_t rc = ERR_OK;

	if (!parse_policy(policy, &len))
		return ERR_INVALID;
	if ((pw = calloc(len + 1, 1)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < len && rc == ERR_OK; i++)
		if ((rc = rand_below(sizeof(alphabet) - 1, &k)) == ERR_OK)
			pw[i] = alphabet[k];

	/* One of each class, at four distinct random places. */
	for (i = 0; i < 4 && rc == ERR_OK; i++) {
		bool taken;
		do {
			rc = rand_below(len, &pos[i]);
			taken = false;
			for (j = 0; j < i; j++)
				taken = taken || pos[j] == pos[i];
		} while (rc == ERR_OK && taken);
		if (rc == ERR_OK)
			rc = rand_below(strlen(classes[i]), &k);
		if (rc == ERR_OK)
			pw[pos[i]] = classes[i][k];
	}
	if (rc != ERR_OK) {
		secret_free_n(pw, len + 1);
		return rc;
	}
	*out = pw;
	return ERR_OK;
}

/* Appends s[0..n) with characters outside [A-Za-z0-9_-] made "_". */
static err_t append_clean(struct buf *out, const char *s, size_t n)
{
	err_t rc = ERR_OK;
	size_t i;

	for (i = 0; i < n && s[i] != 0 && rc == ERR_OK; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
		rc = buf_append_byte(out, (uint8_t)(ok ? ch : '_'));
	}
	return rc;
}

static err_t append_random(struct buf *out, size_t n)
{
	char rnd[65];
	err_t rc;

	if (n == 0 || n > 64)
		return ERR_INVALID;
	rc = rand_alnum(rnd, n);
	if (rc == ERR_OK)
		rc = buf_append(out, rnd, n);
	return rc;
}

/* One template word ("{{...}}" without braces) into out. */
static err_t template_word(const char *w, size_t n, const char *display,
                           const char *role, struct buf *out)
{
	char num[16];

	while (n > 0 && *w == ' ') {
		w++;
		n--;
	}
	while (n > 0 && w[n - 1] == ' ')
		n--;
	if (n == 9 && memcmp(w, ".RoleName", 9) == 0)
		return append_clean(out, role, strlen(role));
	if (n == 12 && memcmp(w, ".DisplayName", 12) == 0)
		return append_clean(out, display, strlen(display));
	if (n == 9 && memcmp(w, "unix_time", 9) == 0)
		return buf_printf(out, "%lld", (long long)time(NULL));
	if (n > 7 && n < 7 + sizeof(num) && memcmp(w, "random ", 7) == 0) {
		char *end;
		long k;
		memcpy(num, w + 7, n - 7);
		num[n - 7] = 0;
		k = strtol(num, &end, 10);
		if (*end != 0 || k <= 0 || k > 64)
			return ERR_INVALID;
		return append_random(out, (size_t)k);
	}
	return ERR_INVALID;
}

static err_t username_default(const char *display, const char *role,
                              struct buf *out)
{
	err_t rc;

	rc = buf_append_str(out, "v-");
	if (rc == ERR_OK)
		rc = append_clean(out, display, 8);
	if (rc == ERR_OK)
		rc = buf_append_byte(out, '-');
	if (rc == ERR_OK)
		rc = append_clean(out, role, 8);
	if (rc == ERR_OK)
		rc = buf_append_byte(out, '-');
	if (rc == ERR_OK)
		rc = append_random(out, 20);
	if (rc == ERR_OK)
		rc = buf_printf(out, "-%lld", (long long)time(NULL));
	return rc;
}

err_t db_username_new(const char *tmpl, const char *display, const char *role,
                      size_t max, struct buf *out)
{
	const char *p = tmpl, *end;
	err_t rc = ERR_OK;

	buf_reset(out);
	if (display == NULL)
		display = "token";
	if (tmpl == NULL || *tmpl == 0)
		rc = username_default(display, role, out);
	while (rc == ERR_OK && p != NULL && *p != 0) {
		if (p[0] != '{' || p[1] != '{') {
			rc = append_clean(out, p, 1);
			p++;
			continue;
		}
		end = strstr(p + 2, "}}");
		if (end == NULL)
			return ERR_INVALID;
		rc = template_word(p + 2, (size_t)(end - p - 2), display, role,
		                   out);
		p = end + 2;
	}
	if (rc == ERR_OK && out->len == 0)
		rc = ERR_INVALID;
	if (rc == ERR_OK && out->len > max) {
		out->len = max;
		out->data[max] = 0;
	}
	return rc;
}

void db_expiration(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S+0000", &tm);
}

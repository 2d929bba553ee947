/*
 * template_literal.c - the values of literals written in a template:
 * "quoted" strings with Go's escapes, `raw` strings, 'c' characters and
 * numbers (decimal, 0x hex, 0o and leading-0 octal, 0b binary, '_'
 * between digits, and floats with a fraction or an exponent).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"
#include "base/encoding.h"

void tmpl_put_utf8(struct buf *b, uint32_t c, err_t *rc)
{
	uint8_t u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (uint8_t)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (uint8_t)(0xc0 | (c >> 6));
		u[1] = (uint8_t)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (uint8_t)(0xe0 | (c >> 12));
		u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | (c >> 18));
		u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*rc == ERR_OK)
		*rc = buf_append(b, u, n);
}

/* Reads n digits of base at p into *v; false when one is not a digit. */
static bool read_digits(const char *p, size_t n, int base, uint32_t *v)
{
	size_t i;
	int d;

	*v = 0;
	for (i = 0; i < n; i++) {
		d = base == 8 ? (p[i] >= '0' && p[i] <= '7' ? p[i] - '0' : -1)
		              : hex_digit((unsigned char)p[i]);
		if (d < 0)
			return false;
		*v = *v * (uint32_t)base + (uint32_t)d;
	}
	return true;
}

/*
 * One escape after a backslash at p[0] ('\\' already skipped), within
 * end. Returns the bytes it used, 0 for a bad escape.
 */
static size_t escape(const char *p, const char *end, char quote, struct buf *b,
                     err_t *rc)
{
	static const char from[] = "abfnrtv\\", to[] = "\a\b\f\n\r\t\v\\";
	const char *hit;
	size_t want;
	uint32_t v;

	if (p >= end)
		return 0;
	if (*p == quote) {
		tmpl_put_utf8(b, (uint32_t)(unsigned char)*p, rc);
		return 1;
	}
	hit = strchr(from, *p);
	if (hit != NULL && *p != 0) {
		tmpl_put_utf8(b, (uint32_t)(unsigned char)to[hit - from], rc);
		return 1;
	}

	want = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 3;
	if (*p >= '0' && *p <= '7') {
		if (end - p < 3 || !read_digits(p, 3, 8, &v) || v > 255)
			return 0;
		if (*rc == ERR_OK)
			*rc = buf_append_byte(b, (uint8_t)v);
		return 3;
	}
	if (strchr("xuU", *p) == NULL || (size_t)(end - p - 1) < want ||
	    !read_digits(p + 1, want, 16, &v))
		return 0;
	if (*p == 'x') {
		if (*rc == ERR_OK)
			*rc = buf_append_byte(b, (uint8_t)v);
	} else {
		if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
			return 0;
		tmpl_put_utf8(b, v, rc);
	}
	return want + 1;
}

err_t tmpl_unquote(const char *p, size_t n, struct buf *out)
{
	const char *end = p + n - 1, *s;
	char quote = p[0];
	size_t used;
	err_t rc = ERR_OK;

	if (quote == '`')
		return buf_append(out, p + 1, n - 2);
	for (s = p + 1; s < end && rc == ERR_OK;) {
		if (*s != '\\') {
			rc = buf_append_byte(out, (uint8_t)*s++);
			continue;
		}
		used = escape(s + 1, end, quote, out, &rc);
		if (used == 0)
			return ERR_INVALID;
		s += used + 1;
	}
	return rc;
}

/* The UTF-8 sequence at p (n bytes): its code point, or -1. */
static long decode_utf8(const unsigned char *p, size_t n)
{
	long c;
	size_t len, i;

	if (n == 0)
		return -1;
	if (p[0] < 0x80)
		return n == 1 ? p[0] : -1;
	len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || len != n || p[0] > 0xf4)
		return -1;
	c = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	return c;
}

err_t tmpl_char_value(const char *p, size_t n, json_int_t *out)
{
	struct buf b = BUF_INIT;
	long c;
	err_t rc;

	if (n < 3)
		return ERR_INVALID;
	rc = tmpl_unquote(p, n, &b);
	if (rc == ERR_OK) {
		c = decode_utf8(b.data, b.len);
		rc = c < 0 ? ERR_INVALID : ERR_OK;
		*out = c;
	}
	buf_release(&b);
	return rc;
}

/* Copies the number without '_', refusing a '_' not between digits. */
static bool strip_underscores(const char *p, size_t n, char *out, size_t cap)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '_') {
			if (i == 0 || i + 1 == n || p[i + 1] == '_')
				return false;
			continue;
		}
		if (j + 1 >= cap)
			return false;
		out[j++] = p[i];
	}
	out[j] = 0;
	return true;
}

static bool is_float(const char *s)
{
	if (s[0] == '-' || s[0] == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return false;
	return strpbrk(s, ".eE") != NULL;
}

static err_t parse_float(const char *s, json_t **out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (*end != 0 || end == s || !isfinite(d))
		return ERR_INVALID;
	*out = json_real(d);
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

err_t tmpl_number_value(const char *p, size_t n, json_t **out)
{
	char s[80], *digits, *end;
	bool neg;
	int base = 10;
	unsigned long long u;

	if (!strip_underscores(p, n, s, sizeof(s)))
		return ERR_INVALID;
	if (is_float(s))
		return parse_float(s, out);

	neg = s[0] == '-';
	digits = s + (s[0] == '-' || s[0] == '+');
	if (digits[0] == '0' && digits[1] != 0) {
		base = strchr("xX", digits[1])   ? 16
		       : strchr("oO", digits[1]) ? 8
		       : strchr("bB", digits[1]) ? 2
		                                 : 8;
		digits +=
		    base == 8 && digits[1] >= '0' && digits[1] <= '7' ? 1 : 2;
	}
	if (digits[0] == 0 || digits[0] == '-' || digits[0] == '+')
		return ERR_INVALID;
	errno = 0;
	u = strtoull(digits, &end, base);
	if (*end != 0)
		return ERR_INVALID;
	/* Past int64 a decimal number is still a number: keep it as float. */
	if (errno == ERANGE || u > (unsigned long long)INT64_MAX + neg)
		return base == 10 ? parse_float(s, out) : ERR_INVALID;
	*out = json_integer(neg ? (json_int_t)(0 - u) : (json_int_t)u);
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

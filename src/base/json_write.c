/*
 * json_write.c - the JSON writer of json_write.h.
 */
#include "base/json_write.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

err_t json_write_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	err_t rc = buf_append_byte(b, '"');

	for (i = 0; i < n && rc == ERR_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = buf_append(b, s + run, i - run);
		if (rc == ERR_OK && (c == '"' || c == '\\'))
			rc = buf_append(b, (char[]){'\\', (char)c}, 2);
		else if (rc == ERR_OK)
			rc = buf_append(b, esc, sizeof(esc));
		run = i + 1;
	}
	if (rc == ERR_OK)
		rc = buf_append(b, s + run, n - run);
	if (rc == ERR_OK)
		rc = buf_append_byte(b, '"');
	return rc;
}

err_t json_write_int(struct buf *b, int64_t v)
{
	char digits[24];
	size_t i = sizeof(digits);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		digits[--i] = '-';
	return buf_append(b, digits + i, sizeof(digits) - i);
}

/* As jansson prints reals: 17 significant digits, ".0" on whole ones. */
static err_t write_real(struct buf *b, double d)
{
	char text[40], *e;
	int n = snprintf(text, sizeof(text), "%.17g", d);

	if (n <= 0 || (size_t)n >= sizeof(text) || strpbrk(text, "ni") != NULL)
		return ERR_INVALID; /* inf and nan have no JSON form */
	e = strchr(text, 'e');
	if (e == NULL && strchr(text, '.') == NULL)
		return buf_printf(b, "%s.0", text);
	if (e != NULL) {
		/* jansson writes e300 and e-7, not e+300 and e-07. */
		char *from = e + 1, *to = e + 1;
		if (*from == '+')
			from++;
		else if (*from == '-')
			from++, to++;
		while (*from == '0' && from[1] != 0)
			from++;
		memmove(to, from, strlen(from) + 1);
	}
	return buf_append_str(b, text);
}

static err_t write_value(struct buf *b, const json_t *v, int depth);

static err_t write_object(struct buf *b, const json_t *o, int depth)
{
	const char *k;
	json_t *v;
	bool first = true;
	err_t rc = buf_append_byte(b, '{');

	json_object_foreach((json_t *)o, k, v)
	{
		if (rc == ERR_OK && !first)
			rc = buf_append_byte(b, ',');
		if (rc == ERR_OK)
			rc = json_write_string(b, k, strlen(k));
		if (rc == ERR_OK)
			rc = buf_append_byte(b, ':');
		if (rc == ERR_OK)
			rc = write_value(b, v, depth + 1);
		if (rc != ERR_OK)
			return rc;
		first = false;
	}
	return rc == ERR_OK ? buf_append_byte(b, '}') : rc;
}

static err_t write_array(struct buf *b, const json_t *a, int depth)
{
	size_t i;
	json_t *v;
	err_t rc = buf_append_byte(b, '[');

	json_array_foreach(a, i, v)
	{
		if (rc == ERR_OK && i > 0)
			rc = buf_append_byte(b, ',');
		if (rc == ERR_OK)
			rc = write_value(b, v, depth + 1);
		if (rc != ERR_OK)
			return rc;
	}
	return rc == ERR_OK ? buf_append_byte(b, ']') : rc;
}

static err_t write_value(struct buf *b, const json_t *v, int depth)
{
	if (depth > JSON_WRITE_MAX_DEPTH)
		return ERR_INVALID;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(b, v, depth);
	case JSON_ARRAY:
		return write_array(b, v, depth);
	case JSON_STRING:
		return json_write_string(b, json_string_value(v),
		                         json_string_length(v));
	case JSON_INTEGER:
		return json_write_int(b, json_integer_value(v));
	case JSON_REAL:
		return write_real(b, json_real_value(v));
	case JSON_TRUE:
		return buf_append_str(b, "true");
	case JSON_FALSE:
		return buf_append_str(b, "false");
	case JSON_NULL:
		break;
	}
	return buf_append_str(b, "null");
}

err_t json_write(struct buf *b, const json_t *v)
{
	if (v == NULL)
		return buf_append_str(b, "null");
	return write_value(b, v, 0);
}

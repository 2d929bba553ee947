#include "storage/backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence at p (at most n bytes), 0 if malformed. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}

	/* Overlong forms, UTF-16 surrogates and values past Unicode. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0;
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, step;

	while (i < n) {
		step = utf8_seq(p + i, n - i);
		if (step == 0)
			return false;
		i += step;
	}
	return true;
}

err_t backend_check_key(const char *key)
{
	size_t len;

	if (key == NULL)
		return ERR_INVALID;
	len = strnlen(key, STORAGE_MAX_KEY + 1);
	if (len == 0 || len > STORAGE_MAX_KEY || key[len - 1] == '/')
		return ERR_INVALID;
	if (!utf8_valid(key, len))
		return ERR_INVALID;
	return ERR_OK;
}

err_t backend_check_value(const uint8_t *value, size_t len)
{
	if (len > STORAGE_MAX_VALUE || (value == NULL && len != 0))
		return ERR_INVALID;
	return ERR_OK;
}

err_t backend_check_prefix(const char *prefix)
{
	size_t len;

	if (prefix == NULL)
		return ERR_INVALID;
	len = strnlen(prefix, STORAGE_MAX_KEY + 1);
	if (len > STORAGE_MAX_KEY)
		return ERR_INVALID;
	if (len > 0 && prefix[len - 1] != '/')
		return ERR_INVALID;
	if (!utf8_valid(prefix, len))
		return ERR_INVALID;
	return ERR_OK;
}

err_t backend_check_ops(const struct storage_op *ops, size_t n)
{
	size_t i;

	if (ops == NULL && n != 0)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (backend_check_key(ops[i].key) != ERR_OK)
			return ERR_INVALID;
		switch (ops[i].kind) {
		case STORAGE_PUT:
			if (backend_check_value(ops[i].value, ops[i].len))
				return ERR_INVALID;
			break;
		case STORAGE_DELETE:
			break;
		default:
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

size_t backend_child(const char *rest, bool *dir)
{
	const char *slash = strchr(rest, '/');

	*dir = slash != NULL;
	return slash != NULL ? (size_t)(slash - rest) : strlen(rest);
}

err_t backend_list_add(json_t *keys, const char *rest, size_t len, bool dir)
{
	json_t *name;

	/* Keys were checked to be UTF-8 on the way in. */
	name = json_stringn(rest, dir ? len + 1 : len);
	if (name == NULL || json_array_append_new(keys, name) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

err_t backend_skip_key(const char *prefix, const char *rest, size_t len,
                       char *out)
{
	size_t plen = strlen(prefix);

	if (plen > STORAGE_MAX_KEY || len >= STORAGE_MAX_KEY - plen)
		return ERR_INVALID;
	memcpy(out, prefix, plen);
	memcpy(out + plen, rest, len);
	out[plen + len] = '/' + 1;
	out[plen + len + 1] = '\0';
	return ERR_OK;
}

const char *backend_config_string(json_t *config, const char *name, bool *bad)
{
	json_t *v;

	*bad = false;
	if (!json_is_object(config))
		return NULL;
	v = json_object_get(config, name);
	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

void backend_errmsg(char *errmsg, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errmsg, errlen, fmt, ap);
	va_end(ap);
}

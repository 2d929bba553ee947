/*
 * template_strings.c - functions on text: base64, searching, splitting,
 * joining, trimming, case, replacing, hashing.
 *
 * Every result is built in a bounded buffer that is wiped when it is
 * released (the text may be a secret), and every byte built or scanned
 * is charged to the render's work budget, so that a template cannot spin
 * on replaceAll or contains of huge strings.
 *
 * Known gaps: toUpper, toLower and trimSpace only know ASCII (Go's know
 * all of Unicode); secrets and file names are ASCII in practice.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"
#include "base/encoding.h"
#include "base/secret.h"

static err_t nomem(struct tmpl_run *r)
{
	return tmpl_fail(r, ERR_NOMEM, "out of memory");
}

/* The result string from b, which is released (wiped) either way. */
static err_t result(struct tmpl_run *r, struct buf *b, err_t rc, json_t **out)
{
	if (rc == ERR_TOO_LARGE)
		rc = tmpl_fail(r, rc, "result larger than %zu bytes",
		               TMPL_MAX_OUTPUT);
	else if (rc != ERR_OK)
		rc = tmpl_fail(r, rc, "%s", err_str(rc));
	if (rc == ERR_OK)
		rc = tmpl_charge(r, b->len);
	if (rc == ERR_OK &&
	    (*out = tmpl_string((const char *)b->data, b->len)) == NULL)
		rc = nomem(r);
	buf_release(b);
	return rc;
}

/* The same from a heap string that is wiped and freed here. */
static err_t result_str(struct tmpl_run *r, char *s, json_t **out)
{
	struct buf b;
	err_t rc;

	if (s == NULL)
		return nomem(r);
	buf_init(&b, TMPL_MAX_OUTPUT);
	rc = buf_append_str(&b, s);
	secret_free(s);
	return result(r, &b, rc, out);
}

/*
 * The first needle in hay at or after from (SIZE_MAX when there is
 * none), charging the bytes looked at as it goes.
 */
static err_t find(struct tmpl_run *r, const char *h, size_t hn, const char *nd,
                  size_t nn, size_t from, size_t *at)
{
	const char *q;
	size_t i, j, cost = 0;
	err_t rc = ERR_OK;

	*at = nn == 0 ? from : SIZE_MAX;
	while (nn > 0 && from < hn && hn - from >= nn && rc == ERR_OK) {
		q = memchr(h + from, nd[0], hn - from - nn + 1);
		if (q == NULL) {
			cost += hn - from;
			break;
		}
		i = (size_t)(q - h);
		for (j = 1; j < nn && h[i + j] == nd[j]; j++)
			;
		cost += i - from + j;
		if (j == nn) {
			*at = i;
			break;
		}
		from = i + 1;
		if (cost > 4096) {
			rc = tmpl_charge(r, cost);
			cost = 0;
		}
	}
	return rc == ERR_OK ? tmpl_charge(r, cost) : rc;
}

/* Two string arguments, the usual shape of these functions. */
static err_t two_strings(struct tmpl_run *r, json_t *const *args,
                         const char **a, size_t *an, const char **b, size_t *bn)
{
	err_t rc = tmpl_arg_string(r, args[0], a, an);

	return rc == ERR_OK ? tmpl_arg_string(r, args[1], b, bn) : rc;
}

err_t tmpl_fn_base64_encode(struct tmpl_run *r, json_t *const *args, size_t n,
                            json_t **out)
{
	const char *s;
	size_t len;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &s, &len);
	if (rc != ERR_OK)
		return rc;
	return result_str(r, b64_encode((const uint8_t *)s, len), out);
}

err_t tmpl_fn_base64url_encode(struct tmpl_run *r, json_t *const *args,
                               size_t n, json_t **out)
{
	const char *s;
	char *enc, *c;
	size_t len;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &s, &len);
	if (rc != ERR_OK)
		return rc;
	enc = b64_encode((const uint8_t *)s, len);
	for (c = enc; c != NULL && *c != 0; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return result_str(r, enc, out);
}

/*
 * Decodes s after dropping line breaks (as Go's decoder does, so that
 * wrapped base64 works) and, for the URL alphabet, mapping it back.
 */
static err_t decode(struct tmpl_run *r, const json_t *arg, bool url,
                    json_t **out)
{
	struct buf in, dec;
	const char *s;
	size_t len, i;
	err_t rc;

	rc = tmpl_arg_string(r, arg, &s, &len);
	if (rc != ERR_OK)
		return rc;
	buf_init(&in, TMPL_MAX_OUTPUT);
	buf_init(&dec, TMPL_MAX_OUTPUT);
	for (i = 0; i < len && rc == ERR_OK; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == 0 || (url && (s[i] == '+' || s[i] == '/')))
			rc = ERR_INVALID;
		else
			rc = buf_append_byte(&in,
			                     (uint8_t)(!url          ? s[i]
			                               : s[i] == '-' ? '+'
			                               : s[i] == '_' ? '/'
			                                             : s[i]));
	}
	if (rc == ERR_OK)
		rc = b64_decode(buf_str(&in), &dec);
	buf_release(&in);
	if (rc == ERR_INVALID) {
		buf_release(&dec);
		return tmpl_fail(r, rc, "input is not valid base64");
	}
	return result(r, &dec, rc, out);
}

err_t tmpl_fn_base64_decode(struct tmpl_run *r, json_t *const *args, size_t n,
                            json_t **out)
{
	(void)n;
	return decode(r, args[0], false, out);
}

err_t tmpl_fn_base64url_decode(struct tmpl_run *r, json_t *const *args,
                               size_t n, json_t **out)
{
	(void)n;
	return decode(r, args[0], true, out);
}

/* Is needle in haystack: a substring of a string, an item of a list. */
static err_t member(struct tmpl_run *r, const json_t *haystack,
                    const json_t *needle, json_t **out)
{
	size_t i, at = SIZE_MAX;
	bool found = false;
	err_t rc = ERR_OK;

	if (json_is_string(haystack) && json_is_string(needle)) {
		rc = find(r, json_string_value(haystack),
		          json_string_length(haystack),
		          json_string_value(needle), json_string_length(needle),
		          0, &at);
		found = at != SIZE_MAX;
	} else if (json_is_array(haystack)) {
		rc = tmpl_charge(r, json_array_size(haystack));
		for (i = 0;
		     rc == ERR_OK && !found && i < json_array_size(haystack);
		     i++)
			found = tmpl_same(json_array_get(haystack, i), needle);
	}
	*out = json_boolean(found);
	return rc;
}

err_t tmpl_fn_contains(struct tmpl_run *r, json_t *const *args, size_t n,
                       json_t **out)
{
	(void)n;
	return member(r, args[1], args[0], out);
}

err_t tmpl_fn_in(struct tmpl_run *r, json_t *const *args, size_t n,
                 json_t **out)
{
	(void)n;
	return member(r, args[0], args[1], out);
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*s)[*len - 1]))
		(*len)--;
}

static err_t append_piece(struct tmpl_run *r, json_t *list, const char *p,
                          size_t n)
{
	err_t rc = tmpl_charge(r, n + 1);

	if (rc == ERR_OK && json_array_append_new(list, tmpl_string(p, n)) != 0)
		rc = nomem(r);
	return rc;
}

/* The pieces of s at each sep; "" gives no pieces, sep "" each char. */
static err_t split_into(struct tmpl_run *r, json_t *list, const char *sep,
                        size_t seplen, const char *s, size_t len)
{
	size_t from = 0, at, step;
	err_t rc = ERR_OK;

	while (rc == ERR_OK && from < len) {
		if (seplen == 0) {
			step = tmpl_utf8_len((const unsigned char *)s + from,
			                     len - from);
			rc = append_piece(r, list, s + from, step ? step : 1);
			from += step ? step : 1;
			continue;
		}
		rc = find(r, s, len, sep, seplen, from, &at);
		if (rc != ERR_OK)
			break;
		if (at == SIZE_MAX)
			at = len;
		rc = append_piece(r, list, s + from, at - from);
		if (rc == ERR_OK && at + seplen == len)
			rc = append_piece(r, list, "", 0);
		from = at == len ? len : at + seplen;
	}
	return rc;
}

err_t tmpl_fn_split(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out)
{
	const char *sep, *s;
	size_t seplen, len;
	json_t *list;
	err_t rc;

	(void)n;
	rc = two_strings(r, args, &sep, &seplen, &s, &len);
	if (rc != ERR_OK)
		return rc;
	trim(&s, &len);
	list = json_array();
	if (list == NULL)
		return nomem(r);
	rc = split_into(r, list, sep, seplen, s, len);
	if (rc != ERR_OK) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return ERR_OK;
}

err_t tmpl_fn_join(struct tmpl_run *r, json_t *const *args, size_t n,
                   json_t **out)
{
	const char *sep;
	size_t seplen, i;
	struct buf b;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &sep, &seplen);
	if (rc == ERR_OK && !json_is_array(args[1]) && !json_is_null(args[1]))
		rc = tmpl_fail(r, ERR_INVALID, "expected a list, got %s",
		               tmpl_type_name(args[1]));
	if (rc != ERR_OK)
		return rc;
	buf_init(&b, TMPL_MAX_OUTPUT);
	for (i = 0; rc == ERR_OK && i < json_array_size(args[1]); i++) {
		if (i > 0)
			rc = buf_append(&b, sep, seplen);
		if (rc == ERR_OK)
			rc = tmpl_print(r, &b, json_array_get(args[1], i),
			                "<no value>");
	}
	return result(r, &b, rc, out);
}

err_t tmpl_fn_trim_space(struct tmpl_run *r, json_t *const *args, size_t n,
                         json_t **out)
{
	const char *s;
	size_t len;
	struct buf b;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &s, &len);
	if (rc != ERR_OK)
		return rc;
	trim(&s, &len);
	buf_init(&b, TMPL_MAX_OUTPUT);
	return result(r, &b, buf_append(&b, s, len), out);
}

/* trimPrefix and trimSuffix: the affix is args[0], the text args[1]. */
static err_t trim_affix(struct tmpl_run *r, json_t *const *args, bool tail,
                        json_t **out)
{
	const char *fix, *s;
	size_t fixlen, len;
	struct buf b;
	err_t rc;

	rc = two_strings(r, args, &fix, &fixlen, &s, &len);
	if (rc != ERR_OK)
		return rc;
	if (fixlen <= len && !tail && memcmp(s, fix, fixlen) == 0) {
		s += fixlen;
		len -= fixlen;
	} else if (fixlen <= len && tail &&
	           memcmp(s + len - fixlen, fix, fixlen) == 0) {
		len -= fixlen;
	}
	buf_init(&b, TMPL_MAX_OUTPUT);
	return result(r, &b, buf_append(&b, s, len), out);
}

err_t tmpl_fn_trim_prefix(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out)
{
	(void)n;
	return trim_affix(r, args, false, out);
}

err_t tmpl_fn_trim_suffix(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out)
{
	(void)n;
	return trim_affix(r, args, true, out);
}

static err_t change_case(struct tmpl_run *r, const json_t *arg, bool upper,
                         json_t **out)
{
	const char *s;
	size_t len, i;
	struct buf b;
	err_t rc;
	char c;

	rc = tmpl_arg_string(r, arg, &s, &len);
	if (rc != ERR_OK)
		return rc;
	buf_init(&b, TMPL_MAX_OUTPUT);
	rc = buf_append(&b, s, len);
	for (i = 0; rc == ERR_OK && i < b.len; i++) {
		c = (char)b.data[i];
		if (upper && c >= 'a' && c <= 'z')
			b.data[i] = (uint8_t)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			b.data[i] = (uint8_t)(c - 'A' + 'a');
	}
	return result(r, &b, rc, out);
}

err_t tmpl_fn_to_upper(struct tmpl_run *r, json_t *const *args, size_t n,
                       json_t **out)
{
	(void)n;
	return change_case(r, args[0], true, out);
}

err_t tmpl_fn_to_lower(struct tmpl_run *r, json_t *const *args, size_t n,
                       json_t **out)
{
	(void)n;
	return change_case(r, args[0], false, out);
}

/* With old "", new goes before every character and at the end, as Go. */
static err_t replace_empty(const char *s, size_t len, const char *to,
                           size_t tolen, struct buf *b)
{
	size_t i = 0, step;
	err_t rc = buf_append(b, to, tolen);

	while (rc == ERR_OK && i < len) {
		step = tmpl_utf8_len((const unsigned char *)s + i, len - i);
		step = step ? step : 1;
		rc = buf_append(b, s + i, step);
		if (rc == ERR_OK)
			rc = buf_append(b, to, tolen);
		i += step;
	}
	return rc;
}

err_t tmpl_fn_replace_all(struct tmpl_run *r, json_t *const *args, size_t n,
                          json_t **out)
{
	const char *from, *to, *s;
	size_t fromlen, tolen, len, pos = 0, at;
	struct buf b;
	err_t rc;

	(void)n;
	rc = two_strings(r, args, &from, &fromlen, &to, &tolen);
	if (rc == ERR_OK)
		rc = tmpl_arg_string(r, args[2], &s, &len);
	if (rc != ERR_OK)
		return rc;
	buf_init(&b, TMPL_MAX_OUTPUT);
	if (fromlen == 0)
		return result(r, &b, replace_empty(s, len, to, tolen, &b), out);
	while (rc == ERR_OK && pos <= len) {
		rc = find(r, s, len, from, fromlen, pos, &at);
		if (rc != ERR_OK) {
			buf_release(&b);
			return rc;
		}
		if (at == SIZE_MAX)
			at = len;
		rc = buf_append(&b, s + pos, at - pos);
		if (rc == ERR_OK && at < len)
			rc = buf_append(&b, to, tolen);
		pos = at == len ? len + 1 : at + fromlen;
	}
	return result(r, &b, rc, out);
}

err_t tmpl_fn_sha256_hex(struct tmpl_run *r, json_t *const *args, size_t n,
                         json_t **out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *s;
	size_t len;
	err_t rc;

	(void)n;
	rc = tmpl_arg_string(r, args[0], &s, &len);
	if (rc == ERR_OK)
		rc = tmpl_charge(r, len);
	if (rc != ERR_OK)
		return rc;
	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return tmpl_fail(r, ERR_CRYPTO, "digest failed");
	rc = result_str(r, hex_encode(md, mdlen), out);
	secret_wipe(md, sizeof(md));
	return rc;
}

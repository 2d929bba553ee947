/*
 * template_value.c - what the template language does with one value:
 * truth, printing, comparison and field lookup.
 *
 * Choices where Go's rules meet JSON:
 *  - A missing key and JSON null are both "no value": {{ }} prints them
 *    as <no value>, they are false, and a field of either is again no
 *    value, so .Data.missing.deeper prints <no value> instead of failing.
 *  - A secret response (and its Auth and WrapInfo) is a struct in
 *    consul-template: asking it for a field it does not have (.data for
 *    .Data) is an error, which catches the commonest typo.
 *  - Numbers print as JSON writes them (3600, not 3600.0 or 3.6e+03),
 *    because consul-template reads Vault's numbers as their JSON text.
 *  - eq between a number and a string compares the number's text with
 *    the string, so templates written against consul-template (where
 *    numbers from Vault are strings underneath) keep working.
 *  - Objects and arrays print as compact JSON. Go prints map[a:1] and
 *    [a b]; nobody writes a config file in that form on purpose, and
 *    JSON is at least readable by the program that gets the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"
#include "base/secret.h"

json_t *tmpl_string(const char *p, size_t n)
{
	/* Decoded base64 may be any bytes; jansson's check would refuse. */
	return json_stringn_nocheck(n == 0 ? "" : p, n);
}

bool tmpl_truth(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

const char *tmpl_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "map[string]interface {}";
	case JSON_ARRAY:
		return "[]interface {}";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "<nil>";
	}
}

size_t tmpl_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned long c;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (len == 0 || len > n || p[0] > 0xf4)
		return 0;
	c = p[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are not UTF-8. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
		return 0;
	return len;
}

/* Shortest digits that read back as d, as "%.*e" writes them. */
static void shortest(double d, char *tmp, size_t cap)
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, cap, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			return;
	}
	snprintf(tmp, cap, "%.*e", 16, d);
}

/* d's shortest digits (no dot, no sign) and its decimal exponent. */
static size_t real_digits(double d, char digits[20], long *exp)
{
	char tmp[40], *e;
	size_t nd = 0, i;

	shortest(d, tmp, sizeof(tmp));
	for (i = tmp[0] == '-'; tmp[i] != 'e' && tmp[i] != 0; i++)
		if (tmp[i] != '.' && nd < 20)
			digits[nd++] = tmp[i];
	e = strchr(tmp, 'e');
	*exp = e != NULL ? strtol(e + 1, NULL, 10) : 0;
	return nd;
}

static void real_exponent(const char *digits, size_t nd, long exp,
                          bool two_digits, char *out, size_t cap)
{
	size_t o = 0, i;

	out[o++] = digits[0];
	if (nd > 1)
		out[o++] = '.';
	for (i = 1; i < nd; i++)
		out[o++] = digits[i];
	snprintf(out + o, cap - o, two_digits ? "e%c%02ld" : "e%c%ld",
	         exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void real_plain(const char *digits, size_t nd, long exp, char *out)
{
	long point = exp + 1, i;
	size_t o = 0;

	if (point <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (; point < 0; point++)
			out[o++] = '0';
		for (i = 0; i < (long)nd; i++)
			out[o++] = digits[i];
	} else {
		for (i = 0; i < (long)nd || i < point; i++) {
			if (i == point)
				out[o++] = '.';
			out[o++] = i < (long)nd ? digits[i] : '0';
		}
	}
	out[o] = 0;
}

void tmpl_real_text(double d, bool go_g, char out[40])
{
	char digits[20];
	long exp;
	size_t nd = real_digits(d, digits, &exp), o = 0;
	bool sci;

	if (signbit(d))
		out[o++] = '-';
	/*
	 * JSON's choice (Go's encoder's too): plain digits for 1e-6 <= |d| <
	 * 1e21. Go's %g: plain for exponents -4 to 5, else 1.5e+06.
	 */
	if (go_g)
		sci = exp < -4 || exp >= 6;
	else
		sci = d != 0 && (fabs(d) < 1e-6 || fabs(d) >= 1e21);
	if (sci)
		real_exponent(digits, nd, exp, go_g, out + o, 40 - o);
	else
		real_plain(digits, nd, exp, out + o);
}

err_t tmpl_print(const struct tmpl_run *r, struct buf *b, const json_t *v,
                 const char *nil_text)
{
	char num[40];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_append(b, json_string_value(v),
		                  json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT,
		                  json_integer_value(v));
	case JSON_REAL:
		tmpl_real_text(json_real_value(v), false, num);
		return buf_append_str(b, num);
	case JSON_TRUE:
		return buf_append_str(b, "true");
	case JSON_FALSE:
		return buf_append_str(b, "false");
	case JSON_OBJECT:
	case JSON_ARRAY:
		return tmpl_json(r, v, false, 0, b);
	default:
		return buf_append_str(b, nil_text);
	}
}

static bool is_number(const json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

/* The number's text against the string: see the comment at the top. */
static bool number_equals_text(const json_t *num, const json_t *str)
{
	struct buf b = BUF_INIT;
	bool same;

	if (tmpl_print(NULL, &b, num, "") != ERR_OK)
		return false;
	same = secret_equal(b.data, b.len, json_string_value(str),
	                    json_string_length(str));
	buf_release(&b);
	return same;
}

/* 1 equal, 0 different, -1 not comparable. */
static int compare_equal(const json_t *a, const json_t *b)
{
	if (json_is_null(a) || json_is_null(b))
		return json_is_null(a) && json_is_null(b);
	if (json_is_object(a) || json_is_array(a) || json_is_object(b) ||
	    json_is_array(b))
		return -1;
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (is_number(a) && is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_string(a) && json_is_string(b))
		return secret_equal(json_string_value(a), json_string_length(a),
		                    json_string_value(b),
		                    json_string_length(b));
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_typeof(a) == json_typeof(b);
	if (is_number(a) && json_is_string(b))
		return number_equals_text(a, b);
	if (json_is_string(a) && is_number(b))
		return number_equals_text(b, a);
	return -1;
}

bool tmpl_same(const json_t *a, const json_t *b)
{
	return compare_equal(a, b) == 1;
}

err_t tmpl_equal(struct tmpl_run *r, const json_t *a, const json_t *b,
                 bool *equal)
{
	int c = compare_equal(a, b);

	if (c < 0)
		return tmpl_fail(r, ERR_INVALID,
		                 "incompatible types for comparison: %s and %s",
		                 tmpl_type_name(a), tmpl_type_name(b));
	*equal = c == 1;
	return ERR_OK;
}

err_t tmpl_order(struct tmpl_run *r, const json_t *a, const json_t *b,
                 int *order)
{
	size_t an, bn;
	double x, y;
	int c;

	if (json_is_integer(a) && json_is_integer(b)) {
		*order = (json_integer_value(a) > json_integer_value(b)) -
		         (json_integer_value(a) < json_integer_value(b));
		return ERR_OK;
	}
	if (is_number(a) && is_number(b)) {
		x = json_number_value(a);
		y = json_number_value(b);
		*order = (x > y) - (x < y);
		return ERR_OK;
	}
	if (json_is_string(a) && json_is_string(b)) {
		an = json_string_length(a);
		bn = json_string_length(b);
		c = memcmp(json_string_value(a), json_string_value(b),
		           an < bn ? an : bn);
		*order = c != 0 ? c : (an > bn) - (an < bn);
		return ERR_OK;
	}
	return tmpl_fail(r, ERR_INVALID,
	                 "incompatible types for comparison: %s and %s",
	                 tmpl_type_name(a), tmpl_type_name(b));
}

err_t tmpl_field(struct tmpl_run *r, json_t *v, const char *name, json_t **out)
{
	json_t *x;

	if (json_is_null(v)) {
		*out = json_null();
		return ERR_OK;
	}
	if (!json_is_object(v))
		return tmpl_fail(r, ERR_INVALID,
		                 "can't evaluate field %s in type %s", name,
		                 tmpl_type_name(v));
	x = json_object_get(v, name);
	if (x == NULL && tmpl_run_is_struct(r, v))
		return tmpl_fail(r, ERR_INVALID,
		                 "can't evaluate field %s in a secret response",
		                 name);
	*out = x != NULL ? json_incref(x) : json_null();
	return ERR_OK;
}

err_t tmpl_arg_string(struct tmpl_run *r, const json_t *v, const char **p,
                      size_t *n)
{
	if (!json_is_string(v))
		return tmpl_fail(r, ERR_INVALID, "expected a string, got %s",
		                 tmpl_type_name(v));
	*p = json_string_value(v);
	*n = json_string_length(v);
	return ERR_OK;
}

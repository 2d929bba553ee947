/*
 * template_printf.c - printf, print and println with Go's fmt rules for
 * the verbs templates use: %v %s %q %d %x %X %o %b %c %t %f %F %e %E %g
 * %G and %%, the flags - + # 0 and space, width and precision (also as
 * *), and Go's in-band complaints: %!d(string=x) for a verb that does
 * not fit its value, %!d(MISSING), %!(EXTRA int=1), %!(NOVERB),
 * %!(BADWIDTH), %!(BADPREC).
 *
 * Where JSON values differ from Go's: %s also prints numbers and bools
 * as their text (consul-template's numbers are strings underneath, so
 * printf "%s" .Data.port works there), objects and arrays print as JSON,
 * and %g without a precision prints the shortest exact form. Not
 * supported: explicit argument indexes (%[2]d), which print as a bad
 * verb.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template_internal.h"

struct spec {
	bool minus, plus, space, zero, sharp;
	long width, prec; /* -1: not given */
	char verb;
};

struct fmt {
	struct tmpl_run *r;
	json_t *const *args;
	size_t n, next;
	struct buf *out;
};

#define FMT_MAX_WIDTH 1000000 /* Go's own bound for width and precision */

static size_t rune_count(const char *s, size_t n)
{
	size_t i = 0, count = 0, step;

	while (i < n) {
		step = tmpl_utf8_len((const unsigned char *)s + i, n - i);
		i += step ? step : 1;
		count++;
	}
	return count;
}

/* The bytes of the first prec characters of s. */
static size_t rune_prefix(const char *s, size_t n, long prec)
{
	size_t i = 0, step;

	for (; i < n && prec > 0; prec--) {
		step = tmpl_utf8_len((const unsigned char *)s + i, n - i);
		i += step ? step : 1;
	}
	return i;
}

/* Appends piece padded to the width; zeros go after a sign. */
static err_t pad(const struct spec *sp, const char *piece, size_t n,
                 bool numeric, struct buf *out)
{
	size_t have = rune_count(piece, n), fill, i, sign = 0;
	err_t rc = ERR_OK;

	fill = sp->width > 0 && (size_t)sp->width > have
	           ? (size_t)sp->width - have
	           : 0;
	if (sp->minus) {
		rc = buf_append(out, piece, n);
		for (i = 0; rc == ERR_OK && i < fill; i++)
			rc = buf_append_byte(out, ' ');
		return rc;
	}
	if (sp->zero && numeric && n > 0 && strchr("+- ", piece[0]) != NULL)
		sign = 1;
	rc = buf_append(out, piece, sign);
	for (i = 0; rc == ERR_OK && i < fill; i++)
		rc = buf_append_byte(out, sp->zero ? '0' : ' ');
	if (rc == ERR_OK)
		rc = buf_append(out, piece + sign, n - sign);
	return rc;
}

static err_t put_int(const struct spec *sp, json_int_t v, int base,
                     struct buf *b)
{
	const char *digits =
	    sp->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char tmp[80];
	size_t i = sizeof(tmp);
	err_t rc = ERR_OK;

	do {
		tmp[--i] = digits[m % (uint64_t)base];
		m /= (uint64_t)base;
	} while (m > 0);
	if (v < 0)
		rc = buf_append_byte(b, '-');
	else if (sp->plus || sp->space)
		rc = buf_append_byte(b, sp->plus ? '+' : ' ');
	if (rc == ERR_OK && sp->sharp && base == 16)
		rc = buf_append_str(b, sp->verb == 'X' ? "0X" : "0x");
	if (rc == ERR_OK && sp->sharp && base == 8)
		rc = buf_append_byte(b, '0');
	if (rc == ERR_OK)
		rc = buf_append(b, tmp + i, sizeof(tmp) - i);
	return rc;
}

static err_t put_float(const struct spec *sp, double d, struct buf *b)
{
	long prec = sp->prec >= 0 ? sp->prec : 6;
	char num[40];
	err_t rc = ERR_OK;

	if (d >= 0 && (sp->plus || sp->space))
		rc = buf_append_byte(b, sp->plus ? '+' : ' ');
	if (rc != ERR_OK)
		return rc;
	switch (sp->verb) {
	case 'e':
		return buf_printf(b, "%.*e", (int)prec, d);
	case 'E':
		return buf_printf(b, "%.*E", (int)prec, d);
	case 'v':
	case 's':
		if (sp->prec >= 0)
			return buf_printf(b, "%.*g", (int)prec, d);
		tmpl_real_text(d, false, num);
		return buf_append_str(b, num);
	case 'g':
	case 'G':
		if (sp->prec < 0) {
			tmpl_real_text(d, true, num);
			if (sp->verb == 'G' && strchr(num, 'e') != NULL)
				*strchr(num, 'e') = 'E';
			return buf_append_str(b, num);
		}
		if (sp->verb == 'G')
			return buf_printf(b, "%.*G", (int)prec, d);
		return buf_printf(b, "%.*g", (int)prec, d);
	default:
		return buf_printf(b, "%.*f", (int)prec, d);
	}
}

/* Raw quotes hold it unchanged: no backquote, no control but tab. */
static bool can_backquote(const char *s, size_t n)
{
	size_t i = 0, step;

	while (i < n) {
		step = tmpl_utf8_len((const unsigned char *)s + i, n - i);
		if (step == 0 || s[i] == '`' || s[i] == 0x7f ||
		    ((unsigned char)s[i] < 0x20 && s[i] != '\t'))
			return false;
		i += step;
	}
	return true;
}

/* Go's quoting: "..." with escapes, or `...` for %#q when it can. */
static err_t put_quoted(const struct spec *sp, const char *s, size_t n,
                        struct buf *b)
{
	static const char named[] = "\a\b\f\n\r\t\v", letters[] = "abfnrtv";
	const char *hit;
	size_t i = 0, step;
	err_t rc;

	if (sp->sharp && can_backquote(s, n)) {
		rc = buf_append_byte(b, '`');
		if (rc == ERR_OK)
			rc = buf_append(b, s, n);
		return rc == ERR_OK ? buf_append_byte(b, '`') : rc;
	}
	rc = buf_append_byte(b, '"');
	while (rc == ERR_OK && i < n) {
		step = tmpl_utf8_len((const unsigned char *)s + i, n - i);
		hit = s[i] != 0 ? strchr(named, s[i]) : NULL;
		if (step > 1)
			rc = buf_append(b, s + i, step);
		else if (s[i] == '"' || s[i] == '\\')
			rc = buf_printf(b, "\\%c", s[i]);
		else if (hit != NULL)
			rc = buf_printf(b, "\\%c", letters[hit - named]);
		else if (step == 0 || s[i] < 0x20 || s[i] == 0x7f)
			rc = buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		else
			rc = buf_append_byte(b, (uint8_t)s[i]);
		i += step ? step : 1;
	}
	return rc == ERR_OK ? buf_append_byte(b, '"') : rc;
}

/* %!d(string=x): the verb does not fit the value. */
static err_t put_bad(struct fmt *f, char verb, const json_t *v, struct buf *b)
{
	err_t rc;

	if (json_is_null(v))
		return buf_printf(b, "%%!%c(<nil>)", verb);
	rc = buf_printf(b, "%%!%c(%s=", verb, tmpl_type_name(v));
	if (rc == ERR_OK)
		rc = tmpl_print(f->r, b, v, "<nil>");
	return rc == ERR_OK ? buf_append_byte(b, ')') : rc;
}

static bool integral(const json_t *v)
{
	double d = json_real_value(v);

	return json_is_real(v) && d >= -9.2e18 && d <= 9.2e18 &&
	       (double)(json_int_t)d == d;
}

static err_t put_string(const struct spec *sp, const char *s, size_t n,
                        struct buf *b)
{
	if (sp->prec >= 0)
		n = rune_prefix(s, n, sp->prec);
	return buf_append(b, s, n);
}

static err_t put_hex_bytes(const struct spec *sp, const char *s, size_t n,
                           struct buf *b)
{
	const char *digits =
	    sp->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;
	err_t rc = ERR_OK;

	for (i = 0; i < n && rc == ERR_OK; i++) {
		rc = buf_append_byte(b, (uint8_t)digits[(uint8_t)s[i] >> 4]);
		if (rc == ERR_OK)
			rc = buf_append_byte(b, (uint8_t)digits[s[i] & 0xf]);
	}
	return rc;
}

static err_t put_number(const struct spec *sp, const json_t *v, struct buf *b)
{
	if (json_is_integer(v))
		return put_int(sp, json_integer_value(v), 10, b);
	return put_float(sp, json_real_value(v), b);
}

/* %c: the integer as a UTF-8 character. */
static err_t put_char(json_int_t c, struct buf *b)
{
	err_t rc = ERR_OK;

	if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		c = 0xfffd;
	tmpl_put_utf8(b, (uint32_t)c, &rc);
	return rc;
}

/* The value for one verb into piece; *numeric says how zeros pad it. */
static err_t put_value(struct fmt *f, const struct spec *sp, const json_t *v,
                       struct buf *piece, bool *numeric)
{
	bool num = json_is_integer(v) || json_is_real(v);
	bool str = json_is_string(v);
	const char *s = str ? json_string_value(v) : NULL;
	size_t n = str ? json_string_length(v) : 0;
	char verb = sp->verb;

	*numeric = num;
	if (str && (verb == 'v' || verb == 's'))
		return put_string(sp, s, n, piece);
	if (num && (verb == 'v' || verb == 's'))
		return put_number(sp, v, piece);
	if (verb == 'v' || (verb == 's' && !json_is_null(v)))
		return tmpl_print(f->r, piece, v, "<nil>");
	if (str && (verb == 'x' || verb == 'X'))
		return put_hex_bytes(sp, s, n, piece);
	if (str && verb == 'q')
		return put_quoted(sp, s, n, piece);
	if (json_is_boolean(v) && verb == 't')
		return tmpl_print(f->r, piece, v, "");
	if ((json_is_integer(v) || integral(v)) && strchr("dxXob", verb)) {
		return put_int(sp,
		               json_is_integer(v)
		                   ? json_integer_value(v)
		                   : (json_int_t)json_real_value(v),
		               verb == 'd'   ? 10
		               : verb == 'o' ? 8
		               : verb == 'b' ? 2
		                             : 16,
		               piece);
	}
	if (json_is_integer(v) && verb == 'c')
		return put_char(json_integer_value(v), piece);
	if (num && strchr("fFeEgG", verb))
		return put_float(sp, json_number_value(v), piece);
	*numeric = false;
	return put_bad(f, verb, v, piece);
}

static err_t put_arg(struct fmt *f, const struct spec *sp)
{
	struct buf piece;
	bool numeric = false;
	err_t rc;

	if (f->next >= f->n)
		return buf_printf(f->out, "%%!%c(MISSING)", sp->verb);
	buf_init(&piece, TMPL_MAX_OUTPUT);
	rc = put_value(f, sp, f->args[f->next++], &piece, &numeric);
	if (rc == ERR_OK)
		rc = pad(sp,
		         (const char *)piece.data ? (const char *)piece.data
		                                  : "",
		         piece.len, numeric, f->out);
	buf_release(&piece);
	return rc;
}

/* A width or precision: digits, or * taking an integer argument. */
static const char *number_at(struct fmt *f, const char *p, const char *end,
                             long *out, bool *bad)
{
	const json_t *v;

	*out = 0;
	if (p < end && *p == '*') {
		v = f->next < f->n ? f->args[f->next] : NULL;
		f->next += v != NULL;
		if (v == NULL || !json_is_integer(v) ||
		    json_integer_value(v) > FMT_MAX_WIDTH ||
		    json_integer_value(v) < -FMT_MAX_WIDTH)
			*bad = true;
		else
			*out = (long)json_integer_value(v);
		return p + 1;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		*out = *out * 10 + (*p - '0');
		if (*out > FMT_MAX_WIDTH) {
			*bad = true;
			*out = FMT_MAX_WIDTH;
		}
	}
	return p;
}

static const char *flags_at(const char *p, const char *end, struct spec *sp)
{
	for (; p < end; p++) {
		if (*p == '-')
			sp->minus = true;
		else if (*p == '+')
			sp->plus = true;
		else if (*p == ' ')
			sp->space = true;
		else if (*p == '0')
			sp->zero = true;
		else if (*p == '#')
			sp->sharp = true;
		else
			break;
	}
	return p;
}

/* One directive after its '%'; returns where the text resumes. */
static const char *directive(struct fmt *f, const char *p, const char *end,
                             err_t *rc)
{
	struct spec sp = {0};
	bool bad_width = false, bad_prec = false;

	p = flags_at(p, end, &sp);
	p = number_at(f, p, end, &sp.width, &bad_width);
	if (sp.width < 0) { /* a negative * width means left-justify */
		sp.minus = true;
		sp.width = -sp.width;
	}
	sp.prec = -1;
	if (p < end && *p == '.')
		p = number_at(f, p + 1, end, &sp.prec, &bad_prec);
	if (sp.prec < -1 || bad_prec)
		sp.prec = -1;
	if (p >= end) {
		*rc = buf_append_str(f->out, "%!(NOVERB)");
		return p;
	}
	sp.verb = *p++;
	if (bad_width)
		sp.width = 0;
	if (bad_width)
		*rc = buf_append_str(f->out, "%!(BADWIDTH)");
	if (*rc == ERR_OK && bad_prec)
		*rc = buf_append_str(f->out, "%!(BADPREC)");
	if (*rc == ERR_OK && sp.verb == '%')
		*rc = buf_append_byte(f->out, '%');
	else if (*rc == ERR_OK)
		*rc = put_arg(f, &sp);
	return p;
}

/* %!(EXTRA type=value, ...) for arguments the format did not use. */
static err_t extra(struct fmt *f)
{
	err_t rc = ERR_OK;
	size_t i;

	if (f->next >= f->n)
		return ERR_OK;
	rc = buf_append_str(f->out, "%!(EXTRA ");
	for (i = f->next; i < f->n && rc == ERR_OK; i++) {
		if (i > f->next)
			rc = buf_append_str(f->out, ", ");
		if (rc == ERR_OK && json_is_null(f->args[i]))
			rc = buf_append_str(f->out, "<nil>");
		else if (rc == ERR_OK)
			rc = buf_printf(f->out,
			                "%s=", tmpl_type_name(f->args[i]));
		if (rc == ERR_OK && !json_is_null(f->args[i]))
			rc = tmpl_print(f->r, f->out, f->args[i], "<nil>");
	}
	return rc == ERR_OK ? buf_append_byte(f->out, ')') : rc;
}

/* Turns a finished buffer into the function's string result. */
static err_t finish(struct tmpl_run *r, struct buf *b, err_t rc, json_t **out)
{
	if (rc == ERR_OK)
		rc = tmpl_charge(r, b->len);
	else
		rc = tmpl_fail(r, rc, "result: %s", err_str(rc));
	if (rc == ERR_OK &&
	    (*out = tmpl_string((const char *)b->data, b->len)) == NULL)
		rc = tmpl_fail(r, ERR_NOMEM, "out of memory");
	buf_release(b);
	return rc;
}

err_t tmpl_fn_printf(struct tmpl_run *r, json_t *const *args, size_t n,
                     json_t **out)
{
	const char *p, *end, *pct;
	struct buf b;
	struct fmt f;
	size_t len;
	err_t rc;

	rc = tmpl_arg_string(r, args[0], &p, &len);
	if (rc != ERR_OK)
		return rc;
	buf_init(&b, TMPL_MAX_OUTPUT);
	f = (struct fmt){r, args + 1, n - 1, 0, &b};
	end = p + len;
	while (p < end && rc == ERR_OK) {
		pct = memchr(p, '%', (size_t)(end - p));
		if (pct == NULL)
			pct = end;
		rc = buf_append(&b, p, (size_t)(pct - p));
		p = pct;
		if (p < end && rc == ERR_OK)
			p = directive(&f, p + 1, end, &rc);
	}
	if (rc == ERR_OK)
		rc = extra(&f);
	return finish(r, &b, rc, out);
}

/* print: a space between two operands when neither is a string. */
err_t tmpl_fn_print(struct tmpl_run *r, json_t *const *args, size_t n,
                    json_t **out)
{
	struct buf b;
	size_t i;
	err_t rc = ERR_OK;

	buf_init(&b, TMPL_MAX_OUTPUT);
	for (i = 0; i < n && rc == ERR_OK; i++) {
		if (i > 0 && !json_is_string(args[i - 1]) &&
		    !json_is_string(args[i]))
			rc = buf_append_byte(&b, ' ');
		if (rc == ERR_OK)
			rc = tmpl_print(r, &b, args[i], "<nil>");
	}
	return finish(r, &b, rc, out);
}

/* println: a space between all operands, and a newline at the end. */
err_t tmpl_fn_println(struct tmpl_run *r, json_t *const *args, size_t n,
                      json_t **out)
{
	struct buf b;
	size_t i;
	err_t rc = ERR_OK;

	buf_init(&b, TMPL_MAX_OUTPUT);
	for (i = 0; i < n && rc == ERR_OK; i++) {
		if (i > 0)
			rc = buf_append_byte(&b, ' ');
		if (rc == ERR_OK)
			rc = tmpl_print(r, &b, args[i], "<nil>");
	}
	if (rc == ERR_OK)
		rc = buf_append_byte(&b, '\n');
	return finish(r, &b, rc, out);
}

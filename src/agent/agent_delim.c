/*
 * agent_delim.c - rewriting custom template delimiters into "{{ }}"
 * (see agent_delim.h).
 */
#include "agent/agent_delim.h"

#include <stdbool.h>
#include <string.h>

struct scan {
	const char *s;
	size_t len;
	size_t i;
	struct buf *out;
	err_t rc;
};

static bool at(const struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	return n <= sc->len - sc->i && memcmp(sc->s + sc->i, word, n) == 0;
}

static void emit(struct scan *sc, const char *p, size_t n)
{
	if (sc->rc == ERR_OK)
		sc->rc = buf_append(sc->out, p, n);
}

/* Copies a quoted item that starts at sc->i up to its closing quote. */
static void copy_quoted(struct scan *sc, char quote)
{
	size_t start = sc->i++;

	while (sc->i < sc->len && sc->s[sc->i] != quote) {
		/* Raw strings have no escapes; the others do. */
		if (quote != '`' && sc->s[sc->i] == '\\' && sc->i + 1 < sc->len)
			sc->i++;
		/* An unclosed string is the engine's to report. */
		if (quote != '`' && sc->s[sc->i] == '\n')
			break;
		sc->i++;
	}
	if (sc->i < sc->len && sc->s[sc->i] == quote)
		sc->i++;
	emit(sc, sc->s + start, sc->i - start);
}

static void copy_comment(struct scan *sc)
{
	size_t start = sc->i;

	sc->i += 2;
	while (sc->i < sc->len && !at(sc, "*/"))
		sc->i++;
	sc->i = sc->i < sc->len ? sc->i + 2 : sc->len;
	emit(sc, sc->s + start, sc->i - start);
}

/* From just past a left delimiter to just past its right delimiter. */
static void copy_action(struct scan *sc, const char *right)
{
	char c;

	emit(sc, "{{", 2);
	while (sc->i < sc->len && sc->rc == ERR_OK) {
		if (at(sc, right)) {
			sc->i += strlen(right);
			emit(sc, "}}", 2);
			return;
		}
		c = sc->s[sc->i];
		if (c == '"' || c == '`' || c == '\'') {
			copy_quoted(sc, c);
		} else if (at(sc, "/*")) {
			copy_comment(sc);
		} else {
			emit(sc, &c, 1);
			sc->i++;
		}
	}
}

static bool delim_ok(const char *d)
{
	return *d != 0 && strpbrk(d, " \t\r\n") == NULL;
}

err_t agent_delim_translate(const char *src, size_t len, const char *left,
                            const char *right, struct buf *out,
                            struct buf *errmsg)
{
	struct scan sc = {src, len, 0, out, ERR_OK};
	bool next_brace;

	left = left ? left : "{{";
	right = right ? right : "}}";
	if (!delim_ok(left) || !delim_ok(right)) {
		buf_append_str(errmsg, "a delimiter must be non-empty and "
		                       "hold no white space");
		return ERR_INVALID;
	}
	if (strcmp(left, "{{") == 0 && strcmp(right, "}}") == 0)
		return buf_append(out, src, len);

	while (sc.i < len && sc.rc == ERR_OK) {
		if (at(&sc, left)) {
			sc.i += strlen(left);
			copy_action(&sc, right);
			continue;
		}
		/* A "{" that would meet another one in the output. */
		sc.i++;
		next_brace = sc.i < len && (src[sc.i] == '{' || at(&sc, left));
		if (src[sc.i - 1] == '{' && next_brace)
			emit(&sc, "{{\"{\"}}", 7);
		else
			emit(&sc, src + sc.i - 1, 1);
	}
	return sc.rc;
}

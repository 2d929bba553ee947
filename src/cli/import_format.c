/*
 * import_format.c - the file formats `coffer import` reads: dotenv, a
 * small subset of YAML, and JSON documents turned into secrets.
 *
 * The values are secrets: they are built in wiped buffers, and no message
 * ever quotes one (only keys and line numbers).
 */
#include "cli/import.h"

#include <string.h>

#include "base/secret.h"

/* A cursor over the text with the line number for messages. */
struct fmt_cursor {
	const char *p;
	const char *end;
	size_t line;
	const char *source;
	struct buf *msg;
};

static err_t fmt_fail(struct fmt_cursor *c, const char *why)
{
	buf_printf(c->msg, "%s line %zu: %s", c->source, c->line, why);
	return ERR_INVALID;
}

static bool fmt_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static void fmt_skip_blanks(struct fmt_cursor *c)
{
	while (c->p < c->end && fmt_blank(*c->p))
		c->p++;
}

/* Moves past the end of the current line. */
static void fmt_next_line(struct fmt_cursor *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->line++;
	}
}

/* After a value: only blanks and a comment may remain on the line. */
static err_t fmt_end_of_line(struct fmt_cursor *c)
{
	fmt_skip_blanks(c);
	if (c->p < c->end && *c->p != '\n' && *c->p != '#')
		return fmt_fail(c, "unexpected text after the value");
	fmt_next_line(c);
	return ERR_OK;
}

static bool fmt_key_char(char ch, bool first)
{
	if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_')
		return true;
	return !first && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-');
}

/* A quoted value; c->p is on the opening quote. */
static err_t fmt_quoted(struct fmt_cursor *c, struct buf *v)
{
	size_t first_line = c->line;
	char q = *c->p++, ch;
	err_t rc = ERR_OK;

	while (rc == ERR_OK && c->p < c->end && *c->p != q) {
		ch = *c->p++;
		if (ch == '\n')
			c->line++;
		if (ch == '\\' && q == '"' && c->p < c->end) {
			ch = *c->p++;
			switch (ch) {
			case 'n':
				ch = '\n';
				break;
			case 'r':
				ch = '\r';
				break;
			case 't':
				ch = '\t';
				break;
			case '\\':
			case '"':
			case '$':
			case '/':
				break;
			default:
				return fmt_fail(c, "unknown escape in a "
				                   "double-quoted value");
			}
		}
		rc = buf_append_byte(v, (uint8_t)ch);
	}
	if (rc != ERR_OK)
		return rc;
	if (c->p >= c->end) {
		c->line = first_line; /* where the value began helps more */
		return fmt_fail(c, "a quoted value is not closed");
	}
	c->p++;
	return ERR_OK;
}

/* An unquoted dotenv value: to the end of line or a " #" comment. */
static err_t fmt_plain(struct fmt_cursor *c, struct buf *v)
{
	const char *start = c->p, *stop;

	while (c->p < c->end && *c->p != '\n' &&
	       !(*c->p == '#' && c->p > start && fmt_blank(c->p[-1])))
		c->p++;
	stop = c->p;
	while (stop > start && fmt_blank(stop[-1]))
		stop--;
	return buf_append(v, start, (size_t)(stop - start));
}

/* One KEY=VALUE of a dotenv file, set in out. */
static err_t fmt_dotenv_pair(struct fmt_cursor *c, json_t *out)
{
	struct buf key = BUF_INIT, v = BUF_INIT;
	err_t rc = ERR_OK;

	if (c->end - c->p > 7 && memcmp(c->p, "export", 6) == 0 &&
	    fmt_blank(c->p[6])) {
		c->p += 7;
		fmt_skip_blanks(c);
	}
	while (rc == ERR_OK && c->p < c->end &&
	       fmt_key_char(*c->p, key.len == 0))
		rc = buf_append_byte(&key, (uint8_t)*c->p++);
	fmt_skip_blanks(c);
	if (rc == ERR_OK && (key.len == 0 || c->p >= c->end || *c->p != '='))
		rc = fmt_fail(c, "expected KEY=VALUE");
	if (rc != ERR_OK)
		goto out;
	c->p++;
	fmt_skip_blanks(c);

	if (c->p < c->end && (*c->p == '"' || *c->p == '\''))
		rc = fmt_quoted(c, &v);
	else
		rc = fmt_plain(c, &v);
	if (rc == ERR_OK)
		rc = fmt_end_of_line(c);
	if (rc == ERR_OK &&
	    json_object_set_new(out, buf_str(&key),
	                        json_stringn(buf_str(&v), v.len)) != 0)
		rc = fmt_fail(c, "the value is not valid UTF-8");
out:
	buf_release(&key);
	buf_release(&v);
	return rc;
}

err_t import_parse_dotenv(const char *text, size_t len, const char *source,
                          json_t **out, struct buf *msg)
{
	struct fmt_cursor c = {text, text + len, 1, source, msg};
	err_t rc = ERR_OK;

	*out = json_object();
	if (*out == NULL)
		return ERR_NOMEM;
	while (rc == ERR_OK && c.p < c.end) {
		fmt_skip_blanks(&c);
		if (c.p < c.end && (*c.p == '\n' || *c.p == '#'))
			fmt_next_line(&c);
		else if (c.p < c.end)
			rc = fmt_dotenv_pair(&c, *out);
	}
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- YAML subset ---- */

#define YAML_DEPTH 32

struct yaml_frame {
	json_t *obj; /* the mapping at this level (borrowed) */
	long indent; /* -1 until its first line says */
	json_t *parent;
	char *key; /* its key in parent, to turn it into "" if empty */
};

/* Refuses what the subset does not have, by the line's first character. */
static err_t yaml_check_line(struct fmt_cursor *c)
{
	static const struct {
		char ch;
		const char *why;
	} unsupported[] = {
	    {'-', "lists are not supported (only mappings of scalars)"},
	    {'[', "flow sequences are not supported"},
	    {'{', "flow mappings are not supported"},
	    {'&', "anchors are not supported"},
	    {'*', "aliases are not supported"},
	    {'!', "tags are not supported"},
	    {'?', "complex keys are not supported"},
	    {'|', "block scalars are not supported"},
	    {'>', "block scalars are not supported"},
	    {'%', "directives are not supported"},
	};
	size_t i;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (*c->p == unsupported[i].ch)
			return fmt_fail(c, unsupported[i].why);
	return ERR_OK;
}

/* A plain YAML scalar: to the end of line or a " #" comment. */
static err_t yaml_plain(struct fmt_cursor *c, struct buf *v, bool key)
{
	const char *start = c->p, *stop;

	while (c->p < c->end && *c->p != '\n' &&
	       !(*c->p == '#' && c->p > start && fmt_blank(c->p[-1])) &&
	       !(key && *c->p == ':' &&
	         (c->p + 1 >= c->end || fmt_blank(c->p[1]) || c->p[1] == '\n')))
		c->p++;
	stop = c->p;
	while (stop > start && fmt_blank(stop[-1]))
		stop--;
	return buf_append(v, start, (size_t)(stop - start));
}

/* A single-quoted YAML scalar, where '' stands for one quote. */
static err_t yaml_single(struct fmt_cursor *c, struct buf *v)
{
	err_t rc = ERR_OK;

	c->p++;
	while (rc == ERR_OK && c->p < c->end) {
		if (*c->p == '\'' && c->p + 1 < c->end && c->p[1] == '\'') {
			rc = buf_append_byte(v, '\'');
			c->p += 2;
		} else if (*c->p == '\'') {
			c->p++;
			return ERR_OK;
		} else {
			if (*c->p == '\n')
				return fmt_fail(c, "a quoted value is not "
				                   "closed on its line");
			rc = buf_append_byte(v, (uint8_t)*c->p++);
		}
	}
	return rc != ERR_OK ? rc : fmt_fail(c, "a quoted value is not closed");
}

static err_t yaml_scalar(struct fmt_cursor *c, struct buf *v, bool key)
{
	const char *open = c->p;
	err_t rc;

	if (*c->p == '\'')
		return yaml_single(c, v);
	if (*c->p != '"')
		return yaml_plain(c, v, key);
	rc = fmt_quoted(c, v);
	if (rc == ERR_OK && memchr(open, '\n', (size_t)(c->p - open)))
		return fmt_fail(c, "a quoted value must end on its line");
	return rc;
}

/* Sets key in obj, refusing duplicates; takes the reference to v. */
static err_t yaml_set(struct fmt_cursor *c, json_t *obj, const char *key,
                      json_t *v)
{
	if (v == NULL)
		return fmt_fail(c, "the value is not valid UTF-8");
	if (json_object_get(obj, key) != NULL) {
		json_decref(v);
		return fmt_fail(c, "a key appears twice in one mapping");
	}
	return json_object_set_new(obj, key, v) ? ERR_NOMEM : ERR_OK;
}

/* Closes frames deeper than indent; an unfilled one holds "". */
static err_t yaml_pop(struct fmt_cursor *c, struct yaml_frame *st, size_t *n,
                      long indent)
{
	while (*n > 1 &&
	       (st[*n - 1].indent < 0 || indent < st[*n - 1].indent)) {
		struct yaml_frame *f = &st[--*n];

		if (f->indent < 0 &&
		    json_object_set_new(f->parent, f->key, json_string("")))
			return ERR_NOMEM;
		free(f->key);
		f->key = NULL;
	}
	if (indent != st[*n - 1].indent)
		return fmt_fail(c, "the indentation does not match any "
		                   "mapping above");
	return ERR_OK;
}

/* Counts the indentation of the line at c->p; tabs are refused. */
static err_t yaml_indent(struct fmt_cursor *c, long *indent)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->p < c->end && *c->p == '\t')
		return fmt_fail(c, "tabs may not indent YAML");
	*indent = (long)(c->p - start);
	return ERR_OK;
}

/* The value after "key:"; a nested mapping when the line ends there. */
static err_t yaml_value(struct fmt_cursor *c, struct yaml_frame *st, size_t *n,
                        const char *key)
{
	struct buf v = BUF_INIT;
	json_t *child;
	err_t rc;

	fmt_skip_blanks(c);
	if (c->p >= c->end || *c->p == '\n' || *c->p == '#') {
		if (*n >= YAML_DEPTH)
			return fmt_fail(c, "mappings are nested too deep");
		child = json_object();
		rc = yaml_set(c, st[*n - 1].obj, key, child);
		if (rc != ERR_OK)
			return rc;
		st[*n] =
		    (struct yaml_frame){child, -1, st[*n - 1].obj, strdup(key)};
		if (st[*n].key == NULL)
			return ERR_NOMEM;
		++*n;
		fmt_next_line(c);
		return ERR_OK;
	}
	if (strchr("&*!|>[{", *c->p) != NULL)
		return fmt_fail(c, "anchors, aliases, tags, block and flow "
		                   "values are not supported");
	rc = yaml_scalar(c, &v, false);
	if (rc == ERR_OK)
		rc = fmt_end_of_line(c);
	if (rc == ERR_OK)
		rc = yaml_set(c, st[*n - 1].obj, key,
		              json_stringn(buf_str(&v), v.len));
	buf_release(&v);
	return rc;
}

/* One "key: value" or "key:" line, at c->p after its indentation. */
static err_t yaml_entry(struct fmt_cursor *c, struct yaml_frame *st, size_t *n,
                        long indent)
{
	struct buf key = BUF_INIT;
	err_t rc;

	/* A pending mapping takes the line when it is indented deeper. */
	if (st[*n - 1].indent < 0 && indent > st[*n - 2].indent)
		st[*n - 1].indent = indent;
	rc = yaml_check_line(c);
	if (rc == ERR_OK)
		rc = yaml_pop(c, st, n, indent);
	if (rc == ERR_OK)
		rc = yaml_scalar(c, &key, true);
	if (rc != ERR_OK)
		goto out;
	fmt_skip_blanks(c);
	if (key.len == 0 || c->p >= c->end || *c->p != ':') {
		rc = fmt_fail(c, "expected \"key: value\"");
		goto out;
	}
	c->p++;
	if (c->p < c->end && !fmt_blank(*c->p) && *c->p != '\n') {
		rc = fmt_fail(c, "a colon after a key needs a space");
		goto out;
	}
	rc = yaml_value(c, st, n, buf_str(&key));
out:
	buf_release(&key);
	return rc;
}

/* Closes every open frame at the end of the document. */
static err_t yaml_finish(struct yaml_frame *st, size_t n, err_t rc)
{
	while (n > 1) {
		struct yaml_frame *f = &st[--n];

		if (rc == ERR_OK && f->indent < 0 &&
		    json_object_set_new(f->parent, f->key, json_string("")))
			rc = ERR_NOMEM;
		free(f->key);
	}
	return rc;
}

err_t import_parse_yaml(const char *text, size_t len, const char *source,
                        json_t **out, struct buf *msg)
{
	struct fmt_cursor c = {text, text + len, 1, source, msg};
	struct yaml_frame st[YAML_DEPTH + 1];
	bool started = false;
	size_t n = 1;
	long indent;
	err_t rc = ERR_OK;

	*out = json_object();
	if (*out == NULL)
		return ERR_NOMEM;
	st[0] = (struct yaml_frame){*out, 0, NULL, NULL};
	while (rc == ERR_OK && c.p < c.end) {
		rc = yaml_indent(&c, &indent);
		if (rc != ERR_OK)
			break;
		fmt_skip_blanks(&c);
		if (c.p >= c.end || *c.p == '\n' || *c.p == '#') {
			fmt_next_line(&c);
		} else if (!started && indent == 0 && c.end - c.p >= 3 &&
		           memcmp(c.p, "---", 3) == 0) {
			started = true;
			c.p += 3;
			rc = fmt_end_of_line(&c);
		} else {
			started = true;
			rc = yaml_entry(&c, st, &n, indent);
		}
	}
	rc = yaml_finish(st, n, rc);
	if (rc != ERR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- documents to secrets ---- */

err_t import_flatten(json_t *doc, const char *path, json_t *out,
                     struct buf *msg)
{
	struct buf sub = BUF_INIT;
	json_t *fields, *v;
	const char *key;
	err_t rc = ERR_OK;

	if (!json_is_object(doc)) {
		buf_printf(msg, "the value for %s is not an object", path);
		return ERR_INVALID;
	}
	fields = json_object();
	if (fields == NULL)
		return ERR_NOMEM;
	json_object_foreach(doc, key, v)
	{
		if (rc != ERR_OK)
			break;
		if (!json_is_object(v)) {
			rc = json_object_set(fields, key, v) ? ERR_NOMEM
			                                     : ERR_OK;
			continue;
		}
		buf_reset(&sub);
		rc = buf_printf(&sub, "%s%s%s", path, *path ? "/" : "", key);
		if (rc == ERR_OK)
			rc = import_flatten(v, buf_str(&sub), out, msg);
	}
	if (rc == ERR_OK && json_object_size(fields) > 0)
		rc = json_object_set(out, path, fields) ? ERR_NOMEM : ERR_OK;
	json_decref(fields);
	buf_release(&sub);
	return rc;
}

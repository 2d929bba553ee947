/*
 * db_postgres.c - the postgresql-database-plugin, over libpq.
 *
 * Creation, revocation, renewal and rotation statements run in one
 * transaction each, so a failing statement leaves nothing behind:
 * PostgreSQL's CREATE ROLE and GRANT are transactional. Values are quoted
 * with libpq's own escapers (PQescapeIdentifier, PQescapeLiteral,
 * PQescapeStringConn), which know the connection's encoding and its
 * standard_conforming_strings setting.
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "engines/database/db_plugin.h"

#define PG_CONNECT_TIMEOUT "5" /* seconds */

struct pg_conn {
	PGconn *pg;
};

static PGconn *pg_of(struct db_conn *c)
{
	return ((struct pg_conn *)c)->pg;
}

/* Copies libpq's message (one line, trailing newline dropped) to why. */
static void pg_why(struct buf *why, const char *what, const char *msg)
{
	size_t n = msg ? strlen(msg) : 0;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	buf_reset(why);
	buf_printf(why, "%s: %.*s", what, (int)n, msg ? msg : "");
}

/* Appends value with every q doubled: the escaping SQL quotes share. */
static err_t double_quotes(struct buf *out, const char *value, char q)
{
	err_t rc = ERR_OK;

	for (; *value != 0 && rc == ERR_OK; value++) {
		if (*value == q)
			rc = buf_append_byte(out, (uint8_t)q);
		if (rc == ERR_OK)
			rc = buf_append_byte(out, (uint8_t)*value);
	}
	return rc;
}

/*
 * Quoting without a connection (role validation, unit tests), where the
 * server's standard_conforming_strings is unknown: a literal with a
 * backslash becomes an E'' string with the backslashes doubled, which
 * reads the same under either setting; inside an operator's own '...'
 * such a value is refused.
 */
static err_t pg_quote_offline(const char *value, enum db_quote how,
                              struct buf *out)
{
	bool bs = strchr(value, '\\') != NULL;
	err_t rc;

	switch (how) {
	case DB_QUOTE_IDENT:
		if ((rc = buf_append_byte(out, '"')) == ERR_OK &&
		    (rc = double_quotes(out, value, '"')) == ERR_OK)
			rc = buf_append_byte(out, '"');
		return rc;
	case DB_QUOTE_IDENT_INNER:
		return double_quotes(out, value, '"');
	case DB_QUOTE_LITERAL_INNER:
		return bs ? ERR_INVALID : double_quotes(out, value, '\'');
	case DB_QUOTE_LITERAL:
		break;
	}
	rc = buf_append_str(out, bs ? " E'" : "'");
	for (; *value != 0 && rc == ERR_OK; value++) {
		if (*value == '\'' || *value == '\\')
			rc = buf_append_byte(out, (uint8_t)*value);
		if (rc == ERR_OK)
			rc = buf_append_byte(out, (uint8_t)*value);
	}
	return rc == ERR_OK ? buf_append_byte(out, '\'') : rc;
}

/* Hands a libpq-made quoted string to out and wipes it. */
static err_t take_quoted(struct buf *out, char *q, bool libpq)
{
	err_t rc;

	if (q == NULL)
		return ERR_INVALID;
	rc = buf_append_str(out, q);
	secret_wipe(q, strlen(q));
	if (libpq)
		PQfreemem(q);
	else
		free(q);
	return rc;
}

static err_t pg_quote(struct db_conn *c, const char *value, enum db_quote how,
                      struct buf *out)
{
	size_t n = strlen(value);
	int failed = 0;
	char *q;

	if (c == NULL)
		return pg_quote_offline(value, how, out);
	switch (how) {
	case DB_QUOTE_IDENT:
		return take_quoted(out, PQescapeIdentifier(pg_of(c), value, n),
		                   true);
	case DB_QUOTE_LITERAL:
		return take_quoted(out, PQescapeLiteral(pg_of(c), value, n),
		                   true);
	case DB_QUOTE_IDENT_INNER:
		return double_quotes(out, value, '"');
	case DB_QUOTE_LITERAL_INNER:
		break;
	}
	if (n > (SIZE_MAX - 1) / 2)
		return ERR_INVALID;
	if ((q = malloc(2 * n + 1)) == NULL)
		return ERR_NOMEM;
	PQescapeStringConn(pg_of(c), q, value, n, &failed);
	if (failed) {
		secret_free_n(q, 2 * n + 1);
		return ERR_INVALID;
	}
	return take_quoted(out, q, false);
}

static const struct db_dialect pg_dialect = {
    .ident_quotes = "\"",
    .string_quotes = "'",
    .backslash_escapes = false,
    .quote = pg_quote,
};

/* Percent-encodes s for the user-info part of a postgresql:// URL. */
static err_t url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	err_t rc = ERR_OK;

	for (; *s != 0 && rc == ERR_OK; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			rc = buf_append_byte(out, ch);
		else
			rc = buf_printf(out, "%%%c%c", hex[ch >> 4],
			                hex[ch & 15]);
	}
	return rc;
}

/* Single-quotes s for a key=value connection string. */
static err_t conninfo_quote(struct buf *out, const char *s)
{
	err_t rc = buf_append_byte(out, '\'');

	for (; *s != 0 && rc == ERR_OK; s++) {
		if (*s == '\'' || *s == '\\')
			rc = buf_append_byte(out, '\\');
		if (rc == ERR_OK)
			rc = buf_append_byte(out, (uint8_t)*s);
	}
	return rc == ERR_OK ? buf_append_byte(out, '\'') : rc;
}

/* Fills {{username}} and {{password}} of the connection URL. */
static err_t fill_url(const struct db_connect_params *p, struct buf *out)
{
	bool is_url = strncmp(p->url, "postgres://", 11) == 0 ||
	              strncmp(p->url, "postgresql://", 13) == 0;
	const char *s = p->url;
	err_t rc = ERR_OK;

	while (*s != 0 && rc == ERR_OK) {
		const char *val = NULL;
		size_t skip = 0;
		if (strncmp(s, "{{username}}", 12) == 0) {
			val = p->username ? p->username : "";
			skip = 12;
		} else if (strncmp(s, "{{password}}", 12) == 0) {
			val = p->password ? p->password : "";
			skip = 12;
		}
		if (val == NULL) {
			rc = buf_append_byte(out, (uint8_t)*s++);
			continue;
		}
		rc = is_url ? url_encode(out, val) : conninfo_quote(out, val);
		s += skip;
	}
	return rc;
}

/*
 * Server notices (a REVOKE with nothing to revoke warns) would go to
 * stderr past the log; they are not failures, so they are dropped.
 */
static void pg_ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static err_t pg_connect(const struct db_connect_params *p, struct db_conn **out,
                        struct buf *why)
{
	const char *keys[6] = {
	    "dbname", "connect_timeout", "client_encoding", NULL, NULL, NULL};
	const char *vals[6] = {NULL, PG_CONNECT_TIMEOUT, "UTF8", NULL, NULL,
	                       NULL};
	struct pg_conn *c = NULL;
	struct buf url = BUF_INIT;
	int k = 3;
	err_t rc;

	rc = fill_url(p, &url);
	if (rc != ERR_OK)
		goto out;
	vals[0] = buf_str(&url);
	/* Explicit fields win over what the URL says. */
	if (p->username != NULL && p->username[0] != 0) {
		keys[k] = "user";
		vals[k++] = p->username;
	}
	if (p->password != NULL && p->password[0] != 0) {
		keys[k] = "password";
		vals[k++] = p->password;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		pg_why(why, "could not connect",
		       c->pg ? PQerrorMessage(c->pg) : "out of memory");
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	PQsetNoticeProcessor(c->pg, pg_ignore_notice, NULL);
	*out = (struct db_conn *)c;
	c = NULL;
out:
	if (c != NULL) {
		PQfinish(c->pg);
		free(c);
	}
	buf_release(&url);
	return rc;
}

static bool pg_broken(struct db_conn *c)
{
	return PQstatus(pg_of(c)) != CONNECTION_OK;
}

static void pg_close(struct db_conn *c)
{
	if (c == NULL)
		return;
	PQfinish(pg_of(c));
	free(c);
}

static err_t pg_exec(struct db_conn *c, const char *sql, struct buf *why)
{
	PGresult *res = PQexec(pg_of(c), sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	err_t rc = ERR_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_why(why, "statement failed",
		       res ? PQresultErrorMessage(res)
		           : PQerrorMessage(pg_of(c)));
		rc = pg_broken(c) ? ERR_UNAVAILABLE : ERR_INVALID;
	}
	PQclear(res);
	return rc;
}

static err_t pg_verify(struct db_conn *c, struct buf *why)
{
	return pg_exec(c, "SELECT 1", why);
}

/*
 * Runs statements (or defaults) in one transaction; on failure the
 * transaction is rolled back. The connection may be broken afterwards.
 */
static err_t pg_run_txn(struct db_conn *c, json_t *stmts,
                        const char *const *defaults, const struct db_vars *v,
                        struct buf *why)
{
	struct buf ignored = BUF_INIT;
	err_t rc;

	rc = pg_exec(c, "BEGIN", why);
	if (rc == ERR_OK)
		rc = db_statements_run(&pg_dialect, c, stmts, defaults, v,
		                       pg_exec, why);
	if (rc == ERR_OK)
		rc = pg_exec(c, "COMMIT", why);
	else if (!pg_broken(c))
		pg_exec(c, "ROLLBACK", &ignored);
	buf_release(&ignored);
	return rc;
}

static err_t pg_create_user(struct db_conn *c, json_t *creation,
                            json_t *rollback, const struct db_vars *v,
                            bool *unsure, struct buf *why)
{
	struct buf ignored = BUF_INIT;
	err_t rc;

	*unsure = false;
	if (!db_statements_given(creation)) {
		buf_append_str(why, "no creation statements");
		return ERR_INVALID;
	}
	rc = pg_run_txn(c, creation, NULL, v, why);
	if (rc == ERR_OK)
		return ERR_OK;

	/* Only a lost COMMIT can leave a user; the rest rolled back. */
	*unsure = pg_broken(c);
	if (!*unsure && db_statements_given(rollback))
		db_statements_run(&pg_dialect, c, rollback, NULL, v, pg_exec,
		                  &ignored);
	buf_release(&ignored);
	return rc;
}

/* Whether the role v->name exists; a lookup that cannot be quoted fails. */
static err_t pg_role_exists(struct db_conn *c, const char *name, bool *found,
                            struct buf *why)
{
	const char *params[1] = {name};
	PGresult *res;
	err_t rc = ERR_OK;

	res = PQexecParams(pg_of(c),
	                   "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = "
	                   "$1",
	                   1, NULL, params, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_why(why, "looking up the role failed",
		       res ? PQresultErrorMessage(res)
		           : PQerrorMessage(pg_of(c)));
		rc = pg_broken(c) ? ERR_UNAVAILABLE : ERR_INVALID;
	} else {
		*found = PQntuples(res) > 0;
	}
	PQclear(res);
	return rc;
}

static const char *const pg_default_revocation[] = {
    "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM {{name}};"
    "REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM {{name}};"
    "REVOKE USAGE ON SCHEMA public FROM {{name}};"
    "DROP ROLE IF EXISTS {{name}};",
    NULL,
};

static err_t pg_revoke_user(struct db_conn *c, json_t *revocation,
                            const struct db_vars *v, struct buf *why)
{
	bool found = false;
	err_t rc;

	/* Revoking twice (after a crash, a retry) must succeed. */
	rc = pg_role_exists(c, v->name, &found, why);
	if (rc != ERR_OK || !found)
		return rc;
	return pg_run_txn(c, revocation, pg_default_revocation, v, why);
}

static const char *const pg_default_renew[] = {
    "ALTER ROLE {{name}} VALID UNTIL {{expiration}};",
    NULL,
};

static err_t pg_renew_user(struct db_conn *c, json_t *renew,
                           const struct db_vars *v, struct buf *why)
{
	return pg_run_txn(c, renew, pg_default_renew, v, why);
}

static const char *const pg_default_rotation[] = {
    "ALTER ROLE {{name}} WITH PASSWORD {{password}};",
    NULL,
};

static err_t pg_set_password(struct db_conn *c, json_t *rotation,
                             const struct db_vars *v, struct buf *why)
{
	bool found = false;
	err_t rc;

	rc = pg_role_exists(c, v->name, &found, why);
	if (rc == ERR_OK && !found) {
		buf_printf(why, "database user does not exist");
		rc = ERR_INVALID;
	}
	if (rc == ERR_OK)
		rc = pg_run_txn(c, rotation, pg_default_rotation, v, why);
	return rc;
}

const struct db_plugin db_postgres_plugin = {
    .name = "postgresql-database-plugin",
    .username_max = 63,
    .dialect = &pg_dialect,
    .connect = pg_connect,
    .verify = pg_verify,
    .create_user = pg_create_user,
    .revoke_user = pg_revoke_user,
    .renew_user = pg_renew_user,
    .set_password = pg_set_password,
    .broken = pg_broken,
    .close = pg_close,
};

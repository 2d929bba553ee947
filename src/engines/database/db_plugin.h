/*
 * db_plugin.h - the interface every database plugin of the database
 * secrets engine implements, and the statement helpers they share.
 *
 * A plugin knows one kind of database: how to connect, how to quote a
 * value for its SQL dialect, how to run statements. Everything else (which
 * user to create, when to revoke it, leases, rotation) is the engine's.
 * Adding a database is adding one file that defines a struct db_plugin and
 * one line in database.c's plugin table.
 *
 * Statements are the operator's, given per role; the engine substitutes
 * {{name}} (alias {{username}}), {{password}} and {{expiration}} with
 * db_template_render, which always quotes a value with the driver's own
 * escaping for the place it appears in (see db_template.c), so a value can
 * never end a string or an identifier early. db_statements_run splits the
 * rendered text into single statements at the semicolons outside quotes.
 */
#ifndef COFFER_ENGINES_DATABASE_DB_PLUGIN_H
#define COFFER_ENGINES_DATABASE_DB_PLUGIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

/* One open connection; each plugin defines its own. */
struct db_conn;

/* Where a value is put: the whole quoted token, or the inside of one. */
enum db_quote {
	DB_QUOTE_IDENT,         /* a complete quoted identifier */
	DB_QUOTE_LITERAL,       /* a complete quoted string literal */
	DB_QUOTE_IDENT_INNER,   /* inside an identifier quote the operator
	                           wrote */
	DB_QUOTE_LITERAL_INNER, /* inside a string literal the operator
	                           wrote */
};

/* The values a statement template may name; NULL ones are refused. */
struct db_vars {
	const char *name; /* the database user */
	const char *password;
	const char *expiration; /* "2026-01-02 15:04:05+0000" */
};

/* How to reach a database: the connection fields of config/<name>. */
struct db_connect_params {
	const char *url; /* connection_url, {{username}}/{{password}} kept */
	const char *username;
	const char *password;
};

/*
 * The SQL dialect the template code needs from a plugin: which quote
 * characters open identifiers and strings, and an escaper. quote appends
 * value, quoted for the place how names, to out; ERR_INVALID for a value
 * the database cannot hold (a NUL byte, bad encoding).
 */
struct db_dialect {
	const char *ident_quotes;  /* "\"" for PostgreSQL, "`" for MySQL */
	const char *string_quotes; /* "'" for PostgreSQL, "'\"" for MySQL */
	bool backslash_escapes;    /* a backslash escapes in strings */
	err_t (*quote)(struct db_conn *c, const char *value, enum db_quote how,
	               struct buf *out);
};

/*
 * A database plugin. Every call that fails writes a one-line reason (never
 * a password: db_statements_run redacts it) into why, and returns
 * ERR_UNAVAILABLE when the database cannot be reached or the connection
 * broke, ERR_INVALID when the database refused the statements.
 */
struct db_plugin {
	const char *name;    /* "postgresql-database-plugin" */
	size_t username_max; /* longest user name the database allows */

	/*
	 * Its SQL quoting. quote also works with c == NULL (no connection:
	 * checking a template when a role is written, unit tests), then
	 * more strictly: a value it cannot quote without knowing the
	 * server's settings is ERR_INVALID.
	 */
	const struct db_dialect *dialect;

	/* Opens a connection; *out is the caller's until close. */
	err_t (*connect)(const struct db_connect_params *p,
	                 struct db_conn **out, struct buf *why);

	/* Checks that the connection works (a round trip). */
	err_t (*verify)(struct db_conn *c, struct buf *why);

	/*
	 * Runs creation statements for v (all or nothing where the database
	 * allows it); on failure runs rollback (or the plugin's default) so
	 * that no half-made user stays. *unsure is set when the connection
	 * broke during the attempt, so whether the user exists is unknown.
	 */
	err_t (*create_user)(struct db_conn *c, json_t *creation,
	                     json_t *rollback, const struct db_vars *v,
	                     bool *unsure, struct buf *why);

	/*
	 * Runs revocation statements (or the default, dropping the user) for
	 * v->name. A user that does not exist any more counts as revoked.
	 */
	err_t (*revoke_user)(struct db_conn *c, json_t *revocation,
	                     const struct db_vars *v, struct buf *why);

	/* Runs renew statements (or the default) with v->expiration. */
	err_t (*renew_user)(struct db_conn *c, json_t *renew,
	                    const struct db_vars *v, struct buf *why);

	/* Runs rotation statements (or the default) to set v->password. */
	err_t (*set_password)(struct db_conn *c, json_t *rotation,
	                      const struct db_vars *v, struct buf *why);

	/* Whether the connection is dead and must not go back to a pool. */
	bool (*broken)(struct db_conn *c);

	/* Closes c; c may be NULL. */
	void (*close)(struct db_conn *c);
};

extern const struct db_plugin db_postgres_plugin;
extern const struct db_plugin db_mysql_plugin;

/* Finds a plugin by its plugin_name, or NULL. */
const struct db_plugin *db_plugin_find(const char *name);

/*
 * Appends tmpl to out with each {{name}}, {{username}}, {{password}} and
 * {{expiration}} replaced by its value from v, quoted through d for the
 * place it stands: inside a quoted string or identifier the operator wrote,
 * only escaped; anywhere else, a complete quoted token (an identifier for
 * the name, a literal for the others). An unknown or unset variable, an
 * unclosed "{{" or a value d refuses: ERR_INVALID with the reason in why.
 * out may hold a password afterwards (it wipes itself on release).
 */
err_t db_template_render(const struct db_dialect *d, struct db_conn *c,
                         const char *tmpl, const struct db_vars *v,
                         struct buf *out, struct buf *why);

/*
 * Splits sql at each ";" outside quotes and comments and calls fn with
 * every non-blank statement (NUL-terminated, without its ";"). Stops at
 * the first error fn returns.
 */
err_t db_template_split(const struct db_dialect *d, const char *sql,
                        err_t (*fn)(void *ctx, const char *stmt), void *ctx);

/*
 * Renders every string of stmts (a JSON array of strings, or NULL/empty to
 * use defaults, a NULL-terminated list) and runs each single statement in
 * order with exec. The password of v is removed from why on failure.
 * Returns the first error of exec or of rendering.
 */
err_t db_statements_run(const struct db_dialect *d, struct db_conn *c,
                        json_t *stmts, const char *const *defaults,
                        const struct db_vars *v,
                        err_t (*exec)(struct db_conn *c, const char *sql,
                                      struct buf *why),
                        struct buf *why);

/* Replaces every copy of secret (may be NULL) in why by "[redacted]". */
void db_redact(struct buf *why, const char *secret);

/* True when stmts is a non-empty JSON array with a non-blank string. */
bool db_statements_given(json_t *stmts);

#endif

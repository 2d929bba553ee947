/*
 * db_mysql.c - the mysql-database-plugin (MySQL and MariaDB), over
 * MariaDB Connector/C.
 *
 * connection_url takes the form Vault's MySQL plugin uses, a Go DSN:
 * "{{username}}:{{password}}@tcp(host:port)/dbname" or
 * "...@unix(/path/to/socket)/dbname"; the user and password come from the
 * config's fields.
 *
 * MySQL commits DDL (CREATE USER, GRANT) as it goes, so a failed creation
 * cannot be rolled back by a transaction: the rollback statements run
 * instead, and without any, every account of that user name is dropped.
 * The default revocation and rotation look the user's accounts up in
 * mysql.user and act on each host, because the operator's creation
 * statements chose the host part and the engine cannot guess it.
 */
#include <errmsg.h>
#include <mysql.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "engines/database/db_plugin.h"

#define MY_CONNECT_TIMEOUT 5  /* seconds */
#define MY_IO_TIMEOUT      30 /* seconds */
#define MY_MAX_HOSTS       64

struct my_conn {
	MYSQL *my;
	bool broken;
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

/*
 * The library's global setup (character sets, among others) is not
 * thread-safe and must come before any other call, escaping included.
 */
static void library_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

static MYSQL *my_of(struct db_conn *c)
{
	return ((struct my_conn *)c)->my;
}

static bool lost(unsigned int code)
{
	return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST ||
	       code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR;
}

static err_t my_fail(struct db_conn *c, const char *what, struct buf *why)
{
	struct my_conn *mc = (struct my_conn *)c;
	unsigned int code = mysql_errno(mc->my);

	buf_reset(why);
	buf_printf(why, "%s: %s", what, mysql_error(mc->my));
	if (lost(code))
		mc->broken = true;
	return mc->broken ? ERR_UNAVAILABLE : ERR_INVALID;
}

/* Appends value with every q doubled. */
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

static err_t my_quote(struct db_conn *c, const char *value, enum db_quote how,
                      struct buf *out)
{
	size_t n = strlen(value);
	bool whole = how == DB_QUOTE_LITERAL || how == DB_QUOTE_IDENT;
	err_t rc = ERR_OK;
	char *q;

	if (how == DB_QUOTE_IDENT || how == DB_QUOTE_IDENT_INNER) {
		if (whole)
			rc = buf_append_byte(out, '`');
		if (rc == ERR_OK)
			rc = double_quotes(out, value, '`');
		if (rc == ERR_OK && whole)
			rc = buf_append_byte(out, '`');
		return rc;
	}

	/* The escaped form of a string is at most twice as long. */
	if (n > (SIZE_MAX - 1) / 2)
		return ERR_INVALID;
	if ((q = malloc(2 * n + 1)) == NULL)
		return ERR_NOMEM;
	pthread_once(&library_once, library_init);
	if (c != NULL)
		mysql_real_escape_string(my_of(c), q, value, (unsigned long)n);
	else
		mysql_escape_string(q, value, (unsigned long)n);
	if (whole)
		rc = buf_append_byte(out, '\'');
	if (rc == ERR_OK)
		rc = buf_append_str(out, q);
	if (rc == ERR_OK && whole)
		rc = buf_append_byte(out, '\'');
	secret_free_n(q, 2 * n + 1);
	return rc;
}

static const struct db_dialect my_dialect = {
    .ident_quotes = "`",
    .string_quotes = "'\"",
    .backslash_escapes = true,
    .quote = my_quote,
};

/* The parts of a Go MySQL DSN that matter here. */
struct my_dsn {
	struct buf host, socket, dbname;
	unsigned int port;
};

/* Parses "[user:pass@]tcp(host[:port])/db[?opts]" or "unix(path)/db". */
static err_t parse_dsn(const char *url, struct my_dsn *d)
{
	const char *p = strstr(url, "tcp("), *end, *colon, *db;
	bool unix_sock = false;
	long port = 3306;
	err_t rc;

	if (p == NULL && (p = strstr(url, "unix(")) != NULL)
		unix_sock = true;
	if (p == NULL)
		return ERR_INVALID;
	p += unix_sock ? 5 : 4;
	end = strchr(p, ')');
	if (end == NULL || end == p)
		return ERR_INVALID;
	if (unix_sock) {
		rc = buf_append(&d->socket, p, (size_t)(end - p));
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		rc = buf_append(&d->host, p,
		                (size_t)((colon ? colon : end) - p));
		if (colon != NULL) {
			char *stop;
			port = strtol(colon + 1, &stop, 10);
			if (stop != end || port <= 0 || port > 65535)
				return ERR_INVALID;
		}
	}
	d->port = (unsigned int)port;
	db = end + 1;
	if (rc == ERR_OK && *db == '/') {
		db++;
		rc = buf_append(&d->dbname, db, strcspn(db, "?"));
	}
	return rc;
}

static err_t my_connect(const struct db_connect_params *p, struct db_conn **out,
                        struct buf *why)
{
	struct my_dsn d = {BUF_INIT, BUF_INIT, BUF_INIT, 0};
	unsigned int ct = MY_CONNECT_TIMEOUT, io = MY_IO_TIMEOUT;
	struct my_conn *c = NULL;
	err_t rc;

	if (parse_dsn(p->url, &d) != ERR_OK) {
		buf_append_str(why,
		               "connection_url must look like "
		               "\"{{username}}:{{password}}@tcp(host:port)/"
		               "\"");
		rc = ERR_INVALID;
		goto out;
	}
	rc = ERR_NOMEM;
	pthread_once(&library_once, library_init);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->my = mysql_init(NULL)) == NULL)
		goto out;
	mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &io);
	mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &io);
	mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(
	        c->my, d.host.len ? buf_str(&d.host) : NULL, p->username,
	        p->password, d.dbname.len ? buf_str(&d.dbname) : NULL, d.port,
	        d.socket.len ? buf_str(&d.socket) : NULL, 0) == NULL) {
		buf_printf(why, "could not connect: %s", mysql_error(c->my));
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	*out = (struct db_conn *)c;
	c = NULL;
	rc = ERR_OK;
out:
	if (c != NULL) {
		mysql_close(c->my);
		free(c);
	}
	buf_release(&d.host);
	buf_release(&d.socket);
	buf_release(&d.dbname);
	return rc;
}

static bool my_broken(struct db_conn *c)
{
	return ((struct my_conn *)c)->broken;
}

static void my_close(struct db_conn *c)
{
	if (c == NULL)
		return;
	mysql_close(my_of(c));
	free(c);
}

/* Runs one statement and drops any rows it returned. */
static err_t my_exec(struct db_conn *c, const char *sql, struct buf *why)
{
	MYSQL_RES *res;

	if (mysql_real_query(my_of(c), sql, (unsigned long)strlen(sql)) != 0)
		return my_fail(c, "statement failed", why);
	res = mysql_store_result(my_of(c));
	if (res == NULL && mysql_field_count(my_of(c)) != 0)
		return my_fail(c, "statement failed", why);
	mysql_free_result(res);
	return ERR_OK;
}

static err_t my_verify(struct db_conn *c, struct buf *why)
{
	return my_exec(c, "SELECT 1", why);
}

/* The hosts of every account named name, as a JSON array of strings. */
static err_t my_hosts(struct db_conn *c, const char *name, json_t **hosts,
                      struct buf *why)
{
	struct buf sql = BUF_INIT;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	err_t rc;

	*hosts = json_array();
	rc = *hosts ? buf_append_str(&sql, "SELECT Host FROM mysql.user "
	                                   "WHERE User = ")
	            : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = my_quote(c, name, DB_QUOTE_LITERAL, &sql);
	if (rc != ERR_OK)
		goto out;
	if (mysql_real_query(my_of(c), buf_str(&sql), (unsigned long)sql.len) !=
	        0 ||
	    (res = mysql_store_result(my_of(c))) == NULL) {
		rc = my_fail(c, "looking up the user failed", why);
		goto out;
	}
	while ((row = mysql_fetch_row(res)) != NULL &&
	       json_array_size(*hosts) < MY_MAX_HOSTS)
		if (row[0] != NULL &&
		    json_array_append_new(*hosts, json_string(row[0])) != 0)
			rc = ERR_NOMEM;
out:
	mysql_free_result(res);
	buf_release(&sql);
	return rc;
}

/*
 * Runs "<verb> 'name'@'host'" for each account of v->name, followed by
 * "IDENTIFIED BY '<password>'" when set_password.
 */
static err_t my_each_account(struct db_conn *c, const char *verb,
                             bool set_password, const struct db_vars *v,
                             struct buf *why)
{
	json_t *hosts = NULL, *h;
	err_t rc;
	size_t i;

	rc = my_hosts(c, v->name, &hosts, why);
	json_array_foreach(hosts, i, h)
	{
		struct buf sql = BUF_INIT;
		if (rc != ERR_OK)
			break;
		rc = buf_printf(&sql, "%s ", verb);
		if (rc == ERR_OK)
			rc = my_quote(c, v->name, DB_QUOTE_LITERAL, &sql);
		if (rc == ERR_OK)
			rc = buf_append_byte(&sql, '@');
		if (rc == ERR_OK)
			rc = my_quote(c, json_string_value(h), DB_QUOTE_LITERAL,
			              &sql);
		if (rc == ERR_OK && set_password)
			rc = buf_append_str(&sql, " IDENTIFIED BY ");
		if (rc == ERR_OK && set_password)
			rc = my_quote(c, v->password, DB_QUOTE_LITERAL, &sql);
		if (rc == ERR_OK)
			rc = my_exec(c, buf_str(&sql), why);
		buf_release(&sql);
	}
	json_decref(hosts);
	if (rc != ERR_OK)
		db_redact(why, v->password);
	return rc;
}

static err_t my_revoke_user(struct db_conn *c, json_t *revocation,
                            const struct db_vars *v, struct buf *why)
{
	json_t *hosts = NULL;
	err_t rc;

	/* Revoking twice (after a crash, a retry) must succeed. */
	rc = my_hosts(c, v->name, &hosts, why);
	if (rc == ERR_OK && json_array_size(hosts) > 0)
		rc = db_statements_given(revocation)
		         ? db_statements_run(&my_dialect, c, revocation, NULL,
		                             v, my_exec, why)
		         : my_each_account(c, "DROP USER", false, v, why);
	json_decref(hosts);
	return rc;
}

static err_t my_create_user(struct db_conn *c, json_t *creation,
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
	rc = db_statements_run(&my_dialect, c, creation, NULL, v, my_exec, why);
	if (rc == ERR_OK)
		return ERR_OK;

	/* DDL is committed as it runs: undo what did run. */
	if (!my_broken(c)) {
		if (db_statements_given(rollback))
			db_statements_run(&my_dialect, c, rollback, NULL, v,
			                  my_exec, &ignored);
		if (my_revoke_user(c, NULL, v, &ignored) != ERR_OK)
			*unsure = true;
	}
	*unsure = *unsure || my_broken(c);
	buf_release(&ignored);
	return rc;
}

static err_t my_renew_user(struct db_conn *c, json_t *renew,
                           const struct db_vars *v, struct buf *why)
{
	/* MySQL accounts have no expiry of their own: nothing by default. */
	if (!db_statements_given(renew))
		return ERR_OK;
	return db_statements_run(&my_dialect, c, renew, NULL, v, my_exec, why);
}

static err_t my_set_password(struct db_conn *c, json_t *rotation,
                             const struct db_vars *v, struct buf *why)
{
	json_t *hosts = NULL;
	err_t rc;

	if (db_statements_given(rotation))
		return db_statements_run(&my_dialect, c, rotation, NULL, v,
		                         my_exec, why);
	rc = my_hosts(c, v->name, &hosts, why);
	if (rc == ERR_OK && json_array_size(hosts) == 0) {
		buf_printf(why, "database user does not exist");
		rc = ERR_INVALID;
	}
	json_decref(hosts);
	if (rc == ERR_OK)
		rc = my_each_account(c, "ALTER USER", true, v, why);
	return rc;
}

const struct db_plugin db_mysql_plugin = {
    .name = "mysql-database-plugin",
    .username_max = 32,
    .dialect = &my_dialect,
    .connect = my_connect,
    .verify = my_verify,
    .create_user = my_create_user,
    .revoke_user = my_revoke_user,
    .renew_user = my_renew_user,
    .set_password = my_set_password,
    .broken = my_broken,
    .close = my_close,
};

/*
 * test_db_template.c - statement templates of the database engine: each
 * value quoted for the place it stands in, with the PostgreSQL and MySQL
 * plugins' own quoting (without a connection), statements split only at
 * the semicolons of plain text, hostile values that stay one literal,
 * failures redacted; and generated passwords and user names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/secret.h"
#include "engines/database/database.h"
#include "engines/database/db_plugin.h"

#define PG (db_postgres_plugin.dialect)
#define MY (db_mysql_plugin.dialect)

/* Renders tmpl; returns the code, with the text or the reason in *out. */
static err_t render(const struct db_dialect *d, const char *tmpl,
                    const struct db_vars *v, char **out)
{
	struct buf sql = BUF_INIT, why = BUF_INIT;
	err_t rc = db_template_render(d, NULL, tmpl, v, &sql, &why);

	*out = buf_detach(rc == ERR_OK ? &sql : &why);
	buf_release(&sql);
	buf_release(&why);
	return rc;
}

static void expect(const struct db_dialect *d, const char *tmpl,
                   const struct db_vars *v, const char *want)
{
	char *got = NULL;

	assert_int_equal(render(d, tmpl, v, &got), ERR_OK);
	assert_string_equal(got, want);
	free(got);
}

static void test_pg_quotes_for_the_place(void **state)
{
	struct db_vars v = {"a\"b", "p'q", "2030-01-02 03:04:05+0000"};

	(void)state;
	/* Inside the operator's quotes: only escaped. */
	expect(PG,
	       "CREATE ROLE \"{{name}}\" PASSWORD '{{password}}' "
	       "VALID UNTIL '{{expiration}}';",
	       &v,
	       "CREATE ROLE \"a\"\"b\" PASSWORD 'p''q' "
	       "VALID UNTIL '2030-01-02 03:04:05+0000';");
	/* Bare: a whole identifier for the name, a literal for the rest. */
	expect(PG, "ALTER ROLE {{name}} PASSWORD {{password}}", &v,
	       "ALTER ROLE \"a\"\"b\" PASSWORD 'p''q'");
	/* {{username}} is the name; spaces inside the braces are fine. */
	expect(PG, "DROP ROLE {{ username }}", &v, "DROP ROLE \"a\"\"b\"");
	/* A quote in a comment opens nothing. */
	expect(PG, "-- don't\nSELECT '{{password}}' /* it's */ ", &v,
	       "-- don't\nSELECT 'p''q' /* it's */ ");
	/* An escaped quote inside a string keeps the string open. */
	expect(PG, "SELECT 'it''s {{password}}'", &v, "SELECT 'it''s p''q'");
}

static void test_pg_backslashes(void **state)
{
	struct db_vars v = {"n", "a\\b", NULL};
	char *got = NULL;

	(void)state;
	/* An E'' literal reads the same whatever the server's settings. */
	expect(PG, "SELECT {{password}}", &v, "SELECT  E'a\\\\b'");
	/* Inside a plain '...' it could not be escaped safely: refused. */
	assert_int_equal(render(PG, "SELECT '{{password}}'", &v, &got),
	                 ERR_INVALID);
	assert_non_null(strstr(got, "cannot be quoted"));
	free(got);
}

static void test_bad_templates(void **state)
{
	struct db_vars v = {"n", "p", NULL};
	char *got = NULL;

	(void)state;
	assert_int_equal(render(PG, "CREATE ROLE {{nmae}}", &v, &got),
	                 ERR_INVALID);
	assert_non_null(strstr(got, "{{nmae}}"));
	free(got);
	assert_int_equal(render(PG, "CREATE ROLE {{name", &v, &got),
	                 ERR_INVALID);
	assert_non_null(strstr(got, "unclosed"));
	free(got);
	/* Known, but not set for this statement. */
	assert_int_equal(render(PG, "VALID UNTIL '{{expiration}}'", &v, &got),
	                 ERR_INVALID);
	free(got);
}

static void test_mysql_quotes_for_the_place(void **state)
{
	struct db_vars v = {"a'b`c", "p\\q\"r", NULL};

	(void)state;
	expect(MY, "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
	       &v, "CREATE USER 'a\\'b`c'@'%' IDENTIFIED BY 'p\\\\q\\\"r';");
	expect(MY, "DROP USER {{name}}", &v, "DROP USER `a'b``c`");
	expect(MY, "GRANT SELECT ON `db`.* TO \"{{name}}\"", &v,
	       "GRANT SELECT ON `db`.* TO \"a\\'b`c\"");
	expect(MY, "SET PASSWORD = {{password}}", &v,
	       "SET PASSWORD = 'p\\\\q\\\"r'");
}

struct collected {
	char *stmts[8];
	size_t n;
	int fail_at; /* 0: never */
	const char *message;
};

static err_t collect(void *ctx, const char *stmt)
{
	struct collected *c = ctx;

	if (c->n >= 8)
		return ERR_INTERNAL;
	c->stmts[c->n++] = strdup(stmt);
	return ERR_OK;
}

static void collected_free(struct collected *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->stmts[i]);
	c->n = 0;
}

static void test_split(void **state)
{
	struct collected c = {0};

	(void)state;
	assert_int_equal(db_template_split(PG,
	                                   "A; B 'x;y' \"c;d\"; -- e;\n F;"
	                                   " /* g; */ ;  ;",
	                                   collect, &c),
	                 ERR_OK);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.stmts[0], "A");
	assert_string_equal(c.stmts[1], " B 'x;y' \"c;d\"");
	assert_string_equal(c.stmts[2], " -- e;\n F");
	assert_string_equal(c.stmts[3], " /* g; */ ");
	collected_free(&c);

	/* MySQL: a backslash escapes the quote, which keeps the string. */
	assert_int_equal(
	    db_template_split(MY, "SELECT 'a\\';b'; SELECT `x;y`", collect, &c),
	    ERR_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.stmts[0], "SELECT 'a\\';b'");
	collected_free(&c);
}

/* A hostile value stays inside one statement, whatever dialect. */
static void test_injection_stays_one_statement(void **state)
{
	static const char *const evil[] = {
	    "x'; DROP TABLE t; --",  "x\\'; DROP TABLE t; --",
	    "x\"; DROP TABLE t; --", "x`; DROP TABLE t; --",
	    "x*/; DROP TABLE t; /*", "x\n; DROP TABLE t",
	};
	static const char *const tmpls[] = {
	    "CREATE ROLE \"{{name}}\" PASSWORD '{{password}}'",
	    "CREATE ROLE {{name}} PASSWORD {{password}}",
	    "CREATE USER '{{name}}' IDENTIFIED BY \"{{password}}\"",
	    "CREATE USER `{{name}}` /* c */ IDENTIFIED BY {{password}}",
	};
	const struct db_dialect *ds[2] = {PG, MY};
	size_t i, j, k;

	(void)state;
	for (i = 0; i < 6; i++)
		for (j = 0; j < 4; j++)
			for (k = 0; k < 2; k++) {
				struct db_vars v = {evil[i], evil[i], NULL};
				struct collected c = {0};
				char *sql = NULL;
				if (render(ds[k], tmpls[j], &v, &sql) !=
				    ERR_OK) {
					/* Refusing is safe too. */
					free(sql);
					continue;
				}
				assert_int_equal(
				    db_template_split(ds[k], sql, collect, &c),
				    ERR_OK);
				assert_int_equal(c.n, 1);
				collected_free(&c);
				free(sql);
			}
}

static struct collected *exec_sink;

static err_t fake_exec(struct db_conn *conn, const char *sql, struct buf *why)
{
	(void)conn;
	if (exec_sink->fail_at > 0 &&
	    (int)exec_sink->n + 1 == exec_sink->fail_at) {
		buf_printf(why, "%s near \"%s\"", exec_sink->message, sql);
		return ERR_INVALID;
	}
	return collect(exec_sink, sql);
}

static void test_statements_run(void **state)
{
	struct db_vars v = {"u", "Secret-Pw-1", NULL};
	static const char *const defaults[] = {"DROP ROLE {{name}}", NULL};
	struct collected c = {0};
	struct buf why = BUF_INIT;
	json_t *stmts =
	    json_pack("[s, s]", "A {{name}}; B", "C '{{password}}'");

	(void)state;
	exec_sink = &c;
	assert_int_equal(
	    db_statements_run(PG, NULL, stmts, defaults, &v, fake_exec, &why),
	    ERR_OK);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.stmts[0], "A \"u\"");
	assert_string_equal(c.stmts[2], "C 'Secret-Pw-1'");
	collected_free(&c);

	/* No statements given: the plugin's defaults. */
	json_t *blank = json_pack("[s]", "  ");
	assert_false(db_statements_given(blank));
	assert_int_equal(
	    db_statements_run(PG, NULL, blank, defaults, &v, fake_exec, &why),
	    ERR_OK);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.stmts[0], "DROP ROLE \"u\"");
	collected_free(&c);

	/* A failure stops the run, and its message never shows the secret. */
	c.fail_at = 3;
	c.message = "syntax error";
	assert_int_equal(
	    db_statements_run(PG, NULL, stmts, defaults, &v, fake_exec, &why),
	    ERR_INVALID);
	assert_int_equal(c.n, 2);
	assert_null(strstr(buf_str(&why), "Secret-Pw-1"));
	assert_non_null(strstr(buf_str(&why), "[redacted]"));
	collected_free(&c);
	json_decref(stmts);
	json_decref(blank);
	buf_release(&why);
}

static void test_passwords(void **state)
{
	char *pw = NULL;
	size_t i, k;

	(void)state;
	for (k = 0; k < 200; k++) {
		bool lower = false, upper = false, digit = false, dash = false;
		assert_int_equal(db_password_new("", &pw), ERR_OK);
		assert_int_equal(strlen(pw), DB_PASSWORD_LEN);
		for (i = 0; pw[i] != 0; i++) {
			char ch = pw[i];
			lower = lower || (ch >= 'a' && ch <= 'z');
			upper = upper || (ch >= 'A' && ch <= 'Z');
			digit = digit || (ch >= '0' && ch <= '9');
			dash = dash || ch == '-';
			assert_true((ch >= 'a' && ch <= 'z') ||
			            (ch >= 'A' && ch <= 'Z') ||
			            (ch >= '0' && ch <= '9') || ch == '-');
		}
		assert_true(lower && upper && digit && dash);
		secret_free(pw);
	}
	assert_int_equal(db_password_new("length=64", &pw), ERR_OK);
	assert_int_equal(strlen(pw), 64);
	secret_free(pw);
	assert_int_equal(db_password_new("length=7", &pw), ERR_INVALID);
	assert_int_equal(db_password_new("length=129", &pw), ERR_INVALID);
	assert_int_equal(db_password_new("length=2x", &pw), ERR_INVALID);
	assert_int_equal(db_password_new("my-policy", &pw), ERR_INVALID);
	assert_true(db_password_policy_ok("length=8"));
}

static void test_usernames(void **state)
{
	struct buf u = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(
	    db_username_new(NULL, "token-ci", "read'only\"x", 63, &u), ERR_OK);
	assert_int_equal(strncmp(buf_str(&u), "v-token-ci-read_onl-", 20), 0);
	for (i = 0; i < u.len; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz"
		                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
		                       buf_str(&u)[i]));
	/* The database's limit wins. */
	assert_int_equal(db_username_new("", "root", "role", 32, &u), ERR_OK);
	assert_int_equal(u.len, 32);

	assert_int_equal(db_username_new("app_{{.RoleName}}_{{ random 4 }}",
	                                 "root", "r;x", 63, &u),
	                 ERR_OK);
	assert_int_equal(u.len, strlen("app_r_x_") + 4);
	assert_int_equal(strncmp(buf_str(&u), "app_r_x_", 8), 0);
	assert_int_equal(db_username_new("{{.Nope}}", "root", "r", 63, &u),
	                 ERR_INVALID);
	assert_int_equal(db_username_new("{{random 65}}", "root", "r", 63, &u),
	                 ERR_INVALID);
	assert_int_equal(db_username_new("x{{unix_time", "root", "r", 63, &u),
	                 ERR_INVALID);
	buf_release(&u);
}

static void test_plugins_and_names(void **state)
{
	char when[32];

	(void)state;
	assert_ptr_equal(db_plugin_find("postgresql-database-plugin"),
	                 &db_postgres_plugin);
	assert_ptr_equal(db_plugin_find("mysql-database-plugin"),
	                 &db_mysql_plugin);
	assert_null(db_plugin_find("oracle-database-plugin"));
	assert_null(db_plugin_find(NULL));
	assert_true(db_name_ok("read-only.v2"));
	assert_true(db_name_ok("r'\";--"));
	assert_false(db_name_ok(""));
	assert_false(db_name_ok(".."));
	assert_false(db_name_ok("a/b"));
	assert_false(db_name_ok("a\nb"));
	db_expiration(1893553445, when);
	assert_string_equal(when, "2030-01-02 03:04:05+0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pg_quotes_for_the_place),
	    cmocka_unit_test(test_pg_backslashes),
	    cmocka_unit_test(test_bad_templates),
	    cmocka_unit_test(test_mysql_quotes_for_the_place),
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_injection_stays_one_statement),
	    cmocka_unit_test(test_statements_run),
	    cmocka_unit_test(test_passwords),
	    cmocka_unit_test(test_usernames),
	    cmocka_unit_test(test_plugins_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

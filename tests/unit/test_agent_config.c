/*
 * test_agent_config.c - the agent's configuration file: a full file in
 * HCL and in JSON, the defaults, and the rejected cases with the line
 * each is reported on.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent_config.h"

static const char full_hcl[] =
    "vault {\n"                                                  /* 1 */
    "  address = \"https://coffer.example:8200\"\n"              /* 2 */
    "  ca_cert = \"/etc/ca.pem\"\n"                              /* 3 */
    "  tls_skip_verify = false\n"                                /* 4 */
    "}\n"                                                        /* 5 */
    "auto_auth {\n"                                              /* 6 */
    "  method \"approle\" {\n"                                   /* 7 */
    "    mount_path = \"auth/approle-ci\"\n"                     /* 8 */
    "    config = {\n"                                           /* 9 */
    "      role_id_file_path = \"/run/role-id\"\n"               /* 10 */
    "      secret_id_file_path = \"/run/secret-id\"\n"           /* 11 */
    "      remove_secret_id_file_after_reading = false\n"        /* 12 */
    "    }\n"                                                    /* 13 */
    "  }\n"                                                      /* 14 */
    "  sink \"file\" { config = { path = \"/run/token\" } }\n"   /* 15 */
    "  sink \"file\" {\n"                                        /* 16 */
    "    config = { path = \"/run/wrapped\", mode = 0600 }\n"    /* 17 */
    "    wrap_ttl = \"5m\"\n"                                    /* 18 */
    "  }\n"                                                      /* 19 */
    "}\n"                                                        /* 20 */
    "template {\n"                                               /* 21 */
    "  source = \"/etc/app.tpl\"\n"                              /* 22 */
    "  destination = \"/run/app.conf\"\n"                        /* 23 */
    "  perms = \"0640\"\n"                                       /* 24 */
    "  command = \"systemctl reload app\"\n"                     /* 25 */
    "  command_timeout = \"10s\"\n"                              /* 26 */
    "  error_on_missing_key = true\n"                            /* 27 */
    "  left_delimiter = \"[[\"\n"                                /* 28 */
    "  right_delimiter = \"]]\"\n"                               /* 29 */
    "}\n"                                                        /* 30 */
    "template {\n"                                               /* 31 */
    "  contents = \"{{ with secret \\\"kv/x\\\" }}{{ end }}\"\n" /* 32 */
    "  destination = \"/run/x\"\n"                               /* 33 */
    "  command = [\"/bin/touch\", \"/run/x.done\"]\n"            /* 34 */
    "}\n"                                                        /* 35 */
    "template_config {\n"                                        /* 36 */
    "  static_secret_render_interval = \"1m\"\n"                 /* 37 */
    "  exit_on_retry_failure = true\n"                           /* 38 */
    "}\n"                                                        /* 39 */
    "exec {\n"                                                   /* 40 */
    "  command = [\"/usr/bin/app\", \"--serve\"]\n"              /* 41 */
    "  restart_on_secret_changes = \"never\"\n"                  /* 42 */
    "  restart_stop_signal = \"SIGINT\"\n"                       /* 43 */
    "}\n"                                                        /* 44 */
    "env_template \"DB_PASSWORD\" {\n"                           /* 45 */
    "  contents = \"{{ .Data.password }}\"\n"                    /* 46 */
    "  error_on_missing_key = true\n"                            /* 47 */
    "}\n"                                                        /* 48 */
    "listener \"tcp\" {\n"                                       /* 49 */
    "  address = \"127.0.0.1:8100\"\n"                           /* 50 */
    "  tls_disable = true\n"                                     /* 51 */
    "}\n"                                                        /* 52 */
    "cache { }\n"                                                /* 53 */
    "api_proxy { use_auto_auth_token = \"force\" }\n"            /* 54 */
    "pid_file = \"/run/agent.pid\"\n"                            /* 55 */
    "log_level = \"debug\"\n";                                   /* 56 */

static void check_full(const struct agent_config *c)
{
	const struct agent_template *t;

	assert_string_equal(c->vault.address, "https://coffer.example:8200");
	assert_string_equal(c->vault.ca_cert, "/etc/ca.pem");
	assert_false(c->vault.tls_skip_verify);

	assert_true(c->has_auto_auth);
	assert_int_equal(c->method.type, AGENT_METHOD_APPROLE);
	assert_string_equal(c->method.mount_path, "auth/approle-ci");
	assert_string_equal(c->method.role_id_file, "/run/role-id");
	assert_string_equal(c->method.secret_id_file, "/run/secret-id");
	assert_false(c->method.remove_secret_id);

	assert_int_equal(c->n_sinks, 2);
	assert_string_equal(c->sinks[0].path, "/run/token");
	assert_int_equal(c->sinks[0].mode, 0640);
	assert_int_equal(c->sinks[0].wrap_ttl, 0);
	assert_int_equal(c->sinks[1].mode, 0600);
	assert_int_equal(c->sinks[1].wrap_ttl, 300);

	assert_int_equal(c->n_templates, 3);
	t = &c->templates[0];
	assert_string_equal(t->name, "/etc/app.tpl");
	assert_null(t->contents);
	assert_true(t->has_perms);
	assert_int_equal(t->perms, 0640);
	assert_string_equal(t->command[0], "/bin/sh");
	assert_string_equal(t->command[1], "-c");
	assert_string_equal(t->command[2], "systemctl reload app");
	assert_null(t->command[3]);
	assert_int_equal(t->command_timeout, 10);
	assert_true(t->error_on_missing_key);
	assert_string_equal(t->left_delim, "[[");
	assert_string_equal(t->right_delim, "]]");
	assert_int_equal(t->line, 21);

	t = &c->templates[1];
	assert_string_equal(t->contents, "{{ with secret \"kv/x\" }}{{ end }}");
	assert_string_equal(t->name, "template for /run/x");
	assert_false(t->has_perms);
	assert_string_equal(t->command[0], "/bin/touch");
	assert_string_equal(t->command[1], "/run/x.done");
	assert_null(t->command[2]);
	assert_int_equal(t->command_timeout, 30);
	assert_true(t->create_dest_dirs);

	t = &c->templates[2];
	assert_string_equal(t->env_name, "DB_PASSWORD");
	assert_string_equal(t->name, "env_template DB_PASSWORD");
	assert_null(t->destination);
	assert_true(t->error_on_missing_key);

	assert_int_equal(c->static_interval, 60);
	assert_true(c->exit_on_retry_failure);
	assert_true(c->has_exec);
	assert_string_equal(c->exec.command[0], "/usr/bin/app");
	assert_string_equal(c->exec.command[1], "--serve");
	assert_null(c->exec.command[2]);
	assert_int_equal(c->exec.restart, AGENT_RESTART_NEVER);
	assert_int_equal(c->exec.stop_signal, SIGINT);

	assert_int_equal(c->n_listeners, 1);
	assert_string_equal(c->listeners[0].address, "127.0.0.1:8100");
	assert_true(c->listeners[0].tls_disable);
	assert_true(c->cache);
	assert_int_equal(c->use_auto_auth_token, AGENT_TOKEN_FORCE);
	assert_string_equal(c->pid_file, "/run/agent.pid");
	assert_string_equal(c->log_level, "debug");
	assert_false(c->exit_after_auth);
}

static void test_full_hcl(void **state)
{
	struct agent_config c;
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(agent_config_parse("agent.hcl", full_hcl,
	                                    strlen(full_hcl), &c, &msg),
	                 ERR_OK);
	check_full(&c);
	agent_config_release(&c);
	agent_config_release(&c); /* empty after the first: a no-op */
	buf_release(&msg);
}

static void test_json(void **state)
{
	static const char text[] =
	    "{\"auto_auth\": {\"method\": {\"jwt\": {\"config\": "
	    "{\"path\": \"/var/run/jwt\", \"role\": \"ci\"}}},\n"
	    " \"sink\": [{\"file\": {\"config\": {\"path\": \"/a\"}}},\n"
	    "          {\"file\": {\"config\": {\"path\": \"/b\", "
	    "\"mode\": 384}}}]},\n"
	    " \"template\": [{\"contents\": \"x\", \"destination\": \"/x\"}],\n"
	    " \"exit_after_auth\": true}";
	struct agent_config c;
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(
	    agent_config_parse("a.json", text, strlen(text), &c, &msg), ERR_OK);
	assert_int_equal(c.method.type, AGENT_METHOD_JWT);
	assert_string_equal(c.method.mount_path, "auth/jwt");
	assert_string_equal(c.method.jwt_file, "/var/run/jwt");
	assert_string_equal(c.method.role, "ci");
	/* Vault's default: the JWT file is consumed. */
	assert_true(c.method.remove_jwt);
	assert_int_equal(c.n_sinks, 2);
	assert_string_equal(c.sinks[1].path, "/b");
	assert_int_equal(c.sinks[1].mode, 0600);
	assert_int_equal(c.n_templates, 1);
	assert_true(c.exit_after_auth);
	agent_config_release(&c);
	buf_release(&msg);
}

static void test_defaults(void **state)
{
	static const char text[] =
	    "auto_auth { method \"approle\" { config = {\n"
	    "  role_id_file_path = \"r\" secret_id_file_path = \"s\" } } }\n"
	    "listener \"tcp\" { tls_disable = true }\n";
	struct agent_config c;
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(
	    agent_config_parse("a.hcl", text, strlen(text), &c, &msg), ERR_OK);
	assert_string_equal(c.method.mount_path, "auth/approle");
	assert_true(c.method.remove_secret_id);
	assert_null(c.vault.address);
	assert_int_equal(c.static_interval, AGENT_DEFAULT_INTERVAL);
	assert_string_equal(c.listeners[0].address, AGENT_DEFAULT_LISTEN);
	assert_false(c.cache);
	assert_int_equal(c.use_auto_auth_token, AGENT_TOKEN_NO);
	assert_int_equal(c.n_sinks, 0);
	assert_int_equal(c.n_templates, 0);
	agent_config_release(&c);
	buf_release(&msg);
}

static void test_other_methods(void **state)
{
	static const char k8s[] = "auto_auth { method \"kubernetes\" {\n"
	                          "  mount_path = \"/kubernetes-prod/\"\n"
	                          "  config = { role = \"web\" } } }\n";
	static const char tf[] =
	    "auto_auth { method \"token_file\" {\n"
	    "  config = { token_file_path = \"/run/t\" } } }\n";
	struct agent_config c;
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(agent_config_parse("k", k8s, strlen(k8s), &c, &msg),
	                 ERR_OK);
	assert_int_equal(c.method.type, AGENT_METHOD_KUBERNETES);
	assert_string_equal(c.method.mount_path, "auth/kubernetes-prod");
	assert_string_equal(c.method.jwt_file, AGENT_DEFAULT_K8S_TOKEN);
	/* A projected service account token is never removed. */
	assert_false(c.method.remove_jwt);
	agent_config_release(&c);

	assert_int_equal(agent_config_parse("t", tf, strlen(tf), &c, &msg),
	                 ERR_OK);
	assert_int_equal(c.method.type, AGENT_METHOD_TOKEN_FILE);
	assert_string_equal(c.method.token_file, "/run/t");
	assert_null(c.method.mount_path);
	agent_config_release(&c);
	buf_release(&msg);
}

/* Parses text, expects a failure whose message is exactly want. */
static void refused(const char *text, const char *want)
{
	struct agent_config c;
	struct buf msg = BUF_INIT;
	err_t rc;

	rc = agent_config_parse("agent.hcl", text, strlen(text), &c, &msg);
	if (rc == ERR_OK || strcmp(buf_str(&msg), want) != 0)
		fail_msg("for:\n%s\nwant: %s\ngot:  %s (%d)", text, want,
		         buf_str(&msg), (int)rc);
	assert_int_equal(rc, ERR_INVALID);
	/* Nothing is left behind in out on failure. */
	assert_null(c.templates);
	assert_null(c.method.role_id_file);
	buf_release(&msg);
}

#define APPROLE                                                                \
	"auto_auth { method \"approle\" { config = {\n"                        \
	"  role_id_file_path = \"r\" } } }\n"

static void test_unknown_keys(void **state)
{
	(void)state;
	refused(APPROLE "tempalte { }\n",
	        "agent.hcl:3: unknown key \"tempalte\"");
	refused(APPROLE "vault {\n address = \"x\"\n tls_skip = true\n}\n",
	        "agent.hcl:5: unknown key \"tls_skip\"");
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\"\n"
	        "  secret_id_path = \"s\" } } }\n",
	        "agent.hcl:3: unknown key \"secret_id_path\"");
	refused(APPROLE "template {\n contents = \"x\"\n destination = \"y\"\n"
	                " wait { min = \"1s\" }\n}\n",
	        "agent.hcl:6: unknown key \"wait\"");
	refused(APPROLE "auto_auth { }\n",
	        "agent.hcl:3: duplicate key \"auto_auth\"");
	refused(APPROLE "pid_file = \"a\"\npid_file = \"b\"\n",
	        "agent.hcl:4: duplicate key \"pid_file\"");
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\" } }\n"
	        "  retry { } }\n",
	        "agent.hcl:3: unknown key \"retry\"");
}

static void test_bad_values(void **state)
{
	(void)state;
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\" } }\n"
	        "  sink \"file\" { config = { path = \"t\"\n"
	        "    mode = \"0980\" } } }\n",
	        "agent.hcl:4: invalid value for \"mode\": must be octal "
	        "digits such as \"0640\"");
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\" } }\n"
	        "  sink \"file\" { config = { path = \"t\"\n"
	        "    mode = 0680 } } }\n",
	        "agent.hcl:4: invalid octal number: digit 8");
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\" } }\n"
	        "  sink \"file\" { config = { path = \"t\" }\n"
	        "    wrap_ttl = \"soon\" } }\n",
	        "agent.hcl:4: invalid value for \"wrap_ttl\": must be a "
	        "duration such as \"5m\"");
	refused(APPROLE "template_config {\n"
	                "  static_secret_render_interval = 0\n}\n",
	        "agent.hcl:4: invalid value for "
	        "\"static_secret_render_interval\": must be longer than zero");
	refused(APPROLE "exit_after_auth = \"maybe\"\n",
	        "agent.hcl:3: invalid value for \"exit_after_auth\": must be "
	        "true or false");
	refused(APPROLE "log_level = \"loud\"\n",
	        "agent.hcl:3: invalid value for \"log_level\": must be trace, "
	        "debug, info, warn or error");
	refused(APPROLE
	        "template {\n contents = \"x\"\n destination = \"\"\n}\n",
	        "agent.hcl:5: invalid value for \"destination\": must not be "
	        "empty");
	refused(APPROLE "template {\n contents = \"x\"\n destination = \"y\"\n"
	                " command = []\n}\n",
	        "agent.hcl:6: invalid value for \"command\": must not be "
	        "empty");
	refused(APPROLE "template {\n contents = \"x\"\n destination = \"y\"\n"
	                " perms = 10000\n}\n",
	        "agent.hcl:6: invalid value for \"perms\": must be a file mode "
	        "such as \"0640\"");
}

static void test_auto_auth_rules(void **state)
{
	(void)state;
	refused("auto_auth { method \"ldap\" { } }\n",
	        "agent.hcl:1: unsupported auto_auth method \"ldap\" (use "
	        "approle, jwt, kubernetes or token_file)");
	refused("auto_auth {\n method \"approle\" { }\n}\n",
	        "agent.hcl:2: approle needs role_id_file_path");
	refused(
	    "auto_auth {\n method \"jwt\" { config = { role = \"r\" } }\n}\n",
	    "agent.hcl:2: jwt needs path and role");
	refused("auto_auth {\n method \"approle\" { config = {\n"
	        " role_id_file_path = \"r\" } }\n"
	        " method \"jwt\" { }\n}\n",
	        "agent.hcl:4: only one method block is allowed");
	refused(
	    "auto_auth {\n sink \"file\" { config = { path = \"t\" } }\n}\n",
	    "agent.hcl:1: auto_auth needs a method block");
	refused("auto_auth { method \"token_file\" {\n"
	        " mount_path = \"auth/token\"\n"
	        " config = { token_file_path = \"t\" } } }\n",
	        "agent.hcl:1: token_file takes no mount_path");
}

static void test_sink_rules(void **state)
{
	(void)state;
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\" } }\n"
	        "  sink \"socket\" { config = { path = \"t\" } } }\n",
	        "agent.hcl:3: unsupported sink type \"socket\" (use file)");
	refused("auto_auth { method \"approle\" { config = {\n"
	        "  role_id_file_path = \"r\" } }\n"
	        "  sink \"file\" { wrap_ttl = \"1m\" } }\n",
	        "agent.hcl:3: a file sink needs config.path");
}

static void test_template_rules(void **state)
{
	(void)state;
	refused(APPROLE "template {\n source = \"a\"\n contents = \"b\"\n"
	                " destination = \"c\"\n}\n",
	        "agent.hcl:3: a template needs exactly one of source and "
	        "contents");
	refused(APPROLE "template {\n destination = \"c\"\n}\n",
	        "agent.hcl:3: a template needs exactly one of source and "
	        "contents");
	refused(APPROLE "template {\n contents = \"b\"\n}\n",
	        "agent.hcl:3: a template needs a destination");
	refused(APPROLE "exec { command = [\"a\"] }\n"
	                "env_template \"X\" {\n contents = \"b\"\n"
	                " destination = \"c\"\n}\n",
	        "agent.hcl:6: an env_template takes no \"destination\"");
	refused(APPROLE "exec { command = [\"a\"] }\n"
	                "env_template \"1X\" { contents = \"b\" }\n",
	        "agent.hcl:4: env_template \"1X\" is not a variable name");
	refused(APPROLE "exec { command = [\"a\"] }\n"
	                "env_template \"X\" { contents = \"b\" }\n"
	                "env_template \"X\" { contents = \"c\" }\n",
	        "agent.hcl:5: env_template \"X\" is defined twice");
	refused(APPROLE "env_template \"X\" { contents = \"b\" }\n",
	        "agent.hcl: env_template needs an exec block");
	refused("listener \"tcp\" { tls_disable = true }\n"
	        "template { contents = \"b\"\n destination = \"c\" }\n",
	        "agent.hcl: templates, exec, exit_after_auth and "
	        "use_auto_auth_token need an auto_auth block");
}

static void test_exec_rules(void **state)
{
	(void)state;
	refused(APPROLE "exec {\n command = \"./app --serve\"\n}\n",
	        "agent.hcl:4: invalid value for \"command\": must be a list "
	        "of strings");
	refused(APPROLE "exec {\n restart_on_secret_changes = \"always\"\n}\n",
	        "agent.hcl:3: exec needs a command");
	refused(APPROLE "exec {\n command = [\"a\"]\n"
	                " restart_on_secret_changes = \"sometimes\"\n}\n",
	        "agent.hcl:5: invalid value for \"restart_on_secret_changes\": "
	        "must be \"always\" or \"never\"");
	refused(APPROLE "exec {\n command = [\"a\"]\n"
	                " restart_stop_signal = \"SIGFOO\"\n}\n",
	        "agent.hcl:5: invalid value for \"restart_stop_signal\": must "
	        "be one of SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGKILL, SIGUSR1, "
	        "SIGUSR2");
	refused(APPROLE "exec {\n command = [\"a\", \"\"]\n}\n",
	        "agent.hcl:4: invalid value for \"command\": every item must "
	        "be a non-empty string");
	refused(APPROLE "exec { command = [\"a\"] }\nexit_after_auth = true\n",
	        "agent.hcl: exit_after_auth cannot be used with exec or a "
	        "listener");
}

static void test_listener_rules(void **state)
{
	(void)state;
	refused("listener \"unix\" { address = \"/run/a.sock\" }\n",
	        "agent.hcl:1: unsupported listener type \"unix\" (use tcp)");
	refused("listener \"tcp\" {\n address = \"127.0.0.1:8100\"\n}\n",
	        "agent.hcl:1: listener needs tls_cert_file and tls_key_file "
	        "unless tls_disable is true");
	refused(APPROLE "cache { }\n", "agent.hcl:3: cache needs a listener "
	                               "block");
	refused("listener \"tcp\" { tls_disable = true }\n"
	        "api_proxy { use_auto_auth_token = true }\n",
	        "agent.hcl: templates, exec, exit_after_auth and "
	        "use_auto_auth_token need an auto_auth block");
	refused("listener \"tcp\" { tls_disable = true }\n"
	        "api_proxy { use_auto_auth_token = \"always\" }\n",
	        "agent.hcl:2: invalid value for \"use_auto_auth_token\": must "
	        "be true or false");
	refused("pid_file = \"/run/a.pid\"\n",
	        "agent.hcl: nothing to do: add an auto_auth or a listener "
	        "block");
	refused("", "agent.hcl: nothing to do: add an auto_auth or a listener "
	            "block");
}

static void test_syntax_error(void **state)
{
	(void)state;
	refused(APPROLE "template {\n contents = \"x\n}\n",
	        "agent.hcl:4: unterminated string");
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_agent_config_XXXXXX";
	struct agent_config c;
	struct buf msg = BUF_INIT;
	int fd;

	(void)state;
	assert_int_equal(agent_config_load("/nonexistent/agent.hcl", &c, &msg),
	                 ERR_IO);
	assert_string_equal(buf_str(&msg), "/nonexistent/agent.hcl: cannot "
	                                   "read file: No such file or "
	                                   "directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_hcl, strlen(full_hcl)),
	                 (ssize_t)strlen(full_hcl));
	close(fd);
	assert_int_equal(agent_config_load(path, &c, &msg), ERR_OK);
	check_full(&c);
	agent_config_release(&c);
	unlink(path);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_hcl),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_other_methods),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_auto_auth_rules),
	    cmocka_unit_test(test_sink_rules),
	    cmocka_unit_test(test_template_rules),
	    cmocka_unit_test(test_exec_rules),
	    cmocka_unit_test(test_listener_rules),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

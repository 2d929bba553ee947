/*
 * test_config.c - the server configuration: a full file in HCL and JSON,
 * the defaults, and every rejected case with the line it is reported on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "hcl/hcl.h"

#define HOUR 3600

static const char full_hcl[] = "# a complete configuration\n"
                               "storage \"sqlite\" {\n"
                               "  path = \"/var/lib/coffer/coffer.db\"\n"
                               "  busy_timeout = 5000\n"
                               "  wal = true\n"
                               "}\n"
                               "\n"
                               "listener \"tcp\" {\n"
                               "  address = \"0.0.0.0:8200\"\n"
                               "  tls_cert_file = \"/etc/coffer/cert.pem\"\n"
                               "  tls_key_file = \"/etc/coffer/key.pem\"\n"
                               "  tls_client_ca_file = \"/etc/coffer/ca.pem\"\n"
                               "  tls_min_version = \"tls13\"\n"
                               "  max_request_size = 1048576\n"
                               "  max_request_duration = \"2m\"\n"
                               "}\n"
                               "listener \"tcp\" {\n"
                               "  address = \"[::1]:8300\"\n"
                               "  tls_disable = \"true\"\n"
                               "}\n"
                               "api_addr = \"https://coffer.example:8200\"\n"
                               "disable_mlock = true\n"
                               "log_level = \"warning\"\n"
                               "default_lease_ttl = \"1h\"\n"
                               "max_lease_ttl = 86400\n"
                               "max_request_size = 65536\n";

static const char full_json[] =
    "{\n"
    "  \"storage\": {\"sqlite\": {\"path\": \"/var/lib/coffer/coffer.db\",\n"
    "                           \"busy_timeout\": 5000, \"wal\": true}},\n"
    "  \"listener\": [\n"
    "    {\"tcp\": {\"address\": \"0.0.0.0:8200\",\n"
    "             \"tls_cert_file\": \"/etc/coffer/cert.pem\",\n"
    "             \"tls_key_file\": \"/etc/coffer/key.pem\",\n"
    "             \"tls_client_ca_file\": \"/etc/coffer/ca.pem\",\n"
    "             \"tls_min_version\": \"tls13\",\n"
    "             \"max_request_size\": 1048576,\n"
    "             \"max_request_duration\": \"2m\"}},\n"
    "    {\"tcp\": {\"address\": \"[::1]:8300\", \"tls_disable\": "
    "\"true\"}}\n"
    "  ],\n"
    "  \"api_addr\": \"https://coffer.example:8200\",\n"
    "  \"disable_mlock\": true,\n"
    "  \"log_level\": \"warning\",\n"
    "  \"default_lease_ttl\": \"1h\",\n"
    "  \"max_lease_ttl\": 86400,\n"
    "  \"max_request_size\": 65536\n"
    "}\n";

static void check_full(const struct server_config *cfg)
{
	const struct listener_config *l;

	assert_string_equal(cfg->storage_type, "sqlite");
	assert_int_equal(json_object_size(cfg->storage_config), 3);
	assert_string_equal(
	    json_string_value(json_object_get(cfg->storage_config, "path")),
	    "/var/lib/coffer/coffer.db");
	assert_string_equal(json_string_value(json_object_get(
	                        cfg->storage_config, "busy_timeout")),
	                    "5000");
	assert_string_equal(
	    json_string_value(json_object_get(cfg->storage_config, "wal")),
	    "true");

	assert_int_equal(cfg->n_listeners, 2);
	l = &cfg->listeners[0];
	assert_string_equal(l->address, "0.0.0.0:8200");
	assert_false(l->tls_disable);
	assert_string_equal(l->tls_cert_file, "/etc/coffer/cert.pem");
	assert_string_equal(l->tls_key_file, "/etc/coffer/key.pem");
	assert_string_equal(l->tls_client_ca_file, "/etc/coffer/ca.pem");
	assert_string_equal(l->tls_min_version, "tls13");
	assert_int_equal(l->max_request_size, 1048576);
	assert_int_equal(l->max_request_duration, 120);
	l = &cfg->listeners[1];
	assert_string_equal(l->address, "[::1]:8300");
	assert_true(l->tls_disable);
	assert_null(l->tls_cert_file);
	assert_string_equal(l->tls_min_version, "tls12");
	/* the top-level limit fills in where the listener sets none */
	assert_int_equal(l->max_request_size, 65536);
	assert_int_equal(l->max_request_duration, CONFIG_DEFAULT_DURATION);

	assert_string_equal(cfg->api_addr, "https://coffer.example:8200");
	assert_true(cfg->disable_mlock);
	assert_string_equal(cfg->log_level, "warning");
	assert_int_equal(cfg->default_lease_ttl, HOUR);
	assert_int_equal(cfg->max_lease_ttl, 24 * HOUR);
}

static void test_full_hcl(void **state)
{
	struct server_config cfg;
	char msg[256];

	(void)state;
	assert_int_equal(config_parse("full.hcl", full_hcl,
	                              sizeof(full_hcl) - 1, &cfg, msg,
	                              sizeof(msg)),
	                 ERR_OK);
	check_full(&cfg);
	config_release(&cfg);
	assert_null(cfg.listeners);
	config_release(&cfg);
	config_release(NULL);
}

static void test_full_json(void **state)
{
	struct server_config cfg;
	char msg[256];
	err_t rc;

	(void)state;
	rc = config_parse("full.json", full_json, sizeof(full_json) - 1, &cfg,
	                  msg, sizeof(msg));
	if (rc != ERR_OK)
		fail_msg("%s", msg);
	check_full(&cfg);
	config_release(&cfg);
}

static void test_defaults(void **state)
{
	static const char text[] = "storage \"inmem\" {}\n"
	                           "listener \"tcp\" { tls_disable = 1 }\n";
	struct server_config cfg;
	struct listener_config l;
	char msg[256];

	(void)state;
	assert_int_equal(config_parse("min.hcl", text, sizeof(text) - 1, &cfg,
	                              msg, sizeof(msg)),
	                 ERR_OK);
	assert_string_equal(cfg.storage_type, "inmem");
	assert_int_equal(json_object_size(cfg.storage_config), 0);
	assert_int_equal(cfg.n_listeners, 1);
	assert_string_equal(cfg.listeners[0].address, CONFIG_DEFAULT_ADDRESS);
	assert_true(cfg.listeners[0].tls_disable);
	assert_string_equal(cfg.listeners[0].tls_min_version, "tls12");
	assert_int_equal(cfg.listeners[0].max_request_size, 32 << 20);
	assert_int_equal(cfg.listeners[0].max_request_duration, 90);
	assert_null(cfg.api_addr);
	assert_false(cfg.disable_mlock);
	assert_null(cfg.log_level);
	assert_int_equal(cfg.default_lease_ttl, 768 * HOUR);
	assert_int_equal(cfg.max_lease_ttl, 768 * HOUR);
	config_release(&cfg);

	listener_config_defaults(&l);
	assert_string_equal(l.address, "127.0.0.1:8200");
	assert_string_equal(l.tls_min_version, "tls12");
	assert_false(l.tls_disable);
	assert_null(l.tls_cert_file);
	assert_int_equal(l.max_request_size, CONFIG_DEFAULT_REQUEST_SIZE);
	assert_int_equal(l.max_request_duration, 90);
	free(l.address);
	free(l.tls_min_version);
}

/* Lets each case name only what it is about. */
#define ST "storage \"inmem\" {}\n"
#define LI "listener \"tcp\" { tls_disable = true }\n"

static void test_accepted_forms(void **state)
{
	static const struct {
		const char *text;
		bool tls_disable;
		int64_t duration;
	} cases[] = {
	    {ST "listener \"tcp\" {\n tls_disable = \"1\"\n "
	        "max_request_duration = 30\n}",
	     true, 30},
	    {ST "listener \"tcp\" { tls_disable = \"false\"\n "
	        "tls_cert_file = \"c\"\n tls_key_file = \"k\"\n "
	        "max_request_duration = \"1h30m\" }",
	     false, 5400},
	    {ST "listener = { tcp = { tls_disable = 0, tls_cert_file = "
	        "\"c\", tls_key_file = \"k\" } }",
	     false, 90},
	};
	struct server_config cfg;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (config_parse("t.hcl", cases[i].text, strlen(cases[i].text),
		                 &cfg, msg, sizeof(msg)) != ERR_OK)
			fail_msg("case %zu: %s", i, msg);
		assert_int_equal(cfg.listeners[0].tls_disable,
		                 cases[i].tls_disable);
		assert_int_equal(cfg.listeners[0].max_request_duration,
		                 cases[i].duration);
		config_release(&cfg);
	}
}

static const struct {
	const char *text;
	const char *msg; /* the whole message */
} bad[] = {
    /* syntax errors keep their line */
    {ST LI "api_addr = \"x\ny = 1", "t.hcl:3: unterminated string"},
    /* unknown and repeated keys */
    {ST LI "\nstorage_path = \"/x\"", "t.hcl:4: unknown key \"storage_path\""},
    {ST "listener \"tcp\" {\n tls_disable = true\n tls_disabled = true\n}",
     "t.hcl:4: unknown key \"tls_disabled\""},
    {ST LI "\"x\\ny\" = 1", "t.hcl:3: unknown key \"x?y\""},
    {ST LI "api_addr = \"a\"\napi_addr = \"b\"",
     "t.hcl:4: duplicate key \"api_addr\""},
    {ST "listener \"tcp\" {\n tls_disable = true\n tls_disable = false\n}",
     "t.hcl:4: duplicate key \"tls_disable\""},
    {"storage \"sqlite\" {\n path = \"a\"\n path = \"b\"\n}\n" LI,
     "t.hcl:3: duplicate key \"path\""},
    /* storage */
    {LI, "t.hcl: a storage block is required"},
    {ST LI ST, "t.hcl:3: only one storage block is allowed"},
    {LI "storage \"consul\" {}",
     "t.hcl:2: unsupported storage type \"consul\" (use sqlite, postgresql or inmem)"},
    {LI "storage {}", "t.hcl:2: block \"storage\" needs more labels"},
    {LI "storage \"sqlite\" \"x\" {}",
     "t.hcl:2: block \"storage\" has too many labels"},
    {LI "storage \"sqlite\" {\n opts = [\"a\"]\n}",
     "t.hcl:3: invalid value for \"opts\": must be a string, number or "
     "bool"},
    {LI "storage = \"sqlite\"",
     "t.hcl:2: block \"storage\" must be an object { ... }"},
    /* listeners */
    {ST, "t.hcl: at least one listener block is required"},
    {ST "listener \"unix\" { tls_disable = true }",
     "t.hcl:2: unsupported listener type \"unix\" (use tcp)"},
    {ST "\nlistener \"tcp\" {\n address = \"127.0.0.1:1\"\n}",
     "t.hcl:3: listener needs tls_cert_file and tls_key_file unless "
     "tls_disable is true"},
    {ST "listener \"tcp\" {\n tls_cert_file = \"c\"\n}",
     "t.hcl:2: listener needs tls_cert_file and tls_key_file unless "
     "tls_disable is true"},
    {ST "listener \"tcp\" {\n tls_disable = \"yes\"\n}",
     "t.hcl:3: invalid value for \"tls_disable\": must be true or false"},
    {ST "listener \"tcp\" {\n tls_disable = 2\n}",
     "t.hcl:3: invalid value for \"tls_disable\": must be true or false"},
    {ST "listener \"tcp\" {\n address = \"\"\n tls_disable = true\n}",
     "t.hcl:3: invalid value for \"address\": must not be empty"},
    {ST "listener \"tcp\" {\n address = 8200\n tls_disable = true\n}",
     "t.hcl:3: invalid value for \"address\": must be a string"},
    {ST "listener \"tcp\" {\n tls_disable = true\n tls_min_version = "
        "\"tls11\"\n}",
     "t.hcl:4: invalid value for \"tls_min_version\": must be \"tls12\" or "
     "\"tls13\""},
    {ST "listener \"tcp\" {\n tls_disable = true\n max_request_size = 0\n}",
     "t.hcl:4: invalid value for \"max_request_size\": must be greater "
     "than zero"},
    {ST "listener \"tcp\" {\n tls_disable = true\n max_request_size = "
        "\"32MB\"\n}",
     "t.hcl:4: invalid value for \"max_request_size\": must be an integer "
     "number of bytes"},
    {ST "listener \"tcp\" {\n tls_disable = true\n max_request_duration = "
        "\"soon\"\n}",
     "t.hcl:4: invalid value for \"max_request_duration\": must be a "
     "duration such as \"90s\""},
    {ST "listener \"tcp\" {\n tls_disable = true\n max_request_duration = "
        "0\n}",
     "t.hcl:4: invalid value for \"max_request_duration\": must be longer "
     "than zero"},
    {ST "listener \"tcp\" {\n tls_disable = true\n max_request_duration = "
        "-5\n}",
     "t.hcl:4: invalid value for \"max_request_duration\": must be a "
     "duration such as \"90s\""},
    /* top-level values */
    {ST LI "max_request_size = 0",
     "t.hcl:3: invalid value for \"max_request_size\": must be greater "
     "than zero"},
    {ST LI "max_request_size = -1",
     "t.hcl:3: invalid value for \"max_request_size\": must be greater "
     "than zero"},
    {ST LI "max_request_size = 1.5",
     "t.hcl:3: invalid value for \"max_request_size\": must be an integer "
     "number of bytes"},
    {ST LI "log_level = \"loud\"",
     "t.hcl:3: invalid value for \"log_level\": must be trace, debug, "
     "info, warn or error"},
    {ST LI "disable_mlock = \"maybe\"",
     "t.hcl:3: invalid value for \"disable_mlock\": must be true or "
     "false"},
    {ST LI "api_addr = [\"a\"]",
     "t.hcl:3: invalid value for \"api_addr\": must be a string"},
    {ST LI "max_lease_ttl = true",
     "t.hcl:3: invalid value for \"max_lease_ttl\": must be a duration "
     "such as \"90s\""},
    {ST LI "default_lease_ttl = \"1000h\"",
     "t.hcl:3: default_lease_ttl (3600000s) is longer than max_lease_ttl "
     "(2764800s)"},
    {ST LI "max_lease_ttl = \"1h\"\ndefault_lease_ttl = \"2h\"",
     "t.hcl:4: default_lease_ttl (7200s) is longer than max_lease_ttl "
     "(3600s)"},
    {ST LI "max_lease_ttl = \"1h\"",
     "t.hcl:3: default_lease_ttl (2764800s) is longer than max_lease_ttl "
     "(3600s)"},
    /* JSON carries lines too */
    {"{\n\"storage\": {\"inmem\": {}},\n\"listener\": {\"tcp\": {\n"
     "\"tls_disable\": true, \"bogus\": 1}}}",
     "t.hcl:4: unknown key \"bogus\""},
};

static void test_bad_configs(void **state)
{
	struct server_config cfg;
	char msg[256];
	size_t i;
	err_t rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(msg, 'x', sizeof(msg));
		rc = config_parse("t.hcl", bad[i].text, strlen(bad[i].text),
		                  &cfg, msg, sizeof(msg));
		if (rc != ERR_INVALID || strcmp(msg, bad[i].msg) != 0)
			fail_msg("case %zu:\n%s\n want: %s\n got:  (%d) %s", i,
			         bad[i].text, bad[i].msg, rc, msg);
		/* a failed parse leaves nothing to release */
		assert_null(cfg.listeners);
		assert_null(cfg.storage_type);
		assert_null(cfg.storage_config);
	}
}

static void test_small_errmsg(void **state)
{
	struct server_config cfg;
	char msg[8];

	(void)state;
	assert_int_equal(
	    config_parse("t.hcl", "x = 1", 5, &cfg, msg, sizeof(msg)),
	    ERR_INVALID);
	assert_string_equal(msg, "t.hcl:1");
	assert_int_equal(config_parse("t.hcl", "x = 1", 5, &cfg, NULL, 0),
	                 ERR_INVALID);
}

static char *write_temp(const char *text, size_t len)
{
	char *path = strdup("/tmp/coffer-config-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_load(void **state)
{
	struct server_config cfg;
	char msg[512], *path, *big;
	size_t n = HCL_MAX_INPUT + 100;

	(void)state;
	path = write_temp(full_hcl, sizeof(full_hcl) - 1);
	assert_int_equal(config_load(path, &cfg, msg, sizeof(msg)), ERR_OK);
	check_full(&cfg);
	config_release(&cfg);
	unlink(path);

	assert_int_equal(config_load(path, &cfg, msg, sizeof(msg)), ERR_IO);
	assert_non_null(strstr(msg, ": cannot read file: No such file"));
	assert_int_equal(strncmp(msg, path, strlen(path)), 0);
	free(path);

	assert_int_equal(config_load("/tmp", &cfg, msg, sizeof(msg)), ERR_IO);
	assert_string_equal(msg, "/tmp: cannot read file: Is a directory");

	/* a bad value in a file names the file */
	path = write_temp(ST LI "log_level = 1\n", strlen(ST LI) + 14);
	assert_int_equal(config_load(path, &cfg, msg, sizeof(msg)),
	                 ERR_INVALID);
	assert_non_null(strstr(msg, ":3: invalid value for \"log_level\""));
	assert_int_equal(strncmp(msg, path, strlen(path)), 0);
	unlink(path);
	free(path);

	big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	path = write_temp(big, n);
	assert_int_equal(config_load(path, &cfg, msg, sizeof(msg)),
	                 ERR_INVALID);
	assert_non_null(strstr(msg, "input larger than 1048576 bytes"));
	unlink(path);
	free(path);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_hcl),
	    cmocka_unit_test(test_full_json),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_accepted_forms),
	    cmocka_unit_test(test_bad_configs),
	    cmocka_unit_test(test_small_errmsg),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

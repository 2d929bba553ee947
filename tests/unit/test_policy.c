/*
 * test_policy.c - the policy language and the ACL decision: tables of
 * matches and non-matches for the tricky cases (priority of overlapping
 * globs, '+' segments, exact against glob, deny and union across
 * policies, case, LIST with a trailing slash, KV v2 sub-paths, parameter
 * constraints), parse errors with their lines, legacy syntax, a property
 * test against a regex-based reference model, and the speed of a check
 * on a token with 100 policies of 1,000 rules.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/buf.h"
#include "core/policy.h"

/* ---- helpers ----------------------------------------------------------- */

static struct policy *parse_ok(const char *name, const char *text)
{
	struct policy *p = NULL;
	char err[256];
	err_t rc = policy_parse(name, text, strlen(text), &p, err, sizeof(err));

	if (rc != ERR_OK)
		fail_msg("policy %s did not parse: %s", name, err);
	return p;
}

/* Compiles the NULL-terminated texts as one token's policies. */
static struct acl *build(const char *const *texts)
{
	struct policy *ps[8] = {0};
	struct acl *a = NULL;
	size_t n = 0, i;

	for (; texts[n] != NULL; n++) {
		assert_true(n < 8);
		ps[n] = parse_ok("p", texts[n]);
	}
	assert_int_equal(acl_new(ps, n, &a), ERR_OK);
	for (i = 0; i < n; i++)
		policy_free(ps[i]);
	return a;
}

struct check {
	const char *path;
	enum op op;
	const char *data; /* JSON object text or NULL */
	bool allowed;
};

static void run_checks(const char *const *texts, const struct check *cases,
                       size_t n)
{
	struct acl *a = build(texts);
	size_t i;

	for (i = 0; i < n; i++) {
		struct acl_result res;
		json_t *data = NULL;
		if (cases[i].data != NULL) {
			data = json_loads(cases[i].data, 0, NULL);
			assert_non_null(data);
		}
		assert_int_equal(
		    acl_check(a, cases[i].path, cases[i].op, data, &res),
		    ERR_OK);
		if (res.allowed != cases[i].allowed)
			fail_msg("case %zu: %s %s %s: expected %s (%s)", i,
			         op_name(cases[i].op), cases[i].path,
			         cases[i].data ? cases[i].data : "",
			         cases[i].allowed ? "allowed" : "denied",
			         res.denied_reason);
		if (!res.allowed)
			assert_true(res.denied_reason[0] != 0);
		json_decref(data);
	}
	acl_free(a);
}

#define RUN(texts, cases)                                                      \
	run_checks(texts, cases, sizeof(cases) / sizeof(cases[0]))

/* ---- priority inside one policy ---------------------------------------- */

static void test_priority_single_policy(void **state)
{
	static const char *const texts[] = {
	    "path \"secret/*\"          { capabilities = [\"read\"] }\n"
	    "path \"secret/app/*\"      { capabilities = [\"update\"] }\n"
	    "path \"secret/app/config\" { capabilities = [\"delete\"] }\n"
	    "path \"secret/+/db\"       { capabilities = [\"list\"] }\n"
	    "path \"secret/+/db/*\"     { capabilities = [\"create\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    {"secret/other", OP_READ, NULL, true},
	    /* No union between patterns of one token. */
	    {"secret/other", OP_UPDATE, NULL, false},
	    {"secret/app/x", OP_UPDATE, NULL, true},
	    {"secret/app/x", OP_READ, NULL, false},
	    /* The exact rule wins and decides alone. */
	    {"secret/app/config", OP_DELETE, NULL, true},
	    {"secret/app/config", OP_READ, NULL, false},
	    {"secret/app/config", OP_UPDATE, NULL, false},
	    /* "secret/app/" glob: first wildcard later than secret/+/db. */
	    {"secret/app/db", OP_UPDATE, NULL, true},
	    {"secret/app/db", OP_LIST, NULL, false},
	    /* Same first wildcard: the rule without '*' wins. */
	    {"secret/x/db", OP_LIST, NULL, true},
	    {"secret/x/db", OP_READ, NULL, false},
	    /* Same first wildcard, both globs: fewer '+' wins. */
	    {"secret/x/db/y", OP_READ, NULL, true},
	    {"secret/x/db/y", OP_CREATE, NULL, false},
	    /* '+' is one segment, never zero or two. */
	    {"secret/x/y/db", OP_READ, NULL, true},
	    {"secret/x/y/db", OP_LIST, NULL, false},
	    {"secret/db", OP_READ, NULL, true},
	    /* '*' matches the empty rest and across '/'. */
	    {"secret/", OP_READ, NULL, true},
	    {"secret/a/b/c/d", OP_READ, NULL, true},
	    {"secret", OP_READ, NULL, false},
	    {"secretx", OP_READ, NULL, false},
	    {"other/secret/x", OP_READ, NULL, false},
	};

	(void)state;
	RUN(texts, cases);
}

static void test_plus_segments(void **state)
{
	static const char *const texts[] = {
	    "path \"kv/+/team/+\"  { capabilities = [\"read\"] }\n"
	    "path \"kv/+/team/a*\" { capabilities = [\"update\"] }\n"
	    "path \"kv/+*\"        { capabilities = [\"list\"] }\n"
	    "path \"+/config\"     { capabilities = [\"delete\"] }\n"
	    "path \"lit/a+/x\"     { capabilities = [\"read\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    {"kv/x/team/y", OP_READ, NULL, true},
	    {"kv/x/team/y", OP_UPDATE, NULL, false},
	    {"kv/x/team/abc", OP_READ, NULL, true},
	    {"kv/x/team/abc", OP_UPDATE, NULL, false},
	    /* Too many segments for team/+: the longer glob decides. */
	    {"kv/x/team/abc/d", OP_UPDATE, NULL, true},
	    {"kv/x/team/abc/d", OP_READ, NULL, false},
	    {"kv/x/team/b/d", OP_LIST, NULL, true},
	    /* "+*" needs one non-empty segment, then anything. */
	    {"kv/x", OP_LIST, NULL, true},
	    {"kv/x/", OP_LIST, NULL, true},
	    {"kv/", OP_LIST, NULL, false},
	    {"kv", OP_LIST, NULL, false},
	    {"app/config", OP_DELETE, NULL, true},
	    {"app/sub/config", OP_DELETE, NULL, false},
	    {"config", OP_DELETE, NULL, false},
	    {"/config", OP_DELETE, NULL, false},
	    /* '+' inside a segment is a literal character. */
	    {"lit/a+/x", OP_READ, NULL, true},
	    {"lit/ab/x", OP_READ, NULL, false},
	};

	(void)state;
	RUN(texts, cases);
}

/* ---- across policies ---------------------------------------------------- */

static void test_deny_and_union_across_policies(void **state)
{
	static const char *const texts[] = {
	    "path \"secret/*\" { capabilities = [\"read\"] }\n"
	    "path \"secret/shared/*\" { capabilities = [\"read\", \"list\"] }\n"
	    "path \"secret/u\" { capabilities = [\"read\"] }\n"
	    "path \"team/*\" { capabilities = [\"create\"] }\n",
	    "path \"secret/private\" { capabilities = [\"deny\"] }\n"
	    "path \"secret/shared/*\" { capabilities = [\"deny\"] }\n"
	    "path \"secret/u\" { capabilities = [\"update\"] }\n"
	    "path \"team/*\" { capabilities = [\"read\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    /* B4-24: the deny covers the exact path only. */
	    {"secret/private", OP_READ, NULL, false},
	    {"secret/private/x", OP_READ, NULL, true},
	    {"secret/privateer", OP_READ, NULL, true},
	    /* Deny on the same pattern in another policy wins. */
	    {"secret/shared/x", OP_READ, NULL, false},
	    {"secret/shared/", OP_LIST, NULL, false},
	    /* Equal patterns union their capabilities. */
	    {"secret/u", OP_READ, NULL, true},
	    {"secret/u", OP_UPDATE, NULL, true},
	    {"secret/u", OP_DELETE, NULL, false},
	    {"team/a", OP_CREATE, NULL, true},
	    {"team/a", OP_READ, NULL, true},
	    {"team/a", OP_UPDATE, NULL, false},
	};

	(void)state;
	RUN(texts, cases);
}

static void test_case_and_odd_paths(void **state)
{
	static const char *const texts[] = {
	    "path \"secret/app/*\" { capabilities = [\"read\"] }\n"
	    "path \"secret/x\" { capabilities = [\"read\"] }\n"
	    "path \"/lead/slash\" { capabilities = [\"read\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    {"Secret/app/x", OP_READ, NULL, false},
	    {"SECRET/APP/X", OP_READ, NULL, false},
	    {"secret/X", OP_READ, NULL, false},
	    /* No path cleaning here: ".." is bytes (HTTP refuses it). */
	    {"secret/app/../x", OP_READ, NULL, true},
	    {"secret/app/../../sys/seal", OP_READ, NULL, true},
	    {"secret/y/../x", OP_READ, NULL, false},
	    {"secret/x/", OP_READ, NULL, false},
	    {"secret/x/.", OP_READ, NULL, false},
	    /* A leading '/' in the pattern is dropped, as Vault does. */
	    {"lead/slash", OP_READ, NULL, true},
	};

	(void)state;
	RUN(texts, cases);
}

static void test_list_trailing_slash(void **state)
{
	static const char *const texts[] = {
	    "path \"secret/metadata/*\" { capabilities = [\"list\", "
	    "\"read\"] }\n"
	    "path \"secret/metadata/restricted/*\" { capabilities = "
	    "[\"deny\"] }\n"
	    "path \"team/keys\" { capabilities = [\"list\"] }\n"
	    "path \"team/+/keys\" { capabilities = [\"list\"] }\n"
	    "path \"team/+/other/\" { capabilities = [\"list\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    {"secret/metadata/", OP_LIST, NULL, true},
	    {"secret/metadata/open/", OP_LIST, NULL, true},
	    /* B4-20: the narrower deny wins for LIST too. */
	    {"secret/metadata/restricted/", OP_LIST, NULL, false},
	    {"secret/metadata/restricted/a/", OP_LIST, NULL, false},
	    {"secret/metadata/restricted/a", OP_READ, NULL, false},
	    /* A rule without the slash grants LIST of the directory. */
	    {"team/keys/", OP_LIST, NULL, true},
	    {"team/x/keys/", OP_LIST, NULL, true},
	    {"team/x/other/", OP_LIST, NULL, true},
	    /* ... but only LIST, and only for that one extra slash. */
	    {"team/keys/", OP_READ, NULL, false},
	    {"team/keys/a/", OP_LIST, NULL, false},
	    {"team/x/y/keys/", OP_LIST, NULL, false},
	};

	(void)state;
	RUN(texts, cases);
}

static void test_kv2_subpaths_not_implied(void **state)
{
	static const char *const texts[] = {
	    "path \"secret/data/x\" { capabilities = [\"read\", \"update\", "
	    "\"delete\"] }\n"
	    "path \"secret/data/app/*\" { capabilities = [\"read\", "
	    "\"delete\"] }\n"
	    "path \"secret/y\" { capabilities = [\"read\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    {"secret/data/x", OP_READ, NULL, true},
	    {"secret/metadata/x", OP_READ, NULL, false},
	    {"secret/metadata/x", OP_DELETE, NULL, false},
	    {"secret/delete/x", OP_UPDATE, NULL, false},
	    {"secret/undelete/x", OP_UPDATE, NULL, false},
	    {"secret/destroy/x", OP_UPDATE, NULL, false},
	    {"secret/data/app/a", OP_DELETE, NULL, true},
	    {"secret/metadata/app/a", OP_DELETE, NULL, false},
	    {"secret/destroy/app/a", OP_UPDATE, NULL, false},
	    /* A v1-style rule grants nothing on the v2 paths. */
	    {"secret/data/y", OP_READ, NULL, false},
	    {"secret/y", OP_READ, NULL, true},
	};

	(void)state;
	RUN(texts, cases);
}

/* ---- parameter constraints ---------------------------------------------- */

static void test_parameters(void **state)
{
	static const char *const texts[] = {
	    "path \"p/allowed\" {\n"
	    "  capabilities = [\"create\", \"update\", \"delete\"]\n"
	    "  allowed_parameters = {\n"
	    "    \"name\" = [\"alice\", \"bob-*\"]\n"
	    "    \"tags\" = [\"a\", \"b\"]\n"
	    "    \"free\" = []\n"
	    "    \"ttl\" = [3600]\n"
	    "  }\n"
	    "}\n"
	    "path \"p/denied\" {\n"
	    "  capabilities = [\"update\"]\n"
	    "  denied_parameters = {\n"
	    "    \"admin\" = []\n"
	    "    \"role\" = [\"root*\", \"*-ops\"]\n"
	    "  }\n"
	    "}\n"
	    "path \"p/required\" {\n"
	    "  capabilities = [\"update\", \"read\"]\n"
	    "  required_parameters = [\"id\"]\n"
	    "}\n"
	    "path \"p/star\" {\n"
	    "  capabilities = [\"update\"]\n"
	    "  allowed_parameters = { \"*\" = [], \"name\" = [\"x\"] }\n"
	    "}\n"
	    "path \"p/denyall\" {\n"
	    "  capabilities = [\"update\"]\n"
	    "  denied_parameters = { \"*\" = [] }\n"
	    "}\n"
	    "path \"p/glob/*\" {\n"
	    "  capabilities = [\"update\"]\n"
	    "  allowed_parameters = { \"mode\" = [\"ro\"] }\n"
	    "}\n",
	    NULL};
	static const struct check cases[] = {
	    {"p/allowed", OP_UPDATE, "{\"name\": \"alice\"}", true},
	    {"p/allowed", OP_CREATE, "{\"name\": \"bob-1\"}", true},
	    {"p/allowed", OP_UPDATE, "{\"name\": \"eve\"}", false},
	    {"p/allowed", OP_UPDATE, "{\"name\": \"xbob-1\"}", false},
	    {"p/allowed", OP_UPDATE, "{\"NAME\": \"alice\"}", true},
	    {"p/allowed", OP_UPDATE, "{\"other\": 1}", false},
	    {"p/allowed", OP_UPDATE, "{\"free\": {\"any\": 1}}", true},
	    {"p/allowed", OP_UPDATE, "{\"tags\": [\"a\", \"b\"]}", true},
	    {"p/allowed", OP_UPDATE, "{\"tags\": [\"a\", \"c\"]}", false},
	    {"p/allowed", OP_UPDATE, "{\"ttl\": \"3600\"}", true},
	    {"p/allowed", OP_UPDATE, "{\"ttl\": 60}", false},
	    {"p/allowed", OP_UPDATE, "{}", true},
	    {"p/allowed", OP_UPDATE, NULL, true},
	    /* Delete carries no parameters worth checking. */
	    {"p/allowed", OP_DELETE, "{\"other\": 1}", true},
	    {"p/denied", OP_UPDATE, "{\"admin\": false}", false},
	    {"p/denied", OP_UPDATE, "{\"Admin\": false}", false},
	    {"p/denied", OP_UPDATE, "{\"role\": \"root-x\"}", false},
	    {"p/denied", OP_UPDATE, "{\"role\": \"db-ops\"}", false},
	    {"p/denied", OP_UPDATE, "{\"role\": \"dev\"}", true},
	    {"p/denied", OP_UPDATE, "{\"role\": [\"dev\", \"root\"]}", false},
	    {"p/denied", OP_UPDATE, "{\"role\": [\"dev\", \"qa\"]}", true},
	    {"p/denied", OP_UPDATE, "{\"other\": 1}", true},
	    {"p/required", OP_UPDATE, "{}", false},
	    {"p/required", OP_UPDATE, NULL, false},
	    {"p/required", OP_READ, "{\"x\": 1}", false},
	    {"p/required", OP_UPDATE, "{\"id\": 1}", true},
	    {"p/required", OP_UPDATE, "{\"ID\": 1, \"x\": 2}", true},
	    {"p/star", OP_UPDATE, "{\"anything\": 1}", true},
	    {"p/star", OP_UPDATE, "{\"name\": \"y\"}", false},
	    {"p/star", OP_UPDATE, "{\"name\": \"x\"}", true},
	    {"p/denyall", OP_UPDATE, "{\"a\": 1}", false},
	    {"p/denyall", OP_UPDATE, "{}", true},
	    {"p/glob/deep/path", OP_UPDATE, "{\"mode\": \"ro\"}", true},
	    {"p/glob/deep/path", OP_UPDATE, "{\"mode\": \"rw\"}", false},
	};

	(void)state;
	RUN(texts, cases);
}

static void test_parameters_merge_across_policies(void **state)
{
	static const char *const texts[] = {
	    "path \"m/x\" { capabilities = [\"update\"]\n"
	    "  allowed_parameters = { \"a\" = [\"1\"] } }\n",
	    "path \"m/x\" { capabilities = [\"update\"]\n"
	    "  allowed_parameters = { \"a\" = [\"2\"], \"b\" = [] }\n"
	    "  min_wrapping_ttl = \"1m\"\n  max_wrapping_ttl = 600 }\n",
	    NULL};
	static const struct check cases[] = {
	    {"m/x", OP_UPDATE, "{\"a\": \"1\"}", true},
	    {"m/x", OP_UPDATE, "{\"a\": \"2\", \"b\": \"z\"}", true},
	    {"m/x", OP_UPDATE, "{\"a\": \"3\"}", false},
	    {"m/x", OP_UPDATE, "{\"c\": \"3\"}", false},
	};
	struct acl *a;
	struct acl_result res;

	(void)state;
	RUN(texts, cases);
	a = build(texts);
	acl_check(a, "m/x", OP_UPDATE, NULL, &res);
	assert_true(res.allowed);
	assert_int_equal(res.min_wrapping_ttl, 60);
	assert_int_equal(res.max_wrapping_ttl, 600);
	assert_false(res.sudo);
	acl_free(a);
}

/* ---- capabilities, names, root, legacy ----------------------------------- */

static void expect_names(uint32_t caps, const char *want)
{
	json_t *names = acl_capability_names(caps);
	char *got = json_dumps(names, JSON_COMPACT);

	assert_string_equal(got, want);
	free(got);
	json_decref(names);
}

/* Which mounts a token may ask sys/internal/ui/mounts/ about. */
static void test_mount_access(void **state)
{
	static const char *const texts[] = {
	    "path \"secret/data/app\" { capabilities = [\"read\"] }\n"
	    "path \"teams/+/config\" { capabilities = [\"read\"] }\n"
	    "path \"data*\" { capabilities = [\"list\"] }\n"
	    "path \"closed/*\" { capabilities = [\"deny\"] }\n"
	    "path \"empty/x\" { }\n",
	    NULL};
	struct acl *a = build(texts), *root = NULL;

	(void)state;
	assert_true(acl_has_mount_access(a, "secret/"));
	assert_true(acl_has_mount_access(a, "teams/"));    /* '+' below */
	assert_true(acl_has_mount_access(a, "database/")); /* "data*" */
	assert_false(acl_has_mount_access(a, "closed/"));  /* deny only */
	assert_false(acl_has_mount_access(a, "empty/"));   /* no capability */
	assert_false(acl_has_mount_access(a, "secrets/")); /* near miss */
	assert_false(acl_has_mount_access(a, "kv/"));
	acl_free(a);
	assert_int_equal(acl_new_root(&root), ERR_OK);
	assert_true(acl_has_mount_access(root, "anything/"));
	acl_free(root);
}

static void test_capabilities_and_names(void **state)
{
	static const char *const texts[] = {
	    "path \"a/*\" { capabilities = [\"read\", \"list\", \"sudo\"] }\n"
	    "path \"a/no\" { capabilities = [\"deny\", \"read\"] }\n"
	    "path \"a/empty\" { }\n",
	    NULL};
	struct acl *a = build(texts), *root = NULL;
	struct acl_result res;

	(void)state;
	assert_int_equal(acl_capabilities(a, "a/x"),
	                 CAP_READ | CAP_LIST | CAP_SUDO);
	assert_int_equal(acl_capabilities(a, "a/no"), CAP_DENY);
	assert_int_equal(acl_capabilities(a, "a/empty"), CAP_DENY);
	assert_int_equal(acl_capabilities(a, "b"), CAP_DENY);
	acl_check(a, "a/x", OP_READ, NULL, &res);
	assert_true(res.allowed && res.sudo);
	acl_check(a, "a/no", OP_READ, NULL, &res);
	assert_false(res.allowed || res.sudo);
	assert_int_equal(res.caps, CAP_DENY);
	assert_false(acl_is_root(a));
	acl_free(a);

	expect_names(CAP_READ | CAP_LIST | CAP_SUDO,
	             "[\"list\",\"read\",\"sudo\"]");
	expect_names(CAP_CREATE | CAP_READ | CAP_UPDATE | CAP_PATCH |
	                 CAP_DELETE | CAP_LIST,
	             "[\"create\",\"delete\",\"list\",\"patch\",\"read\","
	             "\"update\"]");
	expect_names(CAP_DENY, "[\"deny\"]");
	expect_names(0, "[\"deny\"]");
	expect_names(CAP_DENY | CAP_READ, "[\"deny\"]");

	assert_int_equal(acl_new_root(&root), ERR_OK);
	assert_true(acl_is_root(root));
	acl_check(root, "sys/raw/anything", OP_DELETE, NULL, &res);
	assert_true(res.allowed && res.sudo);
	assert_true(acl_capabilities(root, "x") & CAP_SUDO);
	/* Shared references: the ACL lives until the last release. */
	assert_ptr_equal(acl_ref(root), root);
	acl_release(root);
	assert_true(acl_is_root(root));
	acl_release(root);
	acl_release(NULL);
	acl_free(NULL);
}

static void test_legacy_syntax(void **state)
{
	static const char *const hcl[] = {
	    "path \"r/*\" { policy = \"read\" }\n"
	    "path \"w/*\" { policy = \"write\" }\n"
	    "path \"s/*\" { policy = \"sudo\" }\n"
	    "path \"d/*\" { policy = \"deny\" }\n"
	    "path \"mix\" { policy = \"read\"\n capabilities = [\"update\"] }\n",
	    NULL};
	static const char *const json[] = {
	    "{\"path\": {\"r/*\": {\"policy\": \"read\"}, \"w/*\": {\"policy\":"
	    " \"write\"}, \"s/*\": {\"policy\": \"sudo\"}, \"d/*\": "
	    "{\"policy\": \"deny\"}, \"mix\": {\"policy\": \"read\", "
	    "\"capabilities\": [\"update\"]}}}",
	    NULL};
	const uint32_t write = CAP_CREATE | CAP_READ | CAP_UPDATE | CAP_PATCH |
	                       CAP_DELETE | CAP_LIST;
	const char *const *forms[] = {hcl, json};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct acl *a = build(forms[i]);
		assert_int_equal(acl_capabilities(a, "r/x"),
		                 CAP_READ | CAP_LIST);
		assert_int_equal(acl_capabilities(a, "w/x"), write);
		assert_int_equal(acl_capabilities(a, "s/x"), write | CAP_SUDO);
		assert_int_equal(acl_capabilities(a, "d/x"), CAP_DENY);
		assert_int_equal(acl_capabilities(a, "mix"),
		                 CAP_READ | CAP_LIST | CAP_UPDATE);
		acl_free(a);
	}
}

static void test_json_and_names(void **state)
{
	struct policy *p;
	const char *text =
	    "{\"path\": [{\"a/*\": {\"capabilities\": [\"read\"]}}, {\"b\": "
	    "{\"capabilities\": [\"list\"]}}]}";
	struct acl *a = NULL;
	char *name = NULL;

	(void)state;
	p = parse_ok("  My-Policy\n", text);
	assert_string_equal(policy_name(p), "my-policy");
	assert_string_equal(policy_text(p), text);
	assert_int_equal(acl_new(&p, 1, &a), ERR_OK);
	policy_free(p);
	assert_int_equal(acl_capabilities(a, "a/1"), CAP_READ);
	assert_int_equal(acl_capabilities(a, "b"), CAP_LIST);
	acl_free(a);

	assert_int_equal(policy_name_normalize(" ROOT ", &name), ERR_OK);
	assert_string_equal(name, "root");
	free(name);
	assert_int_equal(policy_name_normalize("   ", &name), ERR_INVALID);
	assert_int_equal(policy_name_normalize("a/b", &name), ERR_INVALID);
	assert_int_equal(policy_name_normalize("a\tb", &name), ERR_INVALID);
	assert_int_equal(policy_name_normalize(NULL, &name), ERR_INVALID);

	/* An empty policy is valid and grants nothing. */
	p = parse_ok("empty", "");
	assert_int_equal(acl_new(&p, 1, &a), ERR_OK);
	assert_int_equal(acl_capabilities(a, "x"), CAP_DENY);
	acl_free(a);
	policy_free(p);
}

static void test_templates_never_match(void **state)
{
	static const char *const texts[] = {
	    "path \"id/{{identity.entity.id}}/*\" { capabilities = "
	    "[\"read\"] }\n",
	    NULL};
	static const struct check cases[] = {
	    {"id/{{identity.entity.id}}/x", OP_READ, NULL, false},
	    {"id/abc/x", OP_READ, NULL, false},
	};

	(void)state;
	RUN(texts, cases);
}

/* ---- parse errors -------------------------------------------------------- */

struct bad {
	const char *text;
	const char *want[2]; /* substrings of the message */
};

static void test_parse_errors(void **state)
{
	static const struct bad cases[] = {
	    {"path \"a\" {\n  capabilities = [\"reed\"]\n}\n",
	     {"line 2", "invalid capability \"reed\""}},
	    {"path \"a\" {\n capabilities = [\"read\"]\n capabilities = "
	     "[\"list\"]\n}\n",
	     {"line 3", "duplicate attribute \"capabilities\""}},
	    {"\n\npath \"a/*/b\" { capabilities = [\"read\"] }\n",
	     {"line 3", "only allowed at the end"}},
	    {"path \"**\" { capabilities = [\"read\"] }", {"line 1", "'*'"}},
	    {"path \"a\" {\n foo = 1\n}", {"line 2", "unknown key \"foo\""}},
	    {"paths \"a\" { capabilities = [\"read\"] }",
	     {"line 1", "unknown key \"paths\""}},
	    {"path \"a\" { policy = \"admin\" }", {"line 1", "policy must be"}},
	    {"path \"a\" {\n", {"line 2", ""}},
	    {"path \"a\" { capabilities = \"read\" }",
	     {"line 1", "must be a list"}},
	    {"path \"a\" { capabilities = [1] }", {"line 1", "strings"}},
	    {"path \"a\" {\n min_wrapping_ttl = \"abc\" }",
	     {"line 2", "not a valid duration"}},
	    {"path \"a\" {\n min_wrapping_ttl = 60\n max_wrapping_ttl = 30\n}",
	     {"line 1", "cannot be less than"}},
	    {"path \"a\" {\n mfa_methods = [\"x\"] }",
	     {"line 2", "not supported"}},
	    {"path \"a\" {\n allowed_parameters = { x = \"y\" } }",
	     {"line 2", "needs a list"}},
	    {"path \"a\" {\n allowed_parameters = [\"x\"] }",
	     {"line 2", "must be a map"}},
	    {"path \"a\" {\n denied_parameters = { x = [[1]] } }",
	     {"line 2", "must be strings, numbers"}},
	    {"path \"a\" {\n required_parameters = \"x\" }",
	     {"line 2", "must be a list"}},
	    {"path \"a\" { required_parameters = [1] }", {"line 1", "strings"}},
	    {"{\"path\": {\"a\": {\"capabilities\": [\"x\"]}}}",
	     {"line 1", "invalid capability \"x\""}},
	    {"{\"path\": {\"a\": {\"capabilities\": [\"read\"], "
	     "\"capabilities\": [\"list\"]}}}",
	     {"line 1", "duplicate attribute"}},
	    {"path \"a\" \"b\" { capabilities = [\"read\"] }", {"line 1", ""}},
	    {"path \"a\\u0001\" { capabilities = [\"read\"] }",
	     {"line 1", "control character"}},
	    {"path = 5", {"line 1", ""}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p = (struct policy *)1;
		char err[256] = "";
		err_t rc =
		    policy_parse("bad", cases[i].text, strlen(cases[i].text),
		                 &p, err, sizeof(err));
		if (rc != ERR_INVALID)
			fail_msg("case %zu parsed (rc %d)", i, rc);
		if (strstr(err, "failed to parse policy: ") != err ||
		    strstr(err, cases[i].want[0]) == NULL ||
		    strstr(err, cases[i].want[1]) == NULL)
			fail_msg("case %zu: message \"%s\"", i, err);
		assert_ptr_equal(p, (struct policy *)1);
	}
}

static void test_big_policy_bounded(void **state)
{
	struct buf b = BUF_INIT;
	struct policy *p = NULL;
	struct acl *a = NULL;
	char err[256];
	int i;

	(void)state;
	/* B4-30: 10,000 paths parse and compile without trouble. */
	for (i = 0; i < 10000; i++)
		buf_printf(
		    &b, "path \"s/%d/*\" { capabilities = [\"read\"] }\n", i);
	assert_int_equal(
	    policy_parse("big", buf_str(&b), b.len, &p, err, sizeof(err)),
	    ERR_OK);
	assert_int_equal(acl_new(&p, 1, &a), ERR_OK);
	assert_int_equal(acl_capabilities(a, "s/9999/x"), CAP_READ);
	assert_int_equal(acl_capabilities(a, "s/10000/x"), CAP_DENY);
	acl_free(a);
	policy_free(p);

	/* Past the 1 MiB input limit: refused, without a made-up line. */
	while (b.len <= ((size_t)1 << 20))
		buf_append_str(&b, "# padding padding padding padding\n");
	p = NULL;
	assert_int_equal(
	    policy_parse("big", buf_str(&b), b.len, &p, err, sizeof(err)),
	    ERR_INVALID);
	assert_null(p);
	assert_non_null(strstr(err, "failed to parse policy: "));
	assert_null(strstr(err, "line 0"));
	buf_release(&b);
}

/* ---- property test against a reference model ----------------------------- */

/*
 * The model: each pattern becomes a POSIX regex ('+' segment -> [^/]+,
 * trailing '*' -> .*), literal rules win, and the wildcard rules are
 * ranked by the documented order written out again independently.
 */
struct ref_rule {
	char pattern[32];
	uint32_t caps;
	regex_t re;
};

/* Appends s to the string in out (cap bytes), cutting what does not fit. */
static void append(char *out, size_t cap, const char *s)
{
	size_t len = strlen(out);

	snprintf(out + len, cap - len, "%s", s);
}

static void ref_rank(const char *p, size_t *first, bool *glob, size_t *plus)
{
	size_t n = strlen(p), i;

	*glob = n > 0 && p[n - 1] == '*';
	if (*glob)
		n--;
	*first = n;
	*plus = 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '+' && (i == 0 || p[i - 1] == '/') &&
		    (i + 1 == n || p[i + 1] == '/')) {
			if ((*plus)++ == 0)
				*first = i;
		}
	}
}

static void ref_compile(struct ref_rule *r)
{
	char re[160] = "^";
	size_t n = strlen(r->pattern), i;
	bool glob = n > 0 && r->pattern[n - 1] == '*';

	if (glob)
		n--;
	for (i = 0; i < n; i++) {
		char c = r->pattern[i];
		bool seg = c == '+' && (i == 0 || r->pattern[i - 1] == '/') &&
		           (i + 1 == n || r->pattern[i + 1] == '/');
		if (seg)
			append(re, sizeof(re), "[^/]+");
		else if (c == '+')
			append(re, sizeof(re), "\\+");
		else
			append(re, sizeof(re), (char[]){c, 0});
	}
	append(re, sizeof(re), glob ? ".*$" : "$");
	assert_int_equal(regcomp(&r->re, re, REG_EXTENDED | REG_NOSUB), 0);
}

/* True when pattern a outranks pattern b. */
static bool ref_beats(const char *a, const char *b)
{
	size_t fa, fb, pa, pb;
	bool ga, gb;

	ref_rank(a, &fa, &ga, &pa);
	ref_rank(b, &fb, &gb, &pb);
	if (fa != fb)
		return fa > fb;
	if (ga != gb)
		return gb;
	if (pa != pb)
		return pa < pb;
	if (strlen(a) != strlen(b))
		return strlen(a) > strlen(b);
	return strcmp(a, b) > 0;
}

static uint32_t ref_decide(struct ref_rule *rules, size_t n, const char *path)
{
	const struct ref_rule *best = NULL;
	size_t i, first, plus;
	bool glob;

	for (i = 0; i < n; i++) {
		if (regexec(&rules[i].re, path, 0, NULL, 0) != 0)
			continue;
		ref_rank(rules[i].pattern, &first, &glob, &plus);
		if (!glob && plus == 0)
			return rules[i].caps;
		if (best == NULL || ref_beats(rules[i].pattern, best->pattern))
			best = &rules[i];
	}
	return best == NULL ? CAP_DENY : best->caps;
}

static void random_pattern(char *out, size_t len, unsigned *seed)
{
	static const char *const segs[] = {"a", "b", "ab", "+", "a+"};
	int n = 1 + rand_r(seed) % 3, i;

	out[0] = 0;
	for (i = 0; i < n; i++) {
		if (i > 0)
			append(out, len, "/");
		append(out, len, segs[rand_r(seed) % 5]);
	}
	if (rand_r(seed) % 2)
		append(out, len, rand_r(seed) % 2 ? "*" : "/*");
}

static void test_reference_model(void **state)
{
	static const char *const psegs[] = {"a", "b", "ab", "a+", "abc"};
	/* In bit order: CAP_CREATE (1 << 1) to CAP_LIST (1 << 6). */
	static const char *const cap_words[] = {"create", "read",   "update",
	                                        "patch",  "delete", "list"};
	enum { RULES = 12, ROUNDS = 300, PATHS = 40 };
	unsigned seed = 12345;
	int round, i, k;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		struct ref_rule rules[RULES];
		struct buf text = BUF_INIT;
		struct policy *p = NULL;
		struct acl *a = NULL;
		char err[256];
		size_t n = 0;

		/* Distinct patterns, so the model needs no merging. */
		for (i = 0; i < RULES; i++) {
			bool dup = false;
			random_pattern(rules[n].pattern,
			               sizeof(rules[n].pattern), &seed);
			for (k = 0; k < (int)n; k++)
				dup |= strcmp(rules[k].pattern,
				              rules[n].pattern) == 0;
			if (dup)
				continue;
			k = rand_r(&seed) % 6;
			rules[n].caps = 1u << (1 + k);
			buf_printf(&text,
			           "path \"%s\" { capabilities = [\"%s\"] }\n",
			           rules[n].pattern, cap_words[k]);
			ref_compile(&rules[n]);
			n++;
		}
		assert_int_equal(policy_parse("r", buf_str(&text), text.len, &p,
		                              err, sizeof(err)),
		                 ERR_OK);
		assert_int_equal(acl_new(&p, 1, &a), ERR_OK);

		for (i = 0; i < PATHS; i++) {
			char path[64] = "";
			int segs = 1 + rand_r(&seed) % 4;
			for (k = 0; k < segs; k++) {
				if (k > 0)
					append(path, sizeof(path), "/");
				append(path, sizeof(path),
				       psegs[rand_r(&seed) % 5]);
			}
			if (rand_r(&seed) % 4 == 0)
				append(path, sizeof(path), "/");
			if (acl_capabilities(a, path) !=
			    ref_decide(rules, n, path))
				fail_msg("round %d path %s:\n%s", round, path,
				         buf_str(&text));
		}
		for (i = 0; i < (int)n; i++)
			regfree(&rules[i].re);
		acl_free(a);
		policy_free(p);
		buf_release(&text);
	}
}

/* ---- speed ----------------------------------------------------------------
 */

/*
 * Policy i of 100 holds 1,000 rules mixing the four kinds: exact,
 * trailing glob, '+' segment, '+' with glob.
 */
static struct policy *big_policy(int i)
{
	struct buf b = BUF_INIT;
	struct policy *p = NULL;
	char name[16], err[256];
	int j;

	for (j = 0; j < 1000; j++) {
		switch (j % 4) {
		case 0:
			buf_printf(&b, "path \"secret/data/t%d/app%d\"", i, j);
			break;
		case 1:
			buf_printf(&b, "path \"kv/t%d/svc%d/*\"", i, j);
			break;
		case 2:
			buf_printf(&b, "path \"team/+/s%d-%d/keys\"", i, j);
			break;
		default:
			buf_printf(&b, "path \"env/+/t%d/+/c%d/*\"", i, j);
			break;
		}
		buf_printf(&b, " { capabilities = [\"read\", \"list\"] }\n");
	}
	snprintf(name, sizeof(name), "p%d", i);
	assert_int_equal(
	    policy_parse(name, buf_str(&b), b.len, &p, err, sizeof(err)),
	    ERR_OK);
	buf_release(&b);
	return p;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void test_speed_100_policies_of_1000(void **state)
{
	enum { POLICIES = 100, CHECKS = 10000 };
	struct policy *ps[POLICIES];
	struct acl *a = NULL;
	char path[128];
	unsigned seed = 7;
	int i, allowed = 0;
	double t0, per;

	(void)state;
	for (i = 0; i < POLICIES; i++)
		ps[i] = big_policy(i);
	assert_int_equal(acl_new(ps, POLICIES, &a), ERR_OK);
	for (i = 0; i < POLICIES; i++)
		policy_free(ps[i]);

	t0 = now_us();
	for (i = 0; i < CHECKS; i++) {
		struct acl_result res;
		int t = rand_r(&seed) % POLICIES, j = rand_r(&seed) % 1000;
		switch (i % 5) {
		case 0:
			snprintf(path, sizeof(path), "secret/data/t%d/app%d", t,
			         j - j % 4);
			break;
		case 1:
			snprintf(path, sizeof(path), "kv/t%d/svc%d/a/b", t,
			         j - j % 4 + 1);
			break;
		case 2:
			snprintf(path, sizeof(path), "team/x%d/s%d-%d/keys", j,
			         t, j - j % 4 + 2);
			break;
		case 3:
			snprintf(path, sizeof(path), "env/prod/t%d/y/c%d/z", t,
			         j - j % 4 + 3);
			break;
		default:
			snprintf(path, sizeof(path), "secret/data/t%d/nope%d",
			         t, j);
			break;
		}
		acl_check(a, path, OP_READ, NULL, &res);
		allowed += res.allowed;
	}
	per = (now_us() - t0) / CHECKS;
	print_message("acl_check: %.2f us per check over %d rules\n", per,
	              POLICIES * 1000);

	/* Four cases out of five name a granted path; the fifth does not. */
	assert_int_equal(allowed, CHECKS / 5 * 4);
	assert_true(per < 200.0);
	acl_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_priority_single_policy),
	    cmocka_unit_test(test_plus_segments),
	    cmocka_unit_test(test_deny_and_union_across_policies),
	    cmocka_unit_test(test_case_and_odd_paths),
	    cmocka_unit_test(test_list_trailing_slash),
	    cmocka_unit_test(test_kv2_subpaths_not_implied),
	    cmocka_unit_test(test_parameters),
	    cmocka_unit_test(test_parameters_merge_across_policies),
	    cmocka_unit_test(test_capabilities_and_names),
	    cmocka_unit_test(test_mount_access),
	    cmocka_unit_test(test_legacy_syntax),
	    cmocka_unit_test(test_json_and_names),
	    cmocka_unit_test(test_templates_never_match),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_big_policy_bounded),
	    cmocka_unit_test(test_reference_model),
	    cmocka_unit_test(test_speed_100_policies_of_1000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

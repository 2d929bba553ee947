/*
 * test_policy_store.c - the policy store over in-memory storage: put,
 * get, list and delete per namespace, the built-in policies and their
 * protection, and the ACL cache seeing every change at once (also while
 * other threads are checking).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/log.h"
#include "core/policy_store.h"
#include "storage/storage.h"

struct fixture {
	struct storage *s;
	struct policy_store *ps;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(storage_open("inmem", NULL, &f->s, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(policy_store_new(f->s, &f->ps), ERR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	policy_store_free(f->ps);
	storage_free(f->s);
	free(f);
	return 0;
}

static void put_ok(struct policy_store *ps, const char *ns, const char *name,
                   const char *text)
{
	char err[256] = "";

	if (policy_store_put(ps, ns, name, text, err, sizeof(err)) != ERR_OK)
		fail_msg("put %s%s: %s", ns, name, err);
}

static char *list_text(struct policy_store *ps, const char *ns)
{
	json_t *names = NULL;
	char *s;

	assert_int_equal(policy_store_list(ps, ns, &names), ERR_OK);
	s = json_dumps(names, JSON_COMPACT);
	json_decref(names);
	return s;
}

/* The capabilities a token with the given policies has on path. */
static uint32_t caps_of(struct policy_store *ps, const char *ns,
                        const char *policies_json, const char *path)
{
	json_t *names = json_loads(policies_json, 0, NULL);
	struct acl *a = NULL;
	uint32_t caps;

	assert_non_null(names);
	assert_int_equal(policy_store_acl(ps, ns, names, &a), ERR_OK);
	caps = acl_capabilities(a, path);
	acl_release(a);
	json_decref(names);
	return caps;
}

static void test_put_get_list_delete(void **state)
{
	struct fixture *f = *state;
	const char *text = "path \"secret/*\" { capabilities = [\"read\"] }\n";
	char *got = NULL, *names;

	put_ok(f->ps, "", "App", text);
	assert_int_equal(policy_store_get_text(f->ps, "", " app ", &got),
	                 ERR_OK);
	assert_string_equal(got, text);
	free(got);

	put_ok(f->ps, "", "zeta", "");
	names = list_text(f->ps, "");
	assert_string_equal(names, "[\"app\",\"default\",\"root\",\"zeta\"]");
	free(names);

	assert_int_equal(policy_store_delete(f->ps, "", "APP"), ERR_OK);
	assert_int_equal(policy_store_get_text(f->ps, "", "app", &got),
	                 ERR_NOT_FOUND);
	/* Deleting what is not there is fine, as in Vault. */
	assert_int_equal(policy_store_delete(f->ps, "", "app"), ERR_OK);
	names = list_text(f->ps, "");
	assert_string_equal(names, "[\"default\",\"root\",\"zeta\"]");
	free(names);
	assert_int_equal(policy_store_get_text(f->ps, "", "nope", &got),
	                 ERR_NOT_FOUND);
}

static void test_builtin_policies(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", *text = NULL;

	/* default exists from the start and grants a token its own paths. */
	assert_int_equal(policy_store_get_text(f->ps, "", "default", &text),
	                 ERR_OK);
	assert_string_equal(text, policy_store_default_text());
	free(text);
	assert_int_equal(
	    caps_of(f->ps, "", "[\"default\"]", "auth/token/lookup-self"),
	    CAP_READ);
	assert_int_equal(caps_of(f->ps, "", "[\"default\"]", "cubbyhole/x"),
	                 CAP_CREATE | CAP_READ | CAP_UPDATE | CAP_DELETE |
	                     CAP_LIST);
	assert_int_equal(caps_of(f->ps, "", "[\"default\"]", "secret/x"),
	                 CAP_DENY);

	/* root: readable as empty, never writable, never deletable. */
	assert_int_equal(policy_store_get_text(f->ps, "", "root", &text),
	                 ERR_OK);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(
	    policy_store_put(f->ps, "", " Root\n", "", err, sizeof(err)),
	    ERR_INVALID);
	assert_string_equal(err, "cannot update root policy");
	assert_int_equal(policy_store_delete(f->ps, "", "ROOT"), ERR_INVALID);
	assert_int_equal(policy_store_delete(f->ps, "", "default"),
	                 ERR_INVALID);
	assert_int_equal(policy_store_delete(f->ps, "team/", "default"),
	                 ERR_INVALID);

	/* default can be rewritten, and the change is what tokens get. */
	put_ok(f->ps, "", "default",
	       "path \"x\" { capabilities = [\"list\"] }");
	assert_int_equal(caps_of(f->ps, "", "[\"default\"]", "x"), CAP_LIST);
	assert_int_equal(
	    caps_of(f->ps, "", "[\"default\"]", "auth/token/lookup-self"),
	    CAP_DENY);
}

static void test_root_acl(void **state)
{
	struct fixture *f = *state;
	json_t *names = json_pack("[s, s]", "default", "Root");
	struct acl *a = NULL;

	assert_int_equal(policy_store_acl(f->ps, "", names, &a), ERR_OK);
	assert_true(acl_is_root(a));
	assert_true(acl_capabilities(a, "sys/raw/x") & CAP_SUDO);
	acl_release(a);
	json_decref(names);

	/* A look-alike name is just an unknown policy. */
	names = json_pack("[s]", "root2");
	assert_int_equal(policy_store_acl(f->ps, "", names, &a), ERR_OK);
	assert_false(acl_is_root(a));
	assert_int_equal(acl_capabilities(a, "sys/raw/x"), CAP_DENY);
	acl_release(a);
	json_decref(names);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", *text = NULL;
	json_t *names;
	struct acl *a = NULL;

	assert_int_equal(policy_store_put(f->ps, "", "bad",
	                                  "path \"a\" {\n capabilities = "
	                                  "[\"fly\"] }",
	                                  err, sizeof(err)),
	                 ERR_INVALID);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(policy_store_get_text(f->ps, "", "bad", &text),
	                 ERR_NOT_FOUND);
	assert_int_equal(
	    policy_store_put(f->ps, "", "a/b", "", err, sizeof(err)),
	    ERR_INVALID);
	assert_int_equal(
	    policy_store_put(f->ps, "", "  ", "", err, sizeof(err)),
	    ERR_INVALID);
	assert_int_equal(policy_store_get_text(f->ps, "", "", &text),
	                 ERR_INVALID);

	/* Junk in a token's policy list is ignored, never trusted. */
	names = json_pack("[i, s, s, n]", 5, "", "a/b");
	assert_int_equal(policy_store_acl(f->ps, "", names, &a), ERR_OK);
	assert_false(acl_is_root(a));
	assert_int_equal(acl_capabilities(a, "a"), CAP_DENY);
	acl_release(a);
	json_decref(names);
}

static void test_cache_sees_changes(void **state)
{
	struct fixture *f = *state;
	json_t *names = json_pack("[s, s]", "app", "default");
	struct acl *before = NULL, *again = NULL, *after = NULL;

	put_ok(f->ps, "", "app", "path \"s/*\" { capabilities = [\"read\"] }");
	assert_int_equal(policy_store_acl(f->ps, "", names, &before), ERR_OK);
	assert_int_equal(policy_store_acl(f->ps, "", names, &again), ERR_OK);
	/* The second lookup is served from the cache. */
	assert_ptr_equal(before, again);
	acl_release(again);

	put_ok(f->ps, "", "app",
	       "path \"s/*\" { capabilities = [\"update\"] }");
	assert_int_equal(policy_store_acl(f->ps, "", names, &after), ERR_OK);
	assert_ptr_not_equal(before, after);
	/* The reference held by a running request stays valid. */
	assert_int_equal(acl_capabilities(before, "s/x"), CAP_READ);
	assert_int_equal(acl_capabilities(after, "s/x"), CAP_UPDATE);
	acl_release(before);
	acl_release(after);

	/* Deleting a policy takes its access away at once. */
	assert_int_equal(policy_store_delete(f->ps, "", "app"), ERR_OK);
	assert_int_equal(caps_of(f->ps, "", "[\"app\"]", "s/x"), CAP_DENY);
	/* The same names in another order share the cached ACL. */
	put_ok(f->ps, "", "app", "path \"s/*\" { capabilities = [\"list\"] }");
	assert_int_equal(policy_store_acl(f->ps, "", names, &before), ERR_OK);
	json_decref(names);
	names = json_pack("[s, s, s]", "DEFAULT", "app", "app");
	assert_int_equal(policy_store_acl(f->ps, "", names, &after), ERR_OK);
	assert_ptr_equal(before, after);
	assert_int_equal(acl_capabilities(after, "s/x"), CAP_LIST);
	acl_release(before);
	acl_release(after);
	json_decref(names);
}

/*
 * The memo by address answers like the cache: a policy change is seen on
 * the next call, the same array in another namespace gets that
 * namespace's ACL, and the caller may drop its array while remembered.
 */
static void test_shared_names(void **state)
{
	struct fixture *f = *state;
	json_t *names = json_pack("[s, s]", "default", "app");
	struct acl *a = NULL, *b = NULL;

	put_ok(f->ps, "", "app", "path \"s/*\" { capabilities = [\"read\"] }");
	put_ok(f->ps, "team/", "app",
	       "path \"s/*\" { capabilities = [\"delete\"] }");
	assert_int_equal(policy_store_acl_shared(f->ps, "", names, &a), ERR_OK);
	assert_int_equal(policy_store_acl_shared(f->ps, "", names, &b), ERR_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(acl_capabilities(b, "s/x"), CAP_READ);
	acl_release(b);
	assert_int_equal(policy_store_acl_shared(f->ps, "team/", names, &b),
	                 ERR_OK);
	assert_int_equal(acl_capabilities(b, "s/x"), CAP_DELETE);
	acl_release(b);

	put_ok(f->ps, "", "app",
	       "path \"s/*\" { capabilities = [\"update\"] }");
	assert_int_equal(policy_store_acl_shared(f->ps, "", names, &b), ERR_OK);
	assert_int_equal(acl_capabilities(b, "s/x"), CAP_UPDATE);
	acl_release(a);
	acl_release(b);

	/* Remembered arrays stay alive after their owner lets go. */
	assert_int_equal(policy_store_acl_shared(f->ps, "", names, &a), ERR_OK);
	json_decref(names);
	names = json_pack("[s]", "default");
	assert_int_equal(policy_store_acl_shared(f->ps, "", names, &b), ERR_OK);
	assert_int_equal(acl_capabilities(b, "s/x"), CAP_DENY);
	assert_int_equal(acl_capabilities(a, "s/x"), CAP_UPDATE);
	acl_release(a);
	acl_release(b);
	json_decref(names);
}

static void test_namespaces(void **state)
{
	struct fixture *f = *state;
	char *names, *text = NULL;

	put_ok(f->ps, "", "app", "path \"a\" { capabilities = [\"read\"] }");
	put_ok(f->ps, "team-a/", "app",
	       "path \"a\" { capabilities = [\"list\"] }");
	put_ok(f->ps, "team-a/", "only-here", "");

	assert_int_equal(caps_of(f->ps, "", "[\"app\"]", "a"), CAP_READ);
	assert_int_equal(caps_of(f->ps, "team-a/", "[\"app\"]", "a"), CAP_LIST);
	assert_int_equal(caps_of(f->ps, "team-b/", "[\"app\"]", "a"), CAP_DENY);

	names = list_text(f->ps, "team-a/");
	assert_string_equal(names, "[\"app\",\"default\",\"only-here\"]");
	free(names);
	/* The root namespace does not list the child's policies. */
	names = list_text(f->ps, "");
	assert_string_equal(names, "[\"app\",\"default\",\"root\"]");
	free(names);
	names = list_text(f->ps, "team-b/");
	assert_string_equal(names, "[\"default\"]");
	free(names);

	/* default exists in every namespace from the built-in text. */
	assert_int_equal(
	    policy_store_get_text(f->ps, "team-b/", "default", &text), ERR_OK);
	assert_string_equal(text, policy_store_default_text());
	free(text);
	assert_int_equal(caps_of(f->ps, "team-b/", "[\"default\"]",
	                         "auth/token/lookup-self"),
	                 CAP_READ);
	assert_int_equal(policy_store_get_text(f->ps, "team-a/", "nope", &text),
	                 ERR_NOT_FOUND);
}

static void test_reopen_keeps_policies(void **state)
{
	struct fixture *f = *state;
	struct policy_store *again = NULL;
	char *text = NULL;

	put_ok(f->ps, "", "default", "path \"mine\" { capabilities = [] }");
	put_ok(f->ps, "", "kept", "path \"k\" { capabilities = [\"read\"] }");
	assert_int_equal(policy_store_new(f->s, &again), ERR_OK);
	/* An edited default is not overwritten on the next start. */
	assert_int_equal(policy_store_get_text(again, "", "default", &text),
	                 ERR_OK);
	assert_string_equal(text, "path \"mine\" { capabilities = [] }");
	free(text);
	assert_int_equal(caps_of(again, "", "[\"kept\"]", "k"), CAP_READ);
	policy_store_free(again);
}

/* Readers check while a writer flips a policy back and forth. */
struct race {
	struct policy_store *ps;
	int bad;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	json_t *names = json_pack("[s]", "flip");
	int i;

	for (i = 0; i < 2000; i++) {
		struct acl *a = NULL;
		uint32_t caps;
		if (policy_store_acl(r->ps, "", names, &a) != ERR_OK) {
			r->bad++;
			continue;
		}
		caps = acl_capabilities(a, "f");
		if (caps != CAP_READ && caps != CAP_LIST)
			r->bad++;
		acl_release(a);
	}
	json_decref(names);
	return NULL;
}

static void test_concurrent_readers(void **state)
{
	struct fixture *f = *state;
	struct race r[4] = {{f->ps, 0}, {f->ps, 0}, {f->ps, 0}, {f->ps, 0}};
	pthread_t th[4];
	int i;

	put_ok(f->ps, "", "flip", "path \"f\" { capabilities = [\"read\"] }");
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &r[i]),
		                 0);
	for (i = 0; i < 200; i++)
		put_ok(f->ps, "", "flip",
		       i % 2 ? "path \"f\" { capabilities = [\"read\"] }"
		             : "path \"f\" { capabilities = [\"list\"] }");
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	/* After the last write every reader sees it. */
	assert_int_equal(caps_of(f->ps, "", "[\"flip\"]", "f"), CAP_READ);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_put_get_list_delete),
	    T(test_builtin_policies),
	    T(test_root_acl),
	    T(test_bad_input),
	    T(test_cache_sees_changes),
	    T(test_shared_names),
	    T(test_namespaces),
	    T(test_reopen_keeps_policies),
	    T(test_concurrent_readers),
	};

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

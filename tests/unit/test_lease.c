/*
 * test_lease.c - the lease manager with fake callbacks and a clock the
 * tests move: register, lookup, list and namespaces, expiry on time,
 * backoff and the irrevocable state, renewal caps, revoke-prefix, restore,
 * the token index, an atomic failed commit, and memory per lease.
 */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/lease.h"
#include "memstore.h"
#include "storage/storage.h"

#define T0 1700000000

static int64_t fake_now = T0;
static int64_t now_fn(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}
static void set_now(int64_t t)
{
	__atomic_store_n(&fake_now, t, __ATOMIC_SEQ_CST);
}

struct env {
	struct storage *s;
	struct memstore *ms;
	struct lease_mgr *lm;
	int revokes; /* attempts seen by the secret callback */
	int renews;
	bool fail;     /* the backend is down */
	int64_t grant; /* renew callback lowers the TTL to this, if > 0 */
};

static err_t cb_revoke(void *ctx, const struct lease_info *li)
{
	struct env *e = ctx;

	assert_non_null(li->secret);
	__atomic_add_fetch(&e->revokes, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&e->fail, __ATOMIC_SEQ_CST) ? ERR_UNAVAILABLE
	                                                   : ERR_OK;
}

static err_t cb_renew(void *ctx, const struct lease_info *li, int64_t inc,
                      int64_t *ttl)
{
	struct env *e = ctx;

	(void)li;
	(void)inc;
	e->renews++;
	if (e->grant > 0 && e->grant < *ttl)
		*ttl = e->grant;
	return ERR_OK;
}

static void open_mgr(struct env *e)
{
	struct lease_callbacks cb = {
	    .ctx = e, .revoke_secret = cb_revoke, .renew_secret = cb_renew};

	assert_int_equal(lease_mgr_new(e->s, &cb, &e->lm), ERR_OK);
	assert_int_equal(lease_mgr_start(e->lm), ERR_OK);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	set_now(T0);
	lease_set_clock(now_fn);
	e->ms = memstore_new();
	e->s = &e->ms->base;
	open_mgr(e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	lease_mgr_free(e->lm);
	storage_free(e->s);
	free(e);
	lease_set_clock(NULL);
	return 0;
}

static char *reg(struct env *e, const char *ns, const char *mount,
                 const char *path, const char *token, int64_t ttl,
                 int64_t max_ttl)
{
	json_t *secret = json_pack("{s:s}", "username", "v-ro-1");
	struct lease_spec spec = {ns,     mount, path,    token,
	                          secret, ttl,   max_ttl, true};
	char *id = NULL;

	assert_int_equal(lease_register(e->lm, &spec, &id), ERR_OK);
	json_decref(secret);
	return id;
}

static bool exists(struct env *e, const char *ns, const char *id)
{
	struct lease_info *li = NULL;
	err_t rc = lease_lookup(e->lm, ns, id, &li);

	lease_info_free(li);
	return rc == ERR_OK;
}

/* Moves the clock and gives the thread time to act. */
static void advance_to(struct env *e, int64_t t)
{
	int i;

	set_now(t);
	for (i = 0; i < 5; i++) {
		lease_mgr_kick(e->lm);
		usleep(10000);
	}
}

static void wait_revokes(struct env *e, int n)
{
	int i;

	for (i = 0;
	     i < 300 && __atomic_load_n(&e->revokes, __ATOMIC_SEQ_CST) < n;
	     i++) {
		lease_mgr_kick(e->lm);
		usleep(10000);
	}
	usleep(20000);
	assert_int_equal(e->revokes, n);
}

static void test_register_lookup_list(void **state)
{
	struct env *e = *state;
	struct lease_info *li = NULL;
	json_t *keys = NULL;
	char *a = reg(e, "", "db/", "creds/ro", NULL, 100, 0);
	char *b = reg(e, "", "db/", "creds/ro", NULL, 100, 0);
	char *c = reg(e, "", "db/", "creds/rw", NULL, 100, 0);
	char *d = reg(e, "team-a/", "db/", "creds/ro", NULL, 100, 0);

	assert_true(strncmp(a, "db/creds/ro/", 12) == 0);
	assert_int_equal(strlen(a), 12 + 24);
	assert_int_equal(lease_lookup(e->lm, "", a, &li), ERR_OK);
	assert_int_equal(li->issue_time, T0);
	assert_int_equal(li->expire_time, T0 + 100);
	assert_int_equal(li->last_renewal_time, 0);
	assert_string_equal(li->mount_path, "db/");
	lease_info_free(li);

	assert_int_equal(lease_list(e->lm, "", "db/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 1);
	assert_string_equal(json_string_value(json_array_get(keys, 0)),
	                    "creds/");
	json_decref(keys);
	assert_int_equal(lease_list(e->lm, "", "db/creds/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 2);
	json_decref(keys);
	assert_int_equal(lease_list(e->lm, "", "db/creds/ro/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 2); /* not team-a's */
	json_decref(keys);

	/* Tenants: the parent reaches a child's lease by id; no sideways. */
	assert_true(exists(e, "", d));
	assert_true(exists(e, "team-a/", d));
	assert_false(exists(e, "team-b/", d));
	assert_false(exists(e, "team-a/", a));
	assert_int_equal(lease_revoke(e->lm, "team-b/", d, false),
	                 ERR_NOT_FOUND);
	assert_int_equal(lease_revoke_prefix(e->lm, "team-b/", "db/", false),
	                 ERR_OK);
	assert_true(exists(e, "", d));
	assert_int_equal(lease_list(e->lm, "team-b/", "", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 0);
	json_decref(keys);

	/* Bad registrations. */
	{
		struct lease_spec bad = {"", "db/", "x", NULL, NULL, 0, 0, 1};
		char *id = NULL;
		assert_int_equal(lease_register(e->lm, &bad, &id), ERR_INVALID);
		bad.ttl = 10;
		bad.mount_path = "";
		assert_int_equal(lease_register(e->lm, &bad, &id), ERR_INVALID);
	}
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_expiry_on_time(void **state)
{
	struct env *e = *state;
	char *a = reg(e, "", "db/", "creds/ro", NULL, 10, 0);
	char *b = reg(e, "", "db/", "creds/ro", NULL, 20, 0);

	advance_to(e, T0 + 9);
	assert_int_equal(e->revokes, 0);
	assert_true(exists(e, "", a));
	set_now(T0 + 10);
	wait_revokes(e, 1);
	assert_false(exists(e, "", a));
	assert_true(exists(e, "", b));
	assert_int_equal(lease_count(e->lm), 1);
	free(a);
	free(b);
}

static void test_backoff_and_irrevocable(void **state)
{
	struct env *e = *state;
	struct lease_info *li = NULL;
	char *a = reg(e, "", "db/", "creds/ro", NULL, 10, 0);
	int64_t t = T0 + 10, delay = 10;
	int i;

	e->fail = true;
	set_now(t);
	wait_revokes(e, 1);
	for (i = 2; i <= LEASE_MAX_FAILURES; i++) {
		/* Not before the backoff has passed... */
		advance_to(e, t + delay - 1);
		assert_int_equal(e->revokes, i - 1);
		/* ...and then once. */
		t += delay;
		set_now(t);
		wait_revokes(e, i);
		delay *= 2;
	}
	assert_int_equal(lease_lookup(e->lm, "", a, &li), ERR_OK);
	assert_true(li->irrevocable);
	assert_int_equal(li->failures, LEASE_MAX_FAILURES);
	lease_info_free(li);

	/*
	 * Flagged, but never forgotten: the backoff keeps doubling up to the
	 * cap and the attempts go on.
	 */
	advance_to(e, t + delay - 1);
	assert_int_equal(e->revokes, LEASE_MAX_FAILURES);
	t += delay;
	set_now(t);
	wait_revokes(e, LEASE_MAX_FAILURES + 1);
	assert_int_equal(lease_count(e->lm), 1);

	/* A plain revoke still fails and keeps it. */
	assert_int_equal(lease_revoke(e->lm, "", a, false), ERR_UNAVAILABLE);
	assert_true(exists(e, "", a));

	/* Once the backend works again, a retry (at most the cap away) ends
	 * it. */
	e->fail = false;
	set_now(t + LEASE_RETRY_CAP);
	for (i = 0; i < 300 && exists(e, "", a); i++) {
		lease_mgr_kick(e->lm);
		usleep(10000);
	}
	assert_false(exists(e, "", a));
	assert_int_equal(lease_count(e->lm), 0);
	free(a);

	/* Force removes one that cannot be revoked at all. */
	e->fail = true;
	a = reg(e, "", "db/", "creds/ro", NULL, 10, 0);
	assert_int_equal(lease_revoke(e->lm, "", a, false), ERR_UNAVAILABLE);
	assert_int_equal(lease_revoke(e->lm, "", a, true), ERR_OK);
	assert_false(exists(e, "", a));
	free(a);
}

static void test_renew_caps(void **state)
{
	struct env *e = *state;
	struct lease_info *li = NULL;
	int64_t ttl = 0;
	char *a = reg(e, "", "db/", "creds/ro", NULL, 100, 150), *b;
	err_t rc;

	set_now(T0 + 10);
	assert_int_equal(lease_renew(e->lm, "", a, 1000, &ttl), ERR_OK);
	assert_int_equal(ttl, 140);
	assert_int_equal(lease_lookup(e->lm, "", a, &li), ERR_OK);
	assert_int_equal(li->expire_time, T0 + 150);
	assert_int_equal(li->last_renewal_time, T0 + 10);
	lease_info_free(li);

	/*
	 * The backend may grant less. A lease of its own, so that a stays
	 * alive until T0 + 150: left to end at T0 + 40, the expiry thread
	 * could revoke it before the checks below and turn their "invalid"
	 * into "not found" now and then.
	 */
	b = reg(e, "", "db/", "creds/rw", NULL, 100, 150);
	e->grant = 30;
	assert_int_equal(lease_renew(e->lm, "", b, -1, &ttl), ERR_OK);
	assert_int_equal(ttl, 30);
	e->grant = 0;
	free(b);

	/* A second before the hard end, a second is all it gets. */
	set_now(T0 + 149);
	assert_int_equal(lease_renew(e->lm, "", a, INT64_MAX, &ttl), ERR_OK);
	assert_int_equal(ttl, 1);
	/*
	 * At the hard end nothing is left: refused, never "0 = forever". The
	 * expiry thread may revoke it first: refused either way, as invalid
	 * or as gone.
	 */
	set_now(T0 + 150);
	rc = lease_renew(e->lm, "", a, 10, &ttl);
	assert_true(rc == ERR_INVALID || rc == ERR_NOT_FOUND);
	assert_int_equal(lease_renew(e->lm, "", "db/nope", 10, &ttl),
	                 ERR_NOT_FOUND);
	assert_int_equal(lease_renew(e->lm, "team-a/", a, 10, &ttl),
	                 ERR_NOT_FOUND);
	free(a);
}

static void test_revoke_prefix(void **state)
{
	struct env *e = *state;
	char *a = reg(e, "", "db/", "creds/ro", NULL, 100, 0);
	char *b = reg(e, "", "db/", "creds/rw", NULL, 100, 0);
	char *c = reg(e, "", "kv/", "x", NULL, 100, 0);
	char *d = reg(e, "team-a/", "db/", "creds/ro", NULL, 100, 0);

	assert_int_equal(lease_revoke_prefix(e->lm, "", "db/", false), ERR_OK);
	assert_int_equal(e->revokes, 2);
	assert_false(exists(e, "", a));
	assert_false(exists(e, "", b));
	assert_true(exists(e, "", c));
	assert_true(exists(e, "", d));

	/* A failing backend: error without force, removal with it. */
	e->fail = true;
	assert_int_equal(lease_revoke_prefix(e->lm, "", "kv/", false),
	                 ERR_UNAVAILABLE);
	assert_true(exists(e, "", c));
	assert_int_equal(lease_revoke_prefix(e->lm, "", "kv/", true), ERR_OK);
	assert_false(exists(e, "", c));
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_restore(void **state)
{
	struct env *e = *state;
	struct lease_info *li = NULL;
	char *a = reg(e, "", "db/", "creds/ro", NULL, 100, 0);
	char *b = reg(e, "team-a/", "db/", "creds/ro", NULL, 200, 0);

	lease_mgr_free(e->lm);
	open_mgr(e);
	assert_int_equal(lease_count(e->lm), 2);
	assert_int_equal(lease_lookup(e->lm, "team-a/", b, &li), ERR_OK);
	assert_string_equal(li->ns, "team-a/");
	assert_string_equal(
	    json_string_value(json_object_get(li->secret, "username")),
	    "v-ro-1");
	lease_info_free(li);
	set_now(T0 + 100);
	wait_revokes(e, 1);
	assert_false(exists(e, "", a));
	assert_true(exists(e, "", b));
	free(a);
	free(b);
}

static void test_revoke_by_token(void **state)
{
	struct env *e = *state;
	const char *tok = "ab12";
	char *a = reg(e, "", "db/", "creds/ro", tok, 1000, 0);
	char *b = reg(e, "", "db/", "creds/ro", tok, 1000, 0);
	char *c = reg(e, "", "db/", "creds/ro", "other", 1000, 0);
	json_t *keys = NULL;

	assert_int_equal(storage_list(e->s, "sys/expire/token/ab12/", &keys),
	                 ERR_OK);
	assert_int_equal(json_array_size(keys), 2);
	json_decref(keys);

	assert_int_equal(lease_revoke_by_token(e->lm, tok), ERR_OK);
	wait_revokes(e, 2);
	assert_false(exists(e, "", a));
	assert_false(exists(e, "", b));
	assert_true(exists(e, "", c));
	/* The index went with the leases. */
	assert_int_equal(storage_list(e->s, "sys/expire/token/ab12/", &keys),
	                 ERR_OK);
	assert_int_equal(json_array_size(keys), 0);
	json_decref(keys);
	free(a);
	free(b);
	free(c);
}

static void test_failed_commit_leaves_nothing(void **state)
{
	struct env *e = *state;
	json_t *secret = json_object();
	struct lease_spec spec = {"", "db/", "p", "tok", secret, 10, 0, true};
	json_t *keys = NULL;
	char *id = NULL;

	e->ms->fail_writes = 1;
	assert_int_not_equal(lease_register(e->lm, &spec, &id), ERR_OK);
	assert_null(id);
	assert_int_equal(lease_count(e->lm), 0);
	assert_int_equal(storage_list(e->s, "sys/expire/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 0);
	json_decref(keys);
	json_decref(secret);
}

/* Storage that keeps nothing, so that only the index is measured. */
static err_t null_get(struct storage *s, const char *k, struct buf *o, bool *f)
{
	(void)s;
	(void)k;
	(void)o;
	*f = false;
	return ERR_OK;
}
static err_t null_put(struct storage *s, const char *k, const uint8_t *v,
                      size_t n)
{
	(void)s;
	(void)k;
	(void)v;
	(void)n;
	return ERR_OK;
}
static err_t null_del(struct storage *s, const char *k)
{
	(void)s;
	(void)k;
	return ERR_OK;
}
static err_t null_list(struct storage *s, const char *p, json_t **keys)
{
	(void)s;
	(void)p;
	*keys = json_array();
	return ERR_OK;
}
static err_t null_commit(struct storage *s, const struct storage_op *ops,
                         size_t n)
{
	(void)s;
	(void)ops;
	(void)n;
	return ERR_OK;
}
static void null_free(struct storage *s)
{
	(void)s;
}
static const struct storage_ops null_ops = {null_get,  null_put,    null_del,
                                            null_list, null_commit, null_free};

static void test_memory_per_lease(void **state)
{
	struct storage null_store = {&null_ops, "null"};
	struct lease_mgr *lm = NULL;
	struct mallinfo2 before, after;
	const size_t n = 100000;
	double per;
	size_t i;

	(void)state;
	assert_int_equal(lease_mgr_new(&null_store, NULL, &lm), ERR_OK);
	before = mallinfo2();
	for (i = 0; i < n; i++) {
		struct lease_spec spec = {
		    "",   "database/", "creds/readonly",
		    NULL, NULL,        3600 + (int64_t)(i % 977),
		    0,    true};
		char *id = NULL;
		assert_int_equal(lease_register(lm, &spec, &id), ERR_OK);
		free(id);
	}
	after = mallinfo2();
	assert_int_equal(lease_count(lm), n);
	per = (double)(after.uordblks - before.uordblks) / (double)n;
	print_message("index memory: %.0f bytes per lease\n", per);
	/* Under AddressSanitizer malloc is not glibc's: nothing to read. */
	if (after.uordblks != before.uordblks)
		assert_true(per < 400.0);
	lease_mgr_free(lm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_lookup_list, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_on_time, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_backoff_and_irrevocable, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_renew_caps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revoke_prefix, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revoke_by_token, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_commit_leaves_nothing,
	                                    setup, teardown),
	    cmocka_unit_test(test_memory_per_lease),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

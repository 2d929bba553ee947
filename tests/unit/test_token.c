/*
 * test_token.c - the token store over an in-memory storage, with a lease
 * manager and a clock the tests move: creation rules, lookups, the
 * revocation tree, orphans, atomic use counts, TTL arithmetic (renewal
 * near the max), expiry, restore after reopening, the revoke hook, tidy.
 */
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
#include "core/token.h"
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
	struct token_store *ts;
	struct lease_mgr *lm;
	char *root;
	struct token_entry *root_e;
	char hooked[8][TOKEN_HASH_LEN + 1];
	int nhooked;
};

static err_t cb_revoke_token(void *ctx, const char *hash)
{
	struct env *e = ctx;
	return token_revoke(e->ts, hash, false);
}

static err_t cb_renew_token(void *ctx, const char *hash, int64_t inc,
                            int64_t *ttl)
{
	struct env *e = ctx;
	return token_renew(e->ts, hash, inc, ttl, NULL);
}

static void hook(void *ctx, const char *hash)
{
	struct env *e = ctx;
	if (e->nhooked < 8)
		snprintf(e->hooked[e->nhooked], TOKEN_HASH_LEN + 1, "%s", hash);
	e->nhooked++;
}

static void open_store(struct env *e)
{
	struct lease_callbacks cb = {.ctx = e,
	                             .revoke_token = cb_revoke_token,
	                             .renew_token = cb_renew_token};

	assert_int_equal(token_store_new(e->s, &e->ts), ERR_OK);
	assert_int_equal(lease_mgr_new(e->s, &cb, &e->lm), ERR_OK);
	token_store_set_leases(e->ts, e->lm);
	token_set_revoke_hook(e->ts, hook, e);
	assert_int_equal(lease_mgr_start(e->lm), ERR_OK);
}

static void close_store(struct env *e)
{
	lease_mgr_stop(e->lm);
	token_store_free(e->ts);
	lease_mgr_free(e->lm);
	e->ts = NULL;
	e->lm = NULL;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[64];

	set_now(T0);
	lease_set_clock(now_fn);
	assert_int_equal(storage_open("inmem", NULL, &e->s, err, sizeof(err)),
	                 ERR_OK);
	open_store(e);
	assert_int_equal(token_create_root(e->ts, NULL, &e->root), ERR_OK);
	assert_int_equal(token_lookup(e->ts, e->root, &e->root_e), ERR_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	close_store(e);
	token_entry_free(e->root_e);
	free(e->root);
	storage_free(e->s);
	free(e);
	lease_set_clock(NULL);
	return 0;
}

/*
 * Children of root without a policy list would inherit "root" and never
 * expire; the tests mostly want ordinary expiring tokens.
 */
static json_t *web_policy;

static struct token_params params(void)
{
	struct token_params p;

	memset(&p, 0, sizeof(p));
	if (web_policy == NULL)
		web_policy = json_pack("[s]", "web");
	p.policies = web_policy;
	p.ns = "";
	p.renewable = true;
	p.default_ttl = 3600;
	p.max_ttl = 7200;
	return p;
}

/* Creates a child of parent; returns the value, fills *out if asked. */
static char *child(struct env *e, const struct token_entry *parent,
                   const struct token_params *p, struct token_entry **out)
{
	struct token_entry *t = NULL;
	char *value = NULL, msg[200];

	assert_int_equal(
	    token_create(e->ts, p, parent, &value, &t, msg, sizeof(msg)),
	    ERR_OK);
	if (out != NULL)
		*out = t;
	else
		token_entry_free(t);
	return value;
}

static bool alive(struct env *e, const char *value)
{
	struct token_entry *t = NULL;
	err_t rc = token_lookup(e->ts, value, &t);

	token_entry_free(t);
	return rc == ERR_OK;
}

static void test_create_lookup_accessor(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL, *l = NULL, *a = NULL;
	json_t *pol = json_pack("[s, s]", "Web", "web"), *desc;
	char *v;

	p.policies = pol;
	p.display_name = "ci job";
	v = child(e, e->root_e, &p, &t);
	assert_true(strncmp(v, "hvs.", 4) == 0 && strlen(v) >= 28);
	assert_int_equal(json_array_size(t->policies), 2);
	assert_string_equal(json_string_value(json_array_get(t->policies, 0)),
	                    "default");
	assert_string_equal(json_string_value(json_array_get(t->policies, 1)),
	                    "web");
	assert_string_equal(t->display_name, "token-ci-job");
	assert_int_equal(t->ttl, 3600);
	assert_int_equal(t->expire_time, T0 + 3600);
	assert_false(t->orphan);
	assert_string_equal(t->parent, e->root_e->id_hash);

	assert_int_equal(token_lookup(e->ts, v, &l), ERR_OK);
	assert_string_equal(l->accessor, t->accessor);
	assert_int_equal(token_lookup_accessor(e->ts, t->accessor, &a), ERR_OK);
	assert_string_equal(a->id_hash, t->id_hash);
	token_entry_free(l);
	l = NULL;
	desc = token_entry_describe(a);
	assert_int_equal(json_integer_value(json_object_get(desc, "ttl")),
	                 3600);
	assert_string_equal(json_string_value(json_object_get(desc, "id")), "");
	assert_true(json_is_string(json_object_get(desc, "expire_time")));
	json_decref(desc);

	/* Unknown, malformed and path-like inputs find nothing. */
	assert_int_equal(token_lookup(e->ts, "hvs.nope", &l), ERR_PERMISSION);
	assert_int_equal(token_lookup(e->ts, "", &l), ERR_PERMISSION);
	assert_int_equal(token_lookup_accessor(e->ts, "../id/x", &l),
	                 ERR_NOT_FOUND);
	assert_int_equal(token_lookup_accessor(e->ts, "AAAA", &l),
	                 ERR_NOT_FOUND);

	token_entry_free(t);
	token_entry_free(a);
	json_decref(pol);
	free(v);
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; p != NULL && i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

/* The value must not be stored anywhere, in any form we can read. */
static err_t scan_key(void *ctx, const char *key)
{
	struct env *e = ((void **)ctx)[0];
	const char *v = ((void **)ctx)[1];
	struct buf b = BUF_INIT;
	bool found;

	assert_int_equal(storage_get(e->s, key, &b, &found), ERR_OK);
	assert_null(strstr(key, v));
	assert_false(contains(b.data, b.len, v));
	buf_release(&b);
	return ERR_OK;
}

static void test_value_never_stored(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	char *v = child(e, e->root_e, &p, NULL);
	void *ctx[2] = {e, v};

	assert_int_equal(lease_walk(e->s, "", scan_key, ctx), ERR_OK);
	ctx[1] = e->root;
	assert_int_equal(lease_walk(e->s, "", scan_key, ctx), ERR_OK);
	free(v);
}

static void test_policy_subset(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *web = NULL, *t = NULL;
	json_t *w = json_pack("[s]", "web"),
	       *db = json_pack("[s, s]", "web", "db");
	char msg[200], *v = NULL, *wv;

	p.policies = w;
	wv = child(e, e->root_e, &p, &web);

	/* More than the parent holds: refused, nothing created. */
	p.policies = db;
	assert_int_equal(token_create(e->ts, &p, web, &v, &t, msg, sizeof(msg)),
	                 ERR_INVALID);
	assert_non_null(strstr(msg, "subset"));
	assert_null(v);

	/* Without a list, the child inherits; "default" is always allowed. */
	p.no_default_policy = false;
	p.policies = NULL;
	free(child(e, web, &p, &t));
	assert_int_equal(json_array_size(t->policies), 2);
	token_entry_free(t);

	/* no_default_policy drops it. */
	p.policies = w;
	p.no_default_policy = true;
	free(child(e, web, &p, &t));
	assert_int_equal(json_array_size(t->policies), 1);
	token_entry_free(t);

	/* A role's allowed list replaces the parent rule; disallowed wins. */
	p.policies = db;
	p.role = "r";
	p.allowed_policies = db;
	free(child(e, web, &p, &t));
	token_entry_free(t);
	p.disallowed_policies = w;
	assert_int_equal(token_create(e->ts, &p, web, &v, &t, msg, sizeof(msg)),
	                 ERR_INVALID);

	/* Custom ids: no ".", no duplicates; negative uses refused. */
	p = params();
	p.id = "my.token";
	assert_int_equal(
	    token_create(e->ts, &p, e->root_e, &v, &t, msg, sizeof(msg)),
	    ERR_INVALID);
	p.id = "custom-one";
	free(child(e, e->root_e, &p, NULL));
	assert_true(alive(e, "custom-one"));
	assert_int_equal(
	    token_create(e->ts, &p, e->root_e, &v, &t, msg, sizeof(msg)),
	    ERR_INVALID);
	p.id = NULL;
	p.num_uses = -1;
	assert_int_equal(
	    token_create(e->ts, &p, e->root_e, &v, &t, msg, sizeof(msg)),
	    ERR_INVALID);

	token_entry_free(web);
	free(wv);
	json_decref(w);
	json_decref(db);
}

static void test_revocation_tree(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *a = NULL, *b = NULL;
	char *va, *vb, *vc, *vd, *vo;
	size_t leases;

	va = child(e, e->root_e, &p, &a);
	vb = child(e, a, &p, &b);
	vc = child(e, b, &p, NULL);
	vd = child(e, a, &p, NULL);
	p.orphan = true;
	vo = child(e, a, &p, NULL); /* made by a, but not its child */
	leases = lease_count(e->lm);
	assert_int_equal(leases, 5);

	e->nhooked = 0;
	assert_int_equal(token_revoke(e->ts, a->id_hash, false), ERR_OK);
	assert_false(alive(e, va));
	assert_false(alive(e, vb));
	assert_false(alive(e, vc));
	assert_false(alive(e, vd));
	assert_true(alive(e, vo));
	assert_true(alive(e, e->root));
	assert_int_equal(e->nhooked, 4);
	/* Deepest first: c before b before a. */
	assert_string_equal(e->hooked[3], a->id_hash);
	assert_int_equal(lease_count(e->lm), 1);

	/* Revoking an unknown or revoked token is fine. */
	assert_int_equal(token_revoke(e->ts, a->id_hash, false), ERR_OK);

	token_entry_free(a);
	token_entry_free(b);
	free(va);
	free(vb);
	free(vc);
	free(vd);
	free(vo);
}

static void test_revoke_orphan(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *x = NULL, *y = NULL;
	char *vx, *vy, *vz;

	vx = child(e, e->root_e, &p, &x);
	vy = child(e, x, &p, NULL);
	assert_int_equal(token_lookup(e->ts, vy, &y), ERR_OK);
	vz = child(e, y, &p, NULL);
	assert_int_equal(token_revoke(e->ts, x->id_hash, true), ERR_OK);
	assert_false(alive(e, vx));
	assert_true(alive(e, vy));
	assert_true(alive(e, vz));
	token_entry_free(y);
	assert_int_equal(token_lookup(e->ts, vy, &y), ERR_OK);
	assert_true(y->orphan);
	assert_string_equal(y->parent, "");

	/* The orphan's own subtree still goes with it. */
	assert_int_equal(token_revoke(e->ts, y->id_hash, false), ERR_OK);
	assert_false(alive(e, vz));
	token_entry_free(x);
	token_entry_free(y);
	free(vx);
	free(vy);
	free(vz);
}

struct race {
	struct env *e;
	const char *value;
	int ok;
};

static void *use_once(void *arg)
{
	struct race *r = arg;
	struct token_entry *t = NULL;

	if (token_use(r->e->ts, r->value, &t) == ERR_OK) {
		__atomic_add_fetch(&r->ok, 1, __ATOMIC_SEQ_CST);
		token_used_up(r->e->ts, t);
	}
	token_entry_free(t);
	return NULL;
}

static void test_num_uses_atomic(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct race r = {e, NULL, 0};
	struct token_entry *t = NULL;
	pthread_t th[50];
	int i;

	p.num_uses = 1;
	r.value = child(e, e->root_e, &p, NULL);
	for (i = 0; i < 50; i++)
		assert_int_equal(pthread_create(&th[i], NULL, use_once, &r), 0);
	for (i = 0; i < 50; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(r.ok, 1);
	assert_false(alive(e, r.value));
	free((char *)r.value);

	/* Three uses: the third is the last, the fourth is refused. */
	p.num_uses = 3;
	r.value = child(e, e->root_e, &p, NULL);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(token_use(e->ts, r.value, &t), ERR_OK);
		assert_int_equal(t->used_up, i == 3);
		assert_int_equal(t->num_uses, 3 - i);
		token_entry_free(t);
	}
	/* Spent but not yet revoked: still refused. */
	assert_int_equal(token_use(e->ts, r.value, &t), ERR_PERMISSION);
	assert_int_equal(token_lookup(e->ts, r.value, &t), ERR_PERMISSION);
	free((char *)r.value);
}

static void test_ttl_caps(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL;
	json_t *rootp = json_pack("[s]", "root");

	p.ttl = 100000; /* over the mount's max */
	free(child(e, e->root_e, &p, &t));
	assert_int_equal(t->ttl, 7200);
	token_entry_free(t);

	p.ttl = 0;
	p.explicit_max_ttl = 100;
	free(child(e, e->root_e, &p, &t));
	assert_int_equal(t->ttl, 100);
	token_entry_free(t);

	p.explicit_max_ttl = 0;
	p.period = 50;
	free(child(e, e->root_e, &p, &t));
	assert_int_equal(t->ttl, 50);
	assert_int_equal(t->period, 50);
	token_entry_free(t);

	/* A root-policy token asked without a TTL never expires... */
	p = params();
	p.policies = rootp;
	free(child(e, e->root_e, &p, &t));
	assert_int_equal(t->expire_time, 0);
	assert_false(t->renewable);
	token_entry_free(t);
	/* ...but one with a TTL does, and a non-root one always does. */
	p.ttl = 60;
	free(child(e, e->root_e, &p, &t));
	assert_int_equal(t->expire_time, T0 + 60);
	token_entry_free(t);

	assert_int_equal(
	    token_renew(e->ts, e->root_e->id_hash, 10, &p.ttl, NULL),
	    ERR_INVALID);
	json_decref(rootp);
}

static void test_renew_near_max(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL, *r = NULL;
	int64_t ttl = 0;
	char *v;

	p.ttl = 600; /* max_ttl 7200 from creation */
	v = child(e, e->root_e, &p, &t);

	set_now(T0 + 500);
	assert_int_equal(token_renew(e->ts, t->id_hash, 0, &ttl, &r), ERR_OK);
	assert_int_equal(ttl, 600); /* its own TTL again */
	assert_int_equal(r->expire_time, T0 + 1100);
	assert_int_equal(r->last_renewal_time, T0 + 500);
	token_entry_free(r);

	set_now(T0 + 7000);
	assert_int_equal(token_renew(e->ts, t->id_hash, 0, &ttl, NULL),
	                 ERR_NOT_FOUND); /* expired at T0 + 1100 */

	/* Near the max: a huge increment is capped, never "no expiry". */
	free(v);
	token_entry_free(t);
	set_now(T0);
	v = child(e, e->root_e, &p, &t);
	set_now(T0 + 590);
	assert_int_equal(
	    token_renew(e->ts, t->id_hash, INT64_MAX / 2, &ttl, NULL), ERR_OK);
	assert_int_equal(ttl, 7200 - 590);
	set_now(T0 + 7199);
	assert_int_equal(token_renew(e->ts, t->id_hash, 3600, &ttl, &r),
	                 ERR_OK);
	assert_int_equal(ttl, 1);
	assert_int_equal(r->expire_time, T0 + 7200);
	token_entry_free(r);
	set_now(T0 + 7200);
	assert_int_equal(token_renew(e->ts, t->id_hash, 3600, &ttl, NULL),
	                 ERR_NOT_FOUND);
	assert_false(alive(e, v));
	token_entry_free(t);
	free(v);
}

static void test_periodic_and_explicit_max(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL;
	int64_t ttl = 0;
	char *v;

	p.period = 50;
	p.explicit_max_ttl = 120;
	v = child(e, e->root_e, &p, &t);
	set_now(T0 + 40);
	assert_int_equal(token_renew(e->ts, t->id_hash, 1000, &ttl, NULL),
	                 ERR_OK);
	assert_int_equal(ttl, 50); /* the period, whatever was asked */
	set_now(T0 + 85);
	assert_int_equal(token_renew(e->ts, t->id_hash, 0, &ttl, NULL), ERR_OK);
	assert_int_equal(ttl, 35); /* explicit max at T0 + 120 */
	set_now(T0 + 120);
	assert_false(alive(e, v));

	/* Periodic without an explicit max outlives the mount max. */
	set_now(T0);
	token_entry_free(t);
	free(v);
	p.explicit_max_ttl = 0;
	v = child(e, e->root_e, &p, &t);
	set_now(T0 + 7190);
	assert_int_equal(token_renew(e->ts, t->id_hash, 0, &ttl, NULL),
	                 ERR_NOT_FOUND); /* lapsed: not renewed in time */
	token_entry_free(t);
	free(v);
	set_now(T0);
	v = child(e, e->root_e, &p, &t);
	for (int i = 1; i <= 200; i++) {
		set_now(T0 + 40 * i);
		assert_int_equal(token_renew(e->ts, t->id_hash, 0, &ttl, NULL),
		                 ERR_OK);
		assert_int_equal(ttl, 50);
	}
	assert_true(alive(e, v));
	token_entry_free(t);
	free(v);
}

static void test_not_renewable(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL;
	int64_t ttl = 0;

	p.renewable = false;
	free(child(e, e->root_e, &p, &t));
	assert_int_equal(token_renew(e->ts, t->id_hash, 0, &ttl, NULL),
	                 ERR_INVALID);
	assert_int_equal(token_renew(e->ts, "00", 0, &ttl, NULL),
	                 ERR_NOT_FOUND);
	token_entry_free(t);
}

static bool accessor_stored(struct env *e, const char *acc)
{
	char key[128];
	struct buf b = BUF_INIT;
	bool found = false;

	snprintf(key, sizeof(key), "sys/token/accessor/%s", acc);
	assert_int_equal(storage_get(e->s, key, &b, &found), ERR_OK);
	buf_release(&b);
	return found;
}

static void wait_gone(struct env *e, const char *acc)
{
	int i;

	for (i = 0; i < 300 && accessor_stored(e, acc); i++) {
		lease_mgr_kick(e->lm);
		usleep(10000);
	}
	assert_false(accessor_stored(e, acc));
}

static void test_expiry(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL;
	char *v;

	p.ttl = 5;
	v = child(e, e->root_e, &p, &t);

	/* Refused the moment it expires, before the thread runs. */
	lease_mgr_stop(e->lm);
	set_now(T0 + 5);
	assert_false(alive(e, v));
	assert_true(accessor_stored(e, t->accessor));

	/* The thread then removes it, and the hook sees it go. */
	e->nhooked = 0;
	assert_int_equal(lease_mgr_start(e->lm), ERR_OK);
	wait_gone(e, t->accessor);
	assert_int_equal(e->nhooked, 1);
	assert_string_equal(e->hooked[0], t->id_hash);
	assert_int_equal(lease_count(e->lm), 0);
	token_entry_free(t);
	free(v);
}

static void test_restore_after_reopen(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL;
	char *v1, *v2;

	p.ttl = 100;
	v1 = child(e, e->root_e, &p, &t);
	p.ttl = 1000;
	v2 = child(e, e->root_e, &p, NULL);
	close_store(e);

	open_store(e);
	assert_int_equal(lease_count(e->lm), 2);
	assert_true(alive(e, v1));
	set_now(T0 + 101);
	wait_gone(e, t->accessor);
	assert_true(alive(e, v2));
	assert_int_equal(lease_count(e->lm), 1);
	token_entry_free(t);
	free(v1);
	free(v2);
}

struct churn {
	struct env *e;
	struct token_entry *parent;
	char *values[200];
	int n;
	volatile int stop;
};

static void *make_children(void *arg)
{
	struct churn *c = arg;
	struct token_params p = params();
	char msg[200];

	while (!c->stop && c->n < 200) {
		struct token_entry *t = NULL;
		char *v = NULL;
		if (token_create(c->e->ts, &p, c->parent, &v, &t, msg,
		                 sizeof(msg)) == ERR_OK)
			c->values[c->n++] = v;
		token_entry_free(t);
	}
	return NULL;
}

static void test_children_made_during_revocation(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct churn c;
	pthread_t th;
	char *pv;
	int i;

	memset(&c, 0, sizeof(c));
	c.e = e;
	pv = child(e, e->root_e, &p, &c.parent);
	assert_int_equal(pthread_create(&th, NULL, make_children, &c), 0);
	while (c.n < 5)
		usleep(1000);
	assert_int_equal(token_revoke(e->ts, c.parent->id_hash, false), ERR_OK);
	c.stop = 1;
	pthread_join(th, NULL);
	for (i = 0; i < c.n; i++) {
		assert_false(alive(e, c.values[i]));
		free(c.values[i]);
	}
	token_entry_free(c.parent);
	free(pv);
}

static void test_namespaces_and_accessors(void **state)
{
	struct env *e = *state;
	struct token_params p = params();
	struct token_entry *t = NULL;
	json_t *keys = NULL;

	p.ns = "team-a/";
	free(child(e, e->root_e, &p, &t));
	assert_string_equal(t->ns, "team-a/");
	assert_true(token_in_ns(t, ""));
	assert_true(token_in_ns(t, "team-a/"));
	assert_false(token_in_ns(t, "team-b/"));
	assert_false(token_in_ns(e->root_e, "team-a/"));

	assert_int_equal(token_list_accessors(e->ts, "team-b/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 0);
	json_decref(keys);
	assert_int_equal(token_list_accessors(e->ts, "team-a/", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 1);
	assert_string_equal(json_string_value(json_array_get(keys, 0)),
	                    t->accessor);
	json_decref(keys);
	assert_int_equal(token_list_accessors(e->ts, "", &keys), ERR_OK);
	assert_int_equal(json_array_size(keys), 2);
	json_decref(keys);
	token_entry_free(t);
}

static void test_tidy(void **state)
{
	struct env *e = *state;
	const char *junk = "{\"id_key\":\"sys/token/id/00\"}";
	char orphan_link[200];
	struct buf b = BUF_INIT;
	size_t cleaned = 0;
	bool found = true;

	assert_int_equal(storage_put(e->s, "sys/token/accessor/Dangling1",
	                             (const uint8_t *)junk, strlen(junk)),
	                 ERR_OK);
	snprintf(orphan_link, sizeof(orphan_link), "sys/token/parent/%s/%064d",
	         e->root_e->id_hash, 7);
	assert_int_equal(
	    storage_put(e->s, orphan_link, (const uint8_t *)"1", 1), ERR_OK);
	assert_int_equal(token_tidy(e->ts, &cleaned), ERR_OK);
	assert_int_equal(cleaned, 2);
	assert_false(accessor_stored(e, "Dangling1"));
	assert_int_equal(storage_get(e->s, orphan_link, &b, &found), ERR_OK);
	assert_false(found);
	assert_true(alive(e, e->root));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_lookup_accessor, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_value_never_stored, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_policy_subset, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_revocation_tree, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_revoke_orphan, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_num_uses_atomic, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_ttl_caps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_renew_near_max, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_periodic_and_explicit_max,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_renewable, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_after_reopen, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_children_made_during_revocation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_namespaces_and_accessors,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tidy, setup, teardown),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	json_decref(web_policy);
	return rc;
}

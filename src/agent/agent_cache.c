/*
 * agent_cache.c - the proxy's cache of leased answers (see agent_cache.h).
 */
#include "agent/agent_cache.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/secret.h"

/* How long a request waits for an identical one's answer. */
#define WAIT_SECONDS 70

struct entry {
	unsigned char key[AGENT_CACHE_KEYLEN];
	bool pending;    /* being fetched; no answer yet */
	struct buf body; /* the answer; a secret */
	char *lease_id;  /* NULL for an auth answer */
	int64_t until_ms;
};

struct agent_cache {
	pthread_mutex_t lock;
	pthread_cond_t done; /* a pending entry was filled or dropped */
	struct entry *items;
	size_t n, alloc;
};

err_t agent_cache_new(struct agent_cache **out)
{
	struct agent_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return ERR_NOMEM;
	}
	if (pthread_cond_init(&c->done, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return ERR_NOMEM;
	}
	*out = c;
	return ERR_OK;
}

static void entry_release(struct entry *e)
{
	buf_release(&e->body);
	free(e->lease_id);
	memset(e, 0, sizeof(*e));
}

void agent_cache_free(struct agent_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		entry_release(&c->items[i]);
	free(c->items);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Each part with its length first, so that no two requests collide. */
static void hash_part(EVP_MD_CTX *md, const char *p, size_t n)
{
	uint64_t len = p ? n : UINT64_MAX;

	EVP_DigestUpdate(md, &len, sizeof(len));
	if (p != NULL)
		EVP_DigestUpdate(md, p, n);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

void agent_cache_key(const struct agent_cache_req *r,
                     unsigned char key[AGENT_CACHE_KEYLEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;

	memset(key, 0, AGENT_CACHE_KEYLEN);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return;
	}
	hash_part(md, r->token, slen(r->token));
	hash_part(md, r->method, slen(r->method));
	hash_part(md, r->ns, slen(r->ns));
	hash_part(md, r->path, slen(r->path));
	hash_part(md, r->params, r->params_len);
	EVP_DigestFinal_ex(md, key, &n);
	EVP_MD_CTX_free(md);
}

int64_t agent_cache_lifetime(long status, json_t *body, const char **lease_id)
{
	const char *lease =
	    json_string_value(json_object_get(body, "lease_id"));
	json_t *auth = json_object_get(body, "auth");
	const char *token =
	    json_string_value(json_object_get(auth, "client_token"));
	json_int_t ttl;

	*lease_id = NULL;
	if (status != 200 || !json_is_object(body) ||
	    json_is_object(json_object_get(body, "wrap_info")))
		return 0;
	if (lease != NULL && *lease != 0) {
		ttl =
		    json_integer_value(json_object_get(body, "lease_duration"));
		*lease_id = lease;
		return ttl > 0 ? ttl : 0;
	}
	if (token != NULL && *token != 0) {
		ttl =
		    json_integer_value(json_object_get(auth, "lease_duration"));
		return ttl > 0 ? ttl : 0;
	}
	return 0;
}

static struct entry *find(struct agent_cache *c,
                          const unsigned char key[AGENT_CACHE_KEYLEN])
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (secret_equal(c->items[i].key, AGENT_CACHE_KEYLEN, key,
		                 AGENT_CACHE_KEYLEN))
			return &c->items[i];
	return NULL;
}

static void drop(struct agent_cache *c, struct entry *e)
{
	entry_release(e);
	*e = c->items[--c->n];
}

/* Makes room by dropping what has expired; NULL when still full. */
static struct entry *add(struct agent_cache *c,
                         const unsigned char key[AGENT_CACHE_KEYLEN],
                         int64_t now_ms)
{
	struct entry *items;
	size_t i = 0, alloc;

	while (c->n == AGENT_CACHE_MAX && i < c->n) {
		if (!c->items[i].pending && c->items[i].until_ms <= now_ms)
			drop(c, &c->items[i]);
		else
			i++;
	}
	if (c->n == AGENT_CACHE_MAX)
		return NULL;
	if (c->n == c->alloc) {
		alloc = c->alloc ? c->alloc * 2 : 16;
		items = realloc(c->items, alloc * sizeof(*items));
		if (items == NULL)
			return NULL;
		c->items = items;
		c->alloc = alloc;
	}
	memset(&c->items[c->n], 0, sizeof(c->items[c->n]));
	memcpy(c->items[c->n].key, key, AGENT_CACHE_KEYLEN);
	return &c->items[c->n++];
}

bool agent_cache_get(struct agent_cache *c,
                     const unsigned char key[AGENT_CACHE_KEYLEN],
                     int64_t now_ms, struct buf *body)
{
	struct timespec deadline;
	struct entry *e;
	bool hit = false;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_SECONDS;
	pthread_mutex_lock(&c->lock);

	/* An identical request is being answered: wait for its answer. */
	while ((e = find(c, key)) != NULL && e->pending)
		if (pthread_cond_timedwait(&c->done, &c->lock, &deadline) ==
		    ETIMEDOUT)
			break;

	if (e != NULL && !e->pending && e->until_ms > now_ms) {
		hit = buf_append(body, e->body.data, e->body.len) == ERR_OK;
	} else if (e == NULL || !e->pending) {
		/* Absent or expired: this request fetches it. */
		if (e != NULL)
			drop(c, e);
		e = add(c, key, now_ms);
		if (e != NULL)
			e->pending = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

static bool fill(struct entry *e, const char *lease_id, int64_t lifetime,
                 const struct buf *body, int64_t now_ms)
{
	e->lease_id = lease_id ? strdup(lease_id) : NULL;
	if ((lease_id != NULL && e->lease_id == NULL) ||
	    buf_append(&e->body, body->data, body->len) != ERR_OK)
		return false;
	e->pending = false;
	e->until_ms = now_ms + lifetime * 2000 / 3;
	return true;
}

void agent_cache_put(struct agent_cache *c,
                     const unsigned char key[AGENT_CACHE_KEYLEN], long status,
                     json_t *json, const struct buf *body, int64_t now_ms)
{
	const char *lease_id = NULL;
	int64_t lifetime = agent_cache_lifetime(status, json, &lease_id);
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e != NULL && !e->pending)
		e = NULL; /* another request stored it meanwhile */
	else if (e == NULL && lifetime > 0)
		e = add(c, key, now_ms);
	if (e != NULL &&
	    (lifetime <= 0 || !fill(e, lease_id, lifetime, body, now_ms)))
		drop(c, e);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
}

void agent_cache_abandon(struct agent_cache *c,
                         const unsigned char key[AGENT_CACHE_KEYLEN])
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e != NULL && e->pending)
		drop(c, e);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
}

size_t agent_cache_evict(struct agent_cache *c, const char *id, bool prefix)
{
	size_t i = 0, n = 0, len = strlen(id);
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	while (i < c->n) {
		e = &c->items[i];
		if (!e->pending && e->lease_id != NULL &&
		    (prefix ? strncmp(e->lease_id, id, len) == 0
		            : strcmp(e->lease_id, id) == 0)) {
			drop(c, e);
			n++;
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

size_t agent_cache_count(struct agent_cache *c)
{
	size_t i, n = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n; i++)
		n += !c->items[i].pending;
	pthread_mutex_unlock(&c->lock);
	return n;
}

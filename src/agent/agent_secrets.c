/*
 * agent_secrets.c - fetching, sharing and renewing the secrets templates
 * read (see agent_secrets.h).
 */
#include "agent/agent_secrets.h"

#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/agent_kvpath.h"
#include "base/log.h"
#include "base/secret.h"

/* The most secrets a configuration's templates may read. */
#define SECRETS_MAX 4096

struct secret {
	char *path;
	char *params; /* compact JSON of a write's parameters; NULL: a read */
	json_t *resp; /* the server's answer; holds the secret */
	char *lease_id;
	int64_t duration; /* seconds */
	bool leased;
	bool renewable;
	bool refetch; /* at due_ms, fetch again instead of renewing */
	bool stale;   /* fetch again at the next use */
	int64_t due_ms;
	uint64_t fetched_pass;
	uint64_t used_pass;
	uint64_t token_gen; /* the login whose token fetched it */
};

struct agent_secrets {
	struct agent_http *http;
	struct agent_auth *auth;
	struct secret *items;
	size_t n, alloc;
	uint64_t pass;
	bool denied;
};

err_t agent_secrets_new(struct agent_http *http, struct agent_auth *auth,
                        struct agent_secrets **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return ERR_NOMEM;
	(*out)->http = http;
	(*out)->auth = auth;
	return ERR_OK;
}

static void secret_release(struct secret *e)
{
	free(e->path);
	free(e->params);
	json_decref(e->resp);
	free(e->lease_id);
	memset(e, 0, sizeof(*e));
}

void agent_secrets_free(struct agent_secrets *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		secret_release(&s->items[i]);
	free(s->items);
	free(s);
}

void agent_secrets_begin(struct agent_secrets *s)
{
	s->pass++;
	s->denied = false;
}

void agent_secrets_end(struct agent_secrets *s, bool ok)
{
	size_t i = 0;

	while (ok && i < s->n) {
		if (s->items[i].used_pass == s->pass) {
			i++;
			continue;
		}
		secret_release(&s->items[i]);
		s->items[i] = s->items[--s->n];
	}
}

bool agent_secrets_denied(const struct agent_secrets *s)
{
	return s->denied;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static struct secret *find(struct agent_secrets *s, const char *path,
                           const char *params)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->items[i].path, path) == 0 &&
		    str_eq(s->items[i].params, params))
			return &s->items[i];
	return NULL;
}

static struct secret *add(struct agent_secrets *s, const char *path,
                          const char *params)
{
	struct secret *items, *e;
	size_t alloc;

	if (s->n == SECRETS_MAX)
		return NULL;
	if (s->n == s->alloc) {
		alloc = s->alloc ? s->alloc * 2 : 8;
		items = realloc(s->items, alloc * sizeof(*items));
		if (items == NULL)
			return NULL;
		s->items = items;
		s->alloc = alloc;
	}
	e = &s->items[s->n];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	e->params = params ? strdup(params) : NULL;
	if (e->path == NULL || (params != NULL && e->params == NULL)) {
		secret_release(e);
		return NULL;
	}
	s->n++;
	return e;
}

/* GET path, or PUT it with params; the answer must carry data. */
static err_t fetch(struct agent_secrets *s, const char *path,
                   const json_t *params, json_t **out, struct buf *errmsg)
{
	struct agent_http_resp resp = {0};
	char *token = agent_auth_token(s->auth);
	struct buf api = BUF_INIT;
	err_t rc;

	*out = NULL;
	if (token == NULL) {
		buf_append_str(errmsg, "no token yet");
		return ERR_UNAVAILABLE;
	}
	/* Reads of KV v2 by their logical path get "data/" put in. */
	rc = params ? buf_append_str(&api, path)
	            : agent_kvpath_resolve(s->http, token, path, &api);
	if (rc == ERR_OK)
		rc = agent_http_call(s->http, params ? "PUT" : "GET",
		                     buf_str(&api), token, (json_t *)params,
		                     &resp, errmsg);
	buf_release(&api);
	if (rc == ERR_PERMISSION)
		s->denied = true;
	if (rc == ERR_OK && !json_is_object(resp.json))
		rc = ERR_NOT_FOUND;
	if (rc == ERR_NOT_FOUND) {
		/* The engine names the path in front of this. */
		buf_reset(errmsg);
		buf_append_str(errmsg, "no secret at this path");
	}
	if (rc == ERR_OK)
		*out = json_incref(resp.json);
	agent_http_resp_release(&resp);
	secret_free(token);
	return rc;
}

/* Takes answer into e and plans its lease, if it has one. */
static void store(struct agent_secrets *s, struct secret *e, json_t *answer)
{
	const char *lease =
	    json_string_value(json_object_get(answer, "lease_id"));
	json_int_t duration =
	    json_integer_value(json_object_get(answer, "lease_duration"));

	json_decref(e->resp);
	e->resp = answer;
	free(e->lease_id);
	e->lease_id = lease != NULL && *lease != 0 ? strdup(lease) : NULL;
	e->duration = duration > 0 ? duration : 0;
	e->leased = e->lease_id != NULL && e->duration > 0;
	e->renewable = json_is_true(json_object_get(answer, "renewable"));
	e->refetch = !e->renewable;
	e->stale = false;
	e->due_ms = agent_now_ms() + e->duration * 2000 / 3;
	e->fetched_pass = s->pass;
	e->token_gen = agent_auth_generation(s->auth);
}

err_t agent_secrets_get(void *ctx, const char *path, const json_t *params,
                        json_t **out, struct buf *errmsg)
{
	struct agent_secrets *s = ctx;
	char *ptext = NULL;
	struct secret *e;
	json_t *answer = NULL;
	err_t rc = ERR_OK;

	*out = NULL;
	if (params != NULL) {
		ptext = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
		if (ptext == NULL)
			return ERR_NOMEM;
	}
	e = find(s, path, ptext);
	if (e != NULL && (e->fetched_pass == s->pass ||
	                  (e->leased && !e->stale &&
	                   e->token_gen == agent_auth_generation(s->auth)))) {
		e->used_pass = s->pass;
		*out = json_incref(e->resp);
		goto out;
	}
	rc = fetch(s, path, params, &answer, errmsg);
	if (rc != ERR_OK)
		goto out;
	if (e == NULL && (e = add(s, path, ptext)) == NULL) {
		json_decref(answer);
		rc = ERR_NOMEM;
		goto out;
	}
	store(s, e, answer);
	e->used_pass = s->pass;
	if (e->leased)
		log_info("agent", "template: fetched %s (lease %s, %llds)",
		         path, e->lease_id, (long long)e->duration);
	*out = json_incref(e->resp);
out:
	secret_free(ptext);
	return rc;
}

err_t agent_secrets_list(void *ctx, const char *path, json_t **out,
                         struct buf *errmsg)
{
	struct agent_secrets *s = ctx;
	struct agent_http_resp resp = {0};
	char *token = agent_auth_token(s->auth);
	json_t *keys;
	err_t rc;

	*out = NULL;
	if (token == NULL) {
		buf_append_str(errmsg, "no token yet");
		return ERR_UNAVAILABLE;
	}
	rc = agent_http_call(s->http, "LIST", path, token, NULL, &resp, errmsg);
	keys = json_object_get(json_object_get(resp.json, "data"), "keys");
	if (rc == ERR_PERMISSION)
		s->denied = true;
	/* Nothing under a path is an empty list, as LIST's 404 means. */
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK && !json_is_array(keys))) {
		rc = ERR_OK;
		keys = NULL;
	}
	if (rc == ERR_OK) {
		*out = keys ? json_incref(keys) : json_array();
		rc = *out ? ERR_OK : ERR_NOMEM;
	}
	agent_http_resp_release(&resp);
	secret_free(token);
	return rc;
}

/* sys/leases/renew for e; false when it must be fetched again. */
static bool renew(struct agent_secrets *s, struct secret *e, int64_t now_ms)
{
	struct agent_http_resp resp = {0};
	struct buf why = BUF_INIT;
	char *token = agent_auth_token(s->auth);
	json_t *body;
	json_int_t got = 0;
	err_t rc = ERR_NOMEM;

	body = json_pack("{s:s, s:I}", "lease_id", e->lease_id, "increment",
	                 (json_int_t)e->duration);
	if (body != NULL && token != NULL)
		rc = agent_http_call(s->http, "PUT", "sys/leases/renew", token,
		                     body, &resp, &why);
	if (rc == ERR_OK)
		got = json_integer_value(
		    json_object_get(resp.json, "lease_duration"));
	if (rc == ERR_OK && got > 0) {
		log_info("agent", "template: renewed lease %s (%llds)",
		         e->lease_id, (long long)got);
		/* Less than asked: the lease nears its max TTL. */
		e->refetch = got < e->duration;
		e->duration = got;
		e->due_ms = now_ms + got * 2000 / 3;
	} else {
		log_warn("agent", "template: cannot renew lease %s: %s",
		         e->lease_id,
		         why.len ? buf_str(&why) : "no lease duration granted");
	}
	json_decref(body);
	agent_http_resp_release(&resp);
	buf_release(&why);
	secret_free(token);
	return rc == ERR_OK && got > 0;
}

bool agent_secrets_tick(struct agent_secrets *s, int64_t now_ms,
                        int64_t *next_ms)
{
	bool need_pass = false;
	size_t i;

	*next_ms = INT64_MAX;
	for (i = 0; i < s->n; i++) {
		struct secret *e = &s->items[i];

		if (!e->leased || e->stale)
			continue;
		if (e->due_ms <= now_ms &&
		    (e->refetch || !renew(s, e, now_ms))) {
			log_info("agent",
			         "template: lease %s of %s is ending; fetching "
			         "new credentials",
			         e->lease_id, e->path);
			e->stale = true;
			need_pass = true;
			continue;
		}
		if (e->due_ms < *next_ms)
			*next_ms = e->due_ms;
	}
	return need_pass;
}

void agent_secrets_expire_all(struct agent_secrets *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->items[i].leased)
			s->items[i].stale = true;
}

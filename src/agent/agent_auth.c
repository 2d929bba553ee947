/*
 * agent_auth.c - the auto-auth state machine (see agent_auth.h).
 */
#include "agent/agent_auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_method.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"

struct agent_auth {
	const struct agent_method *method;
	struct agent_http *http;
	struct agent_creds creds;

	pthread_mutex_t lock; /* over token and generation */
	char *token;          /* a secret; NULL when there is none */
	uint64_t generation;

	/* Main loop only. */
	char *accessor;
	int64_t ttl; /* seconds, as last granted */
	bool renewable;
	bool relogin;    /* at due_ms: log in rather than renew */
	int64_t due_ms;  /* next login or renewal; INT64_MAX: none */
	int64_t backoff; /* seconds of the last wait; 0 after success */
};

static const char *const method_names[] = {"approle", "jwt", "kubernetes",
                                           "token_file"};

err_t agent_auth_new(const struct agent_method *m, struct agent_http *http,
                     struct agent_auth **out)
{
	struct agent_auth *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		return ERR_NOMEM;
	}
	a->method = m;
	a->http = http;
	a->due_ms = 0; /* log in at the first step */
	a->relogin = true;
	*out = a;
	return ERR_OK;
}

static void set_token(struct agent_auth *a, char *token)
{
	char *old;

	pthread_mutex_lock(&a->lock);
	old = a->token;
	a->token = token;
	if (token != NULL)
		a->generation++;
	pthread_mutex_unlock(&a->lock);
	secret_free(old);
}

void agent_auth_free(struct agent_auth *a)
{
	if (a == NULL)
		return;
	set_token(a, NULL);
	agent_creds_release(&a->creds);
	free(a->accessor);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

char *agent_auth_token(struct agent_auth *a)
{
	char *copy = NULL;

	pthread_mutex_lock(&a->lock);
	if (a->token != NULL)
		copy = strdup(a->token);
	pthread_mutex_unlock(&a->lock);
	return copy;
}

bool agent_auth_ready(struct agent_auth *a)
{
	bool ready;

	pthread_mutex_lock(&a->lock);
	ready = a->token != NULL;
	pthread_mutex_unlock(&a->lock);
	return ready;
}

uint64_t agent_auth_generation(struct agent_auth *a)
{
	uint64_t g;

	pthread_mutex_lock(&a->lock);
	g = a->generation;
	pthread_mutex_unlock(&a->lock);
	return g;
}

int64_t agent_auth_backoff(int64_t prev)
{
	if (prev < AGENT_BACKOFF_MIN)
		return AGENT_BACKOFF_MIN;
	if (prev >= AGENT_BACKOFF_MAX / 2)
		return AGENT_BACKOFF_MAX;
	return prev * 2;
}

/*
 * Plans the next step for a token of ttl seconds: renew it at two thirds
 * of its life, or, when it cannot be renewed or nears its max TTL, log in
 * again then. A token without a TTL needs nothing.
 */
static void plan(struct agent_auth *a, int64_t now_ms, bool relogin)
{
	a->relogin = relogin || !a->renewable;
	a->due_ms = a->ttl > 0 ? now_ms + a->ttl * 2000 / 3 : INT64_MAX;
}

static void drop_token(struct agent_auth *a, int64_t now_ms)
{
	set_token(a, NULL);
	a->relogin = true;
	a->due_ms = now_ms;
}

static bool login(struct agent_auth *a, int64_t now_ms)
{
	struct agent_login l = {0};
	struct buf why = BUF_INIT;
	char wait[32];
	err_t rc;

	rc = agent_method_login(a->method, &a->creds, a->http, &l, &why);
	if (rc != ERR_OK) {
		a->backoff = agent_auth_backoff(a->backoff);
		a->due_ms = now_ms + a->backoff * 1000;
		format_duration(a->backoff, wait, sizeof(wait));
		log_warn("agent", "auth: login failed, retrying in %s: %s",
		         wait, why.len ? buf_str(&why) : err_str(rc));
		buf_release(&why);
		return false;
	}
	a->backoff = 0;
	free(a->accessor);
	a->accessor = l.accessor;
	l.accessor = NULL;
	a->ttl = l.ttl;
	a->renewable = l.renewable;
	set_token(a, l.token);
	l.token = NULL;
	plan(a, now_ms, false);
	log_info("agent",
	         "auth: logged in with %s (accessor %s, ttl %llds, %s)",
	         method_names[a->method->type], a->accessor, (long long)a->ttl,
	         a->renewable ? "renewable" : "not renewable");
	agent_login_release(&l);
	buf_release(&why);
	return true;
}

/* renew-self; a failure of any kind means a new login. */
static void renew(struct agent_auth *a, int64_t now_ms)
{
	struct agent_http_resp resp = {0};
	struct agent_login l = {0};
	struct buf why = BUF_INIT;
	char *token = agent_auth_token(a);
	int64_t last = a->ttl;
	err_t rc;

	rc = agent_http_call(a->http, "POST", "auth/token/renew-self", token,
	                     NULL, &resp, &why);
	if (rc == ERR_OK)
		rc = agent_method_parse_auth(resp.json, false, &l);
	if (rc != ERR_OK) {
		log_warn("agent", "auth: renewal failed, logging in again: %s",
		         why.len ? buf_str(&why) : err_str(rc));
		drop_token(a, now_ms);
		goto out;
	}
	a->ttl = l.ttl;
	a->renewable = l.renewable;
	plan(a, now_ms, l.ttl < last);
	log_info("agent", "auth: renewed token (accessor %s, ttl %llds)%s",
	         a->accessor, (long long)a->ttl,
	         l.ttl < last ? "; near its max ttl, will log in again" : "");
out:
	agent_login_release(&l);
	agent_http_resp_release(&resp);
	buf_release(&why);
	secret_free(token);
}

bool agent_auth_step(struct agent_auth *a, int64_t now_ms, int64_t *next_ms)
{
	bool fresh = false;

	if (now_ms >= a->due_ms) {
		if (a->relogin)
			fresh = login(a, now_ms);
		else
			renew(a, now_ms);
		/* A failed renewal logs in at once, in this same step. */
		if (!fresh && a->relogin && a->due_ms <= now_ms)
			fresh = login(a, now_ms);
	}
	*next_ms = a->due_ms;
	return fresh;
}

int64_t agent_auth_next(const struct agent_auth *a)
{
	return a->due_ms;
}

void agent_auth_check(struct agent_auth *a, int64_t now_ms)
{
	struct agent_http_resp resp = {0};
	struct buf why = BUF_INIT;
	char *token = agent_auth_token(a);
	err_t rc;

	if (token == NULL)
		return;
	rc = agent_http_call(a->http, "GET", "auth/token/lookup-self", token,
	                     NULL, &resp, &why);
	if (rc == ERR_PERMISSION) {
		log_warn("agent",
		         "auth: the server no longer accepts the "
		         "token (accessor %s); logging in again",
		         a->accessor ? a->accessor : "");
		drop_token(a, now_ms);
	}
	agent_http_resp_release(&resp);
	buf_release(&why);
	secret_free(token);
}

/*
 * agent_proxy.c - forwarding requests from the local listener to the
 * server, through the cache (see agent_proxy.h).
 */
#include "agent/agent_proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/agent_cache.h"
#include "base/log.h"
#include "base/secret.h"
#include "cli/client.h"
#include "http/server.h"

struct agent_proxy {
	struct agent_http *http;
	struct agent_auth *auth;
	enum agent_auto_token mode;
	struct agent_cache *cache; /* NULL: no cache block */
	struct http_server *srv;
	pthread_t thread;
	bool running;
};

/* One request on its way to the server. */
struct forward {
	const char *method;
	char *token;       /* a secret */
	struct buf params; /* query string or JSON body */
	bool in_query;
};

static const char *method_of(enum op op)
{
	switch (op) {
	case OP_LIST:
		return "LIST";
	case OP_CREATE:
	case OP_UPDATE:
		return "POST";
	case OP_PATCH:
		return "PATCH";
	case OP_DELETE:
		return "DELETE";
	case OP_READ:
	case OP_HEAD:
	default:
		return "GET";
	}
}

/* key=value&...; a list repeats its key; other values as JSON. */
static err_t add_query(struct buf *q, const char *k, json_t *v)
{
	char num[64], *text = NULL;
	const char *s = num;
	err_t rc;

	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld",
		         (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	else if ((s = text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	         NULL)
		return ERR_NOMEM;
	rc = q->len > 0 ? buf_append_byte(q, '&') : ERR_OK;
	if (rc == ERR_OK)
		rc = client_escape_component(k, q);
	if (rc == ERR_OK)
		rc = buf_append_byte(q, '=');
	if (rc == ERR_OK)
		rc = client_escape_component(s, q);
	free(text);
	return rc;
}

static err_t encode_query(json_t *data, struct buf *q)
{
	const char *k;
	json_t *v, *item;
	size_t i;
	err_t rc = ERR_OK;

	json_object_foreach(data, k, v)
	{
		if (json_is_array(v)) {
			json_array_foreach(v, i, item)
			{
				if (rc == ERR_OK)
					rc = add_query(q, k, item);
			}
		} else if (rc == ERR_OK) {
			rc = add_query(q, k, v);
		}
	}
	return rc;
}

static int dump_cb(const char *p, size_t n, void *arg)
{
	return buf_append(arg, p, n) == ERR_OK ? 0 : -1;
}

/* Method, token and parameters of what the client asked. */
static err_t prepare(struct agent_proxy *p, const struct request *req,
                     struct forward *f)
{
	bool own = req->token != NULL && *req->token != 0;

	f->method = method_of(req->op);
	f->in_query =
	    req->op == OP_READ || req->op == OP_LIST || req->op == OP_HEAD;
	if (p->auth != NULL && (p->mode == AGENT_TOKEN_FORCE ||
	                        (p->mode == AGENT_TOKEN_YES && !own)))
		f->token = agent_auth_token(p->auth);
	else if (own)
		f->token = strdup(req->token);
	if (json_object_size(req->data) == 0)
		return ERR_OK;
	if (f->in_query)
		return encode_query(req->data, &f->params);
	return json_dump_callback(req->data, dump_cb, &f->params,
	                          JSON_COMPACT) == 0
	           ? ERR_OK
	           : ERR_NOMEM;
}

static err_t send_on(struct agent_proxy *p, const struct request *req,
                     const struct forward *f, struct agent_http_resp *out,
                     struct buf *why)
{
	struct agent_http_req r = {0};

	r.method = f->method;
	r.path = req->path;
	r.token = f->token;
	r.ns = req->ns;
	r.wrap_ttl = req->wrap_ttl;
	if (f->in_query) {
		r.query = buf_str(&f->params);
	} else if (f->params.len > 0 || strcmp(f->method, "DELETE") != 0) {
		r.body = buf_str(&f->params);
		r.body_len = f->params.len;
		if (req->op == OP_PATCH)
			r.content_type = "application/merge-patch+json";
	}
	return agent_http_send(p->http, &r, out, why);
}

/* The server's answer, as it came, becomes ours. */
static void answer(struct response *resp, long status, const char *type,
                   struct buf *body)
{
	resp->status = (int)status;
	if (status == 204 && body->len == 0)
		return;
	resp->raw_type = strdup(type ? type : "application/json");
	if (resp->raw_type == NULL) {
		response_error(resp, ERR_NOMEM, "out of memory");
		return;
	}
	resp->raw_body = *body;
	memset(body, 0, sizeof(*body));
}

/* A lease revoked through the proxy leaves the cache at once. */
static void evict_revoked(struct agent_proxy *p, const struct request *req)
{
	static const char *const exact[] = {"sys/leases/revoke/",
	                                    "sys/revoke/"};
	const char *path = req->path, *id = NULL;
	bool prefix = false;
	size_t i;

	for (i = 0; i < 2 && id == NULL; i++)
		if (strncmp(path, exact[i], strlen(exact[i])) == 0)
			id = path + strlen(exact[i]);
	if (strncmp(path, "sys/leases/revoke-prefix/", 25) == 0) {
		id = path + 25;
		prefix = true;
	}
	if (strcmp(path, "sys/leases/revoke") == 0 ||
	    strcmp(path, "sys/revoke") == 0)
		id = json_string_value(json_object_get(req->data, "lease_id"));
	if (id != NULL && *id != 0 && agent_cache_evict(p->cache, id, prefix))
		log_info("agent",
		         "cache: dropped the entries of revoked "
		         "lease %s",
		         id);
}

static void cache_key(const struct forward *f, const struct request *req,
                      unsigned char key[AGENT_CACHE_KEYLEN])
{
	struct agent_cache_req cr = {
	    f->token,  f->method,           req->ns,
	    req->path, buf_str(&f->params), f->params.len};

	agent_cache_key(&cr, key);
}

static void handle(void *ctx, struct request *req, struct response *resp)
{
	struct agent_proxy *p = ctx;
	struct forward f = {0};
	struct agent_http_resp up = {0};
	struct buf why = BUF_INIT, hit = BUF_INIT;
	unsigned char key[AGENT_CACHE_KEYLEN];
	err_t rc;

	rc = prepare(p, req, &f);
	if (rc != ERR_OK) {
		response_error(resp, rc, "cannot forward the request");
		goto out;
	}
	if (p->cache != NULL) {
		cache_key(&f, req, key);
		if (agent_cache_get(p->cache, key, agent_now_ms(), &hit)) {
			log_debug("agent", "cache: hit for %s %s", f.method,
			          req->path);
			answer(resp, 200, "application/json", &hit);
			goto out;
		}
	}
	rc = send_on(p, req, &f, &up, &why);
	if (p->cache != NULL && rc == ERR_OK)
		agent_cache_put(p->cache, key, up.status, up.json, &up.body,
		                agent_now_ms());
	else if (p->cache != NULL)
		agent_cache_abandon(p->cache, key);
	if (rc != ERR_OK) {
		log_warn("agent", "proxy: %s", buf_str(&why));
		resp->status = 502;
		response_error(resp, ERR_UNAVAILABLE,
		               "the agent cannot reach the server");
		goto out;
	}
	if (p->cache != NULL && up.status < 300)
		evict_revoked(p, req);
	answer(resp, up.status, up.content_type, &up.body);
out:
	secret_free(f.token);
	buf_release(&f.params);
	buf_release(&hit);
	buf_release(&why);
	agent_http_resp_release(&up);
}

err_t agent_proxy_new(const struct agent_config *cfg, struct agent_http *http,
                      struct agent_auth *auth, struct agent_proxy **out,
                      struct buf *errmsg)
{
	struct agent_proxy *p = calloc(1, sizeof(*p));
	char why[256] = "";
	err_t rc = ERR_OK;

	*out = NULL;
	if (p == NULL)
		return ERR_NOMEM;
	p->http = http;
	p->auth = auth;
	p->mode = cfg->use_auto_auth_token;
	if (cfg->cache)
		rc = agent_cache_new(&p->cache);
	if (rc == ERR_OK)
		rc = http_server_new(cfg->listeners, cfg->n_listeners,
		                     AGENT_PROXY_THREADS, handle, p, &p->srv,
		                     why, sizeof(why));
	if (rc != ERR_OK) {
		buf_append_str(errmsg, why[0] ? why : err_str(rc));
		agent_proxy_free(p);
		return rc;
	}
	*out = p;
	return ERR_OK;
}

static void *serve(void *arg)
{
	struct agent_proxy *p = arg;

	http_server_run(p->srv);
	return NULL;
}

err_t agent_proxy_start(struct agent_proxy *p)
{
	if (pthread_create(&p->thread, NULL, serve, p) != 0)
		return ERR_INTERNAL;
	p->running = true;
	return ERR_OK;
}

void agent_proxy_free(struct agent_proxy *p)
{
	if (p == NULL)
		return;
	if (p->running) {
		http_server_stop(p->srv);
		pthread_join(p->thread, NULL);
	}
	http_server_free(p->srv);
	agent_cache_free(p->cache);
	free(p);
}

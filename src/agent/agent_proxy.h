/*
 * agent_proxy.h - the agent's local listener: an API proxy in front of
 * the server, with an optional cache (agent_cache.h).
 *
 * Requests are read by the server's own HTTP layer (http/server.h: the
 * same limits, time-outs, TLS and LIST support) and sent on to the server
 * with the same method, path, namespace, wrap TTL and parameters (the
 * query of a read or list, the JSON body of anything else; a form body
 * goes on as JSON). With use_auto_auth_token the agent's token is added
 * to a request that carries none ("force": to every request). The
 * server's status and body come back unchanged; when the server cannot be
 * reached the answer is 502.
 *
 * Workers run in threads of their own and share the token through
 * agent_auth_token.
 */
#ifndef COFFER_AGENT_AGENT_PROXY_H
#define COFFER_AGENT_AGENT_PROXY_H

#include "agent/agent_auth.h"
#include "agent/agent_config.h"
#include "agent/agent_http.h"
#include "base/buf.h"
#include "base/error.h"

/* Worker threads of the listener. */
#define AGENT_PROXY_THREADS 2

struct agent_proxy;

/*
 * Binds cfg's listeners (the sockets are listening when this returns)
 * for a proxy to http; auth may be NULL when there is no auto_auth. All
 * must outlive the proxy. ERR_INVALID or ERR_IO with a reason in errmsg.
 */
err_t agent_proxy_new(const struct agent_config *cfg, struct agent_http *http,
                      struct agent_auth *auth, struct agent_proxy **out,
                      struct buf *errmsg);

/* Starts serving in a thread of its own. ERR_INTERNAL if it cannot. */
err_t agent_proxy_start(struct agent_proxy *p);

/* Stops serving, waits for the workers, and frees p; NULL is fine. */
void agent_proxy_free(struct agent_proxy *p);

#endif

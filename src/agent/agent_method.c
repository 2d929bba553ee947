/*
 * agent_method.c - the login of each auto-auth method (see
 * agent_method.h).
 */
#include "agent/agent_method.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_file.h"
#include "base/log.h"
#include "base/secret.h"
#include "http/envelope.h"

void agent_creds_release(struct agent_creds *c)
{
	buf_release(&c->role_id);
	buf_release(&c->secret_id);
	buf_release(&c->jwt);
	buf_release(&c->token);
}

void agent_login_release(struct agent_login *l)
{
	if (l == NULL)
		return;
	secret_free(l->token);
	free(l->accessor);
	memset(l, 0, sizeof(*l));
}

/*
 * Reads the credential at path into cache. A file that is not there any
 * more leaves the last value read in place (when there is one); remove
 * deletes the file once read.
 */
static err_t read_cached(const char *what, const char *path, bool remove,
                         struct buf *cache, struct buf *errmsg)
{
	struct buf fresh = BUF_INIT, why = BUF_INIT;
	err_t rc;

	rc = agent_file_read_credential(what, path, &fresh, &why);
	if (rc == ERR_NOT_FOUND && cache->len > 0) {
		log_debug("agent",
		          "auth: %s is gone; using the value read "
		          "before",
		          what);
		rc = ERR_OK;
		goto out;
	}
	if (rc != ERR_OK) {
		buf_append_str(errmsg, buf_str(&why));
		rc = ERR_INVALID;
		goto out;
	}
	buf_reset(cache);
	rc = buf_append(cache, fresh.data, fresh.len);
	if (rc == ERR_OK && remove) {
		if (unlink(path) != 0 && errno != ENOENT)
			log_warn("agent", "auth: cannot remove %s: %s", path,
			         strerror(errno));
		else
			log_info("agent", "auth: removed %s after reading it",
			         path);
	}
out:
	buf_release(&fresh);
	buf_release(&why);
	return rc;
}

/* Appends ,"key":"value" (no comma first) to a JSON object's text. */
static err_t member(struct buf *body, const char *key, const struct buf *v)
{
	err_t rc = buf_append_str(body, body->len > 1 ? ",\"" : "\"");

	if (rc == ERR_OK)
		rc = buf_printf(body, "%s\":", key);
	if (rc == ERR_OK)
		rc = http_json_string(body, buf_str(v), v->len);
	return rc;
}

/*
 * The bodies are written as text into buffers we wipe ourselves, so the
 * credentials never depend on a library's allocator to be wiped.
 */
static err_t approle_body(const struct agent_method *m, struct agent_creds *c,
                          struct buf *body, struct buf *errmsg)
{
	err_t rc;

	rc = read_cached("role_id_file_path", m->role_id_file, false,
	                 &c->role_id, errmsg);
	if (rc == ERR_OK && m->secret_id_file != NULL)
		rc = read_cached("secret_id_file_path", m->secret_id_file,
		                 m->remove_secret_id, &c->secret_id, errmsg);
	if (rc == ERR_OK)
		rc = buf_append_byte(body, '{');
	if (rc == ERR_OK)
		rc = member(body, "role_id", &c->role_id);
	if (rc == ERR_OK && m->secret_id_file != NULL)
		rc = member(body, "secret_id", &c->secret_id);
	return rc == ERR_OK ? buf_append_byte(body, '}') : rc;
}

static err_t jwt_body(const struct agent_method *m, struct agent_creds *c,
                      struct buf *body, struct buf *errmsg)
{
	const char *what = m->type == AGENT_METHOD_JWT ? "path" : "token_path";
	struct buf role = BUF_INIT;
	err_t rc;

	rc = read_cached(what, m->jwt_file, m->remove_jwt, &c->jwt, errmsg);
	if (rc == ERR_OK)
		rc = buf_append_str(&role, m->role);
	if (rc == ERR_OK)
		rc = buf_append_byte(body, '{');
	if (rc == ERR_OK)
		rc = member(body, "role", &role);
	if (rc == ERR_OK)
		rc = member(body, "jwt", &c->jwt);
	buf_release(&role);
	return rc == ERR_OK ? buf_append_byte(body, '}') : rc;
}

err_t agent_method_parse_auth(json_t *body, bool lookup,
                              struct agent_login *out)
{
	json_t *a = json_object_get(body, lookup ? "data" : "auth");
	const char *token =
	    json_string_value(json_object_get(a, "client_token"));
	const char *accessor =
	    json_string_value(json_object_get(a, "accessor"));
	json_t *ttl = json_object_get(a, lookup ? "ttl" : "lease_duration");

	if (!json_is_object(a) || (!lookup && (token == NULL || *token == 0)))
		return ERR_INVALID;
	if (!lookup) {
		secret_free(out->token);
		out->token = strdup(token);
		if (out->token == NULL)
			return ERR_NOMEM;
	}
	free(out->accessor);
	out->accessor = strdup(accessor ? accessor : "");
	if (out->accessor == NULL)
		return ERR_NOMEM;
	out->ttl = json_is_integer(ttl) && json_integer_value(ttl) > 0
	               ? json_integer_value(ttl)
	               : 0;
	out->renewable = json_is_true(json_object_get(a, "renewable"));
	return ERR_OK;
}

/* token_file: the file's token, described by the server. */
static err_t token_file_login(const struct agent_method *m,
                              struct agent_creds *c, struct agent_http *h,
                              struct agent_login *out, struct buf *errmsg)
{
	struct agent_http_resp resp = {0};
	err_t rc;

	rc = read_cached("token_file_path", m->token_file, false, &c->token,
	                 errmsg);
	if (rc != ERR_OK)
		return rc;
	rc = agent_http_call(h, "GET", "auth/token/lookup-self",
	                     buf_str(&c->token), NULL, &resp, errmsg);
	if (rc == ERR_OK)
		rc = agent_method_parse_auth(resp.json, true, out);
	if (rc == ERR_OK) {
		out->token = strdup(buf_str(&c->token));
		rc = out->token != NULL ? ERR_OK : ERR_NOMEM;
	} else if (errmsg->len == 0) {
		buf_append_str(errmsg, "lookup-self gave no token data");
	}
	agent_http_resp_release(&resp);
	return rc;
}

err_t agent_method_login(const struct agent_method *m, struct agent_creds *c,
                         struct agent_http *h, struct agent_login *out,
                         struct buf *errmsg)
{
	struct agent_http_resp resp = {0};
	struct buf path = BUF_INIT, body = BUF_INIT;
	err_t rc;

	memset(out, 0, sizeof(*out));
	if (m->type == AGENT_METHOD_TOKEN_FILE)
		return token_file_login(m, c, h, out, errmsg);
	rc = m->type == AGENT_METHOD_APPROLE ? approle_body(m, c, &body, errmsg)
	                                     : jwt_body(m, c, &body, errmsg);
	if (rc == ERR_OK)
		rc = buf_printf(&path, "%s/login", m->mount_path);
	if (rc == ERR_OK)
		rc = agent_http_call_raw(h, "POST", buf_str(&path), NULL, &body,
		                         &resp, errmsg);
	if (rc == ERR_OK) {
		rc = agent_method_parse_auth(resp.json, false, out);
		if (rc == ERR_INVALID)
			buf_append_str(errmsg, "the answer holds no token");
	}
	if (rc != ERR_OK)
		agent_login_release(out);
	agent_http_resp_release(&resp);
	buf_release(&body);
	buf_release(&path);
	return rc;
}

/*
 * agent_sink.c - writing the token to file sinks (see agent_sink.h).
 */
#include "agent/agent_sink.h"

#include <string.h>

#include "agent/agent_file.h"
#include "base/log.h"
#include "http/envelope.h"

static int dump_cb(const char *p, size_t n, void *arg)
{
	return buf_append(arg, p, n) == ERR_OK ? 0 : -1;
}

/* The wrap_info of token wrapped for ttl seconds, as JSON text. */
static err_t wrap(struct agent_http *h, const char *token, int64_t ttl,
                  struct buf *out, struct buf *why)
{
	struct agent_http_req r = {0};
	struct agent_http_resp resp = {0};
	struct buf body = BUF_INIT;
	json_t *info;
	err_t rc;

	rc = buf_append_str(&body, "{\"token\":");
	if (rc == ERR_OK)
		rc = http_json_string(&body, token, strlen(token));
	if (rc == ERR_OK)
		rc = buf_append_byte(&body, '}');
	if (rc != ERR_OK)
		goto out;
	r.method = "POST";
	r.path = "sys/wrapping/wrap";
	r.token = token;
	r.wrap_ttl = ttl;
	r.body = buf_str(&body);
	r.body_len = body.len;
	rc = agent_http_send(h, &r, &resp, why);
	if (rc != ERR_OK)
		goto out;
	info = json_object_get(resp.json, "wrap_info");
	if (resp.status != 200 || !json_is_object(info)) {
		buf_printf(why, "the server did not wrap the token (code %ld)",
		           resp.status);
		rc = ERR_UNAVAILABLE;
		goto out;
	}
	if (json_dump_callback(info, dump_cb, out, JSON_COMPACT) != 0)
		rc = ERR_NOMEM;
out:
	agent_http_resp_release(&resp);
	buf_release(&body);
	return rc;
}

size_t agent_sink_write_all(const struct agent_sink *sinks, size_t n,
                            struct agent_http *h, const char *token)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	size_t i, failed = 0;
	err_t rc;

	for (i = 0; i < n; i++) {
		const struct agent_sink *s = &sinks[i];

		buf_reset(&text);
		buf_reset(&why);
		rc = s->wrap_ttl > 0 ? wrap(h, token, s->wrap_ttl, &text, &why)
		                     : buf_append_str(&text, token);
		if (rc == ERR_OK)
			rc = agent_file_write(s->path, text.data, text.len,
			                      s->mode, &why);
		if (rc != ERR_OK) {
			failed++;
			log_error("agent", "sink: cannot write %s: %s", s->path,
			          why.len ? buf_str(&why) : err_str(rc));
			continue;
		}
		log_info("agent", "sink: token written to %s%s", s->path,
		         s->wrap_ttl > 0 ? " (wrapped)" : "");
	}
	buf_release(&text);
	buf_release(&why);
	return failed;
}

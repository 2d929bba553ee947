/*
 * agent_render_env.c - the values of env_template variables (see
 * agent_render.h): all rendered or none, compared by digest.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_render_internal.h"
#include "base/log.h"
#include "base/secret.h"

static err_t digest(const struct buf *v, unsigned char out[RENDER_DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(v->data ? v->data : (const uint8_t *)"", v->len, out, &n,
	               EVP_sha256(), NULL) != 1 ||
	    n != RENDER_DIGEST_LEN)
		return ERR_INTERNAL;
	return ERR_OK;
}

/* "NAME=" and the rendered value of rt, as a heap string. */
static err_t render_one(struct agent_render *r, const struct rtemplate *rt,
                        unsigned char sum[RENDER_DIGEST_LEN], char **out)
{
	struct buf value = BUF_INIT, line = BUF_INIT, why = BUF_INIT;
	const char *name = rt->cfg->env_name;
	err_t rc;

	*out = NULL;
	rc = agent_render_text(r, rt, &value, &why);
	if (rc == ERR_OK && memchr(value.data, 0, value.len) != NULL) {
		buf_append_str(&why, "the value holds a NUL byte, which no "
		                     "environment can carry");
		rc = ERR_INVALID;
	}
	if (rc == ERR_OK)
		rc = digest(&value, sum);
	if (rc == ERR_OK)
		rc = buf_printf(&line, "%s=", name);
	if (rc == ERR_OK)
		rc = buf_append(&line, value.data, value.len);
	if (rc == ERR_OK && (*out = buf_detach(&line)) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK)
		log_error("agent",
		          "env_template %s: render failed, keeping "
		          "the previous value: %s",
		          name, why.len ? buf_str(&why) : err_str(rc));
	buf_release(&value);
	buf_release(&line);
	buf_release(&why);
	return rc;
}

void agent_render_env_pass(struct agent_render *r, struct agent_pass *res)
{
	unsigned char(*sums)[RENDER_DIGEST_LEN];
	char **values;
	size_t i, k = 0, failed = 0;
	bool changed = false;

	values = calloc(r->n_env + 1, sizeof(*values));
	sums = calloc(r->n_env ? r->n_env : 1, sizeof(*sums));
	if (values == NULL || sums == NULL) {
		res->failed += r->n_env;
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		if (r->items[i].cfg->env_name == NULL)
			continue;
		if (render_one(r, &r->items[i], sums[k], &values[k]) != ERR_OK)
			failed++;
		k++;
	}
	res->failed += failed;
	if (failed > 0)
		goto out;

	for (i = 0, k = 0; i < r->n; i++) {
		struct rtemplate *rt = &r->items[i];

		if (rt->cfg->env_name == NULL)
			continue;
		if (!rt->has_digest ||
		    !secret_equal(rt->digest, RENDER_DIGEST_LEN, sums[k],
		                  RENDER_DIGEST_LEN))
			changed = true;
		memcpy(rt->digest, sums[k++], RENDER_DIGEST_LEN);
		rt->has_digest = true;
	}
	if (changed) {
		agent_render_free_env(r->env_pending);
		r->env_pending = values;
		values = NULL;
		res->env_changed = true;
	}
out:
	/* values may be partly filled; NULL ends it early, so free each. */
	for (i = 0; values != NULL && i < r->n_env; i++)
		secret_free(values[i]);
	free(values);
	free(sums);
}

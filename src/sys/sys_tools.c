/*
 * sys_tools.c - sys/tools/random and sys/tools/hash.
 *
 * Paths may carry the parameters as segments, as Vault allows:
 * tools/random/<source>/<bytes>, tools/hash/<algorithm>.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/params.h"
#include "base/secret.h"
#include "sys/sys_internal.h"

#define RANDOM_MAX_BYTES (128 * 1024)

static bool all_digits(const char *s)
{
	if (*s == 0)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Encodes bytes as hex or base64 into data[key]. */
static err_t put_encoded(json_t *data, const char *key, const char *format,
                         const uint8_t *p, size_t n)
{
	char *text =
	    strcmp(format, "hex") == 0 ? hex_encode(p, n) : b64_encode(p, n);
	int rc;

	if (text == NULL)
		return ERR_NOMEM;
	rc = json_object_set_new(data, key, json_string(text));
	secret_free(text);
	return rc == 0 ? ERR_OK : ERR_NOMEM;
}

static bool random_path_params(const char *rest, int64_t *bytes,
                               const char **source)
{
	char seg[64];
	const char *slash;

	while (*rest == '/')
		rest++;
	while (*rest != 0) {
		size_t n;
		slash = strchr(rest, '/');
		n = slash ? (size_t)(slash - rest) : strlen(rest);
		if (n == 0 || n >= sizeof(seg))
			return false;
		memcpy(seg, rest, n);
		seg[n] = 0;
		if (all_digits(seg))
			*bytes = strtoll(seg, NULL, 10);
		else if (strcmp(seg, "platform") == 0 ||
		         strcmp(seg, "seal") == 0 || strcmp(seg, "all") == 0)
			*source =
			    strcmp(seg, "seal") == 0 ? "seal" : "platform";
		else
			return false;
		rest += n;
		while (*rest == '/')
			rest++;
	}
	return true;
}

err_t sys_tools_random(struct core *c, struct request *req,
                       struct response *resp)
{
	const char *format = "base64", *source = "platform";
	int64_t bytes = 32;
	uint8_t *p = NULL;
	json_t *data = NULL;
	err_t rc;

	(void)c;
	if (req->op != OP_UPDATE && req->op != OP_CREATE && req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (!random_path_params(req->rel + strlen("tools/random"), &bytes,
	                        &source))
		return response_error(resp, ERR_INVALID,
		                      "invalid path parameters for random");
	if (param_int(req->data, "bytes", &bytes) == ERR_INVALID ||
	    param_str(req->data, "format", &format) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid 'bytes' or 'format'");
	if (bytes < 1 || bytes > RANDOM_MAX_BYTES)
		return response_error(resp, ERR_INVALID,
		                      "'bytes' must be between 1 and %d",
		                      RANDOM_MAX_BYTES);
	if (strcmp(format, "hex") != 0 && strcmp(format, "base64") != 0)
		return response_error(resp, ERR_INVALID,
		                      "unsupported encoding format %s; must "
		                      "be \"hex\" or \"base64\"",
		                      format);

	p = malloc((size_t)bytes);
	data = json_object();
	rc = p && data ? rand_bytes(p, (size_t)bytes) : ERR_NOMEM;
	if (rc == ERR_OK)
		rc =
		    put_encoded(data, "random_bytes", format, p, (size_t)bytes);
	secret_free_n(p, (size_t)bytes);
	if (rc != ERR_OK) {
		json_decref(data);
		return response_error(resp, rc, "%s", err_str(rc));
	}
	response_set_data(resp, data);
	return ERR_OK;
}

static const EVP_MD *hash_by_name(const char *name)
{
	static const struct {
		const char *name;
		const char *ossl;
	} algs[] = {
	    {"sha2-224", "SHA224"},   {"sha2-256", "SHA256"},
	    {"sha2-384", "SHA384"},   {"sha2-512", "SHA512"},
	    {"sha3-224", "SHA3-224"}, {"sha3-256", "SHA3-256"},
	    {"sha3-384", "SHA3-384"}, {"sha3-512", "SHA3-512"},
	};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return EVP_get_digestbyname(algs[i].ossl);
	return NULL;
}

err_t sys_tools_hash(struct core *c, struct request *req, struct response *resp)
{
	const char *alg = "sha2-256", *format = "hex", *input = NULL;
	const char *rest = req->rel + strlen("tools/hash");
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf in = BUF_INIT;
	const EVP_MD *type;
	json_t *data = NULL;
	err_t rc;

	(void)c;
	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (*rest == '/' && rest[1] != 0)
		alg = rest + 1;
	if (param_str(req->data, "algorithm", &alg) == ERR_INVALID ||
	    param_str(req->data, "format", &format) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid 'algorithm' or 'format'");
	if (param_str(req->data, "input", &input) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "missing required parameter: input");
	type = hash_by_name(alg);
	if (type == NULL)
		return response_error(resp, ERR_INVALID,
		                      "unsupported algorithm %s", alg);
	if (strcmp(format, "hex") != 0 && strcmp(format, "base64") != 0)
		return response_error(resp, ERR_INVALID,
		                      "unsupported encoding format %s; must "
		                      "be \"hex\" or \"base64\"",
		                      format);
	if (b64_decode(input, &in) != ERR_OK) {
		buf_release(&in);
		return response_error(resp, ERR_INVALID,
		                      "unable to decode input as base64");
	}

	rc = EVP_Digest(in.data ? in.data : (const uint8_t *)"", in.len, md,
	                &mdlen, type, NULL) == 1
	         ? ERR_OK
	         : ERR_CRYPTO;
	buf_release(&in);
	data = json_object();
	if (rc == ERR_OK)
		rc = data ? put_encoded(data, "sum", format, md, mdlen)
		          : ERR_NOMEM;
	if (rc != ERR_OK) {
		json_decref(data);
		return response_error(resp, rc, "%s", err_str(rc));
	}
	response_set_data(resp, data);
	return ERR_OK;
}

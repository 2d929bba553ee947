/*
 * cert_login.c - login with the TLS client certificate, and the check
 * that binds a renewal to that same certificate.
 */
#include "auth/cert/cert_internal.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokenutil/tokenutil.h"
#include "base/params.h"
#include "core/core_internal.h"
#include "core/login.h"

#define NO_CERT "invalid certificate or no client certificate supplied"
#define NO_MATCH                                                               \
	"no chain matching all constraints could be found for this login "     \
	"certificate"

/* The common name, or "" (a NUL inside it counts as none). */
static void common_name(X509 *leaf, struct buf *out)
{
	X509_NAME *subj = X509_get_subject_name(leaf);
	int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n;

	if (i < 0)
		return;
	n = ASN1_STRING_to_UTF8(
	    &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
	if (n > 0 && memchr(utf8, 0, (size_t)n) == NULL)
		buf_append(out, utf8, (size_t)n);
	OPENSSL_free(utf8);
}

/* "aa:bb:..." of an octet string, as Vault prints key ids. */
static json_t *hex_colon(const ASN1_OCTET_STRING *s)
{
	struct buf b = BUF_INIT;
	json_t *v;
	int i;

	for (i = 0; s != NULL && i < ASN1_STRING_length(s); i++)
		buf_printf(&b, "%s%02x", i ? ":" : "",
		           ASN1_STRING_get0_data(s)[i]);
	v = json_string(buf_str(&b));
	buf_release(&b);
	return v;
}

static json_t *serial_text(X509 *leaf)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	char *dec = bn ? BN_bn2dec(bn) : NULL;
	json_t *v = json_string(dec ? dec : "");

	OPENSSL_free(dec);
	BN_free(bn);
	return v;
}

static json_t *login_metadata(X509 *leaf, const char *name, const char *cn)
{
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(leaf);
	struct buf fp = BUF_INIT;
	json_t *meta;

	if (cert_fingerprint(leaf, &fp) != ERR_OK) {
		buf_release(&fp);
		return NULL;
	}
	/* cert_sha256 binds renewals to this certificate (cert.h). */
	meta = json_pack(
	    "{ss ss so so so ss}", "cert_name", name, "common_name", cn,
	    "serial_number", serial_text(leaf), "subject_key_id",
	    hex_colon(X509_get0_subject_key_id(leaf)), "authority_key_id",
	    hex_colon(akid), "cert_sha256", buf_str(&fp));
	buf_release(&fp);
	return meta;
}

/* Finds the first role trusting ch; *trusted_any tells if any did. */
static err_t match_role(struct mount *m, const struct cert_chain *ch,
                        const char *only, json_t **role, char **name,
                        bool *trusted_any)
{
	json_t *keys = NULL, *k;
	struct buf key = BUF_INIT;
	size_t i;
	err_t rc;

	*trusted_any = false;
	if (only != NULL)
		keys = json_pack("[s]", only);
	else if ((rc = storage_list(m->view, "certs/", &keys)) != ERR_OK)
		return rc;
	rc = ERR_NOT_FOUND;
	json_array_foreach(keys, i, k)
	{
		json_t *r = NULL;
		buf_reset(&key);
		if (buf_printf(&key, "certs/%s", json_string_value(k)) ||
		    cert_load(m, buf_str(&key), &r) != ERR_OK || r == NULL)
			continue;
		if (cert_trusted(ch, r)) {
			*trusted_any = true;
			if (cert_constraints_ok(ch->leaf, r)) {
				*role = r;
				*name = strdup(json_string_value(k));
				rc = *name ? ERR_OK : ERR_NOMEM;
				break;
			}
		}
		json_decref(r);
	}
	buf_release(&key);
	json_decref(keys);
	return rc;
}

static err_t issue(struct mount *m, struct request *req, json_t *role,
                   const char *name, X509 *leaf, struct response *resp)
{
	struct login_result lr;
	struct buf cn = BUF_INIT, dn = BUF_INIT;
	const char *dname =
	    json_string_value(json_object_get(role, "display_name"));
	err_t rc;

	memset(&lr, 0, sizeof(lr));
	common_name(leaf, &cn);
	tokenutil_login(role, &lr);
	lr.metadata = login_metadata(leaf, name, buf_str(&cn));
	rc = buf_printf(&dn, "cert-%s", dname && *dname ? dname : name);
	lr.display_name = buf_str(&dn);
	lr.alias_name = buf_str(&cn);
	lr.alias_metadata = lr.metadata;
	if (lr.metadata == NULL || rc != ERR_OK)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else
		rc = core_login(m, req, &lr, resp);
	json_decref(lr.metadata);
	buf_release(&cn);
	buf_release(&dn);
	return rc;
}

/* The optional "name", lower-cased; *out NULL when not given. */
static err_t wanted_name(struct request *req, char **out)
{
	const char *name = NULL;
	char *p;

	*out = NULL;
	if (param_str(req->data, "name", &name) != ERR_OK || *name == 0)
		return ERR_OK;
	if (strchr(name, '/') != NULL || strlen(name) > 128)
		return ERR_INVALID;
	*out = strdup(name);
	if (*out == NULL)
		return ERR_NOMEM;
	for (p = *out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return ERR_OK;
}

err_t cert_login(struct mount *m, struct request *req, struct response *resp)
{
	struct cert_chain ch = {NULL, NULL};
	json_t *role = NULL;
	char *name = NULL, *only = NULL;
	bool trusted = false;
	err_t rc;

	rc = wanted_name(req, &only);
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "invalid certificate name");
		goto out;
	}
	if (cert_chain_parse(req->tls_peer_cert_pem, &ch) != ERR_OK) {
		rc = response_error(resp, ERR_INVALID, NO_CERT);
		goto out;
	}
	rc = match_role(m, &ch, only, &role, &name, &trusted);
	if (rc == ERR_NOT_FOUND) {
		rc = response_error(resp, ERR_INVALID, "%s",
		                    trusted ? NO_MATCH : NO_CERT);
		goto out;
	}
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "%s", err_str(rc));
		goto out;
	}
	if (!tokenutil_cidr_allowed(role, req->remote_addr)) {
		rc = response_error(resp, ERR_PERMISSION,
		                    "login from this address is not allowed "
		                    "by token_bound_cidrs");
		goto out;
	}
	rc = issue(m, req, role, name, ch.leaf, resp);
out:
	cert_chain_release(&ch);
	json_decref(role);
	free(name);
	free(only);
	return rc;
}

/* Whether the connection's certificate is the one of the login. */
static bool same_certificate(struct mount *m, struct request *req,
                             const struct token_entry *e)
{
	const char *want =
	    json_string_value(json_object_get(e->meta, "cert_sha256"));
	const char *name =
	    json_string_value(json_object_get(e->meta, "cert_name"));
	struct cert_chain ch = {NULL, NULL};
	struct buf fp = BUF_INIT, key = BUF_INIT;
	json_t *role = NULL;
	bool ok = false;

	if (want == NULL || name == NULL ||
	    cert_chain_parse(req->tls_peer_cert_pem, &ch) != ERR_OK ||
	    cert_fingerprint(ch.leaf, &fp) != ERR_OK ||
	    strcmp(buf_str(&fp), want) != 0)
		goto out;
	/* And the role still trusts it, as at login. */
	if (buf_printf(&key, "certs/%s", name) == ERR_OK &&
	    cert_load(m, buf_str(&key), &role) == ERR_OK && role != NULL)
		ok = cert_trusted(&ch, role) &&
		     cert_constraints_ok(ch.leaf, role);
out:
	json_decref(role);
	buf_release(&fp);
	buf_release(&key);
	cert_chain_release(&ch);
	return ok;
}

err_t cert_renew_check(struct core *c, struct request *req,
                       const struct token_entry *e, struct response *resp)
{
	struct mount *m;
	json_t *cfg = NULL;
	bool unbound;

	if (e == NULL || e->path == NULL || strncmp(e->path, "auth/", 5) != 0)
		return ERR_OK;
	m = mounts_route(c, e->ns, e->path);
	if (m == NULL || m->backend != &cert_backend)
		return ERR_OK;
	if (cert_load(m, "config", &cfg) != ERR_OK)
		return response_error(resp, ERR_INTERNAL,
		                      "cannot read the cert configuration");
	unbound = json_is_true(json_object_get(cfg, "disable_binding"));
	json_decref(cfg);
	if (unbound || same_certificate(m, req, e))
		return ERR_OK;
	return response_error(resp, ERR_INVALID,
	                      "renewal of a token from certificate login "
	                      "needs the same client certificate and a role "
	                      "that still trusts it");
}

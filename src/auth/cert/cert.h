/*
 * cert.h - the TLS certificate auth method ("cert").
 *
 * The client proves who it is with the certificate it presents in the TLS
 * handshake. The listener accepts any chain and hands it over in
 * request.tls_peer_cert_pem; this method verifies it against the
 * certificate of each role (certs/<name>):
 *   - a CA certificate (basicConstraints CA:TRUE) is a trust anchor: the
 *     client's leaf must chain to it, through the intermediates the client
 *     sent, with X509_verify_cert (purpose: TLS client);
 *   - any other certificate is trusted only as itself: the client's leaf
 *     must be byte-for-byte the same DER (never matched by serial number
 *     or name, CVE-2024-2048), and within its validity period;
 * then the role's allowed_* name constraints must hold.
 *
 * Storage of a mount: certs/<name> (JSON) and config (JSON).
 *
 * Known gaps: CRLs (sys-wide or per role), OCSP and required_extensions
 * are not implemented; a role asking for OCSP or required extensions is
 * refused at write rather than silently unchecked. The renewal binding
 * below covers auth/token/renew, renew-self and renew-accessor; a renewal
 * of the token's lease through sys/leases/renew reaches the token store
 * without the request (core/lease_core.c) and is not bound yet: that
 * needs the lease manager to hand the request to a renew hook.
 */
#ifndef COFFER_AUTH_CERT_CERT_H
#define COFFER_AUTH_CERT_CERT_H

#include "core/mount.h"
#include "core/token.h"

extern const struct mount_backend cert_backend;

/*
 * Renewal binding (CVE-2026-39388). Called by the token backend before it
 * renews token e for req, with the core's read lock held. When e was
 * issued by a cert mount whose config does not set disable_binding, the
 * renewing connection must present the very certificate used at login
 * (same SHA-256 of the DER), and that certificate must still be trusted
 * by the role it logged in with. Otherwise fills resp and returns
 * ERR_INVALID. Tokens of other methods pass untouched (ERR_OK).
 */
err_t cert_renew_check(struct core *c, struct request *req,
                       const struct token_entry *e, struct response *resp);

#endif

/*
 * config.h - the server configuration file.
 *
 * A Vault-style HCL file (JSON is accepted too, since JSON is a subset of
 * what the HCL parser takes):
 *
 *   storage "sqlite" { path = "/var/lib/coffer/coffer.db" }
 *   listener "tcp" { address = "127.0.0.1:8200" tls_disable = true }
 *   api_addr = "https://coffer.example:8200"
 *   disable_mlock = false
 *   log_level = "info"
 *   default_lease_ttl = "768h"
 *   max_lease_ttl = "768h"
 *   max_request_size = 33554432
 *   disable_clustering = false
 *   audit "file" "trail" {           an audit device, enabled at unseal
 *     description = "main trail"     (see audit/broker.c); repeatable
 *     options = { file_path = "/var/log/coffer/audit.log" }
 *   }
 *   unsafe_allow_api_audit_creation = true   sys/audit may enable and
 *                                  disable devices (default false, as in
 *                                  OpenBao 2.3+; dev mode allows it)
 *
 * Unknown keys and bad values are rejected with the file, the line and the
 * reason.
 */
#ifndef COFFER_CONFIG_CONFIG_H
#define COFFER_CONFIG_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define CONFIG_DEFAULT_ADDRESS      "127.0.0.1:8200"
#define CONFIG_DEFAULT_REQUEST_SIZE ((size_t)32 << 20)
#define CONFIG_DEFAULT_DURATION     90
#define CONFIG_DEFAULT_LEASE_TTL    ((int64_t)32 * 24 * 3600)

struct listener_config {
	char *address; /* "host:port"; IPv6 as "[::1]:8200" */
	bool tls_disable;
	char *tls_cert_file;
	char *tls_key_file;
	char *tls_client_ca_file; /* optional: ask for client certificates */
	char *tls_min_version;    /* "tls12" (default) or "tls13" */
	size_t max_request_size;  /* bytes; default 32 MiB */
	int64_t max_request_duration; /* seconds; default 90 */
};

struct server_config {
	char *storage_type;     /* "sqlite" or "inmem" */
	json_t *storage_config; /* the block's keys as strings */
	struct listener_config *listeners;
	size_t n_listeners;
	char *api_addr;
	bool disable_mlock;
	/*
	 * Vault's name: no request forwarding between the servers of an HA
	 * cluster. A standby answers with a 307 to the active server, and
	 * an active server sends requests forwarded to it back as a 307.
	 */
	bool disable_clustering;
	char *log_level;           /* NULL: info */
	int64_t default_lease_ttl; /* seconds */
	int64_t max_lease_ttl;     /* seconds */
	/*
	 * The audit blocks: an array of {"type", "path", "description",
	 * "local", "options": {string map}}, in file order; NULL when none.
	 */
	json_t *audit_devices;
	bool audit_api_disabled; /* unsafe_allow_api_audit_creation = false */
};

/*
 * Reads and checks the file at path. On failure returns ERR_INVALID (or
 * ERR_IO when the file cannot be read) and writes "path:line: reason" into
 * errmsg. On success the caller releases out with config_release.
 */
err_t config_load(const char *path, struct server_config *out, char *errmsg,
                  size_t errlen);

/* Parses configuration text; name is used in messages. */
err_t config_parse(const char *name, const char *text, size_t len,
                   struct server_config *out, char *errmsg, size_t errlen);

/* Fills the defaults of a listener (address, limits, tls12). */
void listener_config_defaults(struct listener_config *l);

/* Frees what l holds and zeroes it (the agent's listeners use it too). */
void listener_config_release(struct listener_config *l);

void config_release(struct server_config *cfg);

#endif

/*
 * agent_config.h - the configuration file of `coffer agent`.
 *
 * HCL (or JSON) with the block and key names Vault Agent uses, so an
 * existing agent.hcl carries over:
 *
 *   vault { address = "https://127.0.0.1:8200"  ca_cert = "ca.pem" }
 *   auto_auth {
 *     method "approle" {
 *       mount_path = "auth/approle"
 *       config = { role_id_file_path = "role-id"
 *                  secret_id_file_path = "secret-id" }
 *     }
 *     sink "file" { config = { path = "/run/app/token", mode = 384 } }
 *   }
 *   template { source = "app.tpl"  destination = "app.conf"
 *              perms = "0640"  command = "systemctl reload app" }
 *   template_config { static_secret_render_interval = "5m" }
 *   exec { command = ["./app"]  restart_on_secret_changes = "always" }
 *   env_template "DB_PASSWORD" { contents = "{{ ... }}" }
 *   listener "tcp" { address = "127.0.0.1:8100"  tls_disable = true }
 *   cache { }
 *   api_proxy { use_auto_auth_token = true }
 *   pid_file = "/run/coffer-agent.pid"
 *   exit_after_auth = false
 *
 * A file mode is either a string of octal digits ("0600") or an integer
 * taken as the mode's value (384 is 0600), which is what Vault reads from
 * its own configuration. The HCL parser refuses numbers with a leading
 * zero, so an unquoted 0600 is an error rather than 600 read as decimal.
 *
 * Unknown keys, repeated keys and bad values are errors that name the file
 * and the line, like the server's configuration. Nothing is read but the
 * configuration itself: template sources and credential files are opened
 * when the agent starts.
 */
#ifndef COFFER_AGENT_AGENT_CONFIG_H
#define COFFER_AGENT_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/error.h"
#include "config/config.h"

#define AGENT_DEFAULT_LISTEN      "127.0.0.1:8100"
#define AGENT_DEFAULT_INTERVAL    300 /* static_secret_render_interval */
#define AGENT_DEFAULT_SINK_MODE   0640
#define AGENT_DEFAULT_CMD_TIMEOUT 30
#define AGENT_DEFAULT_K8S_TOKEN                                                \
	"/var/run/secrets/kubernetes.io/serviceaccount/token"

/* The server: where it is and how its certificate is checked. */
struct agent_vault {
	char *address; /* NULL: VAULT_ADDR, else https://127.0.0.1:8200 */
	char *ca_cert;
	char *ca_path;
	char *client_cert;
	char *client_key;
	bool tls_skip_verify;
	char *namespace; /* sent with every request the agent makes */
};

enum agent_method_type {
	AGENT_METHOD_APPROLE,
	AGENT_METHOD_JWT,
	AGENT_METHOD_KUBERNETES,
	AGENT_METHOD_TOKEN_FILE,
};

/* The one auto-auth method; which fields count depends on type. */
struct agent_method {
	enum agent_method_type type;
	char *mount_path; /* "auth/approle"; unused by token_file */
	/* approle */
	char *role_id_file;
	char *secret_id_file;  /* NULL: the role is bound otherwise */
	bool remove_secret_id; /* after reading; Vault's default, true */
	/* jwt and kubernetes */
	char *jwt_file;
	char *role;
	bool remove_jwt; /* jwt: true by default; kubernetes: never */
	/* token_file */
	char *token_file;
};

/* A file sink: where each new token is written. */
struct agent_sink {
	char *path;
	mode_t mode;
	int64_t wrap_ttl; /* seconds; 0 writes the token itself */
};

/* One template: rendered to a file, or (env_name set) to a variable. */
struct agent_template {
	char *name;     /* for messages: the source file, or a description */
	char *env_name; /* env_template "NAME"; NULL for a file template */
	char *source;   /* exactly one of source and contents is set */
	char *contents;
	char *destination; /* file templates only */
	mode_t perms;      /* valid when has_perms */
	bool has_perms;
	char **command; /* argv to run after a change, NULL-ended; or NULL */
	int64_t command_timeout; /* seconds */
	bool error_on_missing_key;
	char *left_delim;  /* NULL: "{{" */
	char *right_delim; /* NULL: "}}" */
	bool create_dest_dirs;
	int line; /* where the block starts in the configuration */
};

enum agent_restart {
	AGENT_RESTART_ALWAYS,
	AGENT_RESTART_NEVER,
};

/* exec: the workload runs as the agent's child. */
struct agent_exec {
	char **command; /* argv, NULL-ended */
	enum agent_restart restart;
	int stop_signal;
};

enum agent_auto_token {
	AGENT_TOKEN_NO,    /* forward requests as they come */
	AGENT_TOKEN_YES,   /* add the agent's token when none is sent */
	AGENT_TOKEN_FORCE, /* always send the agent's token */
};

struct agent_config {
	struct agent_vault vault;

	bool has_auto_auth;
	struct agent_method method;
	struct agent_sink *sinks;
	size_t n_sinks;

	struct agent_template *templates; /* file and env templates */
	size_t n_templates;
	int64_t static_interval; /* seconds */
	bool exit_on_retry_failure;

	bool has_exec;
	struct agent_exec exec;

	struct listener_config *listeners;
	size_t n_listeners;
	bool cache;
	enum agent_auto_token use_auto_auth_token;

	char *pid_file;
	bool exit_after_auth;
	char *log_level;
};

/*
 * Parses configuration text (len bytes); name is the file name used in
 * messages. On failure returns ERR_INVALID (ERR_NOMEM when memory runs
 * out), out is left empty, and errmsg holds "name:line: reason". On
 * success the caller releases out with agent_config_release.
 */
err_t agent_config_parse(const char *name, const char *text, size_t len,
                         struct agent_config *out, struct buf *errmsg);

/*
 * Reads the file at path and parses it. ERR_IO with "path: reason" in
 * errmsg when it cannot be read; otherwise as agent_config_parse.
 */
err_t agent_config_load(const char *path, struct agent_config *out,
                        struct buf *errmsg);

/* Frees everything cfg holds and empties it; cfg may be NULL. */
void agent_config_release(struct agent_config *cfg);

/* Frees a NULL-ended argv built by the parser; argv may be NULL. */
void agent_config_free_argv(char **argv);

#endif

/*
 * server.c - `coffer server [-dev] [-config=FILE]`.
 *
 * Start-up order matters: configuration first (so a bad file fails before
 * anything is touched), then memory locking (before any secret exists),
 * storage, core, and the listeners last, so that a port conflict is
 * reported after every other check passed.
 */
#include "server/server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/version.h"
#include "config/config.h"
#include "core/core.h"
#include "core/ha.h"
#include "http/server.h"

struct server_flags {
	bool dev;
	const char *dev_root_token_id;
	const char *dev_listen_address;
	const char *config_path;
	const char *log_level;
};

static void usage(void)
{
	fputs("usage: coffer server -config=FILE\n"
	      "       coffer server -dev [-dev-root-token-id=ID] "
	      "[-dev-listen-address=HOST:PORT]\n"
	      "options:\n"
	      "  -config=FILE               server configuration (HCL or "
	      "JSON)\n"
	      "  -dev                       in-memory, unsealed server for "
	      "development\n"
	      "  -dev-root-token-id=ID      root token value in dev mode\n"
	      "  -dev-listen-address=ADDR   dev listener (default "
	      "127.0.0.1:8200)\n"
	      "  -log-level=LEVEL           trace, debug, info, warn, error\n",
	      stderr);
}

/* Accepts -name=value, --name=value and -name value. */
static bool flag_value(int argc, char **argv, int *i, const char *name,
                       const char **out)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (a[0] == '-' && a[1] == '-')
		a++;
	if (a[0] != '-' || strncmp(a + 1, name, n) != 0)
		return false;
	if (a[1 + n] == '=') {
		*out = a + 2 + n;
		return true;
	}
	if (a[1 + n] == 0 && *i + 1 < argc) {
		*out = argv[++*i];
		return true;
	}
	return false;
}

static int parse_flags(int argc, char **argv, struct server_flags *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->dev_root_token_id = getenv("VAULT_DEV_ROOT_TOKEN_ID");
	f->dev_listen_address = getenv("VAULT_DEV_LISTEN_ADDRESS");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-dev") == 0 || strcmp(a, "--dev") == 0)
			f->dev = true;
		else if (flag_value(argc, argv, &i, "dev-root-token-id",
		                    &f->dev_root_token_id) ||
		         flag_value(argc, argv, &i, "dev-listen-address",
		                    &f->dev_listen_address) ||
		         flag_value(argc, argv, &i, "config",
		                    &f->config_path) ||
		         flag_value(argc, argv, &i, "log-level", &f->log_level))
			continue;
		else {
			fprintf(stderr, "coffer server: unknown option %s\n",
			        a);
			usage();
			return 2;
		}
	}
	if (!f->dev && f->config_path == NULL) {
		fputs("coffer server: either -dev or -config=FILE is "
		      "required\n",
		      stderr);
		usage();
		return 2;
	}
	return 0;
}

/* Dev mode's configuration: in memory, plain HTTP on loopback. */
static err_t dev_config(const struct server_flags *f, struct server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->storage_type = strdup("inmem");
	cfg->storage_config = json_object();
	cfg->listeners = calloc(1, sizeof(*cfg->listeners));
	if (cfg->storage_type == NULL || cfg->storage_config == NULL ||
	    cfg->listeners == NULL)
		return ERR_NOMEM;
	cfg->n_listeners = 1;
	listener_config_defaults(&cfg->listeners[0]);
	if (f->dev_listen_address != NULL) {
		free(cfg->listeners[0].address);
		cfg->listeners[0].address = strdup(f->dev_listen_address);
		if (cfg->listeners[0].address == NULL)
			return ERR_NOMEM;
	}
	cfg->listeners[0].tls_disable = true;
	cfg->disable_mlock = true;
	cfg->default_lease_ttl = CONFIG_DEFAULT_LEASE_TTL;
	cfg->max_lease_ttl = CONFIG_DEFAULT_LEASE_TTL;
	return ERR_OK;
}

struct signal_ctx {
	sigset_t set;
	struct http_server *http;
	struct core *core;
};

/* Waits for the stop signals in one thread, so no handler runs elsewhere. */
static void *signal_thread(void *arg)
{
	struct signal_ctx *ctx = arg;
	int sig;

	for (;;) {
		if (sigwait(&ctx->set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("server", "received SIGHUP; reopening audit "
			                   "files");
			core_audit_reopen(ctx->core);
			continue;
		}
		log_info("server", "received signal %d, shutting down", sig);
		http_server_stop(ctx->http);
		return NULL;
	}
}

static void print_dev_banner(const struct server_config *cfg,
                             const char *unseal_key, const char *root_token)
{
	printf("==> Coffer server started in development mode.\n\n"
	       "WARNING: dev mode keeps everything in memory, starts "
	       "unsealed with a single\nunseal key, and serves plain HTTP. "
	       "Never use it for real secrets.\n\n"
	       "Point clients at it with:\n\n"
	       "    $ export VAULT_ADDR='http://%s'\n\n"
	       "Unseal Key: %s\nRoot Token: %s\n\n"
	       "Version: %s\n\n==> Coffer server is running.\n",
	       cfg->listeners[0].address, unseal_key, root_token,
	       COFFER_API_VERSION);
	fflush(stdout);
}

static int configure_audit(const struct server_flags *f,
                           const struct server_config *cfg, struct core *core)
{
	struct buf msg = BUF_INIT;
	err_t rc;

	rc = core_audit_configure(core, cfg->audit_devices,
	                          !cfg->audit_api_disabled, &msg);
	if (rc != ERR_OK)
		fprintf(stderr, "coffer server: %s: %s\n",
		        f->config_path ? f->config_path : "dev mode",
		        msg.len ? buf_str(&msg) : err_str(rc));
	buf_release(&msg);
	return rc == ERR_OK ? 0 : 1;
}

static int start_core(const struct server_flags *f,
                      const struct server_config *cfg, struct core **core)
{
	struct core_options opts = {cfg->default_lease_ttl, cfg->max_lease_ttl,
	                            cfg->api_addr};
	struct storage *phys = NULL;
	char *unseal_key = NULL, *root_token = NULL;
	char errmsg[256] = "";
	err_t rc;

	rc = storage_open(cfg->storage_type, cfg->storage_config, &phys, errmsg,
	                  sizeof(errmsg));
	if (rc != ERR_OK) {
		log_error("server", "cannot open %s storage: %s",
		          cfg->storage_type, errmsg[0] ? errmsg : err_str(rc));
		return 1;
	}
	rc = core_new(phys, &opts, core);
	if (rc != ERR_OK) {
		storage_free(phys);
		log_error("server", "cannot start the core: %s", err_str(rc));
		return 1;
	}
	/* Audit devices of the file are checked now, enabled at unseal. */
	if (configure_audit(f, cfg, *core) != 0)
		return 1;
	if (!f->dev)
		return 0;

	rc = core_dev_init(*core, f->dev_root_token_id, &unseal_key,
	                   &root_token);
	if (rc != ERR_OK) {
		log_error("server", "dev mode set-up failed: %s", err_str(rc));
		return 1;
	}
	print_dev_banner(cfg, unseal_key, root_token);
	secret_free(unseal_key);
	secret_free(root_token);
	return 0;
}

static int load_config(const struct server_flags *f, struct server_config *cfg)
{
	char errmsg[512] = "";
	enum log_level level;
	err_t rc;

	rc = f->dev ? dev_config(f, cfg)
	            : config_load(f->config_path, cfg, errmsg, sizeof(errmsg));
	if (rc != ERR_OK) {
		fprintf(stderr, "coffer server: %s\n",
		        errmsg[0] ? errmsg : err_str(rc));
		return 1;
	}
	if (f->log_level != NULL || cfg->log_level != NULL) {
		const char *name = f->log_level ? f->log_level : cfg->log_level;
		if (!log_parse_level(name, &level)) {
			fprintf(stderr, "coffer server: unknown log level %s\n",
			        name);
			return 1;
		}
		log_set_level(level);
	}
	if (!cfg->disable_mlock && secret_lock_memory() != ERR_OK) {
		fprintf(stderr,
		        "coffer server: cannot lock memory (%s); run as root "
		        "or with CAP_IPC_LOCK, or set disable_mlock = true if "
		        "swap is off or encrypted\n",
		        strerror(errno));
		return 1;
	}
	return 0;
}

/* What every request needs besides itself. */
struct serve_ctx {
	struct core *core;
	bool clustering_disabled;
};

/*
 * Requests relayed by a standby of the cluster carry the client's address
 * (core/ha.h); a standby's own answer may become a request for the HTTP
 * layer to relay it in turn (http/server.h).
 */
static void handle_request(void *ctx, struct request *req,
                           struct response *resp)
{
	struct serve_ctx *s = ctx;
	const char *conn_addr = req->remote_addr;
	char addr[HA_FORWARD_ADDR_LEN];
	enum ha_origin from;
	enum ha_route route = HA_ROUTE_FORWARD;

	from = ha_accept_forwarded(s->core, req, s->clustering_disabled, addr,
	                           resp);
	if (from == HA_ORIGIN_ANSWERED)
		goto out;
	core_handle(s->core, req, resp);
	if (s->clustering_disabled)
		route = HA_ROUTE_REDIRECT;
	else if (from == HA_ORIGIN_FORWARDED)
		route = HA_ROUTE_NO_HOP;
	ha_standby_answer(s->core, req, route, resp);
out:
	req->remote_addr = conn_addr;
}

/* A request the listener refused by itself: recorded, nothing more. */
static void handle_refused(void *ctx, struct request *req,
                           struct response *resp)
{
	const struct serve_ctx *s = ctx;

	core_audit_listener_refused(s->core, req, resp);
}

static int serve(const struct server_config *cfg, struct core *core)
{
	struct serve_ctx ctx = {core, cfg->disable_clustering};
	struct signal_ctx sig = {0};
	struct http_server *http = NULL;
	char errmsg[256] = "";
	pthread_t tid;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	err_t rc;

	rc = http_server_new(cfg->listeners, cfg->n_listeners,
	                     cpus > 0 && cpus < 64 ? (int)cpus : 2,
	                     handle_request, &ctx, &http, errmsg,
	                     sizeof(errmsg));
	if (rc != ERR_OK) {
		log_error("server", "cannot start listeners: %s",
		          errmsg[0] ? errmsg : err_str(rc));
		return 1;
	}

	http_server_set_refused_fn(http, handle_refused);

	sigemptyset(&sig.set);
	sigaddset(&sig.set, SIGINT);
	sigaddset(&sig.set, SIGTERM);
	sigaddset(&sig.set, SIGHUP);
	sig.http = http;
	sig.core = core;
	if (pthread_create(&tid, NULL, signal_thread, &sig) != 0) {
		http_server_free(http);
		return 1;
	}
	pthread_detach(tid);

	rc = http_server_run(http);
	http_server_free(http);
	log_info("server", "stopped");
	return rc == ERR_OK ? 0 : 1;
}

int server_main(int argc, char **argv)
{
	struct server_flags flags;
	struct server_config cfg;
	struct core *core = NULL;
	sigset_t set;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	rc = parse_flags(argc, argv, &flags);
	if (rc != 0)
		return rc;

	/* Every thread inherits this mask; only the signal thread waits. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	rc = load_config(&flags, &cfg);
	if (rc == 0)
		rc = start_core(&flags, &cfg, &core);
	if (rc == 0)
		rc = serve(&cfg, core);
	core_free(core);
	config_release(&cfg);
	return rc;
}

/*
 * agent_kvpath.h - the KV v2 path rewrite templates rely on.
 *
 * Templates written for Vault Agent often read a KV version 2 secret by
 * its logical path (`secret "secret/app"`), and the agent puts the "data/"
 * segment in that the API wants (secret/data/app), as consul-template does.
 * Whether a mount is version 2 is asked of the server
 * (sys/internal/ui/mounts/<path>).
 */
#ifndef COFFER_AGENT_AGENT_KVPATH_H
#define COFFER_AGENT_AGENT_KVPATH_H

#include "agent/agent_http.h"
#include "base/buf.h"
#include "base/error.h"

/*
 * Appends to out the path to read for path: path itself, or with "data/"
 * put after the mount when the mount is KV v2 and the path has neither
 * "data/" nor "metadata/" there. When the server cannot say (no such
 * mount, no permission, down), path is used as written and the read
 * reports what goes wrong. ERR_NOMEM only.
 */
err_t agent_kvpath_resolve(struct agent_http *h, const char *token,
                           const char *path, struct buf *out);

#endif

/*
 * db_backend.h - the database secrets engine, as the backend table sees
 * it. Everything else of the engine is in database.h.
 */
#ifndef COFFER_ENGINES_DATABASE_DB_BACKEND_H
#define COFFER_ENGINES_DATABASE_DB_BACKEND_H

#include "core/mount.h"

extern const struct mount_backend database_backend;

#endif

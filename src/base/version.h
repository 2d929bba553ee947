/*
 * version.h - what this build calls itself.
 *
 * Clients and tools (the Terraform provider, the Vault CLI) read the
 * version in sys/seal-status and sys/health to decide which API features
 * they may use, so Coffer reports the Vault API level it matches, with its
 * own version as semver build metadata.
 */
#ifndef COFFER_BASE_VERSION_H
#define COFFER_BASE_VERSION_H

#define COFFER_VERSION     "0.1.0"
#define COFFER_API_VERSION "1.15.0+coffer." COFFER_VERSION
#define COFFER_BUILD_DATE  "2026-12-03T00:00:00Z"

#endif

#!/usr/bin/env bash
# bench/run.sh - Coffer's benchmark: every workload that can be measured
# today against a baseline measured in the same run, one table out.
#
# `make bench` builds build-bench/coffer (Release) and calls this. It
# starts a Coffer server on SQLite and an nginx on loopback, both pinned to
# SERVER_CPU, drives them with wrk/h2load pinned to LOAD_CPU, interleaves
# baseline and subject ROUNDS times, and hands the measurements to
# bench/report.py, which prints the table and writes
# bench/results/<date>.json and .txt (and latest.json/latest.txt).
#
# Settings (environment):
#   WARMUP=2 MEASURE=8   seconds per run: warm-up (discarded), measured
#   ROUNDS=3             baseline/subject pairs per workload
#   CONNS=64             connections for the c=64 rows
#   FULL=1               also the 1M-secret rows (adds ~5-10 minutes),
#                        and 1,000,000 leases for W7/W8 instead of 100,000
#   BENCH_ROWS="w1 audit spread w2 auth big acl db leases"
#                        which groups of rows to run (default: all; "big"
#                        only with FULL=1); see bench/README.md
#   BENCH_LEASES=N       leases for W7/W8 (100000; FULL=1: 1000000)
#   W6_CONNS=8           clients of the W6 rows, for wrk and pgbench alike
#   BENCH_DROP_CACHES=1  drop the page cache before W8's scans and restarts
#                        (needs root; 0: warm scans and restarts)
#   SERVER_CPU=1 LOAD_CPU=0
#   COFFER_PORT=18431 NGINX_PORT=18432 PG_PORT=18433
#   BENCH_BIN=build-bench/coffer  BENCH_DIR=build-bench/bench-run
#   BENCH_KEEP=1         keep the databases in BENCH_DIR afterwards
#   BENCH_ROWS=pg        the PostgreSQL rows only (bench/pg.sh); "pg" is
#                        one of the BENCH_ROWS groups above
#   PG_PORT=18433 PG_ACTIVE_PORT=18434 PG_STANDBY_PORT=18435
#   BENCH_RESULTS=DIR    where the table and JSON go (bench/results; a
#                        trial run elsewhere leaves latest.* alone)
#
# Only 127.0.0.1 is ever contacted; every load loop is bounded by time
# (wrk/h2load -d, pgbench -T) or by count (kv_load, lease_load, pgbench -t,
# revoke.lua with a -d cap); every process started here is killed on exit,
# whatever the exit. The W6 rows (bench/rows-db.sh) and the W7/W8 rows
# (bench/rows-leases.sh) live in files of their own, sourced below.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
WARMUP=${WARMUP:-2}
MEASURE=${MEASURE:-8}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
FULL=${FULL:-0}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
COFFER_PORT=${COFFER_PORT:-18431}
NGINX_PORT=${NGINX_PORT:-18432}
PG_PORT=${PG_PORT:-18433}
BENCH_ROWS=${BENCH_ROWS:-all}
W6_CONNS=${W6_CONNS:-8}
if [ "$FULL" = 1 ]; then
	BENCH_LEASES=${BENCH_LEASES:-1000000}
else
	BENCH_LEASES=${BENCH_LEASES:-100000}
fi
BENCH_DROP_CACHES=${BENCH_DROP_CACHES:-1}
BIN=${BENCH_BIN:-$ROOT/build-bench/coffer}
DIR=${BENCH_DIR:-$ROOT/build-bench/bench-run}
LIB=$ROOT/bench/lib
HELPERS=$ROOT/build-bench
W1_KEYS=10000
SPREAD_KEYS=100000
BIG_KEYS=1000000
ACL_POLICIES=100
ACL_RULES=1000

RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}

COFFER_PID=""
NGINX_PID=""
CHILD_PID=""
WATCH_PID=""
AUDIT_DIR=""
PG_DIR=""
LOADED_SECRETS=0

log() { printf '== %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

# Kills what this script started, by pid; runs on every exit.
cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in $CHILD_PID $WATCH_PID $NGINX_PID $COFFER_PID; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $CHILD_PID $WATCH_PID $NGINX_PID $COFFER_PID; do
		wait "$pid" 2>/dev/null || true
	done
	stop_pg
	if [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -f "$DIR"/coffer.db* "$DIR"/raw.db* "$DIR"/raw-lease.db*
	fi
	if [ -n "$AUDIT_DIR" ]; then
		rm -rf "$AUDIT_DIR"
	fi
	pg_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/pg.sh
. "$ROOT/bench/pg.sh"

# Runs a command in the background and waits for it, so that the trap can
# kill it if the script is interrupted.
run_child() {
	local rc=0
	"$@" &
	CHILD_PID=$!
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=""
	return $rc
}

port_free() {
	! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
}

# Peak resident set (VmHWM) of a process, in KiB.
hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# record ROW ROLE ROUND "RPS P50_US P99_US ERRORS" RSS_KIB: one line per
# run in measurements.tsv, which bench/report.py reads.
record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(printf '%s' "$4" |
		tr ' ' '\t')" "$5" >>"$DIR/measurements.tsv"
}

median() {
	sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wrk against URL with SCRIPT and CONNS connections: a warm-up run, then
# the measured one. Sets RESULT to "rps p50_us p99_us errors". (Results go
# through a variable, not $(...), so that wrk runs as this shell's child
# and the exit trap can kill it.)
wrk_run() {
	local script=$1 url=$2 conns=$3
	run_child taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${WARMUP}s" \
		--timeout 10s -s "$LIB/$script" "$url" >/dev/null
	wrk_once "$script" "$url" "$conns" "$MEASURE"
}

# wrk_once SCRIPT URL CONNS SECONDS: one measured wrk run, no warm-up (the
# caller runs its own). Sets RESULT to "rps p50_us p99_us errors".
wrk_once() {
	local script=$1 url=$2 conns=$3 secs=$4
	run_child taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${secs}s" \
		--timeout 10s --latency -s "$LIB/$script" "$url" >"$DIR/wrk.out"
	RESULT=$(awk '/^BENCH / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print f["rps"], f["p50_us"], f["p99_us"], f["errors"] }' \
		"$DIR/wrk.out")
	if [ -z "$RESULT" ]; then
		server_state
		die "wrk printed no result; see $DIR/wrk.out"
	fi
}

# h2load at a fixed total RATE over CONNS connections for MEASURE seconds
# (after WARMUP), latency percentiles from its per-request log. Sets
# RESULT to "rps p50_us p99_us errors".
h2load_run() {
	local url_file=$1 rate=$2 conns=$3 per log=$DIR/h2load.log
	per=$(((rate + conns - 1) / conns))
	rm -f "$log"
	run_child taskset -c "$LOAD_CPU" h2load --h1 -t1 -c"$conns" \
		--rps="$per" -D "$MEASURE" --warm-up-time="$WARMUP" \
		-H "X-Vault-Token: $TOKEN" -i "$url_file" --log-file="$log" \
		>"$DIR/h2load.out"
	# The log has "start_us<TAB>status<TAB>duration_us" per request.
	RESULT=$(cut -f2,3 "$log" | sort -t"$(printf '\t')" -k2,2n | awk -F'\t' \
		-v s="$MEASURE" -v h="$DIR/h2load.out" '
		{ d[NR] = $2; if ($1 < 200 || $1 > 299) bad++ }
		END {
			while ((getline line < h) > 0)
				if (line ~ /^requests:/) {
					n = split(line, w, " ")
					for (i = 1; i < n; i++)
						if (w[i + 1] ~ /^(failed|errored),?$/)
							bad += w[i]
				}
			if (NR == 0) exit 1
			printf "%.1f %d %d %d\n", NR / s, d[int(NR * 0.50 + 0.5)],
				d[int(NR * 0.99 + 0.5)], bad
		}') || die "h2load logged no request; see $DIR/h2load.out"
}

# Starts `taskset -c SERVER_CPU coffer server` on SQLite (the
# configuration written by start_coffer) and waits until it answers.
launch_coffer() {
	taskset -c "$SERVER_CPU" "$BIN" server -config="$DIR/coffer.hcl" \
		>>"$DIR/coffer.log" 2>&1 &
	COFFER_PID=$!
	local tries=0
	until curl -sf "$COFFER/v1/sys/seal-status" >/dev/null 2>&1; do
		tries=$((tries + 1))
		if [ $tries -gt 600 ] || ! kill -0 "$COFFER_PID" 2>/dev/null; then
			die "coffer did not start; see $DIR/coffer.log"
		fi
		sleep 0.01
	done
}

unseal_coffer() {
	curl -sf -X PUT -d "{\"key\":\"$UNSEAL_KEY\"}" \
		"$COFFER/v1/sys/unseal" >/dev/null || die "unseal failed"
}

# Stops the server with SIGTERM (its clean shutdown) and waits for it.
stop_coffer() {
	kill -TERM "$COFFER_PID" 2>/dev/null || true
	wait "$COFFER_PID" 2>/dev/null || true
	COFFER_PID=""
}

# Writes the configuration, starts the server, initialises it with one key
# share, unseals it and mounts kv-v2 at secret/.
start_coffer() {
	cat >"$DIR/coffer.hcl" <<CONF
storage "sqlite" {
  path = "$DIR/coffer.db"
}
listener "tcp" {
  address     = "127.0.0.1:$COFFER_PORT"
  tls_disable = true
}
disable_mlock = true
log_level     = "warn"
# The audit rows enable their devices through the API.
unsafe_allow_api_audit_creation = true
CONF
	launch_coffer
	curl -sf -X PUT -d '{"secret_shares":1,"secret_threshold":1}' \
		"$COFFER/v1/sys/init" >"$DIR/init.json"
	chmod 600 "$DIR/init.json"
	UNSEAL_KEY=$(python3 -c \
		'import json,sys; print(json.load(sys.stdin)["keys"][0])' \
		<"$DIR/init.json")
	TOKEN=$(python3 -c \
		'import json,sys; print(json.load(sys.stdin)["root_token"])' \
		<"$DIR/init.json")
	export BENCH_TOKEN=$TOKEN
	unseal_coffer
	curl -sf -X POST -H "X-Vault-Token: $TOKEN" \
		-d '{"type":"kv","options":{"version":"2"}}' \
		"$COFFER/v1/sys/mounts/secret" >/dev/null
}

# nginx as one process (no master) pinned like the server, serving the
# captured Coffer bodies at the same paths with the same Content-Type.
start_nginx() {
	mkdir -p "$DIR/nginx/html" "$DIR/nginx/tmp"
	cat >"$DIR/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server_tokens off;
    etag off;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    types { application/json json; }
    default_type application/json;
    client_body_temp_path $DIR/nginx/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $DIR/nginx/html;
        add_header Cache-Control no-store;
        location /v1/secret/data/ { try_files /kv.json =404; }
        location = /v1/auth/token/lookup-self {
            try_files /lookup-self.json =404;
        }
    }
}
CONF
	taskset -c "$SERVER_CPU" nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" \
		-e "$DIR/nginx/error.log" &
	NGINX_PID=$!
	local tries=0
	until curl -sf -o /dev/null -H "X-Vault-Token: $TOKEN" \
		"$NGINX/v1/secret/data/app-1"; do
		tries=$((tries + 1))
		if [ $tries -gt 50 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
			die "nginx did not start; see $DIR/nginx/error.log"
		fi
		sleep 0.1
	done
}

# Says whether the server is still there, after something failed.
server_state() {
	local rc=0
	if kill -0 "$COFFER_PID" 2>/dev/null; then
		log "coffer (pid $COFFER_PID) is still running"
	else
		wait "$COFFER_PID" || rc=$?
		log "coffer (pid $COFFER_PID) has exited with status $rc"
		COFFER_PID=""
	fi
}

# Saves one real Coffer response body for nginx to serve, byte for byte.
capture() {
	local path=$1 file=$2
	curl -sf -H "X-Vault-Token: $TOKEN" "$COFFER$path" >"$DIR/nginx/html/$file"
	[ -s "$DIR/nginx/html/$file" ] || die "empty response from $path"
}

# api METHOD PATH [BODY]: one call to Coffer with the root token; the
# answer on stdout. BODY "@file" sends a file. Dies on a non-2xx answer.
api() {
	local method=$1 path=$2 body=${3:-}
	if [ -n "$body" ]; then
		curl -sf -X "$method" -H "X-Vault-Token: $TOKEN" \
			--data-binary "$body" "$COFFER/v1/$path" ||
			die "$method $path failed"
	else
		curl -sf -X "$method" -H "X-Vault-Token: $TOKEN" \
			"$COFFER/v1/$path" || die "$method $path failed"
	fi
}

# json_get KEY.KEY...: one field of the JSON document on stdin.
json_get() {
	python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

load_secrets() {
	local first=$1 count=$2
	log "writing $count secrets (app-$first..) through the API"
	if ! run_child taskset -c "$LOAD_CPU" "$HELPERS/kv_load" "$COFFER_PORT" \
		"$TOKEN" secret app- "$first" "$count" 16 >/dev/null; then
		server_state
		die "loading secrets failed; see $DIR/coffer.log"
	fi
	LOADED_SECRETS=$((first + count - 1))
}

# ensure_secrets N: app-1..app-N stored (writes the ones missing).
ensure_secrets() {
	if [ "$LOADED_SECRETS" -lt "$1" ]; then
		load_secrets $((LOADED_SECRETS + 1)) $(($1 - LOADED_SECRETS))
	fi
}

# want GROUP: whether BENCH_ROWS selects that group of rows.
want() {
	case " $BENCH_ROWS " in
	*" all "* | *" $1 "*) return 0 ;;
	*) return 1 ;;
	esac
}

# One workload: ROUNDS x (baseline on nginx, subject on coffer) with wrk.
read_pairs() {
	local row=$1 script=$2 path=$3 r v
	for r in $(seq 1 "$ROUNDS"); do
		wrk_run "$script" "$NGINX$path" "$CONNS"
		record "$row" baseline "$r" "$RESULT" "$(hwm_kib "$NGINX_PID")"
		v=$RESULT
		wrk_run "$script" "$COFFER$path" "$CONNS"
		record "$row" subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "$row round $r: nginx ${v%% *}, coffer ${RESULT%% *} req/s"
	done
}

# Durable writes: the raw SQLite loop, then Coffer at c=1 and c=64.
write_rounds() {
	local r raw c1
	export BENCH_KEYS=$SPREAD_KEYS
	for r in $(seq 1 "$ROUNDS"); do
		rm -f "$DIR"/raw.db*
		run_child taskset -c "$SERVER_CPU" "$HELPERS/sqlite_commit" \
			"$DIR/raw.db" "$WARMUP" "$MEASURE" >"$DIR/raw.out"
		raw=$(sed -n 's/^commits_per_s=//p' "$DIR/raw.out")
		[ -n "$raw" ] || die "sqlite_commit printed no result"
		record w2-raw baseline "$r" "$raw 0 0 0" 0
		wrk_run write.lua "$COFFER/" 1
		record w2-c1 subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		c1=$RESULT
		wrk_run write.lua "$COFFER/" "$CONNS"
		record w2-c64 subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "w2 round $r: raw $raw/s, coffer c=1 ${c1%% *}/s," \
			"c=$CONNS ${RESULT%% *}/s"
	done
}

# Token create and AppRole login at CONNS connections. Their target is a
# share of the server's own W2 c=CONNS rate (both write to storage), so
# they run after write_rounds and need no baseline run of their own.
auth_rounds() {
	local r role_id secret_id tc
	api POST sys/auth/approle '{"type":"approle"}' >/dev/null
	api POST auth/approle/role/bench \
		'{"token_policies":["default"],"secret_id_num_uses":0}' >/dev/null
	role_id=$(api GET auth/approle/role/bench/role-id | json_get data.role_id)
	secret_id=$(api POST auth/approle/role/bench/secret-id \
		'{"num_uses":0}' | json_get data.secret_id)
	for r in $(seq 1 "$ROUNDS"); do
		export BENCH_BODY='{"policies":["default"],"ttl":"1h"}'
		wrk_run post.lua "$COFFER/v1/auth/token/create" "$CONNS"
		record token-create subject "$r" "$RESULT" \
			"$(hwm_kib "$COFFER_PID")"
		tc=$RESULT
		export BENCH_NO_TOKEN=1
		export BENCH_BODY="{\"role_id\":\"$role_id\",\"secret_id\":\"$secret_id\"}"
		wrk_run post.lua "$COFFER/v1/auth/approle/login" "$CONNS"
		record approle-login subject "$r" "$RESULT" \
			"$(hwm_kib "$COFFER_PID")"
		unset BENCH_NO_TOKEN BENCH_BODY
		log "auth round $r: token create ${tc%% *}/s," \
			"approle login ${RESULT%% *}/s"
	done
}

# W1's reads with a token holding ACL_POLICIES policies of ACL_RULES rules
# each against the same reads with a one-rule policy token.
acl_rounds() {
	local i r one big names="" v
	log "writing $ACL_POLICIES policies of $ACL_RULES rules each"
	mkdir -p "$DIR/acl"
	python3 "$ROOT/bench/acl_policies.py" "$DIR/acl" "$ACL_POLICIES" \
		"$ACL_RULES"
	for i in $(seq 1 "$ACL_POLICIES"); do
		api PUT "sys/policies/acl/bench-big-$i" "@$DIR/acl/policy-$i.json" \
			>/dev/null
		names="$names${names:+,}\"bench-big-$i\""
	done
	api PUT sys/policies/acl/bench-one "@$DIR/acl/policy-one.json" >/dev/null
	one=$(api POST auth/token/create \
		'{"policies":["bench-one"],"ttl":"24h"}' | json_get auth.client_token)
	big=$(api POST auth/token/create \
		"{\"policies\":[$names],\"ttl\":\"24h\"}" |
		json_get auth.client_token)
	export BENCH_KEYS=$W1_KEYS
	for r in $(seq 1 "$ROUNDS"); do
		BENCH_TOKEN=$one wrk_run read.lua "$COFFER/" "$CONNS"
		record acl-one subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		v=$RESULT
		BENCH_TOKEN=$big wrk_run read.lua "$COFFER/" "$CONNS"
		record acl-big subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "acl round $r: 1 rule ${v%% *}, $ACL_POLICIES x $ACL_RULES" \
			"rules ${RESULT%% *} req/s"
	done
}

# audit_devices N: enables file audit devices bench-1..bench-N (N >= 1)
# writing into AUDIT_DIR, or, with N = 0, disables all three and deletes
# their logs.
audit_devices() {
	local n=$1 i
	if [ "$n" = 0 ]; then
		for i in 1 2 3; do
			curl -s -o /dev/null -X DELETE -H "X-Vault-Token: $TOKEN" \
				"$COFFER/v1/sys/audit/bench-$i" || true
		done
		rm -f "$AUDIT_DIR"/*.log
		return
	fi
	for i in $(seq 1 "$n"); do
		curl -s -o /dev/null -X DELETE -H "X-Vault-Token: $TOKEN" \
			"$COFFER/v1/sys/audit/bench-$i" || true
		api PUT "sys/audit/bench-$i" "{\"type\":\"file\",\"options\":{\"file_path\":\"$AUDIT_DIR/bench-$i.log\"}}" >/dev/null
	done
}

# W1's reads (root token) with no audit device, one file device and three,
# with nginx as in W1. The logs go to a folder under /tmp: the server
# refuses a file_path inside its own binary's folder (build-bench/).
audit_rounds() {
	local r v a0 a1
	AUDIT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-audit.XXXXXX")
	export BENCH_KEYS=$W1_KEYS
	for r in $(seq 1 "$ROUNDS"); do
		wrk_run read.lua "$NGINX/" "$CONNS"
		record audit-nginx baseline "$r" "$RESULT" "$(hwm_kib "$NGINX_PID")"
		v=$RESULT
		wrk_run read.lua "$COFFER/" "$CONNS"
		record audit-0 subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		a0=$RESULT
		audit_devices 1
		wrk_run read.lua "$COFFER/" "$CONNS"
		record audit-1 subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		a1=$RESULT
		audit_devices 3
		wrk_run read.lua "$COFFER/" "$CONNS"
		record audit-3 subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		audit_devices 0
		log "audit round $r: nginx ${v%% *}, coffer none ${a0%% *}," \
			"1 file ${a1%% *}, 3 files ${RESULT%% *} req/s"
	done
}

# The 1,000 W1 paths the paced rows read, for Coffer and for nginx.
paced_uris() {
	shuf -i 1-"$W1_KEYS" -n 1000 --random-source=/dev/zero |
		sed "s|^|$COFFER/v1/secret/data/app-|" >"$DIR/uris-coffer"
	sed "s|$COFFER|$NGINX|" "$DIR/uris-coffer" >"$DIR/uris-nginx"
}

# W1 at half the rate Coffer sustained, paced by h2load (no coordinated
# omission), on both servers.
fixed_rate_rounds() {
	local rate r v
	rate=$(awk -F'\t' '$1 == "w1" && $2 == "subject" { print $4 }' \
		"$DIR/measurements.tsv" | median)
	rate=$(awk -v x="$rate" 'BEGIN { printf "%d", x / 2 }')
	printf '%s\n' "$rate" >"$DIR/fixed_rate"
	paced_uris
	for r in $(seq 1 "$ROUNDS"); do
		h2load_run "$DIR/uris-nginx" "$rate" "$CONNS"
		record w1-fixed baseline "$r" "$RESULT" "$(hwm_kib "$NGINX_PID")"
		v=$RESULT
		h2load_run "$DIR/uris-coffer" "$rate" "$CONNS"
		record w1-fixed subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "w1-fixed round $r at $rate req/s: p99 nginx" \
			"$(echo "$v" | cut -d' ' -f3) us, coffer" \
			"$(echo "$RESULT" | cut -d' ' -f3) us"
	done
}

big_rounds() {
	local r
	ensure_secrets "$BIG_KEYS"
	export BENCH_KEYS=$BIG_KEYS
	for r in $(seq 1 "$ROUNDS"); do
		wrk_run read.lua "$COFFER/" "$CONNS"
		record m1-read subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "m1 round $r: coffer ${RESULT%% *} req/s"
	done
}

main() {
	local tool
	for tool in wrk h2load nginx taskset curl python3 gcc ss shuf; do
		command -v "$tool" >/dev/null ||
			die "$tool is missing: run bench/setup.sh (as root)"
	done
	[ -x "$BIN" ] || die "no $BIN: run 'make bench'"
	[ "$(nproc)" -ge 2 ] || die "needs two cores (server and load pinned apart)"
	port_free "$COFFER_PORT" || die "port $COFFER_PORT is in use"
	port_free "$NGINX_PORT" || die "port $NGINX_PORT is in use"
	COFFER=http://127.0.0.1:$COFFER_PORT
	NGINX=http://127.0.0.1:$NGINX_PORT
	export BENCH_LIB=$LIB

	rm -rf "$DIR"
	mkdir -p "$DIR"
	chmod 700 "$DIR"
	cut -d' ' -f1-3 /proc/loadavg >"$DIR/loadavg.start"
	gcc -O2 -Wall -Wextra -o "$HELPERS/sqlite_commit" \
		"$ROOT/bench/sqlite_commit.c" -lsqlite3
	gcc -O2 -Wall -Wextra -pthread -o "$HELPERS/kv_load" \
		"$ROOT/bench/kv_load.c" "$ROOT/bench/httpc.c"
	gcc -O2 -Wall -Wextra -pthread -o "$HELPERS/lease_load" \
		"$ROOT/bench/lease_load.c" "$ROOT/bench/httpc.c"
	gcc -O2 -Wall -Wextra -o "$HELPERS/sqlite_lease" \
		"$ROOT/bench/sqlite_lease.c" -lsqlite3

	: >"$DIR/measurements.tsv"

	if [ "$BENCH_ROWS" != pg ]; then
		sqlite_rows
	fi
	if want pg; then
		pg_rows
	fi
	cut -d' ' -f1-3 /proc/loadavg >"$DIR/loadavg.end"

	python3 "$ROOT/bench/report.py" --dir "$DIR" --results "$RESULTS" \
		--warmup "$WARMUP" --measure "$MEASURE" --rounds "$ROUNDS" \
		--conns "$CONNS" --full "$FULL" --keys "$W1_KEYS,$SPREAD_KEYS,$BIG_KEYS" \
		--server-cpu "$SERVER_CPU" --load-cpu "$LOAD_CPU" \
		--w6-conns "$W6_CONNS"
}

# Every row of the single SQLite server (and nginx's baselines).
sqlite_rows() {
	start_coffer
	load_secrets 1 "$W1_KEYS"
	mkdir -p "$DIR/nginx/html"
	capture /v1/secret/data/app-1 kv.json
	capture /v1/auth/token/lookup-self lookup-self.json
	start_nginx

	if want w1; then
		log "W1: KV v2 read, $W1_KEYS secrets, c=$CONNS"
		export BENCH_KEYS=$W1_KEYS
		read_pairs w1 read.lua /
		log "W1 at a fixed rate (h2load)"
		fixed_rate_rounds
		log "auth/token/lookup-self, c=$CONNS"
		read_pairs lookup static.lua /v1/auth/token/lookup-self
	fi
	if want audit; then
		log "KV v2 read with 0, 1 and 3 file audit devices"
		audit_rounds
	fi
	if want spread || want leases || { want big && [ "$FULL" = 1 ]; }; then
		ensure_secrets "$SPREAD_KEYS"
	fi
	if want spread; then
		log "KV v2 read spread over $SPREAD_KEYS secrets, c=$CONNS"
		export BENCH_KEYS=$SPREAD_KEYS
		read_pairs spread read.lua /
	fi
	if want w2; then
		log "W2: durable writes, c=1 and c=$CONNS, vs raw SQLite"
		write_rounds
	fi
	if want auth; then
		log "auth/token/create and auth/approle/login, c=$CONNS"
		auth_rounds
	fi
	if [ "$FULL" = 1 ] && want big; then
		log "1M secrets"
		big_rounds
	fi
	if want db; then
		log "W6: database/creds and lease revocation on PostgreSQL vs" \
			"pgbench, c=$W6_CONNS"
		db_rounds
	fi
	# Loading the many-rule policies raises the server's peak RSS (VmHWM,
	# a lifetime peak), which would blur every later RSS column; only the
	# lease rows come after, and they restart the server first.
	if want acl; then
		log "KV v2 read, 1-rule token vs $ACL_POLICIES x" \
			"$ACL_RULES-rule token"
		acl_rounds
	fi
	if want leases; then
		log "W7/W8: $BENCH_LEASES leases: restart, expiry storm"
		lease_rounds
	fi
	hwm_kib "$COFFER_PID" >"$DIR/coffer.hwm"
}

# shellcheck source=bench/rows-db.sh
. "$ROOT/bench/rows-db.sh"
# shellcheck source=bench/rows-leases.sh
. "$ROOT/bench/rows-leases.sh"

main "$@"

# bench/pg.sh - the PostgreSQL rows of bench/run.sh, which sources this
# file and calls pg_rows (and pg_cleanup from its exit trap).
#
# A private PostgreSQL cluster (initdb in a mktemp -d folder under /tmp,
# on the same disk as the SQLite rows' files here; loopback port PG_PORT;
# fsync and synchronous_commit on) runs pinned to SERVER_CPU like every
# server under test, and two Coffer servers share it with HA on:
# PG_ACTIVE_PORT, unsealed first and so active, and PG_STANDBY_PORT, a
# standby that forwards. The rows:
#
#   pg-w-c8, pg-w-c32   KV v2 durable writes on the active (wrk
#                       write.lua, the W2 requests) at 8 and 32
#                       connections; baseline: pgbench -M prepared running
#                       Coffer's own upsert statement, one row per
#                       transaction, on a table of Coffer's shape in the
#                       same database, at the same client count.
#   pg-read-standby     KV v2 hot reads (PG_HOT_KEYS secrets, read.lua)
#                       sent to the standby, which forwards them; baseline:
#                       the same reads sent to the active, same rounds.
#
# Skipped, with a note, when PostgreSQL's server binaries or pgbench are
# missing (Debian: postgresql, postgresql-contrib).

PG_PORT=${PG_PORT:-18433}
PG_ACTIVE_PORT=${PG_ACTIVE_PORT:-18434}
PG_STANDBY_PORT=${PG_STANDBY_PORT:-18435}
PG_HOT_KEYS=1000
PG_DIR=""
PG_BIN=""
PG_AS=""
PG_ACTIVE_PID=""
PG_STANDBY_PID=""
PG_TOKEN=""

# Finds initdb/pg_ctl (newest major version) and pgbench.
pg_found() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
			PG_BIN=$d
			break
		fi
	done
	[ -n "$PG_BIN" ] && { [ -x "$PG_BIN/pgbench" ] ||
		command -v pgbench >/dev/null; }
}

pg_pgbench() {
	if [ -x "$PG_BIN/pgbench" ]; then
		printf '%s\n' "$PG_BIN/pgbench"
	else
		command -v pgbench
	fi
}

# Runs on every exit of run.sh: the two servers, then the database.
pg_cleanup() {
	local pid
	for pid in $PG_STANDBY_PID $PG_ACTIVE_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
		$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
			>/dev/null 2>&1 || true
	fi
	if [ -n "$PG_DIR" ] && [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$PG_DIR"
	fi
}

pg_psql() {
	$PG_AS "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 \
		-p "$PG_PORT" -U coffer -d "$1" -c "$2"
}

# PostgreSQL refuses to run as root: as root it runs as "postgres".
pg_start() {
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-pg.XXXXXX")
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "no postgres user to run as"
		chown postgres: "$PG_DIR"
		PG_AS="runuser -u postgres --"
	fi
	$PG_AS "$PG_BIN/initdb" -D "$PG_DIR/data" -U coffer --auth=trust \
		-E UTF8 --locale=C.UTF-8 >"$DIR/pg-initdb.log" 2>&1 ||
		die "initdb failed; see $DIR/pg-initdb.log"
	cat >>"$PG_DIR/data/postgresql.conf" <<CONF
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
shared_buffers = 128MB
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
CONF
	taskset -c "$SERVER_CPU" $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" \
		-l "$PG_DIR/pg.log" -w -t 30 start >/dev/null ||
		die "PostgreSQL did not start; see $PG_DIR/pg.log"
	pg_psql postgres "CREATE DATABASE coffer" >/dev/null
}

# pg_coffer PORT: one Coffer server on the database, pinned like the
# others; its pid in REPLY_PID.
pg_coffer() {
	local port=$1 conf=$DIR/coffer-pg-$1.hcl
	cat >"$conf" <<CONF
storage "postgresql" {
  connection_url = "postgresql://coffer@127.0.0.1:$PG_PORT/coffer?sslmode=disable"
  table          = "coffer_store"
  ha_enabled     = "true"
  ha_table       = "coffer_ha"
}
listener "tcp" {
  address     = "127.0.0.1:$port"
  tls_disable = true
}
api_addr      = "http://127.0.0.1:$port"
disable_mlock = true
log_level     = "warn"
CONF
	taskset -c "$SERVER_CPU" "$BIN" server -config="$conf" \
		>"$DIR/coffer-pg-$port.log" 2>&1 &
	REPLY_PID=$!
	local tries=0
	until curl -sf "http://127.0.0.1:$port/v1/sys/seal-status" \
		>/dev/null 2>&1; do
		tries=$((tries + 1))
		if [ $tries -gt 100 ] || ! kill -0 "$REPLY_PID" 2>/dev/null; then
			die "coffer on PostgreSQL did not start; see" \
				"$DIR/coffer-pg-$port.log"
		fi
		sleep 0.1
	done
}

# pg_health PORT CODE: waits until sys/health answers CODE.
pg_health() {
	local tries=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$1/v1/sys/health")" = "$2" ]; do
		tries=$((tries + 1))
		[ $tries -le 150 ] || die "127.0.0.1:$1 never answered $2 on" \
			"sys/health"
		sleep 0.1
	done
}

# Both servers: the active initialised and unsealed first, then the
# standby; kv-v2 at secret/ and PG_HOT_KEYS secrets for the reads.
pg_cluster() {
	local key pga=http://127.0.0.1:$PG_ACTIVE_PORT
	pg_coffer "$PG_ACTIVE_PORT"
	PG_ACTIVE_PID=$REPLY_PID
	pg_coffer "$PG_STANDBY_PORT"
	PG_STANDBY_PID=$REPLY_PID
	curl -sf -X PUT -d '{"secret_shares":1,"secret_threshold":1}' \
		"$pga/v1/sys/init" >"$DIR/pg-init.json"
	chmod 600 "$DIR/pg-init.json"
	key=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0])' \
		<"$DIR/pg-init.json")
	PG_TOKEN=$(json_get root_token <"$DIR/pg-init.json")
	curl -sf -X PUT -d "{\"key\":\"$key\"}" "$pga/v1/sys/unseal" >/dev/null
	pg_health "$PG_ACTIVE_PORT" 200
	curl -sf -X PUT -d "{\"key\":\"$key\"}" \
		"http://127.0.0.1:$PG_STANDBY_PORT/v1/sys/unseal" >/dev/null
	pg_health "$PG_STANDBY_PORT" 429
	curl -sf -X POST -H "X-Vault-Token: $PG_TOKEN" \
		-d '{"type":"kv","options":{"version":"2"}}' \
		"$pga/v1/sys/mounts/secret" >/dev/null ||
		die "mounting secret/ on PostgreSQL failed"
	run_child taskset -c "$LOAD_CPU" "$HELPERS/kv_load" "$PG_ACTIVE_PORT" \
		"$PG_TOKEN" secret app- 1 "$PG_HOT_KEYS" 8 >/dev/null ||
		die "loading secrets on PostgreSQL failed"
}

# The baseline's table and statement: Coffer's own (storage/postgres.c),
# with values the size of what Coffer stores for the bench's secrets.
pg_baseline_setup() {
	local size hex
	size=$(pg_psql coffer "SELECT coalesce(round(avg(octet_length(value))),
		300) FROM coffer_store WHERE key LIKE '%app-%'")
	hex=$(head -c "$size" /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	pg_psql coffer "CREATE TABLE bench_kv (key TEXT COLLATE \"C\" PRIMARY
		KEY, value BYTEA NOT NULL)" >/dev/null
	cat >"$PG_DIR/upsert.sql" <<SQL
\\set k random(1, 100000)
INSERT INTO bench_kv (key, value) VALUES ('w-' || :k, '\\x$hex'::bytea) ON CONFLICT (key) DO UPDATE SET value = excluded.value;
SQL
	chmod 644 "$PG_DIR/upsert.sql"
	log "pgbench upserts $size-byte values (Coffer's mean for its secrets)"
}

# pg_pgbench_run CLIENTS: warm-up, then the measured run; RESULT as wrk_run's
# ("rate 0 0 failures": pgbench gives no percentiles without a log).
pg_pgbench_run() {
	local c=$1 bench
	bench=$(pg_pgbench)
	run_child taskset -c "$LOAD_CPU" $PG_AS "$bench" -n -M prepared \
		-c "$c" -j 1 -T "$WARMUP" -f "$PG_DIR/upsert.sql" -h 127.0.0.1 \
		-p "$PG_PORT" -U coffer coffer >/dev/null 2>&1 ||
		die "pgbench failed"
	run_child taskset -c "$LOAD_CPU" $PG_AS "$bench" -n -M prepared \
		-c "$c" -j 1 -T "$MEASURE" -f "$PG_DIR/upsert.sql" -h 127.0.0.1 \
		-p "$PG_PORT" -U coffer coffer >"$DIR/pgbench.out" 2>&1 ||
		die "pgbench failed; see $DIR/pgbench.out"
	RESULT=$(awk '/^tps = / { tps = $3 }
		/^number of failed transactions:/ { failed = $5 }
		END { if (tps != "") printf "%s 0 0 %d\n", tps, failed }' \
		"$DIR/pgbench.out")
	[ -n "$RESULT" ] || die "pgbench printed no rate; see $DIR/pgbench.out"
}

pg_rows() {
	local r c v pga pgs
	if ! pg_found; then
		log "PostgreSQL rows skipped: no initdb/pg_ctl or pgbench" \
			"(Debian: postgresql, postgresql-contrib)"
		return 0
	fi
	port_free "$PG_PORT" || die "port $PG_PORT is in use"
	port_free "$PG_ACTIVE_PORT" || die "port $PG_ACTIVE_PORT is in use"
	port_free "$PG_STANDBY_PORT" || die "port $PG_STANDBY_PORT is in use"
	pga=http://127.0.0.1:$PG_ACTIVE_PORT
	pgs=http://127.0.0.1:$PG_STANDBY_PORT
	log "PostgreSQL: private cluster, an active and a standby Coffer"
	pg_start
	pg_cluster
	pg_baseline_setup

	export BENCH_KEYS=100000
	for r in $(seq 1 "$ROUNDS"); do
		for c in 8 32; do
			pg_pgbench_run "$c"
			record "pg-w-c$c" baseline "$r" "$RESULT" 0
			v=$RESULT
			BENCH_TOKEN=$PG_TOKEN wrk_run write.lua "$pga/" "$c"
			record "pg-w-c$c" subject "$r" "$RESULT" \
				"$(hwm_kib "$PG_ACTIVE_PID")"
			log "pg write c=$c round $r: pgbench ${v%% *}," \
				"coffer ${RESULT%% *}/s"
		done
	done

	export BENCH_KEYS=$PG_HOT_KEYS
	for r in $(seq 1 "$ROUNDS"); do
		BENCH_TOKEN=$PG_TOKEN wrk_run read.lua "$pga/" "$CONNS"
		record pg-read-standby baseline "$r" "$RESULT" \
			"$(hwm_kib "$PG_ACTIVE_PID")"
		v=$RESULT
		BENCH_TOKEN=$PG_TOKEN wrk_run read.lua "$pgs/" "$CONNS"
		record pg-read-standby subject "$r" "$RESULT" \
			"$(hwm_kib "$PG_STANDBY_PID")"
		log "pg read round $r: active ${v%% *}," \
			"through the standby ${RESULT%% *} req/s"
	done
}

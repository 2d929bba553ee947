# shellcheck shell=bash
# bench/rows-db.sh - W6, dynamic PostgreSQL credentials: sourced by
# bench/run.sh, which calls db_rounds (and stop_pg on exit).
#
# A private PostgreSQL (initdb and pg_ctl in a fresh folder under /tmp, on
# 127.0.0.1:PG_PORT, trust authentication, fsync and synchronous_commit
# on) runs pinned to SERVER_CPU like every server under test. Two rows,
# each against pgbench running the statements Coffer's database engine
# sends PostgreSQL for the same work, at the same client count (W6_CONNS):
#
#  - issue: GET /v1/database/creds/bench (wrk, creds.lua) against
#    bench/w6_issue.sql, both bounded by time;
#  - revoke: PUT /v1/sys/leases/revoke of exactly the leases the issue run
#    made (wrk, revoke.lua) against bench/w6_revoke.sql dropping exactly
#    the users its issue run made, both bounded by count.
#
# Coffer and PostgreSQL share SERVER_CPU in the subject runs, as
# PostgreSQL alone does in the baseline runs: the ratio is what Coffer adds
# to the database's own work, on the same core.
#
# The role grants a group role ("GRANT bench_app TO user") rather than
# table privileges: "GRANT SELECT ON ALL TABLES IN SCHEMA public" from
# several clients at once fails with "tuple concurrently updated" in
# PostgreSQL itself (each GRANT rewrites the table's ACL row), and so does
# the engine's default revocation (REVOKE ... ON ALL TABLES, REVOKE USAGE ON
# SCHEMA); pgbench shows the same errors with the same statements, so
# neither side could be measured with them.

PG_BIN=""
PG_AS=()

# psql_admin DB SQL: runs SQL as the cluster's superuser.
psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U coffer \
		-d "$1" -c "$2" >/dev/null
}

# Starts the private PostgreSQL; returns 1 when it is not installed.
start_pg() {
	PG_BIN=$(find /usr/lib/postgresql -maxdepth 3 -name pg_ctl \
		-path '*/bin/*' 2>/dev/null | sort -V | tail -1)
	PG_BIN=${PG_BIN%/pg_ctl}
	if [ -z "$PG_BIN" ] || ! command -v pgbench >/dev/null ||
		! command -v psql >/dev/null; then
		return 1
	fi
	port_free "$PG_PORT" || die "port $PG_PORT is in use"
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-pg.XXXXXX")
	if [ "$(id -u)" = 0 ]; then
		# PostgreSQL refuses to run as root.
		id postgres >/dev/null 2>&1 || return 1
		chown postgres "$PG_DIR"
		PG_AS=(runuser -u postgres --)
	fi
	"${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U coffer \
		--auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$DIR/pg-initdb.log" 2>&1 ||
		die "initdb failed; see $DIR/pg-initdb.log"
	printf '%s\n' "fsync = on" "synchronous_commit = on" \
		"max_connections = 100" >>"$PG_DIR/data/postgresql.conf"
	taskset -c "$SERVER_CPU" "${PG_AS[@]}" "$PG_BIN/pg_ctl" \
		-D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
		-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" \
		start >/dev/null || die "PostgreSQL did not start; see $PG_DIR/log"
	psql_admin postgres "CREATE DATABASE bench"
	psql_admin bench "CREATE TABLE app (id int PRIMARY KEY, v text);
		CREATE ROLE bench_app NOLOGIN;
		GRANT SELECT ON app TO bench_app"
}

# Stops the private PostgreSQL, if one runs, and deletes its folder.
stop_pg() {
	if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
		"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate \
			-w stop >/dev/null 2>&1 || true
	fi
	if [ -n "$PG_DIR" ]; then
		rm -rf "$PG_DIR"
		PG_DIR=""
	fi
}

# Mounts the database engine at database/, with one connection (pool as
# large as the client count) and the role "bench".
db_configure() {
	api POST sys/mounts/database '{"type":"database"}' >/dev/null
	api POST database/config/pg "{\"plugin_name\":\"postgresql-database-plugin\",\"connection_url\":\"postgresql://coffer@127.0.0.1:$PG_PORT/bench?sslmode=disable\",\"allowed_roles\":[\"bench\"],\"max_open_connections\":$W6_CONNS}" >/dev/null
	cat >"$DIR/w6-role.json" <<'JSON'
{"db_name": "pg",
 "creation_statements": [
  "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
  "GRANT \"bench_app\" TO \"{{name}}\";"],
 "revocation_statements": [
  "REVOKE \"bench_app\" FROM \"{{name}}\";",
  "DROP ROLE IF EXISTS \"{{name}}\";"],
 "default_ttl": "1h", "max_ttl": "24h"}
JSON
	api POST database/roles/bench "@$DIR/w6-role.json" >/dev/null
}

# pgbench_run SCRIPT PREFIX LIMIT...: pgbench with W6_CONNS clients on
# LOAD_CPU, role names PREFIX<client * 10^9 + n>, LIMIT "-T secs" or
# "-t count". Sets RESULT to "tps p50_us p99_us errors" (latencies from
# pgbench's per-transaction log; errors: failed transactions plus aborted
# clients) and PG_MIN to the fewest transactions one client completed.
pgbench_run() {
	local script=$1 prefix=$2 tps failed aborted
	shift 2
	rm -f "$DIR"/pgbench.log*
	run_child taskset -c "$LOAD_CPU" pgbench -n -M simple -h 127.0.0.1 \
		-p "$PG_PORT" -U coffer -c "$W6_CONNS" -j 1 "$@" \
		-D p="$prefix" -D n=0 -f "$ROOT/bench/$script" --log \
		--log-prefix="$DIR/pgbench.log" bench >"$DIR/pgbench.out" 2>&1 ||
		true
	tps=$(sed -n 's/^tps = \([0-9]*\.\{0,1\}[0-9]\{0,1\}\).*/\1/p' \
		"$DIR/pgbench.out")
	[ -n "$tps" ] || die "pgbench printed no result; see $DIR/pgbench.out"
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' \
		"$DIR/pgbench.out")
	aborted=$(grep -c 'aborted' "$DIR/pgbench.out" || true)
	# Log lines: client_id transaction_no latency_us script_no epoch us
	RESULT=$(cat "$DIR"/pgbench.log* | awk '{ print $3 }' | sort -n |
		awk -v tps="$tps" -v err=$((${failed:-0} + aborted)) '
		{ d[NR] = $1 }
		END { printf "%s %d %d %d\n", tps, d[int(NR * 0.50 + 0.5)],
			d[int(NR * 0.99 + 0.5)], err }')
	PG_MIN=$(cat "$DIR"/pgbench.log* | awk -v c="$W6_CONNS" '
		{ n[$1]++ }
		END { m = -1; k = 0
			for (i in n) { k++; if (m < 0 || n[i] < m) m = n[i] }
			print (k < c || m < 0) ? 0 : m }')
}

# wrk_creds IDS SECONDS: database/creds/bench for SECONDS, lease ids of the
# answers appended to IDS.
wrk_creds() {
	: >"$1"
	BENCH_IDS=$1 BENCH_PATH=/v1/database/creds/bench \
		wrk_once creds.lua "$COFFER/" "$W6_CONNS" "$2"
}

# wrk_revoke IDS: revokes every lease in IDS once; -d is only a cap.
wrk_revoke() {
	local cap=$((10 * MEASURE > 120 ? 10 * MEASURE : 120))
	[ -s "$1" ] || die "no lease ids in $1: database/creds issued none"
	BENCH_IDS=$1 wrk_once revoke.lua "$COFFER/" "$W6_CONNS" "$cap"
}

db_rounds() {
	local r v kw km
	if ! start_pg; then
		log "W6 skipped: PostgreSQL (postgresql, its pgbench and psql)" \
			"is not installed, or there is no postgres user"
		return
	fi
	db_configure
	for r in $(seq 1 "$ROUNDS"); do
		# Issue: pgbench, then Coffer; warm-up runs make users too, and
		# the revoke runs drop them first, unmeasured.
		kw=0
		: >"$DIR/ids-w"
		if [ "$WARMUP" != 0 ]; then
			pgbench_run w6_issue.sql "w6-$r-w-" -T "$WARMUP"
			kw=$PG_MIN
		fi
		pgbench_run w6_issue.sql "w6-$r-m-" -T "$MEASURE"
		km=$PG_MIN
		record w6-issue baseline "$r" "$RESULT" 0
		v=$RESULT
		if [ "$WARMUP" != 0 ]; then
			wrk_creds "$DIR/ids-w" "$WARMUP"
		fi
		wrk_creds "$DIR/ids-m" "$MEASURE"
		record w6-issue subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "w6 issue round $r: pgbench ${v%% *}/s," \
			"coffer ${RESULT%% *}/s"
		# Revoke: exactly what each issue run made (pgbench: the
		# fewest one client made, for every client).
		[ "$km" -gt 0 ] || die "a pgbench client made no user;" \
			"see $DIR/pgbench.out"
		if [ "$kw" -gt 0 ]; then
			pgbench_run w6_revoke.sql "w6-$r-w-" -t "$kw"
		fi
		pgbench_run w6_revoke.sql "w6-$r-m-" -t "$km"
		record w6-revoke baseline "$r" "$RESULT" 0
		v=$RESULT
		if [ -s "$DIR/ids-w" ]; then
			wrk_revoke "$DIR/ids-w"
		fi
		wrk_revoke "$DIR/ids-m"
		record w6-revoke subject "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "w6 revoke round $r: pgbench ${v%% *}/s," \
			"coffer ${RESULT%% *}/s"
	done
	# The users whose answers wrk did not wait for at the end of a run.
	api PUT sys/leases/revoke-prefix/database/ >/dev/null
	api DELETE sys/mounts/database >/dev/null
	stop_pg
}

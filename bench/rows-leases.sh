# shellcheck shell=bash
# bench/rows-leases.sh - W7 (the lease-expiry storm) and W8 (restart to
# serving at scale): sourced by bench/run.sh, which calls lease_rounds
# last, since it restarts the server.
#
# One population of leases serves both rows, because making them is the
# slow part: BENCH_LEASES orphan service tokens (each one a lease of the
# server's lease manager), made through the API by lease_load.c over
# LEASE_CONNS connections, every one asking for the TTL that ends at the
# same second, DUE. DUE is planned from a short calibration load so that
# the load, W8's restarts and the quiet reads all fit before it:
#
#   load N leases | W8: ROUNDS x (stop; cold scan; cold restart to the
#   first read) | quiet paced reads, ROUNDS | wait | DUE: paced reads
#   during the storm while sqlite_lease watches the leases drain | the raw
#   SQLite delete loop over as many rows, ROUNDS
#
# The storm happens once (a second one would need another N leases), so
# W7's subject has one round; its baselines have ROUNDS.

LEASE_CONNS=${LEASE_CONNS:-16}
LEASE_PREFIX=sys/expire/id/auth/token/create-orphan/
SCAN_MODE=warm

note() {
	log "$*"
	printf '%s\n' "$*" >>"$DIR/notes"
}

# Drops the page cache (and dentries, inodes) so that the next scan or
# start reads from disk; without root, or with BENCH_DROP_CACHES=0, they
# run warm and the table says so.
drop_caches() {
	SCAN_MODE=warm
	[ "$BENCH_DROP_CACHES" = 1 ] || return 0
	sync
	if { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		SCAN_MODE=cold
	fi
}

# Seconds (fractional) since the epoch.
now_s() {
	date +%s.%N
}

# Budgets (seconds) for one W8 round, planned before the load: a restart
# restores every lease, a scan reads them all. Generous on purpose: time
# left over is waited out, time missing cuts rounds.
restart_budget() {
	echo $((5 + BENCH_LEASES / 10000))
}
scan_budget() {
	echo $((2 + BENCH_LEASES / 50000))
}

# lease_load COUNT DUE STOP_AT: makes up to COUNT leases due at DUE; sets
# MADE and LOAD_S.
lease_load() {
	local rc=0
	run_child taskset -c "$LOAD_CPU" "$HELPERS/lease_load" "$COFFER_PORT" \
		"$TOKEN" "$1" "$LEASE_CONNS" "$2" "$3" >"$DIR/lease_load.out" ||
		rc=$?
	if [ $rc != 0 ] && [ $rc != 3 ]; then
		server_state
		die "loading leases failed; see $DIR/coffer.log"
	fi
	MADE=$(sed -n 's/^made=\([0-9]*\) .*/\1/p' "$DIR/lease_load.out")
	LOAD_S=$(sed -n 's/.* seconds=\([0-9.]*\)$/\1/p' "$DIR/lease_load.out")
}

# One W8 round: stop the server; the raw scan of its lease entries (the
# baseline); the server started again, unsealed and asked for a secret
# until it answers 200 (the subject: exec to that answer).
w8_round() {
	local r=$1 t0 t1 tries=0 code
	stop_coffer
	drop_caches
	run_child taskset -c "$SERVER_CPU" "$HELPERS/sqlite_lease" scan \
		"$DIR/coffer.db" sys/expire/id/ >"$DIR/scan.out" ||
		die "the lease scan failed"
	W8_LEASES=$(sed -n 's/^rows=\([0-9]*\) .*/\1/p' "$DIR/scan.out")
	record w8-restart baseline "$r" \
		"$(sed -n 's/.* seconds=\([0-9.]*\)$/\1/p' "$DIR/scan.out") 0 0 0" 0
	printf '%s\n' "$SCAN_MODE" >"$DIR/scan_mode"
	drop_caches
	t0=$(now_s)
	launch_coffer
	unseal_coffer
	until code=$(curl -s -o /dev/null -w '%{http_code}' \
		-H "X-Vault-Token: $TOKEN" "$COFFER/v1/secret/data/app-1") &&
		[ "$code" = 200 ]; do
		tries=$((tries + 1))
		[ $tries -lt 30000 ] || die "no read served after the restart"
		sleep 0.01
	done
	t1=$(now_s)
	record w8-restart subject "$r" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') 0 0 0" \
		"$(hwm_kib "$COFFER_PID")"
	log "w8 round $r: $SCAN_MODE scan of $W8_LEASES leases" \
		"$(sed -n 's/.* seconds=\([0-9.]*\)$/\1/p' "$DIR/scan.out") s," \
		"restart to first read $(awk -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.2f", b - a }') s"
}

# Sets PACED_RATE to the paced rows' rate (half of W1's), measuring W1
# once now if it did not run.
paced_rate() {
	if [ ! -s "$DIR/fixed_rate" ]; then
		export BENCH_KEYS=$W1_KEYS
		wrk_run read.lua "$COFFER/" "$CONNS"
		awk -v x="${RESULT%% *}" 'BEGIN { printf "%d\n", x / 2 }' \
			>"$DIR/fixed_rate"
	fi
	[ -s "$DIR/uris-coffer" ] || paced_uris
	PACED_RATE=$(cat "$DIR/fixed_rate")
}

# The storm: paced reads from DUE - WARMUP (the measured window starts at
# DUE) while sqlite_lease watches the storm's leases drain.
storm() {
	local rate=$1 due=$2 wait cap out drained left elapsed errors=0 hwm h2
	wait=$(awk -v d="$due" -v n="$(now_s)" -v w="$WARMUP" \
		'BEGIN { x = d - w - n; print (x > 0 ? x : 0) }')
	if [ "$wait" = 0 ]; then
		note "W7: the storm was due before the read window could start" \
			"(the load or W8 ran past their budget)"
	fi
	log "waiting ${wait%.*} s for the leases to fall due"
	run_child sleep "$wait"
	cap=${LEASE_STORM_CAP:-$((60 + MADE / 1000))}
	taskset -c "$LOAD_CPU" "$HELPERS/sqlite_lease" watch "$DIR/coffer.db" \
		"$LEASE_PREFIX" "$due" "$cap" >"$DIR/watch.out" &
	WATCH_PID=$!
	h2load_run "$DIR/uris-coffer" "$rate" "$CONNS"
	h2=$(hwm_kib "$COFFER_PID")
	record w7-read subject 1 "$RESULT" "$h2"
	log "w7 reads during the storm: p99 $(echo "$RESULT" | cut -d' ' -f3) us"
	wait "$WATCH_PID" || die "watching the storm failed"
	WATCH_PID=""
	out=$(cat "$DIR/watch.out")
	drained=$(printf '%s' "$out" | sed -n 's/^drained_s=\([-0-9.]*\) .*/\1/p')
	left=$(printf '%s' "$out" | sed -n 's/.*remaining=\([0-9]*\).*/\1/p')
	if [ "$drained" = -1 ]; then
		elapsed=$(printf '%s' "$out" | sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p')
		errors=$left
		note "W7: $left of $MADE leases were still there $cap s after" \
			"they fell due (LEASE_STORM_CAP); the rate counts the rest"
	else
		elapsed=$drained
	fi
	# VmHWM is not quite monotonic (the kernel folds the current RSS into
	# it lazily, so a shrink can hide a peak): keep the larger reading.
	hwm=$(hwm_kib "$COFFER_PID")
	hwm=$((hwm > h2 ? hwm : h2))
	record w7-expiry subject 1 "$(awk -v n="$((MADE - left))" \
		-v s="$elapsed" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }') 0 0 $errors" \
		"$hwm"
	record w7-rss subject 1 "0 0 0 0" "$hwm"
	log "w7: $((MADE - left)) leases expired in $elapsed s"
	if awk -v s="$elapsed" -v m="$MEASURE" 'BEGIN { exit !(s < m) }'; then
		note "W7: the storm was over ${elapsed} s into the ${MEASURE} s" \
			"read window; the rest of the window read a quiet server"
	fi
}

lease_rounds() {
	local rate cal cal_due due stop_at budget per r secs
	paced_rate
	rate=$PACED_RATE
	ensure_secrets "$BENCH_LEASES"
	printf '%s\n' "$LOADED_SECRETS" >"$DIR/w8_secrets"

	# Calibration: a few leases due at once, gone before the real load.
	cal=$((BENCH_LEASES / 20 < 2000 ? BENCH_LEASES / 20 : 2000))
	cal=$((cal < 100 ? 100 : cal))
	secs=$(date +%s)
	cal_due=$((secs + 5))
	lease_load "$cal" "$cal_due" $((secs + 4))
	per=$(awk -v m="$MADE" -v s="$LOAD_S" 'BEGIN { printf "%d", m / s }')
	[ "$per" -gt 0 ] || die "the calibration load made no lease"
	budget=$((ROUNDS * ($(restart_budget) + $(scan_budget) + WARMUP +
		MEASURE) + 20))
	secs=$(date +%s)
	# The full load runs slower than the short calibration (a growing
	# database, and on a shared machine whatever else runs): 1.6 x.
	due=$((secs + BENCH_LEASES * 16 / 10 / per + 10 + budget))
	stop_at=$((due - budget * 3 / 4))
	log "making $BENCH_LEASES leases due at $(date -d "@$due" +%T)" \
		"(calibration: $per/s; $budget s planned after the load)"
	lease_load "$BENCH_LEASES" "$due" "$stop_at"
	printf '%s\n' "$MADE" >"$DIR/leases_made"
	awk -v m="$MADE" -v s="$LOAD_S" 'BEGIN { printf "%.1f\n", m / s }' \
		>"$DIR/lease_load_rate"
	log "made $MADE leases in $LOAD_S s ($(cat "$DIR/lease_load_rate")/s)"
	if [ "$MADE" -lt "$BENCH_LEASES" ]; then
		note "W7/W8: the load was slower than planned; $MADE of" \
			"$BENCH_LEASES leases made"
	fi

	# A small load can end before the calibration's leases are gone; they
	# must not be counted with the storm's, nor restored by W8.
	while [ "$(date +%s)" -lt $((cal_due + 3)) ]; do
		run_child sleep 0.5
	done
	for r in $(seq 1 "$ROUNDS"); do
		if [ "$r" -gt 1 ] && [ $(($(date +%s) + $(restart_budget) +
			$(scan_budget) + WARMUP + MEASURE + 5)) -gt "$due" ]; then
			note "W8: $((r - 1)) of $ROUNDS rounds (no time left" \
				"before the storm)"
			break
		fi
		w8_round "$r"
	done
	printf '%s\n' "$W8_LEASES" >"$DIR/w8_leases"
	for r in $(seq 1 "$ROUNDS"); do
		if [ "$r" -gt 1 ] &&
			[ $(($(date +%s) + WARMUP + MEASURE + 2)) -gt "$due" ]; then
			note "W7: $((r - 1)) of $ROUNDS quiet rounds (no time" \
				"left before the storm)"
			break
		fi
		h2load_run "$DIR/uris-coffer" "$rate" "$CONNS"
		record w7-read baseline "$r" "$RESULT" "$(hwm_kib "$COFFER_PID")"
		log "w7 quiet round $r at $rate req/s: p99" \
			"$(echo "$RESULT" | cut -d' ' -f3) us"
	done
	storm "$rate" "$due"
	if [ "$ROUNDS" -gt 1 ]; then
		note "W7: one storm (a second would need another $MADE leases);" \
			"its baselines ran $ROUNDS rounds"
	fi
	for r in $(seq 1 "$ROUNDS"); do
		rm -f "$DIR"/raw-lease.db*
		run_child taskset -c "$SERVER_CPU" "$HELPERS/sqlite_lease" expire \
			"$DIR/raw-lease.db" "$MADE" >"$DIR/raw-lease.out" ||
			die "the raw SQLite delete loop failed"
		record w7-expiry baseline "$r" "$(sed -n \
			's/^rows_per_s=\([0-9.]*\) .*/\1/p' "$DIR/raw-lease.out") 0 0 0" 0
		log "w7 raw SQLite delete loop round $r:" \
			"$(sed -n 's/^rows_per_s=\([0-9.]*\) .*/\1/p' \
				"$DIR/raw-lease.out") rows/s"
	done
	rm -f "$DIR"/raw-lease.db*
}

#!/bin/sh
# Installs what the benchmark needs and the build does not: the load
# generators (wrk, h2load), the baseline server (nginx-light), SQLite's
# headers for the raw-commit baseline, and PostgreSQL (its server, psql and
# pgbench) for the W6 rows. Only from Debian's archive.
#
# Kept apart from scripts/install-deps.sh on purpose: the test path (make
# check, CI) never installs or starts nginx. Debian starts an installed
# nginx on port 80 unless policy-rc.d forbids it, so this stops it again if
# it did: the benchmark runs its own nginx, on loopback, with its own
# configuration. The same goes for the PostgreSQL cluster Debian makes and
# starts on port 5432: the benchmark runs a private one.
set -eu

want="wrk nginx-light nghttp2-client libsqlite3-dev gcc curl python3
iproute2 procps postgresql"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ -f /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
	echo "stopping the nginx that the package started"
	nginx -s stop 2>/dev/null || true
fi
case " $missing " in
*" postgresql "*)
	echo "stopping the PostgreSQL cluster that the package started"
	service postgresql stop >/dev/null 2>&1 || true
	;;
esac

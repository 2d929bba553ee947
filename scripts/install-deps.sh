#!/bin/sh
# Installs the Debian packages Coffer needs that are missing.
#   scripts/install-deps.sh build   what building the server needs
#   scripts/install-deps.sh test    that, plus what the test suite runs
# Nothing is downloaded from anywhere but Debian's archive.
set -eu

build="build-essential cmake pkg-config libssl-dev libjansson-dev
libsqlite3-dev libcurl4-openssl-dev libevent-dev libgfshare-dev libpq-dev
libargon2-dev libmariadb-dev"
test="$build libcmocka-dev clang libclang-rt-14-dev python3 python3-hvac ansible
python3-cryptography python3-requests
openssl sqlite3 fiu-utils nodejs npm rsyslog postgresql mariadb-server"

case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

# A node from elsewhere (NodeSource's nodejs, which bundles npm and
# conflicts with Debian's npm package) counts as present: asking apt for
# Debian's npm would remove it. The tests run on Debian 12's node 18 too.
present() {
	case $1 in
	nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
	npm) command -v npm >/dev/null 2>&1 && return 0 ;;
	esac
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
		grep -q "install ok installed"
}

missing=""
for p in $want; do
	present "$p" || missing="$missing $p"
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

#!/bin/sh
# Starts a single Coffer server on the embedded SQLite storage in ./data,
# initialising it on the first run, unsealing it, and staying in the
# foreground until Ctrl-C.
#
# The first run writes the unseal key and the root token to
# data/init.txt (mode 0600). That is convenient on a workstation and wrong
# for production, where the key shares go to different people.
set -eu
cd "$(dirname "$0")/.."

bin=./build/coffer
data=${COFFER_DATA:-./data}
addr=${COFFER_LISTEN:-127.0.0.1:8200}
mkdir -p "$data"
chmod 700 "$data"

if [ ! -f "$data/coffer.hcl" ]; then
	cat >"$data/coffer.hcl" <<CONF
storage "sqlite" {
  path = "$(cd "$data" && pwd)/coffer.db"
}
listener "tcp" {
  address     = "$addr"
  tls_disable = true
}
CONF
fi

"$bin" server -config="$data/coffer.hcl" &
server=$!
trap 'kill $server 2>/dev/null; wait $server' INT TERM

export VAULT_ADDR="http://$addr"
tries=0
until "$bin" status >/dev/null 2>&1 || [ $? -eq 2 ]; do
	tries=$((tries + 1))
	if [ $tries -gt 100 ] || ! kill -0 $server 2>/dev/null; then
		echo "the server did not come up" >&2
		exit 1
	fi
	sleep 0.1
done

if [ ! -f "$data/init.txt" ]; then
	(umask 077 && "$bin" operator init -key-shares=1 -key-threshold=1 \
		>"$data/init.txt")
fi
key=$(sed -n 's/^Unseal Key 1: //p' "$data/init.txt")
token=$(sed -n 's/^Initial Root Token: //p' "$data/init.txt")
"$bin" operator unseal "$key" >/dev/null

cat <<MSG

Coffer is running on SQLite at $data/coffer.db and is unsealed.

    export VAULT_ADDR='$VAULT_ADDR'
    export VAULT_TOKEN='$token'
    ./build/coffer secrets enable -path=secret -version=2 kv
    echo '{"data": {"who": "world"}}' | ./build/coffer write secret/data/hello -
    ./build/coffer read secret/data/hello

The unseal key and root token are in $data/init.txt. Ctrl-C stops.
MSG
wait $server

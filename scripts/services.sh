#!/usr/bin/env bash
# What `make test` needs on the machine, installed and started from nothing (make services):
# PostgreSQL (127.0.0.1:5432, trust auth for local TCP) for the records and tracker-store tests,
# Redis (127.0.0.1:6379) for the rate limit and `make bench`, Debian's nginx for the cluster,
# Chromium for the browser tests, Node.js and npm for the web chat, and the British English word
# list (bot/nlp/names.py). Installs what is missing with apt-get as root (or with sudo when it
# asks for no password), starts what is stopped; otherwise says exactly what to install.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
  can_root=1
  root() { "$@"; }
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  can_root=1
  root() { sudo -n "$@"; }
else
  can_root=""
  root() { "$@"; }
fi

updated=""
install() {
  if [ -z "$can_root" ]; then
    echo "make test needs these Debian packages: $*" >&2
    echo "install them (sudo apt-get install $*), or run make test as root" >&2
    exit 1
  fi
  if [ -z "$updated" ]; then root apt-get update -q; updated=1; fi
  root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

echo "== PostgreSQL"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    install postgresql
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    # Trust local TCP connections for the test user, as on the developers' machines.
    root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' \
      "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || {
  echo "start PostgreSQL on 127.0.0.1:5432 (sudo pg_ctlcluster <version> main start)" >&2
  exit 1
}

echo "== Redis, nginx, Chromium, npm, the word list"
need=()
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/dict/british-english ] || need+=(wbritish)
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then install "${need[@]}"; fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  dir=/var/lib/redis log=/var/log/redis
  if [ -z "$can_root" ]; then dir=${TMPDIR:-/tmp}/infoshare-redis log=$dir; fi
  root mkdir -p "$dir" "$log"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$log/infoshare.log"
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping
/usr/sbin/nginx -v
/usr/bin/chromium --version 2>/dev/null || true

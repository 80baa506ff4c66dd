#!/usr/bin/env bash
# pg-test-server.sh -- a throwaway PostgreSQL server for the tests and benchmarks.
#
#   scripts/pg-test-server.sh start DIR     initdb in DIR/data, start on 127.0.0.1 at a free
#                                           port, create role and database "hpsearch" with
#                                           a random password; prints the URL (also in DIR/url)
#   scripts/pg-test-server.sh stop DIR      stop the server (fast) and remove DIR
#   scripts/pg-test-server.sh restart DIR [fast|immediate]
#                                           restart on the same port (immediate = crash)
#   scripts/pg-test-server.sh url DIR       print the URL of a started server
#
# Nothing outside DIR is touched: the server listens on loopback only, keeps its socket
# and log in DIR, and runs as the invoking user -- or, when that is root (initdb refuses
# to run as root), as the 'postgres' system user of Debian's postgresql package.
# Settings are PostgreSQL's defaults (fsync and synchronous commit on), so what the
# tests and benchmarks see is what a real server does; only max_connections is raised
# for the 16-worker load test.
set -euo pipefail

die() {
    echo "pg-test-server.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$(realpath -m "$2")
# the server's owner may not be allowed into the caller's directory
cd /

pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    if command -v initdb > /dev/null && command -v pg_ctl > /dev/null; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

# Runs a command as the server's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    /usr/bin/python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

start() {
    local bin
    bin=$(pg_bindir) || die "PostgreSQL server binaries not found (apt-get install postgresql)"
    if [ "$(id -u)" -eq 0 ] && ! id postgres > /dev/null 2>&1; then
        die "running as root needs the 'postgres' user (apt-get install postgresql)"
    fi
    mkdir -p "$dir"
    [ -e "$dir/data" ] && die "$dir/data exists: stop that server first"
    local port password
    port=$(free_port)
    password=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(12))')
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        # the owner must reach DIR through its parents (mktemp dirs are 0700)
        chmod 0755 "$dir"
    fi
    local pwfile="$dir/.pw"
    (umask 077 && printf '%s\n' "$password" > "$pwfile")
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" -A scram-sha-256 \
        -E UTF8 --locale=C > "$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    cat >> "$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
logging_collector = off
EOF
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start > /dev/null || {
        cat "$dir/server.log" >&2
        die "the server did not start"
    }
    PGPASSWORD=$password "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres \
        -d postgres <<EOF > /dev/null
CREATE ROLE hpsearch LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE hpsearch OWNER hpsearch;
EOF
    rm -f "$pwfile"
    echo "postgresql://hpsearch:$password@127.0.0.1:$port/hpsearch" > "$dir/url"
    echo "$bin" > "$dir/bindir"
    cat "$dir/url"
}

stop() {
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        local bin
        bin=$(cat "$dir/bindir" 2>/dev/null || pg_bindir)
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop > /dev/null 2>&1 ||
            as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

restart() {
    local mode=${1:-fast}
    case "$mode" in fast | immediate) ;; *) die "restart mode is fast or immediate" ;; esac
    [ -f "$dir/bindir" ] || die "no server in $dir"
    local bin
    bin=$(cat "$dir/bindir")
    as_owner "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop > /dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start > /dev/null
}

case "$cmd" in
start) start ;;
stop) stop ;;
restart) restart "${3:-fast}" ;;
url) cat "$dir/url" ;;
*) usage ;;
esac

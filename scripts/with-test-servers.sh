#!/usr/bin/env bash
# with-test-servers.sh COMMAND [ARGS...] -- runs COMMAND with a throwaway PostgreSQL
# server and a single-node Slurm cluster around it, and stops both when it ends, however
# it ends.
#
# COMMAND sees HPS_TEST_POSTGRES_URL and HPS_TEST_POSTGRES_DIR (for restarts: see
# scripts/pg-test-server.sh), and HPS_TEST_SLURM_CONF. A server that cannot start (no
# packages, not root for Slurm's daemons) is left out with a note, and the tests that
# need it print SKIP -- unless HPS_REQUIRE_TEST_SERVERS=1 (CI), which makes that an error.
# Set HPS_TEST_SERVERS=none to start nothing, or postgres / slurm for one of them.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
want=${HPS_TEST_SERVERS:-postgres,slurm}
require=${HPS_REQUIRE_TEST_SERVERS:-0}
base=$(mktemp -d /tmp/hps-servers.XXXXXX) || exit 1
chmod 0755 "$base"
pg_dir="$base/postgres"
slurm_dir="$base/slurm"

cleanup() {
    [ -d "$slurm_dir" ] && "$here/slurm-test-cluster.sh" stop "$slurm_dir" > /dev/null 2>&1
    [ -d "$pg_dir" ] && "$here/pg-test-server.sh" stop "$pg_dir" > /dev/null 2>&1
    rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

missing=0
case ",$want," in
*,postgres,*)
    if url=$("$here/pg-test-server.sh" start "$pg_dir" 2> "$base/pg.err"); then
        export HPS_TEST_POSTGRES_URL="$url" HPS_TEST_POSTGRES_DIR="$pg_dir"
        echo "with-test-servers: PostgreSQL on ${url##*@} (data in $pg_dir)" >&2
    else
        echo "with-test-servers: no PostgreSQL for the tests: $(tail -3 "$base/pg.err")" >&2
        missing=1
    fi
    ;;
esac
case ",$want," in
*,slurm,*)
    if conf=$("$here/slurm-test-cluster.sh" start "$slurm_dir" 2> "$base/slurm.err"); then
        export HPS_TEST_SLURM_CONF="$conf"
        echo "with-test-servers: Slurm cluster configured in $conf" >&2
    else
        echo "with-test-servers: no Slurm cluster for the tests: $(tail -3 "$base/slurm.err")" >&2
        missing=1
    fi
    ;;
esac
if [ "$missing" -ne 0 ] && [ "$require" = 1 ]; then
    echo "with-test-servers: HPS_REQUIRE_TEST_SERVERS=1 and a server is missing" >&2
    exit 1
fi
"$@"

#!/usr/bin/env bash
# install-deps.sh GROUP... -- installs the Debian packages hpsearch needs, once.
#
# Groups: build (compile the library and CLI), demo (run the PyTorch example),
# test (the whole test suite). Packages already installed are skipped, so running it
# again costs nothing; apt-get runs only when something is missing (as root, or
# through sudo when available).
set -euo pipefail

pkgs_build="cmake make gcc pkg-config libsqlite3-dev libjansson-dev libyaml-dev liblapacke-dev libopenblas-dev libnlopt-dev libpq-dev libmicrohttpd-dev$(command -v npm > /dev/null || printf ' nodejs npm')"
pkgs_demo="python3 python3-torch python3-sklearn python3-numpy"
pkgs_test="libcmocka-dev cppcheck python3-dev python3-setuptools python3-venv python3-pytest python3-optuna python3-pandas python3-matplotlib python3-plotly procps valgrind chromium postgresql postgresql-client python3-psycopg2 python3-xgboost python3-skorch python3-distributed slurmctld slurmd slurm-client munge"

wanted=""
for group in "$@"; do
    case "$group" in
    build) wanted="$wanted $pkgs_build" ;;
    demo) wanted="$wanted $pkgs_build $pkgs_demo" ;;
    test) wanted="$wanted $pkgs_build $pkgs_demo $pkgs_test" ;;
    *) echo "install-deps.sh: unknown group '$group' (build, demo, test)" >&2; exit 2 ;;
    esac
done

missing=""
for pkg in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo > /dev/null; then
    sudo="sudo"
else
    echo "install-deps.sh: missing packages:$missing -- install them as root (apt-get install$missing)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing

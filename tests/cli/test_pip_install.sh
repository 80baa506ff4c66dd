#!/usr/bin/env bash
# The README's way for users to get `import hpsearch`: a virtual environment that keeps
# Debian's packages, and pip building ./python without build isolation (no PyPI). The
# installed module must hold the whole engine, the GP and PostgreSQL parts included.
source "$(dirname "$0")/lib.sh"
"$PY" -m venv --system-site-packages .venv > venv.log 2>&1
expect_eq "python3 -m venv --system-site-packages" 0 $?
.venv/bin/pip install --no-build-isolation "$HPS_SOURCE_DIR/python" > pip.log 2>&1
rc=$?
expect_eq "pip install --no-build-isolation ./python" 0 $rc
[ $rc -eq 0 ] || tail -20 pip.log
out=$(cd / && "$WORK/.venv/bin/python" - <<'PYEOF' 2>&1
import hpsearch as optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
print("module", optuna.__file__)
study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=1))
study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=15)
print("gp best", study.best_value < 1e-2)
try:
    optuna.create_study(storage="postgresql://u:p@127.0.0.1:1/nothing")
except Exception as e:  # the backend is there: it tries to connect
    print("postgresql", type(e).__name__, "connect" in str(e) or "connection" in str(e))
PYEOF
)
expect_contains "the installed module is the venv's" "module $WORK/.venv/" "$out"
expect_contains "its GP sampler works" "gp best True" "$out"
expect_contains "its PostgreSQL storage is built in" "postgresql" "$out"
case "$out" in *"not in this build"*|*"no PostgreSQL"*) fail "a part is missing: $out" ;; esac
finish

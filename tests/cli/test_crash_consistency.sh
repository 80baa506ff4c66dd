#!/usr/bin/env bash
# Crash consistency under random SIGKILLs (issue #10): `hpsearch run` is started, and
# after a random short delay SIGKILL hits the run itself (then the same command is run
# again: resume), one or more of its running trainers (the run goes on and records
# them FAIL), or both. After every round the SQLite file must still hold a consistent
# study:
#   1. every trial COMPLETE before the kill is still COMPLETE with the same value;
#   2. trial numbers are unique and dense (0..n-1), and the study's counters agree;
#   3. no grid cell is COMPLETE twice (by grid position and by parameters), no cell is
#      held by two live trials, none is lost (every claimed cell is either free again
#      or held by a RUNNING/WAITING/COMPLETE trial), and each trial's parameters are
#      those of its cell;
#   4. PRAGMA integrity_check is ok;
# plus: COMPLETE trials have all parameters and the value the trainer computes from
# them, and the budget counter matches the trials that count. The first half of the
# kills hits grid studies (54 cells, retries on), the second half TPE studies with an
# n_trials budget (no retries, so the budget is exact); a study that finishes during
# its phase is checked and replaced by a fresh one. The last study of each phase is run
# to completion without interruption and checked: nothing RUNNING or WAITING after
# stale-trial recovery, every grid cell COMPLETE exactly once / the budget exactly used.
#
# HPS_CRASH_KILLS (default 15) kills; HPS_CRASH_SEED (default 20240610) seeds $RANDOM,
# which picks the delays, the victims and how many trainers die: the seed is printed so
# a failing sequence of decisions can be replayed. Timing is random; what is asserted
# holds whatever the timing. At the end, fewer kills of a grid study on a journal storage
# (see there).
source "$(dirname "$0")/lib.sh"

KILLS=${HPS_CRASH_KILLS:-15}
SEED=${HPS_CRASH_SEED:-20240610}
RANDOM=$SEED
echo "crash consistency: HPS_CRASH_KILLS=$KILLS HPS_CRASH_SEED=$SEED (work dir $WORK)"
DB=crash.db
GRID_CELLS=54 # 6 x 3 x 3
BUDGET=24

# ---- background processes: every `hpsearch run` started here is tracked by pid -------
RUN_PID=""
cleanup_procs() {
    if [ -n "$RUN_PID" ]; then
        kill -9 "$RUN_PID" 2>/dev/null
        wait "$RUN_PID" 2>/dev/null
        RUN_PID=""
    fi
    # trainers die with their hpsearch (PR_SET_PDEATHSIG)
}
eval "$(trap -p EXIT | sed "s/^trap -- '/trap -- 'cleanup_procs; /")"
trap 'cleanup_procs; exit 143' TERM
trap 'cleanup_procs; exit 130' INT

# ---- the checker: one read transaction, so a live run cannot skew the picture -------
cat > check.py <<'PYEOF'
"""check.py DB MODE [ARGS]: consistency checks of the crash test's database.
   snapshot FILE          write every COMPLETE trial (study, number, value) to FILE
   check FILE BUDGET      all invariants, and every trial of FILE still COMPLETE, same value
   final STUDY BUDGET     all invariants, plus: STUDY is finished (nothing RUNNING or
                          WAITING, every grid cell COMPLETE exactly once / budget used exactly)
   summary                counts over all studies"""
import sqlite3, sys

GRID = {"x": [0, 1, 2, 3, 4, 5], "y": [0, 1, 2], "s": [0.02, 0.06, 0.12]}
CELLS = 54
BUDGET = int(sys.argv[-1]) if sys.argv[2] in ("check", "final") else 0

db, mode = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, timeout=60, isolation_level=None)
con.execute("BEGIN")  # one snapshot for every query below (WAL: readers do not block)
q = lambda sql, *a: con.execute(sql, a).fetchall()

# A run killed in its first milliseconds (or under valgrind's slowdown) may not have
# created the schema yet: then nothing can have finished, and nothing was lost only if
# the snapshot before the kill was empty too.
if not q("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'studies'"):
    if mode == "snapshot":
        open(sys.argv[3], "w").close()
        print(0)
    elif mode == "check" and sys.argv[3] != "/dev/null" and open(sys.argv[3]).read():
        print("the database lost its schema, and with it trials that had finished")
        sys.exit(1)
    elif mode == "final":
        print(f"{sys.argv[3]}: no schema after the final run")
        sys.exit(1)
    else:
        print("no schema yet")
    sys.exit(0)

if mode == "snapshot":
    rows = q("SELECT s.name, t.number, v.value FROM trials t JOIN studies s USING (study_id)"
             " LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0"
             " WHERE t.state = 2 ORDER BY s.name, t.number")
    with open(sys.argv[3], "w") as f:
        for name, number, value in rows:
            f.write(f"{name}|{number}|{value!r}\n")
    print(len(rows))
    sys.exit(0)

if mode == "summary":
    n = dict(q("SELECT CASE WHEN state = 4 AND interrupted = 1 THEN 'interrupted'"
               " WHEN state = 4 AND system_attrs LIKE '%killed by signal 9%' THEN 'killed'"
               " ELSE CAST(state AS TEXT) END, COUNT(*) FROM trials GROUP BY 1"))
    studies = q("SELECT COUNT(*) FROM studies")[0][0]
    print(f"studies {studies} trials {sum(n.values())} complete {n.get('2', 0)}"
          f" failed {n.get('4', 0) + n.get('killed', 0)} (killed by signal 9: {n.get('killed', 0)})"
          f" interrupted {n.get('interrupted', 0)} pruned {n.get('3', 0)}"
          f" running {n.get('1', 0)} waiting {n.get('0', 0)}")
    sys.exit(0)

problems = []
bad = problems.append

ic = q("PRAGMA integrity_check")
if ic != [("ok",)]:
    bad(f"integrity_check: {ic[:5]}")
fk = q("PRAGMA foreign_key_check")
if fk:
    bad(f"foreign_key_check: {fk[:5]}")

studies = q("SELECT study_id, name, next_number, n_counted, grid_next FROM studies")
for sid, name, next_number, n_counted, grid_next in studies:
    trials = q("SELECT trial_id, number, state, interrupted, grid_pos FROM trials"
               " WHERE study_id = ? ORDER BY number", sid)
    numbers = [t[1] for t in trials]
    # 2. numbers unique and dense, counters agree
    if numbers != list(range(len(trials))):
        bad(f"{name}: trial numbers not 0..{len(trials) - 1}: {numbers}")
    if next_number != len(trials):
        bad(f"{name}: next_number {next_number} but {len(trials)} trials")
    counted = sum(1 for t in trials if not (t[2] == 4 and t[3] == 1))
    if n_counted != counted:
        bad(f"{name}: n_counted {n_counted} but {counted} trials count (not interrupted)")
    for tid, number, state, interrupted, pos in trials:
        if state not in (0, 1, 2, 3, 4):
            bad(f"{name}: trial {number} has state {state}")
        if interrupted and state != 4:
            bad(f"{name}: trial {number} interrupted but state {state}")
    params = {}
    for tid, pname, value in q("SELECT p.trial_id, p.name, p.value FROM trial_params p"
                               " JOIN trials t USING (trial_id) WHERE t.study_id = ?", sid):
        params.setdefault(tid, {})[pname] = value
    values = {}
    for tid, objective, value in q("SELECT v.trial_id, v.objective, v.value FROM trial_values v"
                                   " JOIN trials t USING (trial_id) WHERE t.study_id = ?", sid):
        values.setdefault(tid, {})[objective] = value
    for tid, number, state, interrupted, pos in trials:
        if len(params.get(tid, {})) not in (0, 3):  # a trial's parameters are stored at once
            bad(f"{name}: trial {number} (state {state}) has params {sorted(params[tid])}")
    grid = name.startswith("grid")
    # COMPLETE trials: all parameters, one value, the one the trainer computes
    for tid, number, state, interrupted, pos in trials:
        if state != 2:
            continue
        p = params.get(tid, {})
        v = values.get(tid, {})
        if sorted(p) != ["s", "x", "y"]:
            bad(f"{name}: COMPLETE trial {number} has params {sorted(p)}")
            continue
        if list(v) != [0] or v[0] is None:
            bad(f"{name}: COMPLETE trial {number} has values {v}")
            continue
        if grid:  # categorical: stored as the index; x and y values equal their index
            x, y = GRID["x"][int(p["x"])], GRID["y"][int(p["y"])]
        else:
            x, y = p["x"], p["y"]
        want = -((x - 3) ** 2) - (y - 1) ** 2 + 3  # --steps 4: the last step is 3
        if abs(v[0] - want) > 1e-3:
            bad(f"{name}: COMPLETE trial {number} value {v[0]!r}, its params give {want!r}")
    if grid:
        # 3. grid cells
        free = {r[0] for r in q("SELECT pos FROM grid_free WHERE study_id = ?", sid)}
        live, complete = {}, {}
        for tid, number, state, interrupted, pos in trials:
            if pos is None or not (0 <= pos < CELLS) or pos >= grid_next:
                bad(f"{name}: trial {number} has grid position {pos} (grid_next {grid_next})")
                continue
            p = params.get(tid)
            if p is not None and sorted(p) == ["s", "x", "y"]:
                cell = (int(p["x"]) * 3 + int(p["y"])) * 3 + int(p["s"])  # last fastest
                if cell != pos:
                    bad(f"{name}: trial {number} at grid position {pos} has the params of cell {cell}")
            if state == 2:
                complete.setdefault(pos, []).append(number)
            if state in (0, 1, 2):
                live.setdefault(pos, []).append(number)
        combos = {}
        for tid, number, state, interrupted, pos in trials:
            if state == 2 and tid in params:
                combos.setdefault(tuple(sorted(params[tid].items())), []).append(number)
        for pos, nums in complete.items():
            if len(nums) > 1:
                bad(f"{name}: grid cell {pos} COMPLETE {len(nums)} times: trials {nums}")
        for combo, nums in combos.items():
            if len(nums) > 1:
                bad(f"{name}: params {combo} COMPLETE {len(nums)} times: trials {nums}")
        for pos, nums in live.items():
            if len(nums) > 1:
                bad(f"{name}: grid cell {pos} held by {len(nums)} live trials: {nums}")
            if pos in free:
                bad(f"{name}: grid cell {pos} is free but held by trial(s) {nums}")
        for pos in range(grid_next):
            if pos not in free and pos not in live:
                bad(f"{name}: grid cell {pos} lost: neither free nor held by a live trial")
        for pos in free:
            if pos >= grid_next:
                bad(f"{name}: grid cell {pos} free but never claimed (grid_next {grid_next})")
    elif n_counted > BUDGET:
        bad(f"{name}: {n_counted} trials count against a budget of {BUDGET}")

# 1. nothing finished is lost or changed
if mode == "check":
    now = {}
    for name, number, state, value in q(
            "SELECT s.name, t.number, t.state, v.value FROM trials t JOIN studies s USING (study_id)"
            " LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0"):
        now[(name, number)] = (state, value)
    with open(sys.argv[3]) as f:
        for line in f:
            name, number, value = line.rstrip("\n").rsplit("|", 2)
            got = now.get((name, int(number)))
            if got is None or got[0] != 2 or repr(got[1]) != value:
                bad(f"{name}: trial {number} was COMPLETE with {value}, now {got}")

if mode == "final":
    name = sys.argv[3]
    rows = q("SELECT t.state, t.interrupted, t.grid_pos FROM trials t JOIN studies s USING (study_id)"
             " WHERE s.name = ?", name)
    if not rows:
        bad(f"{name}: no trials")
    left = [r for r in rows if r[0] in (0, 1)]
    if left:
        bad(f"{name}: {len(left)} trial(s) still RUNNING or WAITING after the final run")
    if name.startswith("grid"):
        cells = sorted(r[2] for r in rows if r[0] == 2)
        if cells != list(range(CELLS)):
            bad(f"{name}: COMPLETE cells are not every cell once: {cells}")
    else:
        counted = sum(1 for r in rows if not (r[0] == 4 and r[1] == 1))
        if counted != BUDGET:
            bad(f"{name}: {counted} trials count against the budget of {BUDGET} at the end")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PYEOF

# ---- studies --------------------------------------------------------------------------
# grid: 54 cells, the third parameter is the trainer's sleep per step; retries re-run a
# trial whose trainer was killed, so every cell can end COMPLETE. The test kills trainers
# on purpose, several in a row at times: max_failures 0 keeps the run's stop on a run of
# identical failures from ending a round early (a CI run stopped after 5 SIGKILLs).
make_grid() { # NAME
    write_config "$1.yaml" <<EOF2
study: $1
storage: sqlite:$DB
direction: maximize
metric: score
sampler: grid
parallel: 3
retries: 1000
max_failures: 0
command: $TRAIN --x {x} --y {y} --sleep {s} --steps 4
parameters:
  x: {values: [0, 1, 2, 3, 4, 5]}
  y: {values: [0, 1, 2]}
  s: {values: [0.02, 0.06, 0.12]}
EOF2
}
# budget: TPE with n_trials; no retries, so exactly BUDGET trials count at the end.
make_budget() { # NAME
    write_config "$1.yaml" <<EOF2
study: $1
storage: sqlite:$DB
direction: maximize
metric: score
sampler: {name: tpe, seed: 7}
n_trials: $BUDGET
parallel: 3
max_failures: 0
command: $TRAIN --x {x} --y {y} --sleep {s} --steps 4
parameters:
  x: {type: float, low: 0, high: 5}
  y: {type: int, low: 0, high: 2}
  s: {type: float, low: 0.02, high: 0.12}
EOF2
}

check_round() { # WHAT [SNAPSHOT]
    local out
    if ! out=$("$PY" check.py "$DB" check "${2:-/dev/null}" "$BUDGET" 2>&1); then
        fail "invariants broken after $1:"$'\n'"$out"
        return 1
    fi
    return 0
}

runs=0
start_run() { # CONFIG
    runs=$((runs + 1))
    "$HPSEARCH" run "$1" --no-progress > "run-$runs.out" 2>&1 &
    RUN_PID=$!
}

alive() { # PID: running (not a zombie)
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
        ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

trainers_of() { # PID: its trainer processes
    pgrep -P "$1" -f -- "$TAG" 2>/dev/null
}

sleep_ms() {
    sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"
}

# Finishes STUDY with an uninterrupted run and checks it is complete.
finish_study() { # STUDY
    local rc out
    if [ -n "$RUN_PID" ]; then
        wait "$RUN_PID" 2>/dev/null
        rc=$?
        RUN_PID=""
        [ "$rc" -eq 0 ] || fail "$1: run ended with exit code $rc (see run-$runs.out)"
    fi
    "$HPSEARCH" run "$1.yaml" --no-progress > "final-$1.out" 2>&1
    rc=$?
    expect_eq "$1: final uninterrupted run exits 0" 0 "$rc"
    if out=$("$PY" check.py "$DB" final "$1" "$BUDGET" 2>&1); then
        ok "$1: finished consistently ($(sql "$DB" "SELECT COUNT(*) FROM trials JOIN studies USING (study_id) WHERE name = '$1' AND state = 2") complete)"
    else
        fail "$1: final checks:"$'\n'"$out"
    fi
}

# ---- the kill loop ----------------------------------------------------------------------
kills=0 k_parent=0 k_workers=0 k_both=0 trainers_killed=0 rounds=0 natural_ends=0 broken=0
study_seq=0
phase=""
study=""
t0=$(date +%s.%N)
while [ "$kills" -lt "$KILLS" ]; do
    # stop at the first broken check: its state is what needs looking at
    [ "$failures" -eq 0 ] || break
    if [ ! -f "$WORK/check.py" ]; then
        fail "the work directory $WORK vanished (removed by something else)"
        break
    fi
    want_phase=grid
    [ "$kills" -ge $((KILLS / 2)) ] && want_phase=budget
    if [ "$want_phase" != "$phase" ]; then
        [ -n "$study" ] && finish_study "$study"
        phase=$want_phase
        study_seq=$((study_seq + 1))
        study="${phase}_$study_seq"
        "make_$phase" "$study"
        echo "-- phase $phase: study $study"
    fi
    [ -n "$RUN_PID" ] || start_run "$study.yaml"
    rounds=$((rounds + 1))

    # Every round draws the same five numbers, so the decisions of round N depend on the
    # seed only. A random delay: mostly within a few trials, sometimes right at
    # start-up/recovery.
    r_short=$RANDOM r_delay=$RANDOM r_action=$RANDOM r_mask=$RANDOM r_gap=$RANDOM
    if [ $((r_short % 6)) -eq 0 ]; then delay=$((r_delay % 40)); else delay=$((r_delay % 1500)); fi
    sleep_ms "$delay"
    "$PY" check.py "$DB" snapshot snapshot.txt > /dev/null 2>&1 || : > snapshot.txt

    if ! alive "$RUN_PID"; then
        # the study finished on its own: check it, then a fresh study of the same kind
        wait "$RUN_PID" 2>/dev/null
        rc=$?
        RUN_PID=""
        expect_eq "$study: run that ended by itself exits 0" 0 "$rc"
        natural_ends=$((natural_ends + 1))
        check_round "$study ended by itself" snapshot.txt || broken=$((broken + 1))
        finish_study "$study"
        study_seq=$((study_seq + 1))
        study="${phase}_$study_seq"
        "make_$phase" "$study"
        echo "-- phase $phase: study $study"
        continue
    fi

    action=$((r_action % 3)) # 0 parent, 1 trainers, 2 trainers then parent
    victims=""
    if [ "$action" -ne 0 ]; then
        # trainers: wait (briefly) until some run, then kill some of them
        for _ in $(seq 1 100); do
            victims=$(trainers_of "$RUN_PID")
            [ -n "$victims" ] || ! alive "$RUN_PID" && break
            sleep 0.02
        done
        if [ -z "$victims" ]; then
            action=0 # none ran (the run is ending): kill the run instead
        else
            # a random non-empty subset: bit i of r_mask picks the i-th trainer
            picked="" i=0
            for v in $victims; do
                [ $(((r_mask >> i) & 1)) -eq 1 ] && picked="$picked $v"
                i=$((i + 1))
            done
            if [ -z "$picked" ]; then
                set -- $victims
                shift $((r_mask % $#))
                picked=$1
            fi
            for v in $picked; do
                kill -9 "$v" 2>/dev/null && trainers_killed=$((trainers_killed + 1))
            done
        fi
    fi
    what="trainer kill"
    if [ "$action" -ne 1 ]; then
        [ "$action" -eq 2 ] && sleep_ms $((r_gap % 100))
        kill -9 "$RUN_PID" 2>/dev/null
        wait "$RUN_PID" 2>/dev/null
        rc=$?
        RUN_PID=""
        what="run kill"
        [ "$action" -eq 2 ] && what="trainer+run kill"
        if [ "$rc" -ne 137 ]; then
            # it had ended by itself just before: not a kill (resumed next round)
            expect_eq "$study: run that ended by itself exits 0" 0 "$rc"
            natural_ends=$((natural_ends + 1))
            what="run ended by itself"
            action=-1
        fi
    fi
    case $action in
    0) k_parent=$((k_parent + 1)) ;;
    1) k_workers=$((k_workers + 1)) ;;
    2) k_both=$((k_both + 1)) ;;
    esac
    [ "$action" -ge 0 ] && kills=$((kills + 1))
    echo "round $rounds: $what after $delay ms ($study)"
    check_round "round $rounds ($what after ${delay} ms, study $study)" snapshot.txt ||
        broken=$((broken + 1))
done
if [ "$failures" -eq 0 ]; then
    finish_study "$study"
else
    echo "stopped after round $rounds: replay with HPS_CRASH_SEED=$SEED HPS_CRASH_KILLS=$KILLS"
    cleanup_procs
fi
t1=$(date +%s.%N)

# every earlier study is still as it was left
out=$("$PY" check.py "$DB" check /dev/null "$BUDGET" 2>&1) && ok "all studies consistent at the end" ||
    fail "final check over all studies:"$'\n'"$out"
expect_eq "integrity" ok "$(sql "$DB" 'PRAGMA integrity_check')"
expect_eq "nothing RUNNING in any study" 0 "$(sql "$DB" 'SELECT COUNT(*) FROM trials WHERE state = 1')"

# no trainer outlived its run (PR_SET_PDEATHSIG); give the kernel time under load
for _ in $(seq 1 100); do
    pgrep -f -- "$TAG" > /dev/null || break
    sleep 0.1
done
left=$(pgrep -f -- "$TAG")
if [ -n "$left" ]; then
    fail "trainer processes survived: $left"
    kill -9 $left 2>/dev/null
else
    ok "no trainer survived"
fi

summary=$("$PY" check.py "$DB" summary)
took=$("$PY" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$t1")
[ "$broken" -eq 0 ] && held="invariants held after every round" || held="invariants BROKEN in $broken round(s)"
echo "kills: $kills (parent $k_parent, workers $k_workers, both $k_both; $trainers_killed trainer processes)," \
    "rounds: $rounds, studies that ended by themselves: $natural_ends, $held;" \
    "$summary; seed $SEED; ${took} s"

# ---- the journal storage: the same kills, fewer ----------------------------------------
# A grid study on journal:PATH, its run killed (-9) HPS_CRASH_JOURNAL_KILLS times (default
# 4) at random instants -- a kill may tear the record being written -- and resumed;
# after every kill, read through `hpsearch trials --format json`: numbers unique and
# dense, every trial COMPLETE before the kill still COMPLETE with its value, no cell
# COMPLETE twice or held by two live trials; at the end every cell COMPLETE exactly once
# and nothing RUNNING or WAITING.
JKILLS=${HPS_CRASH_JOURNAL_KILLS:-4}
make_grid jgrid
sed -i 's|^storage:.*|storage: journal:crash.journal|' jgrid.yaml
cat > jcheck.py <<'PYEOF'
"""jcheck.py SNAPSHOT MODE: MODE snapshot writes the COMPLETE trials (stdin: trials JSON)
to SNAPSHOT; check and final check the invariants against it."""
import json, sys
snap, mode = sys.argv[1], sys.argv[2]
trials = json.load(sys.stdin)
if mode == "snapshot":
    with open(snap, "w") as f:
        json.dump({t["number"]: t["values"][0] for t in trials if t["state"] == "COMPLETE"}, f)
    sys.exit(0)
bad = []
numbers = sorted(t["number"] for t in trials)
if numbers != list(range(len(numbers))):
    bad.append(f"numbers not dense and unique: {numbers}")
state = {t["number"]: t for t in trials}
for number, value in json.load(open(snap)).items():
    t = state.get(int(number))
    if t is None or t["state"] != "COMPLETE" or t["values"][0] != value:
        bad.append(f"trial {number} was COMPLETE with {value}, now {t and t['state']}")
cell = lambda t: (t["params"].get("x"), t["params"].get("y"), t["params"].get("s"))
done = [cell(t) for t in trials if t["state"] == "COMPLETE"]
live = done + [cell(t) for t in trials if t["state"] == "RUNNING" and len(t["params"]) == 3]
if len(set(done)) != len(done):
    bad.append("a cell COMPLETE twice")
if len(set(live)) != len(live):
    bad.append("a cell held by two live trials")
if mode == "final":
    if any(t["state"] in ("RUNNING", "WAITING") for t in trials):
        bad.append("trials left RUNNING or WAITING")
    if len(done) != 54:
        bad.append(f"{len(done)} cells COMPLETE, not 54")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF
echo '{}' > jsnap.json
# the study's trials as JSON; none before the first run created it (any other error is
# passed on, and fails the checker)
jtrials() {
    local out
    out=$("$HPSEARCH" trials jgrid.yaml --format json 2>&1) && { echo "$out"; return; }
    case "$out" in
    *"no hpsearch database"* | *"does not exist"*) echo '[]' ;;
    *) echo "$out" ;;
    esac
}
for k in $(seq 1 "$JKILLS"); do
    [ "$failures" -eq 0 ] || break
    start_run jgrid.yaml
    sleep_ms $((RANDOM % 1200))
    jtrials | "$PY" jcheck.py jsnap.json snapshot
    kill -9 "$RUN_PID" 2>/dev/null
    wait "$RUN_PID" 2>/dev/null
    RUN_PID=""
    if out=$(jtrials | "$PY" jcheck.py jsnap.json check 2>&1); then
        ok "journal: invariants hold after kill $k"
    else
        fail "journal: after kill $k:"$'\n'"$out"
    fi
done
"$HPSEARCH" run jgrid.yaml --no-progress > jfinal.out 2>&1
expect_eq "journal: final uninterrupted run exits 0" 0 $?
if out=$(jtrials | "$PY" jcheck.py jsnap.json final 2>&1); then
    ok "journal: every cell COMPLETE once, nothing left RUNNING"
else
    fail "journal: final checks:"$'\n'"$out"
fi
finish

#!/usr/bin/env bash
# Population-based training (pbt:): each member's round is a trial whose checkpoint
# directory starts as a copy of the right checkpoint -- its own previous one, or, for the
# bottom quantile, a top member's -- with the hyperparameters the lineage records; the
# decisions are the same with the same seed (whatever the slots), and another seed
# makes others. tests/cli/pbt_trainer.py writes the trials that trained a checkpoint
# into it, so who copied whom can be read back.
. "$(dirname "$0")/lib.sh"

PBT_TRAIN="$PY $HPS_SOURCE_DIR/tests/cli/pbt_trainer.py --tag $TAG"
pbt_config() { # FILE STUDY SEED PARALLEL
    write_config "$1" <<EOF2
study: $2
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: $3
parallel: $4
pbt: {population: 4, interval: 2}
fidelity: steps
command: $PBT_TRAIN --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 6}
EOF2
}

# Reads the study back: every check of the lineage against the checkpoints, in Python.
check_lineage() { # STUDY -> prints "ok ..." or "bad ..." lines, then the schedule
    "$PY" - "$("$HPSEARCH" trials "$1" --storage sqlite:pbt.db --format json)" "$1" \
        hpsearch-logs/"$1"/checkpoints <<'PYEOF'
import glob, json, math, sys
trials, study, root = sys.argv[1:]
trials = json.loads(trials)
rows = [(t["number"], t["state"], t["system_attrs"]["pbt"]) for t in trials
        if "pbt" in t["system_attrs"] and t["system_attrs"].get("interrupted") is None
        and not t["system_attrs"].get("fail_reason", "").startswith("interrupted")]
failed = {t["number"] for t in trials if t["state"] == "FAIL"}
values = {t["number"]: t["values"][0] for t in trials if t["values"]}
lineage = {n: l for n, state, l in rows}
cell = {(l["member"], l["round"]): n for n, l in lineage.items()}
[root] = glob.glob(root + "/*")
def model(member, rnd):
    with open(f"{root}/pbt-m{member:03d}-r{rnd:03d}/model.json") as f:
        return json.load(f)
bad = []
print("ok cells", len(cell), "trials", len(rows))
for (m, r), n in sorted(cell.items()):
    l = lineage[n]
    mine = model(m, r)
    if n in failed:
        continue
    if mine["history"][-1] != {"trial": n, "lr": l["after"]["lr"]}:
        bad.append(f"trial {n}: last round {mine['history'][-1]}, lineage {l['after']}")
    if r == 0:
        if len(mine["history"]) != 1 or l["parent"] is not None:
            bad.append(f"trial {n}: round 0 with a past")
        continue
    parent = lineage[l["parent"]]
    if (parent["member"], parent["round"]) != (l["parent_member"], r - 1):
        bad.append(f"trial {n}: parent {l['parent']} is not member {l['parent_member']}'s round {r - 1}")
    if mine["history"][:-1] != model(l["parent_member"], r - 1)["history"]:
        bad.append(f"trial {n}: its checkpoint does not continue member {l['parent_member']}'s")
    if l["before"] != parent["after"]:
        bad.append(f"trial {n}: before {l['before']} is not its parent's {parent['after']}")
    # population 4, quantile 0.25: only the round's worst exploits, and it copies the best
    ranked = sorted(range(4), key=lambda k: (-values.get(cell[(k, r - 1)], -math.inf), k))
    exploits = m == ranked[-1]
    if l["exploited"] != exploits or (exploits and l["parent_member"] != ranked[0]) or \
            (not exploits and (l["parent_member"] != m or l["after"] != l["before"])):
        bad.append(f"trial {n}: member {m} ranked {ranked.index(m)} but lineage {l}")
    if exploits:
        ratio = l["after"]["lr"] / l["before"]["lr"]
        perturbed = math.isclose(ratio, 0.8) or math.isclose(ratio, 1.2)
        print("explore", "perturbed" if perturbed else "resampled")
print("\n".join("bad " + b for b in bad) or "ok every checkpoint continues its parent's")
for (m, r), n in sorted(cell.items()):
    l = lineage[n]
    print("schedule", m, r, l.get("parent_member", "-"), repr(l["after"]["lr"]))
PYEOF
}

pbt_config a.yaml pbt-a 7 4
out=$("$HPSEARCH" plan a.yaml 2>&1)
expect_contains "plan states pbt's budget" "budget: pbt: 4 members x 3 rounds of 2 steps (steps to 6) = 12 trials" "$out"
expect_contains "and its strategy" "strategy: pbt: after each round the bottom 25% continue" "$out"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "a run of 4 members x 3 rounds exits 0" 0 $?
expect_contains "it says it ran every round" "every round of the 4 members ran (3 rounds of 2 steps)" "$out"
expect_contains "it names pbt in its heading" "pbt: 4 members, 3 rounds of 2 steps" "$out"
a=$(check_lineage pbt-a)
expect_contains "12 rounds, one trial each" "ok cells 12 trials 12" "$a"
expect_contains "every checkpoint continues the right one" "ok every checkpoint continues its parent's" "$a"
case "$a" in *"bad "*) fail "lineage: $(grep '^bad' <<<"$a")" ;; esac
expect_eq "one member of four exploits per round after the first" 2 "$(grep -c '^explore' <<<"$a")"

# The same seed, one slot instead of three, another study: the same schedule.
pbt_config b.yaml pbt-b 7 2
"$HPSEARCH" run b.yaml --no-progress -q > /dev/null 2>&1
b=$(check_lineage pbt-b)
expect_eq "the same seed gives the same schedule with -j 2 and -j 4" \
    "$(grep '^schedule' <<<"$a")" "$(grep '^schedule' <<<"$b")"
pbt_config c.yaml pbt-c 8 4
"$HPSEARCH" run c.yaml --no-progress -q > /dev/null 2>&1
c=$(check_lineage pbt-c)
[ "$(grep '^schedule' <<<"$a")" != "$(grep '^schedule' <<<"$c")" ] &&
    ok "another seed gives another schedule" || fail "seeds 7 and 8 gave the same schedule"
expect_contains "and its checkpoints continue the right ones too" "ok every checkpoint continues its parent's" "$c"

out=$("$HPSEARCH" show pbt-a --storage sqlite:pbt.db 2>&1)
expect_contains "show has the lineage" "pbt lineage (4 members, 3 rounds so far" "$out"
expect_contains "with a member's schedule" "  member 0: r0 lr=" "$out"
expect_eq "and marks the two rounds that copied another member" 2 "$(grep -o '<- m[0-9]' <<<"$out" | wc -l)"
out=$("$HPSEARCH" trials pbt-a --storage sqlite:pbt.db 2>&1)
expect_eq "trials notes each member's round" 12 "$(grep -c ' pbt m[0-3] r[0-2]' <<<"$out")"
expect_eq "and whom it copied" 2 "$(grep -c ' pbt m[0-3] r[12] <- m[0-3] #[0-9]' <<<"$out")"

"$HPSEARCH" report pbt-a --storage sqlite:pbt.db -o a.html 2> /dev/null
expect_eq "the report carries each round's lineage for its schedule chart" 12 \
    "$(grep -o '{"member":[0-3],"round":[0-2],"start_step":[0-9],"stop_step":[0-9]' a.html | wc -l)"

# A failed round ranks last: its member copies the best in the next round.
pbt_config d.yaml pbt-d 7 4
PBT_FAIL_ROUND=pbt-m001-r001 "$HPSEARCH" run d.yaml --no-progress -q > /dev/null 2>&1
d=$(check_lineage pbt-d)
case "$d" in *"bad "*) fail "lineage with a failure: $(grep '^bad' <<<"$d")" ;; *) ok "a failed round's member exploits next" ;; esac
expect_contains "member 1 copies member 0 after its failed round" "schedule 1 2 0 " "$d"

# A preempted run: the interrupted round is queued, and the next run continues it from
# its own directory, with the decisions unchanged.
pbt_config e.yaml pbt-e 7 1
PBT_PREEMPT_ROUND=pbt-m002-r001 "$HPSEARCH" run e.yaml --no-progress -q --set preempt_grace=5 > /dev/null 2>&1
expect_eq "the preempted run exits 143" 143 $?
"$HPSEARCH" run e.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the next run finishes the population" 0 $?
e=$(check_lineage pbt-e)
expect_contains "12 rounds, one finished trial each" "ok cells 12 trials 12" "$e"
case "$e" in *"bad "*) fail "lineage after a preemption: $(grep '^bad' <<<"$e")" ;; *) ok "every checkpoint still continues the right one" ;; esac
expect_eq "the same schedule as without the preemption" \
    "$(grep '^schedule' <<<"$a")" "$(grep '^schedule' <<<"$e")"

# hpsearch killed (kill -9) in the last round of the population: the next run recovers
# the round left RUNNING, which every other round waits for, and
# runs it again from its directory; the schedule stays the same.
pbt_config f.yaml pbt-f 7 1
PBT_KILL_ROUND=pbt-m003-r002 "$HPSEARCH" run f.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the killed run dies of SIGKILL" 137 $?
"$HPSEARCH" run f.yaml --no-progress -q > /dev/null 2>&1
expect_eq "the next run finishes the population" 0 $?
f=$(check_lineage pbt-f)
case "$f" in *"bad "*) fail "lineage after kill -9: $(grep '^bad' <<<"$f")" ;; *) ok "every checkpoint continues the right one after kill -9" ;; esac
expect_eq "the same schedule as without the kill" \
    "$(grep '^schedule' <<<"$a")" "$(grep '^schedule' <<<"$f")"

# Run again: nothing left, nothing redone.
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_contains "a finished population has nothing left to run" "every round of the 4 members ran" "$out"
expect_eq "and runs no trial" 12 "$("$HPSEARCH" trials pbt-a --storage sqlite:pbt.db --format json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')"

# One run drives a population: the study records it (host, pid, heartbeat), a second
# run is refused while it lives, and a finished run clears the record.
driver() { # STUDY [JSON]: prints the study's pbt_driver, or sets it to JSON
    "$PY" - pbt.db "$1" "${2-}" <<'PYEOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
(attrs,) = con.execute("SELECT system_attrs FROM studies WHERE name = ?", (sys.argv[2],)).fetchone()
attrs = json.loads(attrs)
if sys.argv[3]:
    attrs["pbt_driver"] = json.loads(sys.argv[3])
    con.execute("UPDATE studies SET system_attrs = ? WHERE name = ?", (json.dumps(attrs), sys.argv[2]))
    con.commit()
else:
    print(json.dumps(attrs.get("pbt_driver", "missing")))
PYEOF
}
expect_eq "a finished run leaves no driver recorded" null "$(driver pbt-a)"
here=$("$PY" -c 'import socket; print(socket.gethostname())')
now=$(date +%s)
driver pbt-a "{\"host\": \"$here\", \"pid\": $$, \"heartbeat\": $now}"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "a run on a population another live process drives is refused" 2 $?
expect_contains "naming the run that drives it" \
    "a.yaml: study 'pbt-a': another hpsearch run drives this study's population (host $here, pid $$," "$out"
expect_eq "and the record is that run's still" "$$" "$(driver pbt-a | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["pid"])')"
# A refused run writes nothing to the study, not even a changed space it was allowed.
study_row() { "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT system_attrs, user_attrs FROM studies WHERE name = ?", (sys.argv[2],)).fetchone())' pbt.db pbt-a; }
before=$(study_row)
sed 's/high: 1.0, log: true/high: 0.5, log: true/' a.yaml > a-narrow.yaml
out=$("$HPSEARCH" run a-narrow.yaml --allow-changes --no-progress 2>&1)
expect_eq "a refused run with a changed space is refused" 2 $?
expect_contains "by the driver" "another hpsearch run drives this study's population" "$out"
expect_eq "and records no space version or identity" "$before" "$(study_row)"
sh -c 'exit 0' & gone=$!
wait $gone
driver pbt-a "{\"host\": \"$here\", \"pid\": $gone, \"heartbeat\": $now}"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "a driver on this host whose process is gone does not hold the population" 0 $?
# A crashed driver's pid taken by another process: without a heartbeat it drives nothing.
sleep 300 & unrelated=$!
driver pbt-a "{\"host\": \"$here\", \"pid\": $unrelated, \"heartbeat\": $((now - 3600))}"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "a live process on this host with a stopped heartbeat does not hold it" 0 $?
kill $unrelated; wait $unrelated 2>/dev/null
driver pbt-a "{\"host\": \"elsewhere.invalid\", \"pid\": 1, \"heartbeat\": $now}"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "a driver on another host with a fresh heartbeat holds it" 2 $?
expect_contains "and is named" "(host elsewhere.invalid, pid 1, heartbeat" "$out"
driver pbt-a "{\"host\": \"elsewhere.invalid\", \"pid\": 1, \"heartbeat\": $((now - 3600))}"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "one whose heartbeat stopped an hour ago does not" 0 $?
driver pbt-a "{\"host\": \"elsewhere.invalid\", \"pid\": 1, \"heartbeat\": $((now + 3600))}"
out=$("$HPSEARCH" run a.yaml --no-progress 2>&1)
expect_eq "nor one whose heartbeat is an hour ahead (a skewed clock)" 0 $?
expect_eq "the refused runs started no trial" 12 "$("$HPSEARCH" trials pbt-a --storage sqlite:pbt.db --format json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')"

# Members keep their values from round to round, so in a space of few configurations
# (every parameter a list of values) they repeat: PBT must not stop when each has run once.
write_config g.yaml <<EOF2
study: pbt-g
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: 7
pbt: {population: 4, interval: 3}
fidelity: steps
command: $PBT_TRAIN --lr {lr} --steps {steps}
parameters:
  lr: {values: [0.01, 0.1]}
  steps: {type: int, low: 1, high: 6}
EOF2
out=$("$HPSEARCH" run g.yaml --no-progress 2>&1)
expect_eq "a population over two values of lr runs every round" 0 $?
expect_contains "all 4 members x 2 rounds" "every round of the 4 members ran (2 rounds of 3 steps)" "$out"

# A script that prints its metric without a step: a round counts its lines from the
# step after its start (the step its checkpoint holds, as a resumed trial does; 0 in
# round 0) up to its stop, as a script printing its steps does, so a member's steps go
# on from round to round without a gap or a repeat.
write_config h.yaml <<EOF2
study: pbt-h
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: 7
pbt: {population: 2, interval: 2}
fidelity: steps
command: $PBT_TRAIN --stepless --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 6}
EOF2
"$HPSEARCH" run h.yaml --no-progress -q > /dev/null 2>&1
expect_eq "a population whose script prints no steps runs" 0 $?
steps=$("$PY" - pbt.db <<'PYEOF'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT t.system_attrs, GROUP_CONCAT(i.step) FROM trials t "
                   "JOIN studies s USING (study_id) JOIN trial_intermediate i USING (trial_id) "
                   "WHERE s.name = 'pbt-h' GROUP BY t.trial_id")
for attrs, steps in sorted(rows, key=lambda r: (json.loads(r[0])["pbt"]["round"],
                                                json.loads(r[0])["pbt"]["member"])):
    lineage = json.loads(attrs)["pbt"]
    print(f"r{lineage['round']} {lineage['start_step']}-{lineage['stop_step']}:",
          ",".join(sorted(steps.split(","), key=int)))
PYEOF
)
expect_eq "every round counts from the step after its start, as the script's steps go" \
    "r0 0-2: 1,2
r0 0-2: 1,2
r1 2-4: 3,4
r1 2-4: 3,4
r2 4-6: 5,6
r2 4-6: 5,6" "$steps"

# The best trial is the best round of any member (each round's checkpoint is kept), so
# it can be an earlier round of a member that went on -- while the member's next round
# runs, or when its value fell later (--fall-after 1: every score falls after step 1).
# best, show and the run's last line say which round it is, the step its value was
# measured at (the fidelity parameter reads as the budget's max), and the member's
# newest round.
write_config fall.yaml <<EOF2
study: pbt-fall
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: 7
parallel: 1
pbt: {population: 2, interval: 1}
fidelity: steps
command: $PBT_TRAIN --fall-after 1 --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 3}
EOF2
PBT_PREEMPT_ROUND=pbt-m001-r001 "$HPSEARCH" run fall.yaml --no-progress -q --set preempt_grace=5 > /dev/null 2>&1
expect_eq "a run stopped in the middle of round 1 exits 143" 143 $?
out=$("$HPSEARCH" best pbt-fall --storage sqlite:pbt.db 2>&1)
expect_contains "mid-round, best says which member's round it is and where it was measured" \
    "'s round 0, measured at step 1" "$out"
expect_contains "and that the parameter is the budget's" "steps: 3" "$out"
"$HPSEARCH" run fall.yaml --no-progress > fall.out 2>&1
expect_eq "the next run finishes the population" 0 $?
best=$("$HPSEARCH" best pbt-fall --storage sqlite:pbt.db --format json | "$PY" -c '
import json, sys
t = json.load(sys.stdin)
print(t["number"], t["system_attrs"]["pbt"]["member"])')
read -r number member <<<"$best"
newest=$("$HPSEARCH" trials pbt-fall --storage sqlite:pbt.db --format json | "$PY" -c '
import json, sys
member = int(sys.argv[1])
rounds = [(t["system_attrs"]["pbt"]["round"], t["number"], t["values"][0]) for t in json.load(sys.stdin)
          if t["state"] == "COMPLETE" and t["system_attrs"]["pbt"]["member"] == member]
r, n, v = max(rounds)
print(f"its newest round: trial {n} (round {r}, step {r + 1}), value {v:.6g}")' "$member")
out=$("$HPSEARCH" best pbt-fall --storage sqlite:pbt.db 2>&1)
expect_contains "best names a round-0 trial whose member fell later, and its newest round" \
    "pbt: member $member's round 0, measured at step 1; $newest" "$out"
expect_contains "show says so under its best" \
    "  pbt: member $member's round 0, measured at step 1; $newest" "$("$HPSEARCH" show pbt-fall --storage sqlite:pbt.db 2>&1)"
expect_contains "and so does the run's last line" "  pbt: member $member's round 0, measured at step 1; $newest" "$(cat fall.out)"

# A checkpoint copy slower than the driver's grace (a large model, a network
# filesystem): the run keeps its heartbeat while it copies, so no other run takes the
# population over in the middle of it. slow_read.so makes the copy of model.json crawl
# (a byte every half second) while the file `gate` exists.
cc -shared -fPIC -o slow_read.so "$HPS_SOURCE_DIR/tests/cli/slow_read.c" -ldl
expect_eq "the slow filesystem's stand-in builds" 0 $?
write_config slow.yaml <<EOF2
study: pbt-slow
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: 7
pbt: {population: 4, interval: 1}
fidelity: steps
command: $PBT_TRAIN --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 2}
EOF2
touch gate
# (a sanitized hpsearch loads its ASan runtime after the stand-in: allowed here)
LD_PRELOAD=$PWD/slow_read.so SLOW_READ_GATE=$PWD/gate SLOW_READ_NAME=model.json \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$HPSEARCH" run slow.yaml --no-progress -q > slow.out 2>&1 &
slow_run=$!
for _ in $(seq 600); do
    compgen -G "hpsearch-logs/pbt-slow/checkpoints/*/pbt-m*-r001.copying.*" > /dev/null && break
    sleep 0.2
done
copying=$(compgen -G "hpsearch-logs/pbt-slow/checkpoints/*/pbt-m*-r001.copying.*")
[ -n "$copying" ] && ok "a round-1 checkpoint is being copied" || fail "no copy began: $(cat slow.out)"
# Two and a half beats (PBT_DRIVER_BEAT, 10 s) into the copy: a loop that beats only
# between copies would have left the heartbeat as old as the copy.
sleep 25
[ -d "$copying" ] && ok "the copy is still going after 25 s" || fail "the copy ended before the check"
age=$(( $(date +%s) - $(driver pbt-slow | "$PY" -c 'import json, sys; print(int(json.load(sys.stdin)["heartbeat"]))') ))
[ "$age" -lt 18 ] && ok "the heartbeat beats during a slow copy (${age} s old)" ||
    fail "the heartbeat is ${age} s old after 25 s of copying: another run could take the population over mid-copy"
# (The heartbeat is younger than the grace, 60 s, here whether or not the copy beats:
# this checks that a run mid-copy still refuses a second one, not the beating; the
# heartbeat's age above checks that.)
out=$("$HPSEARCH" run slow.yaml --no-progress 2>&1)
expect_eq "a second run is refused meanwhile" 2 $?
rm -f gate
wait $slow_run
expect_eq "the slow run finishes its population" 0 $?
s=$(check_lineage pbt-slow)
expect_contains "8 rounds, one trial each" "ok cells 8 trials 8" "$s"
expect_contains "and every checkpoint continues the right one" "ok every checkpoint continues its parent's" "$s"

# A run stalled after its copy's last beat (a process stopped, swapped out) past the
# grace is taken over; the run that took over copies the same round's checkpoint. The
# stalled run, woken, must not rename anything into place: both runs used to copy under
# one name, "<dir>.copying", so the stalled run renamed the new run's half-made copy
# (a 33-byte model.json) and the round was lost. pbt_stall.so stalls the first run in
# closedir() of the round-0 directory it copies from, and shifts the second run's
# clock by two minutes, so that it finds the stalled run's heartbeat stale at once.
cc -shared -fPIC -o pbt_stall.so "$HPS_SOURCE_DIR/tests/cli/pbt_stall.c" -ldl
expect_eq "the stalled run's stand-in builds" 0 $?
[ -f slow_read.so ] || cc -shared -fPIC -o slow_read.so "$HPS_SOURCE_DIR/tests/cli/slow_read.c" -ldl
write_config stall.yaml <<EOF2
study: pbt-stall
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: 7
pbt: {population: 2, interval: 1}
fidelity: steps
command: $PBT_TRAIN --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 2}
EOF2
touch stall_gate gate
LD_PRELOAD=$PWD/pbt_stall.so STALL_DIR_SUFFIX=-r000 STALL_GATE=$PWD/stall_gate \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$HPSEARCH" run stall.yaml --no-progress -q > stalled.out 2>&1 &
stalled=$!
for _ in $(seq 600); do grep -q "copy stalled" stalled.out && break; sleep 0.2; done
expect_contains "the first run stalls mid-copy" "copy stalled" "$(cat stalled.out)"
# the second run takes over and copies model.json a byte every half second
LD_PRELOAD="$PWD/pbt_stall.so $PWD/slow_read.so" TIME_SHIFT=120 \
    SLOW_READ_GATE=$PWD/gate SLOW_READ_NAME=model.json \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$HPSEARCH" run stall.yaml --no-progress -q > takeover.out 2>&1 &
takeover=$!
for _ in $(seq 600); do
    [ -n "$(find hpsearch-logs/pbt-stall/checkpoints -path '*r001.copying*' -name model.json -newer stalled.out -size -2k 2>/dev/null)" ] && break
    sleep 0.2
done
sleep 1
rm -f stall_gate # the stalled run wakes while the new one's copy is half made
wait $stalled
expect_eq "the stalled run stops: it no longer drives the population" 1 $(($? != 0))
expect_contains "and says so" "took this study's population over" "$(cat stalled.out)"
rm -f gate
wait $takeover
expect_eq "the run that took over finishes the population" 0 $?
# (check_lineage ranks a population of 4) every round-1 checkpoint is whole: its parent's
# history and its own round
s=$("$PY" - hpsearch-logs/pbt-stall/checkpoints/*/pbt-m*-r001/model.json <<'PYEOF'
import json, sys
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            history = json.load(f)["history"]
    except ValueError as e:
        print("bad", path, e)
        continue
    print("ok" if len(history) == 2 else "bad", len(history), "rounds")
PYEOF
)
expect_eq "both round-1 checkpoints are whole copies, trained on" "ok 2 rounds
ok 2 rounds" "$s"
expect_eq "no temporary copy is left" "" \
    "$(find hpsearch-logs/pbt-stall/checkpoints -name '*.copying*')"

# A copy that fails (a full disk) leaves no temporary copy behind: gigabytes of it
# would stay. Another run, killed -9 mid-copy, leaves its temporary copy: the next run
# to prepare that directory removes it (its process is gone).
write_config full.yaml <<EOF2
study: pbt-full
storage: sqlite:pbt.db
metric: score
direction: maximize
seed: 7
pbt: {population: 2, interval: 1}
fidelity: steps
command: $PBT_TRAIN --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 2}
EOF2
LD_PRELOAD=$PWD/pbt_stall.so FULL_DISK_NAME=model.json \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$HPSEARCH" run full.yaml --no-progress -q > full.out 2>&1
expect_eq "a run whose copy finds the disk full fails" 1 $(($? != 0))
expect_contains "saying why" "No space left on device" "$(cat full.out)"
expect_eq "and leaves no temporary copy" "" \
    "$(find hpsearch-logs/pbt-full/checkpoints -name '*.copying*')"
touch stall_gate
LD_PRELOAD=$PWD/pbt_stall.so STALL_DIR_SUFFIX=-r000 STALL_GATE=$PWD/stall_gate \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$HPSEARCH" run full.yaml --no-progress -q > killed.out 2>&1 &
killed=$!
for _ in $(seq 600); do grep -q "copy stalled" killed.out && break; sleep 0.2; done
kill -9 $killed
wait $killed 2>/dev/null
rm -f stall_gate
expect_eq "a run killed mid-copy leaves its temporary copy" 1 \
    "$(find hpsearch-logs/pbt-full/checkpoints -maxdepth 2 -name '*.copying.*' | wc -l)"
"$HPSEARCH" run full.yaml --no-progress -q > after.out 2>&1
expect_eq "the next run finishes the population" 0 $?
expect_eq "and removed the dead run's temporary copy" "" \
    "$(find hpsearch-logs/pbt-full/checkpoints -name '*.copying*')"

finish

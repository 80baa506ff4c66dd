#!/usr/bin/env bash
# asha's promotion form with its budget used: the run resumes every trial asha promotes,
# budget or not, and then ends with trials still PAUSED at rungs where they are not in
# the top 1/reduction_factor. That is a finished run, not a failed one: it exits 0 and
# says how many trials are left paused, why, and how to go on -- even though no trial
# has reached the full budget yet -- and so does a run that finds nothing left to do.
. "$(dirname "$0")/lib.sh"

write_config p.yaml <<EOF2
study: p
storage: sqlite:p.db
direction: maximize
metric: score
sampler: random
seed: 3
n_trials: 4
pruner: {name: asha, mode: promotion, reduction_factor: 2, min_resource: 1, max_resource: 8}
command: $TRAIN --x {x} --steps 9 --checkpoint --slices slices.log
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
"$HPSEARCH" run p.yaml --no-progress > run1.out 2> run1.err
expect_eq "a run that leaves trials paused at their rungs exits 0" 0 $?
expect_eq "none completed: every trial is paused, some promoted on the way" "4|4" \
    "$(sql p.db "SELECT count(*), sum(state = 5) FROM trials")"
[ "$(awk '$2 > 0' slices.log | wc -l)" -ge 1 ] && ok "it promoted trials on the way" ||
    fail "no trial was resumed: $(cat slices.log)"
expect_contains "it says what is left and why" \
    "4 trials are left PAUSED (none is in the top 1/reduction_factor of the trials at its rung" \
    "$(cat run1.err)"
expect_contains "and how to go on" "go on: raise n_trials (-n N) and run again" \
    "$(cat run1.err)"

"$HPSEARCH" run p.yaml --no-progress > run2.out 2> run2.err
expect_eq "a run with nothing left to do exits 0 too" 0 $?
expect_contains "saying the same" "4 trials are left PAUSED" "$(cat run2.err)"
case "$(cat run2.err)" in
*"every configuration of the space"*) fail "it blames a space that is not finite: $(cat run2.err)" ;;
*) ok "it does not blame the space" ;;
esac

slices_before=$(wc -l < slices.log)
"$HPSEARCH" run p.yaml --no-progress -n 8 > run3.out 2> run3.err
expect_eq "raising n_trials goes on" 0 $?
resumed=$(tail -n +"$((slices_before + 1))" slices.log | awk '$1 < 4 && $2 > 0' | wc -l)
[ "$resumed" -ge 1 ] && ok "new trials joined the rungs and old paused ones went on ($resumed)" ||
    fail "no old trial was resumed: $(cat slices.log)"

# A run that timeout: stops with every trial paused has done what it was asked too: it
# exits 0 and says what is left, rather than failing with "no trial has completed yet".
sed -e 's/^study: p$/study: t/' -e 's/^storage: sqlite:p.db$/storage: sqlite:t.db/' \
    -e 's/^n_trials: 4$/n_trials: 20\ntimeout: 2s/' \
    -e 's/--slices slices.log/--slices tslices.log --sleep 0.3/' p.yaml > t.yaml
"$HPSEARCH" run t.yaml --no-progress > t.out 2> t.err
expect_eq "a run stopped by its timeout with every trial paused exits 0" 0 $?
expect_eq "none completed" "0" "$(sql t.db "SELECT count(*) FROM trials WHERE state = 2")"
expect_contains "it says the timeout stopped it" "timeout of 2s reached" "$(cat t.err)"
expect_contains "and what is left, and how to go on" \
    "trials are left PAUSED (the run stopped before asha was done promoting)" "$(cat t.err)"
expect_contains "run again" "go on: run again without what stopped this run" "$(cat t.err)"

# Trials paused by something else (here Python's API, under a pruner that pauses) under a
# config whose pruner pauses nothing: the run says they are left PAUSED and promises no
# resume.
. "$(dirname "$0")/report_lib.sh"
hps_py <<'PYEOF'
import hpsearch
pruner = hpsearch.pruners.SuccessiveHalvingPruner(min_resource=1, max_resource=9,
                                                   mode="promotion")
study = hpsearch.create_study(storage="sqlite:///py.db", study_name="py", direction="maximize",
                              pruner=pruner)
trial = study.ask()
trial.suggest_float("x", 0, 6)
trial.report(0.5, 0)
trial.pause(0)
PYEOF
write_config py.yaml <<EOF2
study: py
storage: sqlite:py.db
direction: maximize
metric: score
sampler: random
seed: 3
n_trials: 2
command: $TRAIN --x {x} --steps 2
parameters:
  x: {type: float, low: 0, high: 6}
EOF2
"$HPSEARCH" run py.yaml --no-progress > py.out 2> py.err
expect_eq "a run leaving a trial paused from Python exits 0" 0 $?
expect_contains "it says why nothing resumed it" \
    "1 trial is left PAUSED (no pruner of this config pauses or resumes trials" "$(cat py.err)"
case "$(cat py.err)" in
*"are resumed"* | *rung*) fail "it promises a resume it will not do: $(cat py.err)" ;;
*) ok "it promises no resume" ;;
esac
finish

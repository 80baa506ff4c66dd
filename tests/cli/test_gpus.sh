#!/usr/bin/env bash
# GPUs, checked and used, on a machine without any: fake driver files (fake_gpus,
# lib.sh), a fake nvidia-smi and an inherited CUDA_VISIBLE_DEVICES stand in for them.
# `all`, several GPUs per trial, several trials per GPU, parallel's default and limit,
# ids that are not there, the warning when there is no GPU at all, and the GPUs of each
# trial in its log, in the stored trial, in `hpsearch trials`, in the report's data and on
# its timeline (drawn in chromium, a lane per GPU pair).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
need_browser
fake_gpus 4

write_config g.yaml <<EOF2
study: g
storage: sqlite:g.db
direction: maximize
metric: score
sampler: grid
gpus: all
gpus_per_trial: 2
command: $TRAIN --x {x} --steps 2 --dump-env
parameters:
  x: {values: [1, 2, 3, 4]}
EOF2

# devices STUDY -- "number devices count" per trial, from the trials' logs
devices() {
    local log
    for log in hpsearch-logs/$1/trial-*.log; do
        echo "$(basename "$log" .log | sed 's/trial-0*\([0-9]\)/\1/') $(sed -n 's/^env CUDA_VISIBLE_DEVICES=//p' "$log") $(sed -n 's/^env HPSEARCH_NUM_GPUS=//p' "$log")"
    done
}
# stored STUDY -- "number devices" per trial, from the trials' system attribute "gpus"
stored() {
    "$HPSEARCH" trials "$1" --storage sqlite:g.db --format json | "$PY" -c '
import json, sys
for t in json.load(sys.stdin):
    print(t["number"], ",".join(t["system_attrs"].get("gpus", ["<none>"])))'
}

# all GPUs, two per trial: two trials at once, on 0,1 and 2,3
out=$("$HPSEARCH" run g.yaml --no-progress 2>&1)
expect_eq "gpus: all, gpus_per_trial: 2: exit 0" 0 $?
expect_contains "names the GPUs and where they were found" \
    "GPUs 0,1,2,3 (the NVIDIA driver ($WORK/fake-nvidia/gpus)), 2 per trial" "$out"
expect_contains "parallel follows the GPUs: 4 / 2" "· 2 parallel ·" "$out"
expect_eq "each trial got two GPUs and their count" "0,1 2;2,3 2;" \
    "$(devices g | cut -d' ' -f2- | sort -u | tr '\n' ';')"
expect_eq "the stored GPUs are the ones the trial saw" "$(devices g | cut -d' ' -f1,2 | sort)" \
    "$(stored g | sort)"
expect_contains "show: trials per GPU pair" "gpus: 0,1 2 trials, 2,3 2 trials" \
    "$("$HPSEARCH" show g --storage sqlite:g.db)"
table=$("$HPSEARCH" trials g --storage sqlite:g.db)
expect_contains "trials: a gpus column" "gpus" "$(printf '%s\n' "$table" | head -1)"
expect_contains "trials: the trial's GPUs" "0,1" "$table"

# the report: each trial's GPUs in its row and on the timeline, whose lanes are the GPUs
"$HPSEARCH" report g --storage sqlite:g.db -o g.html > /dev/null 2>&1
expect_eq "report written" 0 $?
expect_eq "report: the rows' and the timeline's GPUs are the stored ones" "$(stored g | sort | tr '\n' ';')" \
    "$("$PY" - g.html <<'PYEOF'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
boot = json.loads(re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>', html, re.S).group(1))
rows = sorted("%d %s" % (r["number"], r.get("gpus")) for r in boot["rows"])
timeline = sorted("%d %s" % (t[0], t[4]) for t in boot["view"]["timeline"])
print(";".join(rows) + ";" if rows == timeline else "rows %s, timeline %s" % (rows, timeline))
PYEOF
)"
res=$(check_page "file://$WORK/g.html" --charts timeline,table --chart-texts chart-timeline)
expect_eq "report page: the timeline drawn ($res)" 0 $?
expect_eq "report page: a timeline lane per GPU pair" "GPU 0,1;GPU 2,3;" "$(printf '%s' "$res" | "$PY" -c '
import json, sys
texts = json.load(sys.stdin)["chart_texts"]["chart-timeline"]
print("".join(sorted(t["text"] + ";" for t in texts if t["text"].startswith("GPU"))))')"

# packing: two trials per GPU on GPUs 1 and 3 (given by UUID prefix and index);
# parallel 9 is lowered to what they hold
out=$("$HPSEARCH" run g.yaml --no-progress --set study=packed --gpus GPU-00000001,3 \
      --set gpus_per_trial=1 --trials-per-gpu 2 -j 9 2>&1)
expect_eq "trials_per_gpu: exit 0" 0 $?
expect_contains "parallel above the GPUs' room is lowered, with a warning" \
    "parallel: 9 trials at once need more than the 2 GPUs hold (trials_per_gpu 2, gpus_per_trial 1): running 4 at once" "$out"
expect_contains "four at once" "· 4 parallel ·" "$out"
expect_eq "one GPU per trial, only the two asked for" "1 3;1 GPU-00000001;" \
    "$(devices packed | cut -d' ' -f2- | awk '{print $2, $1}' | sort -u | tr '\n' ';')"

# a plan says what run would do
plan=$("$HPSEARCH" plan g.yaml --set study=planned --trials-per-gpu 3 --set gpus_per_trial=1 -n 30 2>&1)
expect_contains "plan: the GPUs" "gpus: GPUs 0,1,2,3" "$plan"
expect_contains "plan: 12 at a time" "12 at a time" "$plan"

# ids that are not there, too many per trial: exit 2, nothing run, the same from plan
for args in "--gpus 0,7" "--gpus GPU-99999999" "--gpus-per-trial 5"; do
    # shellcheck disable=SC2086
    out=$("$HPSEARCH" run g.yaml --no-progress --set study=bad $args 2>&1)
    status=$?
    # shellcheck disable=SC2086
    planned=$("$HPSEARCH" plan g.yaml --set study=bad $args 2>&1)
    expect_eq "$args: exit 2, plan says the same" "2 $out" "$status $planned"
done
expect_contains "an id not found is named" \
    "gpus: 7 is not among the GPUs found (0,1,2,3 from the NVIDIA driver" \
    "$("$HPSEARCH" run g.yaml --set study=bad --gpus 0,7 2>&1)"
expect_contains "more per trial than there are" "gpus_per_trial: 5, but there are only 4 GPUs" \
    "$("$HPSEARCH" run g.yaml --set study=bad --gpus-per-trial 5 2>&1)"
expect_contains "cuda:0 gets its spelling" "'cuda:0' is not a GPU id: CUDA_VISIBLE_DEVICES takes device indices, write 0" \
    "$("$HPSEARCH" run g.yaml --set study=bad --gpus cuda:0 2>&1)"
expect_eq "nothing ran for them" "" "$(stored bad 2>/dev/null)"

# an inherited CUDA_VISIBLE_DEVICES (Slurm's) is what there is: all = its entries
out=$(CUDA_VISIBLE_DEVICES=5,6 "$HPSEARCH" run g.yaml --no-progress --set study=slurm \
      --set gpus_per_trial=1 2>&1)
expect_eq "inherited: exit 0" 0 $?
expect_contains "inherited: named" "GPUs 5,6 (CUDA_VISIBLE_DEVICES=5,6)" "$out"
expect_eq "inherited: trials get its GPUs" "5 1;6 1;" "$(devices slurm | cut -d' ' -f2- | sort -u | tr '\n' ';')"
out=$(CUDA_VISIBLE_DEVICES=5,6 "$HPSEARCH" run g.yaml --set study=bad --gpus 0 2>&1)
expect_contains "inherited: other ids refused" "gpus: 0 is not among the GPUs found (5,6 from CUDA_VISIBLE_DEVICES=5,6)" "$out"

# nvidia-smi when there are no driver files
rm -rf "$WORK/fake-nvidia/gpus"
cat > "$WORK/fake-bin/nvidia-smi" <<'EOF2'
#!/bin/sh
[ "$1" = -L ] || exit 9
echo "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaaaaaa-0000-0000-0000-000000000000)"
echo "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbbbbbbb-0000-0000-0000-000000000000)"
EOF2
out=$("$HPSEARCH" plan g.yaml --set study=smi 2>&1)
expect_contains "nvidia-smi -L: found" "gpus: GPUs 0,1 (nvidia-smi -L), 2 per trial" "$out"

# no GPU anywhere: a warning, and the trials run without CUDA_VISIBLE_DEVICES
printf '#!/bin/sh\nexit 9\n' > "$WORK/fake-bin/nvidia-smi"
out=$("$HPSEARCH" run g.yaml --no-progress --set study=cpu --set n_trials=2 2>&1)
expect_eq "no GPU: still runs" 0 $?
expect_contains "no GPU: warned" "warning: g.yaml: gpus: no GPU found (no CUDA_VISIBLE_DEVICES, no NVIDIA driver files" "$out"
expect_contains "... and why it matters" "may train on the CPU" "$out"
expect_eq "no GPU: trials see none" "<unset> <unset>;" "$(devices cpu | cut -d' ' -f2- | sort -u | tr '\n' ';')"
expect_eq "no GPU: none recorded" "0 <none>;1 <none>;" "$(stored cpu | sort | tr '\n' ';')"
finish

#!/usr/bin/env bash
# `artifacts:` keeps the files a trial writes beside its log (only those written since
# the trial started), records them on the trial, and `hpsearch best --artifacts` prints
# where the best trial's are.
source "$(dirname "$0")/lib.sh"

mkdir out
# each trial writes its "model" (named by trial number) and overwrites a shared plot,
# then waits a moment so the next trial starts after its files were written
write_config art.yaml <<'EOF2'
storage: sqlite:a.db
direction: maximize
metric: score
sampler: grid
artifacts: ["out/model-{trial_number}.txt", "plots/*.png", "never-written.bin"]
shell: true
command: "echo model-x={x} > out/model-{trial_number}.txt; mkdir -p plots; echo plot-x={x} > plots/t{trial_number}.png; sleep 0.05; echo score={x}"
parameters:
  x: {values: [1, 3, 2]}
EOF2
out=$("$HPSEARCH" run art.yaml --no-progress 2>&1)
expect_eq "run: exit 0" 0 $?
kept=$(cd hpsearch-logs/art && find . -path '*.artifacts/*' -type f | sort | tr '\n' ' ')
expect_eq "each trial kept its own files, none of the earlier trials'" "./trial-00000.artifacts/out/model-0.txt ./trial-00000.artifacts/plots/t0.png ./trial-00001.artifacts/out/model-1.txt ./trial-00001.artifacts/plots/t1.png ./trial-00002.artifacts/out/model-2.txt ./trial-00002.artifacts/plots/t2.png " "$kept"
expect_eq "copies, with the trial's content" "model-x=3" "$(cat hpsearch-logs/art/trial-00001.artifacts/out/model-1.txt)"
rm -r out/* plots # the originals may go: the kept copies stay

best=$("$HPSEARCH" best art.yaml --artifacts 2>&1)
expect_eq "best --artifacts: exit 0" 0 $?
expect_eq "best --artifacts: the best trial's (x=3) files, one per line" "$WORK/hpsearch-logs/art/trial-00001.artifacts/out/model-1.txt
$WORK/hpsearch-logs/art/trial-00001.artifacts/plots/t1.png" "$best"
json=$("$HPSEARCH" best art.yaml --artifacts --format json)
expect_eq "best --artifacts --format json" "[\"$WORK/hpsearch-logs/art/trial-00001.artifacts/out/model-1.txt\",\"$WORK/hpsearch-logs/art/trial-00001.artifacts/plots/t1.png\"]" "$json"
stored=$(sql a.db "SELECT COUNT(*) FROM trials WHERE system_attrs LIKE '%\"artifacts\"%'")
expect_eq "recorded on every trial (system attribute 'artifacts')" 3 "$stored"
"$HPSEARCH" report art.yaml -o r.html >/dev/null 2>&1
shown=$("$PY" - r.html <<'PYEOF'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
boot = json.loads(re.search(r'<script id="hps-boot" type="application/json">(.*?)</script>', html, re.S).group(1))
print(boot["view"]["best"]["artifacts"][0], [r["n_artifacts"] for r in boot["rows"]])
PYEOF
)
expect_eq "report: the best trial's files, and a count per trial" "$WORK/hpsearch-logs/art/trial-00001.artifacts/out/model-1.txt [2, 2, 2]" "$shown"

# a pattern leading out of workdir keeps the file under its name, inside the trial's
# directory; a directory that matches is not a file
mkdir -p sub outside/dir
write_config sub/up.yaml <<'EOF2'
storage: sqlite:u.db
metric: score
n_trials: 1
artifacts: ["../outside/*"]
shell: true
command: "echo kept > ../outside/model.txt; echo score=1"
parameters:
  x: {values: [1]}
EOF2
"$HPSEARCH" run sub/up.yaml --no-progress >/dev/null 2>&1
expect_eq "'..' in a pattern: kept by name inside the trial's directory" "./trial-00000.artifacts/model.txt" "$(cd sub/hpsearch-logs/up && find . -path '*.artifacts*' -type f)"

# two files outside workdir with one name are both kept (the second numbered), and a
# file two patterns match is kept once
mkdir -p outside/a outside/b
write_config sub/two.yaml <<'EOF2'
storage: sqlite:t.db
metric: score
n_trials: 1
artifacts: ["../outside/a/*.txt", "../outside/b/*.txt", "../outside/b/model.txt"]
shell: true
command: "echo from-a > ../outside/a/model.txt; echo from-b > ../outside/b/model.txt; echo score=1"
parameters:
  x: {values: [1]}
EOF2
out=$("$HPSEARCH" run sub/two.yaml --no-progress 2>&1)
kept=$(cd sub/hpsearch-logs/two/trial-00000.artifacts && for f in $(find . -type f | sort); do printf '%s:%s ' "$f" "$(cat "$f")"; done)
expect_eq "same base name: both kept, the second numbered" "./model-2.txt:from-b ./model.txt:from-a " "$kept"
expect_contains "same base name: says which is kept under which name" "is kept as $WORK/sub/hpsearch-logs/two/trial-00000.artifacts/model-2.txt" "$out"

# a study without artifacts, and the flag where it does not belong
write_config plain.yaml <<EOF2
storage: sqlite:p.db
metric: score
n_trials: 1
command: $TRAIN --x {x} --steps 1
parameters:
  x: {values: [1]}
EOF2
"$HPSEARCH" run plain.yaml --no-progress >/dev/null 2>&1
out=$("$HPSEARCH" best plain.yaml --artifacts 2>&1)
expect_eq "no artifacts: exit 1" 1 $?
expect_contains "no artifacts: says so" "trial 0 kept no files" "$out"
out=$("$HPSEARCH" trials plain.yaml --artifacts 2>&1)
expect_eq "trials --artifacts: exit 2" 2 $?
finish

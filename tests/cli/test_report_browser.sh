#!/usr/bin/env bash
# The report in headless Chromium (playwright-core driving Debian's chromium): no
# console message or page error, every chart drawn, the trial table sorts, filters and
# pages; hostile study data shows as text and runs nothing; empty and failed-only
# studies give a page that says so; the parallel-coordinates legend names the better end
# for either direction, and numbers keep their digits. Screenshots go to <build>/tests/artifacts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
need_browser

make_study sqlite:m.db mixed mixed 60
"$HPSEARCH" report mixed --storage sqlite:m.db -o mixed.html 2> /dev/null
start=$(date +%s.%N)
res=$(check_page "file://$WORK/mixed.html" --interact --screenshot "$ARTIFACTS/report.png" \
      --charts history,importance,contour,parallel,slice,intermediate,strategy,table \
      --text "mixed" --text "loss = ")
expect_eq "report page passes ($res)" 0 $?
took=$("$PY" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
echo "report page: drawn in $(json_get "$res" 'd["ready_ms"]') ms after navigation; browser check took $took s"
expect_eq "table holds every trial" 60 "$(json_get "$res" 'd["table_total"]')"
[ -s "$ARTIFACTS/report.png" ] && ok "screenshot kept: $ARTIFACTS/report.png" || fail "no screenshot"

make_study sqlite:x.db '<img src=x onerror=window.__pwned=4>' xss 5
"$HPSEARCH" report '<img src=x onerror=window.__pwned=4>' --storage sqlite:x.db -o xss.html 2> /dev/null
res=$(check_page "file://$WORK/xss.html" --screenshot "$ARTIFACTS/report-hostile.png" \
      --charts history,table --text '<img src=x onerror=window.__pwned=4>' \
      --text '</script><script>window.__pwned=1</script>')
expect_eq "hostile names are shown as text and run nothing ($res)" 0 $?

make_study sqlite:m.db empty empty
"$HPSEARCH" report empty --storage sqlite:m.db -o empty.html 2> /dev/null
res=$(check_page "file://$WORK/empty.html" --status empty --text "This study has no trials yet" \
      --screenshot "$ARTIFACTS/report-empty.png")
expect_eq "empty study: a page that says so ($res)" 0 $?

make_study sqlite:m.db failed failed 3
"$HPSEARCH" report failed --storage sqlite:m.db -o failed.html 2> /dev/null
res=$(check_page "file://$WORK/failed.html" --text "No completed trials yet" --charts table)
expect_eq "failed-only study: a page with the table and no charts ($res)" 0 $?

# Parallel coordinates: the colour scale's ends say which way is better for a maximize
# and a minimize study, its handles show the objective's range with every digit, and
# the summary and table keep them too (0.0003, not 3.0000e-4; 0.9711, not 1).
make_study sqlite:d.db acc acc
"$HPSEARCH" report acc --storage sqlite:d.db -o acc.html 2> /dev/null
res=$(check_page "file://$WORK/acc.html" --charts parallel,table --chart-texts chart-parallel \
      --text "val_acc = 0.9711" --text "lr=0.0003" --text "0.00012" \
      --screenshot "$ARTIFACTS/report-maximize.png")
expect_eq "maximize study: the page keeps the digits ($res)" 0 $?
expect_eq "maximize study: 'better' at 0.9711, 'worse' at 0.9105" ok \
    "$(legend_check "$res" chart-parallel 0.9711 0.9105)"
make_study sqlite:d.db tiny tiny
"$HPSEARCH" report tiny --storage sqlite:d.db -o tiny.html 2> /dev/null
res=$(check_page "file://$WORK/tiny.html" --charts parallel,table --chart-texts chart-parallel \
      --text "loss = 0.0003" --text "lr=0.0087" --screenshot "$ARTIFACTS/report-minimize.png")
expect_eq "minimize study: the page keeps the digits ($res)" 0 $?
expect_eq "minimize study: 'better' at 0.0003, 'worse' at 0.0452" ok \
    "$(legend_check "$res" chart-parallel 0.0003 0.0452)"

# A conditional study: the trials where a parameter was inactive keep their lines in the
# parallel coordinates, at the axis's "inactive" mark, and the table shows them as –.
cat > cond.py <<'PYEOF'
import sys
print("loss=%d" % len(sys.argv))
PYEOF
write_config cond.yaml <<EOF2
study: cond
storage: sqlite:c.db
metric: loss
sampler: random
seed: 3
n_trials: 6
command: $PY cond.py \${args}
parameters:
  optimizer: [adam, sgd]
  momentum: {low: 0.5, high: 0.99, when: {optimizer: sgd}}
  width: {values: [wide, narrow], when: {optimizer: adam}}
EOF2
"$HPSEARCH" run cond.yaml --no-progress > /dev/null 2>&1
"$HPSEARCH" report cond --storage sqlite:c.db -o cond.html 2> /dev/null
res=$(check_page "file://$WORK/cond.html" --charts parallel,table --chart-texts chart-parallel \
      --screenshot "$ARTIFACTS/report-conditional.png")
expect_eq "conditional study: the page passes ($res)" 0 $?
expect_eq "conditional study: a numeric and a categorical axis show an inactive mark" 2 \
    "$(json_get "$res" 'sum(t["text"] == "inactive" for t in d["chart_texts"]["chart-parallel"])')"

# Population-based training: each member's hyperparameter schedule over the steps.
write_config pbt.yaml <<EOF2
study: pbt
storage: sqlite:p.db
metric: score
direction: maximize
seed: 7
parallel: 4
pbt: {population: 4, interval: 2}
fidelity: steps
command: $PY $HPS_SOURCE_DIR/tests/cli/pbt_trainer.py --tag $TAG --lr {lr} --steps {steps}
parameters:
  lr: {type: float, low: 0.001, high: 1.0, log: true}
  steps: {type: int, low: 1, high: 4}
EOF2
"$HPSEARCH" run pbt.yaml --no-progress > /dev/null 2>&1
"$HPSEARCH" report pbt --storage sqlite:p.db -o pbt.html 2> /dev/null
res=$(check_page "file://$WORK/pbt.html" --charts intermediate,pbt-lr,table \
      --text "Population-based training: hyperparameter schedules" --chart-texts chart-pbt-lr \
      --screenshot "$ARTIFACTS/report-pbt.png")
expect_eq "pbt study: the page passes with a schedule chart ($res)" 0 $?
expect_eq "pbt study: the chart names its four members" 4 \
    "$(json_get "$res" 'sum(t["text"].startswith("member ") for t in d["chart_texts"]["chart-pbt-lr"])')"

# A page whose data is malformed says so instead of breaking.
sed 's|<script id="hps-boot" type="application/json">|&{not json|' mixed.html > broken.html
res=$(check_page "file://$WORK/broken.html" --status error --text "malformed")
expect_eq "malformed data: an error message, no crash ($res)" 0 $?
finish

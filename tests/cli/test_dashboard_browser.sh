#!/usr/bin/env bash
# The dashboard in headless Chromium: the page lists the studies and draws a study's
# charts and table with no console message; it updates by itself as trials finish;
# hostile study names stay text; an empty storage gives a page that says so; the
# parallel-coordinates legend names the better end for either direction, and numbers
# keep their digits.
# Screenshots go to <build>/tests/artifacts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
need_browser

make_study sqlite:m.db mixed mixed 60
make_study sqlite:m.db '<img src=x onerror=window.__pwned=4>' xss 4
start_dashboard --storage sqlite:m.db --refresh 2 || finish

res=$(check_page "${DASH_URL}#study=mixed" --interact --screenshot "$ARTIFACTS/dashboard.png" \
      --charts history,importance,contour,parallel,slice,intermediate,table \
      --text "STUDIES (2)" --text "60 trials · best")
expect_eq "dashboard page passes ($res)" 0 $?
echo "dashboard page: drawn in $(json_get "$res" 'd["ready_ms"]') ms after navigation"

# Live: the page is open while ten more trials finish.
check_page "${DASH_URL}#study=mixed" --charts history,table --wait-for "70 trials" \
    --timeout 30000 > live.out &
checker=$!
sleep 3
make_study sqlite:m.db mixed mixed 10
wait "$checker"
expect_eq "the open page shows the new trials by itself ($(cat live.out))" 0 $?

res=$(check_page "${DASH_URL}#study=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' '<img src=x onerror=window.__pwned=4>')" \
      --charts history,table --text '<img src=x onerror=window.__pwned=4>' \
      --screenshot "$ARTIFACTS/dashboard-hostile.png")
expect_eq "hostile names stay text in the dashboard ($res)" 0 $?
stop_dashboard

# The same legend and digits through the dashboard's API.
make_study sqlite:d.db acc acc
make_study sqlite:d.db tiny tiny
start_dashboard --storage sqlite:d.db || finish
res=$(check_page "${DASH_URL}#study=acc" --charts parallel,table --chart-texts chart-parallel \
      --text "6 trials · best 0.9711" --text "val_acc = 0.9711" --text "lr=0.0003")
expect_eq "maximize study: the page keeps the digits ($res)" 0 $?
expect_eq "maximize study: 'better' at 0.9711, 'worse' at 0.9105" ok \
    "$(legend_check "$res" chart-parallel 0.9711 0.9105)"
res=$(check_page "${DASH_URL}#study=tiny" --charts parallel,table --chart-texts chart-parallel \
      --text "6 trials · best 0.0003" --text "loss = 0.0003")
expect_eq "minimize study: the page keeps the digits ($res)" 0 $?
expect_eq "minimize study: 'better' at 0.0003, 'worse' at 0.0452" ok \
    "$(legend_check "$res" chart-parallel 0.0003 0.0452)"
stop_dashboard

# an hpsearch database without studies (the dashboard does not create one: a missing
# or empty file is an error, see test_storage_files.sh)
make_study sqlite:none.db empty empty
"$HPSEARCH" delete empty --storage sqlite:none.db --yes > /dev/null
start_dashboard --storage sqlite:none.db || finish
res=$(check_page "$DASH_URL" --status empty --text "No studies yet")
expect_eq "an empty storage says so ($res)" 0 $?
stop_dashboard
finish

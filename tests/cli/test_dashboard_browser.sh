#!/usr/bin/env bash
# The dashboard in headless Chromium: the page lists the studies and draws a study's
# charts and table with no console message; it updates by itself as trials finish;
# hostile study names stay text; an empty storage gives a page that says so.
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

make_study sqlite:none.db empty empty
rm -f none.db
"$PY" -c "import sqlite3; sqlite3.connect('none.db').close()"
start_dashboard --storage sqlite:none.db || finish
res=$(check_page "$DASH_URL" --status empty --text "No studies yet")
expect_eq "an empty storage says so ($res)" 0 $?
stop_dashboard
finish

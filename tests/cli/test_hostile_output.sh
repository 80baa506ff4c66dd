#!/usr/bin/env bash
# Trials whose output is hostile: a 200 MB line with no newline, a flood of lines, binary
# bytes (NUL, invalid UTF-8), a line that never ends. hpsearch's memory stays bounded,
# the log stops at log_limit_mb, the metric printed after the flood is still read, and
# a trial that never finishes its line ends by trial_timeout as a clean FAIL.
source "$(dirname "$0")/lib.sh"

cat > flood.py <<'EOF2'
import sys
out = sys.stdout.buffer
chunk = b"x" * (1 << 20)
for _ in range(200):          # one 200 MiB line, no newline
    out.write(chunk)
out.write(b"\n")
for i in range(200000):       # a flood of lines, some that look like metrics
    out.write(b"epoch %d noise=%d loss=%d score_not=%d\n" % (i, i, i, i))
out.write(b"\x00\xff\xfe binary \xc3( junk \x00 score=oops\n")
out.write(b"score=0.75\n")
out.flush()
EOF2

cat > endless.py <<'EOF2'
import sys, time
out = sys.stdout.buffer
out.write(b"score=0.5 and then a line that never ends: ")
while True:
    out.write(b"y" * 4096)
    out.flush()
    time.sleep(0.001)
EOF2

write_config flood.yaml <<EOF2
study: flood
storage: sqlite:hostile.db
metric: score
direction: maximize
n_trials: 1
log_limit_mb: 1
command: $PY flood.py --tag $TAG
parameters:
  x: {type: float, low: 0, high: 1}
EOF2

/usr/bin/time -f "%M" -o flood.rss "$HPSEARCH" run flood.yaml --no-progress > flood.out 2>&1
expect_eq "flooding trial: exit 0" 0 $?
expect_eq "the metric after 200 MiB of output is read" "2|0.75" \
    "$(sql hostile.db "SELECT state, value FROM trials JOIN trial_values USING (trial_id)")"
log=$(ls hpsearch-logs/flood/trial-00000.log)
size=$(stat -c %s "$log")
[ "$size" -le $((1024 * 1024 + 200)) ] && ok "log cut at 1 MiB ($size bytes)" ||
    fail "log is $size bytes, over log_limit_mb: 1"
expect_contains "the log says it was cut" "log cut at 1 MiB" "$(tail -c 200 "$log")"
rss_kb=$(tail -n 1 flood.rss)
echo "peak RSS of hpsearch while a trial printed 230 MB: $rss_kb KiB"
# a buffer that grew with the line would hold 200 MiB; ASan builds start near 60 MiB
[ "$rss_kb" -lt 150000 ] && ok "memory bounded while reading a 200 MiB line" ||
    fail "peak RSS $rss_kb KiB: the 200 MiB line was buffered"

write_config endless.yaml <<EOF2
study: endless
storage: sqlite:hostile.db
metric: score
direction: maximize
n_trials: 1
trial_timeout: 2
log_limit_mb: 1
command: $PY endless.py --tag $TAG
parameters:
  x: {type: float, low: 0, high: 1}
EOF2
"$HPSEARCH" run endless.yaml --no-progress > endless.out 2>&1
expect_eq "never-ending line: the run ends (exit 1, no COMPLETE trial)" 1 $?
expect_eq "the trial is FAIL" "4" \
    "$(sql hostile.db "SELECT state FROM trials JOIN studies USING (study_id) WHERE name = 'endless'")"
expect_contains "reason: the timeout" "timed out after 2s" \
    "$(sql hostile.db "SELECT t.system_attrs FROM trials t JOIN studies USING (study_id) WHERE name = 'endless'")"
if pgrep -f "endless.py --tag $TAG" > /dev/null; then fail "the endless trial survived"; else ok "the endless trial was killed"; fi
expect_eq "database intact" "ok" "$(sql hostile.db 'PRAGMA integrity_check')"

finish

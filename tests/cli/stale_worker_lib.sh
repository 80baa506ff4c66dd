# stale_worker_lib.sh -- sourced after lib.sh by the tests of a worker frozen with SIGSTOP
# while its trials are recovered as stale (test_stale_worker.sh,
# test_stale_worker_stopped.sh, test_stale_worker_run_handed_back.sh).
#   start_late_worker CONFIG OUT DB N WHAT   starts `hpsearch run CONFIG` in the
#                           background ($late: its pid; its output in OUT.out, OUT.err)
#                           and waits until DB (sqlite) has N trials RUNNING: check WHAT
#   end_late_worker STILL WHAT   waits up to 30 s for the woken worker to end (then fails
#                           with STILL and stops it), and checks WHAT: it exited 0
# Whatever fails, the test's exit never leaves the worker frozen: it is woken and stopped
# before lib.sh's own clean-up.

late=""
stale_lib_exit=$(trap -p EXIT)
stale_lib_exit=${stale_lib_exit#"trap -- '"}
stale_lib_exit=${stale_lib_exit%"' EXIT"}
trap 'if [ -n "$late" ]; then kill -CONT $late 2>/dev/null; kill $late 2>/dev/null; fi; '"$stale_lib_exit" EXIT

start_late_worker() {
    "$HPSEARCH" run "$1" --no-progress -q > "$2.out" 2> "$2.err" &
    late=$!
    for _ in $(seq 1 600); do
        [ "$(sql "$3" "SELECT count(*) FROM trials WHERE state = 1" 2>/dev/null)" = "$4" ] && break
        sleep 0.05
    done
    expect_eq "$5" "$4" "$(sql "$3" "SELECT count(*) FROM trials WHERE state = 1")"
}

end_late_worker() {
    local waited=0
    while kill -0 "$late" 2>/dev/null && [ $waited -lt 300 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$late" 2>/dev/null; then
        fail "$1"
        kill "$late"
    fi
    wait "$late"
    expect_eq "$2" 0 $?
    late=""
}

/* worker.h -- naming this process as a trial's worker, and telling whether the
 * worker named in a trial is still alive (same host only).
 *
 * In base/ because it knows nothing of studies or trials, only of processes and hosts:
 * the engine names its trials' workers with it, and the hpsearch command names the run
 * that adds a warm start's trials (cli/warm_start.c), which may not include engine/. */
#ifndef HPS_BASE_WORKER_H
#define HPS_BASE_WORKER_H

/* "HOST:PID:START" where START is the process start time in clock ticks since boot,
 * so a recycled pid is not mistaken for the original process. NULL on OOM. */
char *hps_worker_self_id(void);

/* 1 if `worker` names a process on this host that no longer exists, 0 if it is alive,
 * on another host, or the id cannot be parsed. */
int hps_worker_is_dead_local(const char *worker);

#endif

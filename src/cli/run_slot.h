/* run_slot.h -- one concurrent trial of `hpsearch run`: its process, its log, its
 * metric, and how it ends.
 *
 * A slot turns an asked trial into a running command (parameters through the command
 * template, the environment and a JSON file), follows the command's output for the
 * metric (each occurrence reported as an intermediate value; metric.summary picks the
 * result, by default the last) -- and for the other objectives and the constraints --
 * and records the outcome in the study: COMPLETE with the values and constraint values;
 * FAIL with the reason (exit status, timeout, a metric or constraint never printed) and the
 * output's last lines; PRUNED when the pruner stops it, or when it times out with
 * timeout_state: pruned after reporting a value; interrupted when the run itself is
 * stopped, and queued again to continue from its checkpoint when the run is preempted
 * (SIGTERM). A trial that stopped being this run's while it ran -- storage refuses its
 * report or its heartbeat because it was recovered as stale and failed, paused or
 * taken over by another worker -- is stopped as a pruned one is (SIGTERM, the grace,
 * SIGKILL) and nothing of it is recorded. */
#ifndef HPS_CLI_RUN_SLOT_H
#define HPS_CLI_RUN_SLOT_H

#include "cli/config.h"
#include "cli/pbt.h"
#include "hpsearch.h"
#include "runner/gpus.h"
#include "runner/linebuf.h"
#include "runner/metrics.h"
#include "runner/proc.h"
#include "runner/template.h"

/* Seconds between the polite SIGTERM and the SIGKILL when a trial must end. */
#define SLOT_KILL_GRACE 5.0

typedef struct run_settings {
    const cfg_config *cfg;
    hps_study *study;
    const char *log_dir;       /* absolute */
    const char *checkpoint_root; /* absolute: this study's checkpoints, one directory per
                                    run of a configuration (see slot_start) */
    const char *storage_url;   /* passed to trials as HPSEARCH_STORAGE */
    const char *python_path;   /* put first on the trials' PYTHONPATH (the wandb
                                  stand-in's directory), or NULL */
    gpu_pool *gpus;            /* each trial takes its devices here, or NULL (none) */
    int space_version;         /* the study's space version (identity.h): after a change
                                  (> 1), each trial records it as system attribute
                                  "space_version" */
} run_settings;

typedef enum slot_ending {
    SLOT_ENDING_NONE = 0,
    SLOT_ENDING_TIMEOUT,   /* over trial_timeout: FAIL, or PRUNED (timeout_state) */
    SLOT_ENDING_PRUNE,     /* the pruner said stop: PRUNED */
    SLOT_ENDING_INTERRUPT, /* the run is stopping: FAIL as interrupted */
    SLOT_ENDING_PREEMPT,   /* the run got SIGTERM: FAIL as interrupted, and queued again
                              with the same parameters and checkpoint directory */
    SLOT_ENDING_TAKEN_OVER /* storage refused the trial's report or heartbeat: it was
                              recovered as stale while this run ran it (this worker was
                              frozen or cut off), and is failed, paused or another
                              worker's now. Killed at once (SIGKILL, no SIGTERM: a
                              checkpoint saved now would land in the directory the
                              trial's new run uses). Nothing is recorded. */
} slot_ending;

typedef struct run_slot {
    unsigned index;            /* fixed */
    int busy;
    hps_trial *trial;
    proc *process;
    linebuf *lines;
    metric_tracker *metric;    /* the first objective: its values are reported as the
                                  trial's intermediate values (with several objectives,
                                  with theirs at each step they all have); keeps the
                                  output's tail */
    metric_tracker **more;     /* the other objectives, then the constraints, in the
                                  config's order */
    size_t n_more;
    int64_t resume_step;       /* the step the checkpoint of a resumed trial holds; -1 */
    int64_t max_step;          /* the pruner's end of this slice (the trial pauses
                                  there, HPSEARCH_MAX_STEP); -1: none */
    int64_t full_step;         /* the pruner's full budget (hps_pruner_full_step): a
                                  trial whose last step reaches it has finished; -1 */
    int64_t reported_step;     /* several objectives: the step last reported, once
                                  has_reported */
    int has_reported;
    int log_fd;
    uint64_t log_bytes;        /* written to log_fd so far */
    char log_path[4096];
    char params_text[1024];    /* "lr=0.01 hidden_size=64", for messages */
    double started;
    double deadline;           /* trial_timeout, 0 = none */
    double kill_at;            /* when SIGKILL follows the SIGTERM, 0 = not ending */
    slot_ending ending;
    char taken_over_why[600];  /* SLOT_ENDING_TAKEN_OVER: the library's words for it */
    char run_key[40];          /* hps_trial_run_key: the run its checkpoint directory is
                                  keyed by; "" for a pbt member (its own directory) */
    int exited;
    int wstatus;
    double started_wall;       /* the wall clock at start: artifacts are files written since */
    char **artifacts;          /* `artifacts:` patterns expanded for this trial */
    size_t n_artifacts;
    gpu_pool *gpu_pool;        /* where the trial's GPUs came from; NULL: it has none */
    size_t gpus[CFG_MAX_GPUS_PER_TRIAL]; /* the trial's GPUs (indices into the pool) */
} run_slot;

/* What happened to a finished slot's trial, for the caller's message. */
typedef struct slot_outcome {
    int64_t number;
    hps_trial_state state;
    int interrupted;
    int64_t paused_step;       /* PAUSED: the step it paused at */
    double value;              /* COMPLETE/PRUNED: the value told (the first objective's) */
    double values[CFG_MAX_OBJECTIVES]; /* COMPLETE: every objective's value */
    size_t n_values;
    double constraints[CFG_MAX_CONSTRAINTS]; /* COMPLETE: each constraint's value as read
                                  (not yet made <= 0 when feasible) */
    size_t n_constraints;
    double seconds;
    char reason[1024];         /* FAIL: why; includes the last output line */
    char kind[600];            /* FAIL: why without the output ("exit status 1"), so
                                  failures can be compared */
    char params_text[1024];
    char log_path[4096];
    int record_error;          /* the outcome could not be stored (message in reason) */
    int taken_over;            /* not stored either, and rightly: the trial was recovered
                                  as stale while this run ran it (this worker was frozen
                                  or cut off) and is failed, or another worker's, now;
                                  its process was stopped if it still ran */
    size_t n_artifacts;        /* files kept (`artifacts:`) */
} slot_outcome;

void slot_init(run_slot *slot, unsigned index);

/* Starts `trial` in an idle slot (taking ownership of the trial handle), with its GPUs
 * from run->gpus: CUDA_VISIBLE_DEVICES and HPSEARCH_NUM_GPUS in its environment, and
 * the list in its system attribute "gpus"; they go back to the pool when it ends. A
 * member's round of population-based training (`pbt`, else NULL) runs in the round's
 * checkpoint directory, with the fidelity parameter at the round's stop step and
 * HPSEARCH_RESUME_STEP (after round 0) / HPSEARCH_MAX_STEP in its environment. On failure
 * returns -1 with a message; the trial is recorded FAIL as interrupted (a command that
 * cannot start is the config's fault, not the trial's). */
int slot_start(run_slot *slot, const run_settings *run, hps_trial *trial,
               const pbt_round *pbt, char *err, size_t errlen);

/* Output fd to poll, or -1. */
int slot_fd(const run_slot *slot);

/* Consumes available output; reports metric values; may start ending the trial if the
 * pruner says so. */
void slot_pump(run_slot *slot, const run_settings *run, double now);

/* Begins ending the trial (SIGTERM now, SIGKILL after the grace). A later, stronger
 * reason does not replace an earlier one. force: SIGKILL at once. */
void slot_end(run_slot *slot, slot_ending why, double now, int force);

/* Begins ending the trial because the run is preempted: SIGTERM now, so that it can save
 * a checkpoint, and SIGKILL `grace` seconds later (0: SIGKILL at once). A trial already
 * ending keeps its reason (pruned, timed out, interrupted). */
void slot_preempt(run_slot *slot, double now, double grace);

/* Advances timers, stops a trial whose heartbeat storage refused (see
 * SLOT_ENDING_TAKEN_OVER), and reaps the process. Returns 1 when the trial is over: then
 * the outcome is recorded in the study, described in *out, and the slot is idle again. */
int slot_poll(run_slot *slot, const run_settings *run, double now, slot_outcome *out);

/* Stops the slot's trial at once if storage says it is no longer this run's (as
 * slot_poll does). Returns 1 while a trial so stopped has not exited yet: a trial
 * started before it has would share a checkpoint directory with a live process. */
int slot_stop_taken_over(run_slot *slot, double now);

/* Whether the slot runs `run_key`'s run (hps_trial_run_key) -- whose checkpoint
 * directory a trial that carries that run out uses. */
int slot_runs(const run_slot *slot, const char *run_key);

/* The trial just asked, number `number`, carries out this slot's run (its retry, or the
 * same trial resumed after storage took it from this run): the slot's trial is taken
 * over. Kills its process (SIGKILL) and waits until it has exited, so that nothing of
 * it writes into the checkpoint directory once the new trial starts; slot_poll then
 * ends the slot as SLOT_ENDING_TAKEN_OVER. */
void slot_yield_run(run_slot *slot, int64_t number, double now);

/* Earliest time something must happen in this slot (deadline or kill), or 0. */
double slot_next_event(const run_slot *slot);

#endif

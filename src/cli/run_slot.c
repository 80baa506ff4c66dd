/* run_slot.c -- one concurrent trial of `hpsearch run`. */
#include "cli/run_slot.h"

#include "cli/cli.h"
#include "cli/run_artifacts.h"
#include "cli/space.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Output lines longer than this are cut for metric parsing (the log keeps them). */
#define SLOT_MAX_LINE 65536
/* Lines of output kept for a failed trial's reason. */
#define SLOT_TAIL_LINES 20

void slot_init(run_slot *slot, unsigned index)
{
    memset(slot, 0, sizeof *slot);
    slot->index = index;
    slot->log_fd = -1;
}

static void slot_release(run_slot *slot)
{
    unsigned index = slot->index;
    proc_free(slot->process);
    linebuf_free(slot->lines);
    metric_tracker_free(slot->metric);
    for (size_t k = 0; k < slot->n_more; k++)
        metric_tracker_free(slot->more[k]);
    free(slot->more);
    if (slot->log_fd >= 0)
        close(slot->log_fd);
    hps_trial_free(slot->trial);
    tmpl_free_words(slot->artifacts, slot->n_artifacts);
    if (slot->gpu_pool != NULL)
        gpu_pool_give_back(slot->gpu_pool, slot->gpus);
    slot_init(slot, index);
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, text, strlen(text));
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static void describe_params(const tmpl_param *params, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        char value[128];
        cli_format_value(params[i].value, value, sizeof value);
        int k = snprintf(buf + used, size - used, "%s%s=%s", i > 0 ? " " : "", params[i].name,
                         value);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* Builds "NAME=value" strings for the trial's environment. */
typedef struct env_list {
    char *items[20];
    size_t n;
} env_list;

static int env_add(env_list *env, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    char *item = malloc(len);
    if (item == NULL)
        return -1;
    snprintf(item, len, "%s=%s", name, value);
    env->items[env->n++] = item;
    env->items[env->n] = NULL;
    return 0;
}

/* The trial's PYTHONPATH: `first`, then the user's own entries, if any. */
static int env_add_python_path(env_list *env, const char *first)
{
    const char *user = getenv("PYTHONPATH");
    if (user == NULL || user[0] == '\0')
        return env_add(env, "PYTHONPATH", first);
    size_t len = strlen(first) + strlen(user) + 2;
    char *value = malloc(len);
    if (value == NULL)
        return -1;
    snprintf(value, len, "%s:%s", first, user);
    int rc = env_add(env, "PYTHONPATH", value);
    free(value);
    return rc;
}

/* Python block-buffers output into a pipe, so without this a trial's metric lines
 * reach the pruner and the timeout only in bursts (or never, if it is killed). A
 * setting of the user's own, even an empty one, is left alone. */
static int env_add_unbuffered(env_list *env)
{
    if (getenv("PYTHONUNBUFFERED") != NULL)
        return 0;
    return env_add(env, "PYTHONUNBUFFERED", "1");
}

static void env_clear(env_list *env)
{
    for (size_t i = 0; i < env->n; i++)
        free(env->items[i]);
    env->n = 0;
}

/* The trial's GPUs from the pool: in its environment (CUDA_VISIBLE_DEVICES, and their
 * number for `torchrun --nproc_per_node`) and recorded with it (system attribute
 * "gpus": ["0", "1"]). */
static int take_gpus(run_slot *slot, gpu_pool *pool, env_list *env, char *err, size_t errlen)
{
    char devices[4096], count[16];
    if (pool == NULL || pool->n == 0)
        return 0;
    if (gpu_pool_take(pool, slot->gpus) != 0) {
        snprintf(err, errlen, "no free GPU"); /* parallel is at most what the pool holds */
        return -1;
    }
    slot->gpu_pool = pool;
    snprintf(count, sizeof count, "%u", pool->per_trial);
    if (gpu_pool_format(pool, slot->gpus, devices, sizeof devices) != 0) {
        snprintf(err, errlen, "the trial's GPU ids are too long for CUDA_VISIBLE_DEVICES");
        return -1;
    }
    json_t *list = json_array();
    for (unsigned k = 0; list != NULL && k < pool->per_trial; k++)
        json_array_append_new(list, json_string(pool->ids[slot->gpus[k]]));
    char *json = list != NULL ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    int rc = 0;
    if (json == NULL || env_add(env, "CUDA_VISIBLE_DEVICES", devices) != 0 ||
        env_add(env, "HPSEARCH_NUM_GPUS", count) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else if (hps_trial_set_system_attr(slot->trial, "gpus", json) != HPS_OK) {
        snprintf(err, errlen, "cannot record the trial's GPUs: %s", hps_trial_errmsg(slot->trial));
        rc = -1;
    }
    free(json);
    return rc;
}

/* FNV-1a: a stable name for a set of parameters (not a security boundary). */
static uint64_t hash_text(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static metric_tracker *new_tracker(const cfg_metric *m, size_t tail_lines, char *err,
                                   size_t errlen)
{
    metric_tracker *t = metric_tracker_new(m->name, tail_lines, 400);
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (m->regex != NULL && metric_tracker_set_regex(t, m->regex, err, errlen) != 0) {
        metric_tracker_free(t);
        return NULL;
    }
    return t;
}

/* A tracker per objective and constraint; the first objective's keeps the tail. */
static int start_trackers(run_slot *slot, const cfg_config *cfg, char *err, size_t errlen)
{
    slot->metric = new_tracker(&cfg->objectives[0], SLOT_TAIL_LINES, err, errlen);
    if (slot->metric == NULL)
        return -1;
    size_t n = cfg->n_objectives - 1 + cfg->n_constraints;
    if (n == 0)
        return 0;
    slot->more = calloc(n, sizeof *slot->more);
    if (slot->more == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        size_t entry = k + 1; /* objectives, then constraints */
        const cfg_metric *m = entry < cfg->n_objectives
                                  ? &cfg->objectives[entry]
                                  : &cfg->constraints[entry - cfg->n_objectives];
        slot->more[k] = new_tracker(m, 0, err, errlen);
        if (slot->more[k] == NULL)
            return -1;
        slot->n_more = k + 1;
    }
    return 0;
}

/* A member's round trains up to its stop step: the fidelity parameter says so. */
static void set_fidelity(const cfg_config *cfg, tmpl_param *params, size_t n, int64_t stop)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(params[k].name, cfg->fidelity) != 0)
            continue;
        if (params[k].value.type == HPS_VALUE_INT)
            params[k].value.u.i = stop;
        else
            params[k].value.u.f = (double)stop;
    }
}

int slot_start(run_slot *slot, const run_settings *run, hps_trial *trial,
               const pbt_round *pbt, char *err, size_t errlen)
{
    const cfg_config *cfg = run->cfg;
    int64_t number = hps_trial_number(trial);
    tmpl_param *params = calloc(cfg->n_params + 1, sizeof *params);
    char **argv = NULL;
    size_t argc = 0;
    char *shell_line = NULL, *params_json = NULL;
    env_list env = {.n = 0};
    char json_path[4200], number_text[32];
    int rc = -1;

    slot->trial = trial;
    slot->busy = 1;
    snprintf(slot->log_path, sizeof slot->log_path, "%s/trial-%05" PRId64 ".log", run->log_dir,
             number);
    snprintf(json_path, sizeof json_path, "%s/trial-%05" PRId64 ".params.json", run->log_dir,
             number);
    snprintf(number_text, sizeof number_text, "%" PRId64, number);
    if (params == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t n_params = 0; /* the active ones */
    if (space_suggest_all(cfg, trial, params, &n_params, err, errlen) != HPS_OK)
        goto out;
    if (run->space_version > 1) {
        char version_text[16];
        snprintf(version_text, sizeof version_text, "%d", run->space_version);
        if (hps_trial_set_system_attr(trial, "space_version", version_text) != HPS_OK) {
            snprintf(err, errlen, "cannot record the space version: %s", hps_trial_errmsg(trial));
            goto out;
        }
    }
    /* Make the parameters visible (trials listing, retries) before the long run. */
    if (hps_trial_flush(trial) != HPS_OK) {
        snprintf(err, errlen, "cannot store the parameters: %s", hps_trial_errmsg(trial));
        goto out;
    }
    if (pbt != NULL)
        set_fidelity(cfg, params, n_params, pbt->stop_step);
    describe_params(params, n_params, slot->params_text, sizeof slot->params_text);
    params_json = tmpl_params_json(params, n_params);
    if (params_json == NULL || write_file(json_path, params_json) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", json_path, strerror(errno));
        goto out;
    }
    tmpl_context ctx = {
        .params = params,
        .n_params = n_params,
        .program = cfg->program,
        .interpreter = cfg->interpreter,
        .args_json_file = json_path,
        .study_name = cfg->study_name,
        .trial_number = number,
    };
    if (artifacts_expand(cfg, &ctx, &slot->artifacts, &slot->n_artifacts, err, errlen) != 0)
        goto out;
    if (cfg->shell_command != NULL) {
        if (tmpl_expand_shell(cfg->shell_command, &ctx, &shell_line, err, errlen) != 0)
            goto out;
        argv = calloc(4, sizeof *argv);
        if (argv == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        argv[0] = strdup("/bin/sh");
        argv[1] = strdup("-c");
        argv[2] = shell_line;
        shell_line = NULL;
        argc = 3;
        if (argv[0] == NULL || argv[1] == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    } else if (tmpl_expand_argv(cfg->command, cfg->n_command, &ctx, &argv, &argc, err, errlen) != 0) {
        goto out;
    }
    /* A checkpoint directory per run of a configuration in this study: the trial that
     * takes over an interrupted or failed run (a retry; the re-run of a finite space's
     * configuration after Ctrl-C, a crash or a dead node) finds what its predecessor
     * saved and continues; any other trial -- of this study, of a repeat, of a study
     * created again under the same name -- starts empty. The parameters are in the name
     * too, so a directory never passes to another configuration. */
    char checkpoint_dir[4400], start_text[32], stop_text[32];
    if (pbt != NULL)
        snprintf(checkpoint_dir, sizeof checkpoint_dir, "%s", pbt->checkpoint_dir);
    else
        snprintf(checkpoint_dir, sizeof checkpoint_dir, "%s/%s-%016llx", run->checkpoint_root,
                 hps_trial_run_key(trial), (unsigned long long)hash_text(params_json));
    if (pbt == NULL)
        snprintf(slot->run_key, sizeof slot->run_key, "%s", hps_trial_run_key(trial));
    if (mkdir(checkpoint_dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", checkpoint_dir, strerror(errno));
        goto out;
    }
    /* A paused trial's slice of its budget (the checkpoint contract, docs/config.md):
     * where a resumed one goes on, and where this run should save and stop. */
    char resume_text[32], max_text[32];
    slot->resume_step = hps_trial_resume_step(trial);
    if (hps_trial_max_step(trial, &slot->max_step) != HPS_OK) {
        snprintf(err, errlen, "%s", hps_trial_errmsg(trial));
        goto out;
    }
    slot->full_step = hps_pruner_full_step(hps_study_pruner(run->study));
    snprintf(resume_text, sizeof resume_text, "%" PRId64, slot->resume_step);
    snprintf(max_text, sizeof max_text, "%" PRId64, slot->max_step);
    if ((slot->resume_step >= 0 && env_add(&env, "HPSEARCH_RESUME_STEP", resume_text) != 0) ||
        (slot->max_step >= 0 && env_add(&env, "HPSEARCH_MAX_STEP", max_text) != 0)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (env_add(&env, "HPSEARCH_CHECKPOINT_DIR", checkpoint_dir) != 0 ||
        env_add(&env, "HPSEARCH_PARAMS", params_json) != 0 ||
        env_add(&env, "HPSEARCH_TRIAL_NUMBER", number_text) != 0 ||
        env_add(&env, "HPSEARCH_STUDY", cfg->study_name) != 0 ||
        env_add(&env, "HPSEARCH_STORAGE", run->storage_url) != 0 ||
        env_add(&env, "HPSEARCH_PARAMS_FILE", json_path) != 0 ||
        env_add_unbuffered(&env) != 0 ||
        (run->python_path != NULL && env_add_python_path(&env, run->python_path) != 0)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (pbt != NULL) {
        snprintf(start_text, sizeof start_text, "%" PRId64, pbt->start_step);
        snprintf(stop_text, sizeof stop_text, "%" PRId64, pbt->stop_step);
    }
    /* a round keeps the paused-trial contract's names: where its checkpoint stands (none
     * in round 0) and the step to train to */
    if (pbt != NULL && ((pbt->start_step > 0 &&
                         env_add(&env, "HPSEARCH_RESUME_STEP", start_text) != 0) ||
                        env_add(&env, "HPSEARCH_MAX_STEP", stop_text) != 0)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (take_gpus(slot, run->gpus, &env, err, errlen) != 0)
        goto out;
    /* a trial number runs once -- a log left by a deleted study of the same name goes --
     * except that a resumed trial's slices go on in one log */
    int keep = slot->resume_step >= 0 ? O_APPEND : O_TRUNC;
    slot->log_fd = open(slot->log_path, O_WRONLY | O_CREAT | keep | O_CLOEXEC, 0640);
    slot->log_bytes = 0;
    if (slot->log_fd < 0) {
        snprintf(err, errlen, "cannot create trial log %s: %s", slot->log_path, strerror(errno));
        goto out;
    }
    slot->lines = linebuf_new(SLOT_MAX_LINE);
    if (slot->lines == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (start_trackers(slot, cfg, err, errlen) != 0)
        goto out;
    /* One rule for metric lines without a step in a trial that runs in slices -- a
     * paused trial's (HPSEARCH_MAX_STEP, HPSEARCH_RESUME_STEP) or a PBT round: a slice
     * reports the steps after its start up to its stop, as a script that prints its
     * steps does, so the count starts at the step after the start -- what a resumed
     * trial's checkpoint holds, a PBT round's start, or 0 for a first slice -- and the
     * steps go on from slice to slice without a gap or a repeat (a first slice counted
     * from 0 never reached its HPSEARCH_MAX_STEP, so it completed instead of pausing). A
     * trial that is not sliced counts from 0, as ever. */
    int64_t start = pbt != NULL                 ? pbt->start_step
                    : slot->resume_step >= 0    ? slot->resume_step
                    : slot->max_step >= 0       ? 0
                                                : -1;
    int64_t first_step = start + 1;
    metric_tracker_set_first_step(slot->metric, first_step);
    for (size_t k = 0; k < slot->n_more; k++)
        metric_tracker_set_first_step(slot->more[k], first_step);
    proc_spec spec = {.argv = argv, .env_set = env.items, .cwd = cfg->workdir};
    slot->started_wall = artifacts_now();
    if (proc_start(&spec, &slot->process, err, errlen) != 0)
        goto out;
    slot->started = cli_monotonic();
    if (cfg->trial_timeout > 0)
        slot->deadline = slot->started + cfg->trial_timeout;
    rc = 0;
out:
    if (rc != 0) {
        /* Record why the trial never ran; it frees its grid cell and budget. */
        char reason[1200];
        snprintf(reason, sizeof reason, "could not start: %s", err);
        hps_trial_interrupt(trial, reason);
        slot_release(slot);
    }
    if (argv != NULL)
        tmpl_free_words(argv, argc);
    free(shell_line);
    free(params_json);
    free(params);
    env_clear(&env);
    return rc;
}

int slot_fd(const run_slot *slot)
{
    return slot->busy && slot->process != NULL ? proc_output_fd(slot->process) : -1;
}

typedef struct line_ctx {
    run_slot *slot;
    const run_settings *run;
    double now;
} line_ctx;

static metric_summary summary_of(const cfg_metric *m, int is_constraint);

/* A constraint's value as the library keeps it: <= 0 when satisfied. */
static double stored_constraint(const cfg_metric *c, double value)
{
    return c->upper ? value - c->bound : c->bound - value;
}

static int has_nan_value(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return 1;
    return 0;
}

/* Whether an outcome the library refused (rc) was refused because the trial is not this
 * run's any more: recovered as stale while it ran, failed or handed to another worker.
 * The library says HPS_ERR_STATE both for that and for a handle already finished
 * ("trial N is already COMPLETE"), which would be this run's own mistake; only in the
 * first case does the handle still hold the trial RUNNING, since the refusal came from
 * storage (or from a recovery in this process) and not from the handle's own state. */
static int taken_over(hps_trial *trial, hps_status rc)
{
    return rc == HPS_ERR_STATE && hps_frozen_state(hps_trial_frozen(trial)) == HPS_RUNNING;
}

/* Stops a trial that storage says is no longer this run's (see SLOT_ENDING_TAKEN_OVER)
 * at once, with SIGKILL, keeping the library's words for the outcome. Not with SIGTERM
 * as a pruned trial: SIGTERM means "save a checkpoint now" (docs/config.md), and this
 * process's checkpoint directory (keyed by the run key and the parameters) is the one
 * the trial's new run uses -- a save from the stale process would land under it. A
 * process that has exited already is not stopped: its outcome is refused when it is
 * recorded. */
static void stop_taken_over(run_slot *slot, double now)
{
    /* its lines may be read after it exited (a worker frozen meanwhile reads them all
     * at once): reaped here, it is not said to be stopped */
    if (!slot->exited && proc_poll_exit(slot->process, &slot->wstatus) == 1)
        slot->exited = 1;
    if (slot->exited || slot->ending != SLOT_ENDING_NONE)
        return;
    snprintf(slot->taken_over_why, sizeof slot->taken_over_why, "%s",
             hps_trial_errmsg(slot->trial));
    slot_end(slot, SLOT_ENDING_TAKEN_OVER, now, 1);
}

/* With several objectives a step is reported once every objective has a value at it
 * (on one line, or on lines with the same step or epoch key, or the same count), so a
 * pruner ranks whole vectors; the constraints' values so far are set first, for a
 * pruner that ranks infeasible trials last. Returns 1 when it reported a step. */
static int report_every_objective(run_slot *slot, const cfg_config *cfg, hps_status *rc)
{
    *rc = HPS_OK;
    double values[CFG_MAX_OBJECTIVES];
    int64_t step = metric_tracker_last_step(slot->metric);
    for (size_t k = 0; k < cfg->n_objectives; k++) {
        const metric_tracker *t = k == 0 ? slot->metric : slot->more[k - 1];
        if (!metric_tracker_has_value(t) || metric_tracker_last_step(t) != step)
            return 0;
        values[k] = metric_tracker_last_value(t);
    }
    if (slot->has_reported && slot->reported_step == step)
        return 0;
    double constraints[CFG_MAX_CONSTRAINTS];
    size_t n = 0;
    for (size_t k = 0; k < cfg->n_constraints; k++) {
        const metric_tracker *t = slot->more[cfg->n_objectives - 1 + k];
        const cfg_metric *c = &cfg->constraints[k];
        if (metric_tracker_has_value(t))
            constraints[n++] = stored_constraint(c, metric_tracker_summary(t, summary_of(c, 1)));
    }
    if (n > 0 && n == cfg->n_constraints && !has_nan_value(constraints, n))
        hps_trial_set_constraints(slot->trial, constraints, n);
    *rc = hps_trial_report_values(slot->trial, step, values, cfg->n_objectives);
    if (*rc != HPS_OK)
        return 0;
    slot->reported_step = step;
    slot->has_reported = 1;
    return 1;
}

static int on_line(void *user, const char *line, size_t len, int truncated)
{
    line_ctx *lc = user;
    run_slot *slot = lc->slot;
    const cfg_config *cfg = lc->run->cfg;
    (void)truncated;
    int64_t step;
    double value;
    for (size_t k = 0; k < slot->n_more; k++)
        metric_tracker_line(slot->more[k], line, len, NULL, NULL);
    int carries_first = metric_tracker_line(slot->metric, line, len, &step, &value);
    /* NaN is reported too (a diverging run, which pruners stop); the final value
     * decides the trial's state. */
    /* A run being stopped still records the steps its trials finish in their grace
     * (the checkpoint contract's "finish the step, save, exit"): a resumed trial pauses
     * again at the last of them, where its checkpoint stands. */
    int stopping = slot->ending == SLOT_ENDING_INTERRUPT || slot->ending == SLOT_ENDING_PREEMPT;
    if (slot->ending != SLOT_ENDING_NONE && !stopping)
        return 0;
    hps_status rc = HPS_OK;
    int reported = 0;
    if (cfg->n_objectives > 1) {
        reported = report_every_objective(slot, cfg, &rc);
    } else if (carries_first) {
        rc = hps_trial_report(slot->trial, step, value);
        reported = rc == HPS_OK;
    }
    /* storage refused the step: the trial is not this run's any more */
    if (taken_over(slot->trial, rc))
        stop_taken_over(slot, lc->now);
    if (!reported)
        return 0;
    int prune = 0;
    if (!stopping && hps_trial_should_prune(slot->trial, &prune) == HPS_OK && prune)
        slot_end(slot, SLOT_ENDING_PRUNE, lc->now, 0);
    return 0;
}

/* Appends a trial's output to its log, up to the limit; the output is still scanned for
 * metrics after the log stops. */
static void log_output(run_slot *slot, unsigned limit_mb, const char *data, size_t len)
{
    if (slot->log_fd < 0)
        return;
    uint64_t limit = (uint64_t)limit_mb << 20;
    int cut = limit > 0 && slot->log_bytes + len > limit;
    if (cut)
        len = (size_t)(limit - slot->log_bytes);
    int failed = write_all(slot->log_fd, data, len) != 0;
    slot->log_bytes += len;
    if (cut && !failed) {
        char note[160];
        int k = snprintf(note, sizeof note,
                         "\n[hpsearch: log cut at %u MiB (log_limit_mb); the trial goes on and "
                         "its output is still read for metrics]\n", limit_mb);
        failed = write_all(slot->log_fd, note, (size_t)k) != 0;
    }
    if (cut || failed) {
        close(slot->log_fd); /* a full disk must not stop the trial */
        slot->log_fd = -1;
    }
}

void slot_pump(run_slot *slot, const run_settings *run, double now)
{
    char buf[65536];
    line_ctx lc = {.slot = slot, .run = run, .now = now};
    /* Bounded per call, so one chatty trial cannot starve the others. */
    for (int rounds = 0; rounds < 16 && slot_fd(slot) >= 0; rounds++) {
        ssize_t n = proc_read(slot->process, buf, sizeof buf);
        if (n > 0) {
            log_output(slot, run->cfg->log_limit_mb, buf, (size_t)n);
            linebuf_feed(slot->lines, buf, (size_t)n, on_line, &lc);
            continue;
        }
        if (n == 0)
            linebuf_finish(slot->lines, on_line, &lc);
        break;
    }
}

void slot_end(run_slot *slot, slot_ending why, double now, int force)
{
    if (!slot->busy || slot->process == NULL)
        return;
    /* a preempted trial stays one when a Ctrl-C hurries its end */
    if (slot->ending == SLOT_ENDING_NONE ||
        (why == SLOT_ENDING_INTERRUPT && slot->ending != SLOT_ENDING_PREEMPT))
        slot->ending = why;
    if (force) {
        proc_signal(slot->process, SIGKILL);
        slot->kill_at = now;
        return;
    }
    if (slot->kill_at == 0) {
        proc_signal(slot->process, SIGTERM);
        slot->kill_at = now + SLOT_KILL_GRACE;
    }
}

void slot_preempt(run_slot *slot, double now, double grace)
{
    if (!slot->busy || slot->process == NULL || slot->ending != SLOT_ENDING_NONE)
        return;
    slot->ending = SLOT_ENDING_PREEMPT;
    if (grace <= 0) {
        proc_signal(slot->process, SIGKILL);
        slot->kill_at = now;
        return;
    }
    proc_signal(slot->process, SIGTERM);
    slot->kill_at = now + grace;
}

int slot_stop_taken_over(run_slot *slot, double now)
{
    if (!slot->busy || slot->exited)
        return 0;
    if (slot->ending == SLOT_ENDING_NONE && taken_over(slot->trial,
                                                      hps_trial_check_running(slot->trial)))
        stop_taken_over(slot, now);
    if (slot->ending != SLOT_ENDING_TAKEN_OVER || slot->exited)
        return 0;
    if (proc_poll_exit(slot->process, &slot->wstatus) == 1)
        slot->exited = 1;
    return !slot->exited;
}

int slot_runs(const run_slot *slot, const char *run_key)
{
    return slot->busy && slot->run_key[0] != '\0' && strcmp(slot->run_key, run_key) == 0;
}

void slot_yield_run(run_slot *slot, int64_t number, double now)
{
    if (!slot->busy || slot->process == NULL)
        return;
    if (!slot->exited && slot->ending != SLOT_ENDING_TAKEN_OVER) {
        snprintf(slot->taken_over_why, sizeof slot->taken_over_why,
                 "trial %" PRId64 " now carries out its run", number);
        /* whatever it was ending for, it is not this run's to record any more */
        slot->ending = SLOT_ENDING_TAKEN_OVER;
        slot_end(slot, SLOT_ENDING_TAKEN_OVER, now, 1);
    }
    /* SIGKILL is sent: the wait is for the kernel to tear the process down */
    while (!slot->exited) {
        int got = proc_poll_exit(slot->process, &slot->wstatus);
        if (got != 0) {
            slot->exited = 1; /* exited, or cannot be waited for: nothing more to do */
            break;
        }
        usleep(1000);
    }
}

double slot_next_event(const run_slot *slot)
{
    if (!slot->busy)
        return 0;
    if (slot->kill_at > 0)
        return slot->kill_at;
    return slot->deadline;
}

/* Last non-empty line of the kept tail, for one-line messages. */
static void last_line(const char *tail, char *buf, size_t size)
{
    buf[0] = '\0';
    if (tail == NULL)
        return;
    const char *end = tail + strlen(tail);
    while (end > tail && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > tail && start[-1] != '\n')
        start--;
    snprintf(buf, size, "%.*s", (int)(end - start), start);
}

/* An entry's summary as the tracker computes it: "best" follows the objective's
 * direction, and for a constraint points away from its bound. */
static metric_summary summary_of(const cfg_metric *m, int is_constraint)
{
    int best_is_max = is_constraint ? !m->upper : m->direction == HPS_MAXIMIZE;
    switch (m->summary) {
    case CFG_SUMMARY_BEST:
        return best_is_max ? METRIC_SUMMARY_MAX : METRIC_SUMMARY_MIN;
    case CFG_SUMMARY_MIN:
        return METRIC_SUMMARY_MIN;
    case CFG_SUMMARY_MAX:
        return METRIC_SUMMARY_MAX;
    case CFG_SUMMARY_LAST:
    default:
        return METRIC_SUMMARY_LAST;
    }
}

/* Why a trial that exited cleanly has no value for `what` ("metric", "constraint"):
 * with a regex that matched lines whose group was not a number, say so (the usual
 * mistake: a '%' or a unit in the group). */
static void describe_missing(const metric_tracker *t, const char *what, const char *name,
                             char *buf, size_t size)
{
    size_t rejected = metric_tracker_n_rejected(t);
    if (rejected == 0) {
        snprintf(buf, size, "exited without printing %s '%.200s'", what, name);
        return;
    }
    snprintf(buf, size, "exited without printing %s '%.200s': its regex matched %zu line%s, "
             "but the group held '%s', not a number", what, name, rejected,
             rejected == 1 ? "" : "s", metric_tracker_first_rejected(t));
}

enum { VALUES_OK, VALUES_MISSING, VALUES_NAN };

/* Every objective's and constraint's value into out: VALUES_OK when all are there and
 * not NaN, else why the trial cannot be COMPLETE (and the message in why). */
static int read_values(const run_slot *slot, const cfg_config *cfg, slot_outcome *out,
                       char *why, size_t size)
{
    for (size_t k = 0; k < cfg->n_objectives + cfg->n_constraints; k++) {
        int is_constraint = k >= cfg->n_objectives;
        const cfg_metric *m = is_constraint ? &cfg->constraints[k - cfg->n_objectives]
                                            : &cfg->objectives[k];
        const metric_tracker *t = k == 0 ? slot->metric : slot->more[k - 1];
        const char *what = is_constraint ? "constraint" : "metric";
        if (!metric_tracker_has_value(t)) {
            describe_missing(t, what, m->name, why, size);
            return VALUES_MISSING;
        }
        double v = metric_tracker_summary(t, summary_of(m, is_constraint));
        if (isnan(v)) {
            snprintf(why, size, "%s '%.200s' is NaN", what, m->name);
            return VALUES_NAN;
        }
        if (is_constraint)
            out->constraints[out->n_constraints++] = v;
        else
            out->values[out->n_values++] = v;
    }
    return VALUES_OK;
}

/* The constraint values as the library keeps them. */
static hps_status tell_constraints(hps_trial *trial, const cfg_config *cfg,
                                   const slot_outcome *o)
{
    double stored[CFG_MAX_CONSTRAINTS];
    for (size_t k = 0; k < o->n_constraints; k++)
        stored[k] = stored_constraint(&cfg->constraints[k], o->constraints[k]);
    return o->n_constraints > 0 ? hps_trial_set_constraints(trial, stored, o->n_constraints)
                                : HPS_OK;
}

/* A trial whose process ended by itself: COMPLETE with every value, else FAIL with why
 * (the whole output tail is kept with the trial, its last line in the reason). */
static hps_status record_exit(const run_slot *slot, const cfg_config *cfg, int clean_exit,
                              const char *status_text, const char *last, const char *tail,
                              slot_outcome *out, char *reason, size_t reason_size)
{
    hps_trial *trial = slot->trial;
    /* Exiting 0 after reporting the slice's last step is the script's word that its
     * checkpoint of that step is saved: the trial pauses there, to be resumed -- unless
     * it ran on to the full budget (a script that ignores HPSEARCH_MAX_STEP): then it
     * has finished, and completes below with its value. */
    int64_t last_step = metric_tracker_last_step(slot->metric);
    int ran_all = slot->full_step >= 0 && last_step >= slot->full_step;
    if (clean_exit && slot->max_step >= 0 && last_step >= slot->max_step && !ran_all) {
        out->state = HPS_PAUSED;
        out->paused_step = last_step;
        snprintf(reason, reason_size, "paused at step %" PRId64, last_step);
        return hps_trial_pause(trial, last_step);
    }
    char why[600];
    int got = clean_exit ? read_values(slot, cfg, out, why, sizeof why) : VALUES_MISSING;
    if (clean_exit && got == VALUES_OK) {
        out->state = HPS_COMPLETE;
        snprintf(reason, reason_size, "ok");
        hps_status rc = tell_constraints(trial, cfg, out);
        return rc == HPS_OK ? hps_trial_tell_values(trial, HPS_COMPLETE, out->values, out->n_values)
                            : rc;
    }
    out->state = HPS_FAIL;
    out->n_values = out->n_constraints = 0;
    if (!clean_exit)
        snprintf(why, sizeof why, "%s", status_text);
    snprintf(out->kind, sizeof out->kind, "%s", why);
    if (!clean_exit)
        snprintf(reason, reason_size, "%s%s%s", why, last[0] ? ": " : "", last);
    else if (got == VALUES_MISSING)
        snprintf(reason, reason_size, "%s%s%s", why, last[0] ? "; last output: " : "", last);
    else
        snprintf(reason, reason_size, "%s", why);
    char stored[1024 + 4096];
    snprintf(stored, sizeof stored, "%s%s%s", reason, tail != NULL && tail[0] ? "\n" : "",
             tail != NULL ? tail : "");
    return hps_trial_fail(trial, stored);
}

/* A resumed trial that is interrupted or preempted goes back to PAUSED rather than FAIL
 * (hps_trial_interrupt): the outcome says so, still as interrupted. */
static void note_paused_again(hps_trial *trial, slot_outcome *out, char *reason, size_t size)
{
    if (hps_frozen_state(hps_trial_frozen(trial)) != HPS_PAUSED)
        return;
    out->state = HPS_PAUSED;
    out->paused_step = hps_trial_resume_step(trial);
    snprintf(reason, size, "interrupted; paused again at step %" PRId64, out->paused_step);
}

static void record_outcome(run_slot *slot, const run_settings *run, double now, slot_outcome *out)
{
    hps_trial *trial = slot->trial;
    const cfg_config *cfg = run->cfg;
    hps_status rc = HPS_OK;
    char *tail = metric_tracker_tail(slot->metric);
    char status_text[160], last[300];
    proc_describe_status(slot->wstatus, status_text, sizeof status_text);
    last_line(tail, last, sizeof last);
    int has_value = metric_tracker_has_value(slot->metric);
    double value = has_value ? metric_tracker_summary(slot->metric,
                                                      summary_of(&cfg->objectives[0], 0))
                             : NAN;
    int clean_exit = WIFEXITED(slot->wstatus) && WEXITSTATUS(slot->wstatus) == 0;

    memset(out, 0, sizeof *out);
    out->number = hps_trial_number(trial);
    out->seconds = now - slot->started;
    snprintf(out->params_text, sizeof out->params_text, "%s", slot->params_text);
    snprintf(out->log_path, sizeof out->log_path, "%s", slot->log_path);
    out->value = value;

    char reason[1024];
    switch (slot->ending) {
    case SLOT_ENDING_TAKEN_OVER:
        /* nothing to record: the trial is not this run's; say so as a refused outcome */
        snprintf(reason, sizeof reason, "taken over while it ran: %s; its process was stopped "
                 "and nothing of this run was recorded", slot->taken_over_why);
        out->state = HPS_FAIL;
        out->taken_over = 1;
        break;
    case SLOT_ENDING_INTERRUPT:
        snprintf(reason, sizeof reason, "interrupted: hpsearch run was stopped");
        out->state = HPS_FAIL;
        out->interrupted = 1;
        rc = hps_trial_interrupt(trial, reason);
        break;
    case SLOT_ENDING_PREEMPT:
        snprintf(reason, sizeof reason, "interrupted: hpsearch run got SIGTERM (preempted); "
                 "queued again to continue from its checkpoint");
        out->state = HPS_FAIL;
        out->interrupted = 1;
        rc = hps_trial_preempt(trial, reason);
        break;
    case SLOT_ENDING_PRUNE:
        out->state = HPS_PRUNED;
        rc = hps_trial_tell_values(trial, HPS_PRUNED, NULL, 0);
        if (rc == HPS_OK)
            out->value = hps_frozen_n_values(hps_trial_frozen(trial)) > 0
                             ? hps_frozen_value(hps_trial_frozen(trial), 0)
                             : NAN;
        snprintf(reason, sizeof reason, "pruned");
        break;
    case SLOT_ENDING_TIMEOUT:
        snprintf(reason, sizeof reason, "timed out after %gs (trial_timeout)", cfg->trial_timeout);
        /* With timeout_state: pruned a trial that reported a value keeps it, as a pruned
         * one does (the library takes the last intermediate value). */
        if (cfg->timeout_state == HPS_PRUNED && has_value &&
            !isnan(metric_tracker_last_value(slot->metric))) {
            out->state = HPS_PRUNED;
            rc = hps_trial_tell_values(trial, HPS_PRUNED, NULL, 0);
            if (rc == HPS_OK)
                out->value = hps_frozen_n_values(hps_trial_frozen(trial)) > 0
                                 ? hps_frozen_value(hps_trial_frozen(trial), 0)
                                 : NAN;
            break;
        }
        snprintf(out->kind, sizeof out->kind, "timed out after %gs (trial_timeout)",
                 cfg->trial_timeout);
        out->state = HPS_FAIL;
        rc = hps_trial_fail(trial, reason);
        break;
    case SLOT_ENDING_NONE:
    default:
        rc = record_exit(slot, cfg, clean_exit, status_text, last, tail, out, reason,
                         sizeof reason);
        break;
    }
    if (rc == HPS_OK && out->interrupted)
        note_paused_again(trial, out, reason, sizeof reason);
    snprintf(out->reason, sizeof out->reason, "%s", reason);
    if (taken_over(trial, rc)) {
        /* nothing is wrong with the study, only this run of the trial came too late */
        out->taken_over = 1;
        snprintf(out->reason, sizeof out->reason, "outcome not recorded: %s",
                 hps_trial_errmsg(trial));
    } else if (rc != HPS_OK) {
        out->record_error = 1;
        snprintf(out->reason, sizeof out->reason, "could not record the outcome: %s",
                 hps_trial_errmsg(trial));
    }
    free(tail);
}

int slot_poll(run_slot *slot, const run_settings *run, double now, slot_outcome *out)
{
    if (!slot->busy)
        return 0;
    if (!slot->exited) {
        /* the heartbeat thread's word: a trial that reports nothing for long is found
         * taken over all the same, within a heartbeat interval */
        hps_status rc = slot->ending == SLOT_ENDING_NONE ? hps_trial_check_running(slot->trial)
                                                         : HPS_OK;
        if (taken_over(slot->trial, rc))
            stop_taken_over(slot, now);
        if (slot->ending == SLOT_ENDING_NONE && slot->deadline > 0 && now >= slot->deadline)
            slot_end(slot, SLOT_ENDING_TIMEOUT, now, 0);
        if (slot->kill_at > 0 && now >= slot->kill_at)
            proc_signal(slot->process, SIGKILL);
        if (proc_poll_exit(slot->process, &slot->wstatus) == 1)
            slot->exited = 1;
    }
    if (!slot->exited)
        return 0;
    /* Drain what the process wrote before exiting; descendants that keep the pipe open
     * are killed with the group. */
    slot_pump(slot, run, now);
    if (slot_fd(slot) >= 0) {
        proc_signal(slot->process, SIGKILL);
        slot_pump(slot, run, now);
    }
    if (slot->lines != NULL)
        linebuf_finish(slot->lines, on_line, &(line_ctx){.slot = slot, .run = run, .now = now});
    int stopping = slot->ending == SLOT_ENDING_INTERRUPT || slot->ending == SLOT_ENDING_PREEMPT;
    size_t n_kept = stopping || slot->ending == SLOT_ENDING_TAKEN_OVER
                        ? 0 /* the run is stopping, or the trial is not ours: no copying */
                             : artifacts_keep(slot->trial, run->cfg, run->log_dir,
                                              slot->artifacts, slot->n_artifacts,
                                              slot->started_wall);
    record_outcome(slot, run, now, out);
    out->n_artifacts = n_kept;
    slot_release(slot);
    return 1;
}

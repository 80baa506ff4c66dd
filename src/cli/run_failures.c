/* run_failures.c -- max_failures, and what to say when a study's trials only failed. */
#include "cli/run_failures.h"

#include "cli/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Where a run stands when it explains failures: the ways forward differ. */
typedef enum failure_moment {
    FAILURES_STOPPED_RUN,  /* max_failures ended this run */
    FAILURES_BEFORE_RUN,   /* a re-run of a study whose trials all failed */
    FAILURES_NOTHING_LEFT  /* the budget or the space is used up */
} failure_moment;

/* A word the shell reads as itself, unquoted. */
static int is_plain_shell_word(const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_.-+";
    if (s[0] == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (strchr(plain, *s) == NULL)
            return 0;
    return 1;
}

/* "hpsearch delete NAME --storage URL --yes", the name quoted for the shell if needed.
 * Not `delete CONFIG`: --study or --storage may have changed what the file names. */
static void start_over_command(const cfg_config *cfg, char *buf, size_t size)
{
    char shown[512], name[600];
    if (is_plain_shell_word(cfg->study_name)) {
        snprintf(name, sizeof name, "%s", cfg->study_name);
    } else {
        size_t k = 0;
        name[k++] = '\'';
        for (const char *c = cfg->study_name; *c != '\0' && k + 6 < sizeof name; c++) {
            if (*c == '\'') {
                memcpy(name + k, "'\\''", 4);
                k += 4;
            } else {
                name[k++] = *c;
            }
        }
        name[k++] = '\'';
        name[k] = '\0';
    }
    snprintf(buf, size, "hpsearch delete %s --storage %s --yes", name,
             cli_shown_url(cfg->storage, shown, sizeof shown));
}

/* The ways forward, as indented lines under a message. */
static void print_ways_forward(const cfg_config *cfg, failure_moment moment)
{
    char start_over[1200];
    start_over_command(cfg, start_over, sizeof start_over);
    switch (moment) {
    case FAILURES_STOPPED_RUN:
        fprintf(stderr, "  go on: fix the cause, then run the same command again (failed trials "
                "are kept and count against n_trials)\n");
        break;
    case FAILURES_BEFORE_RUN:
        fprintf(stderr, "  go on: this run tries again; failed trials are kept and count against "
                "n_trials (-n N adds trials)\n");
        break;
    case FAILURES_NOTHING_LEFT:
        fprintf(stderr, "  add trials: raise n_trials (-n N)\n");
        break;
    }
    fprintf(stderr, "  start over: %s, or a new study name (--study NAME)\n", start_over);
}

int run_failures_count(run_failures *f, const cfg_config *cfg, const slot_outcome *o,
                       progress *prog)
{
    if (o->state == HPS_COMPLETE || o->state == HPS_PRUNED)
        f->worked++;
    if (o->state != HPS_FAIL || o->interrupted || o->record_error)
        return 0;
    if (f->failed++ == 0)
        snprintf(f->first_kind, sizeof f->first_kind, "%s", o->kind);
    else if (strcmp(f->first_kind, o->kind) != 0)
        f->kinds_differ = 1;
    /* One trial that worked shows the command is sound: later failures are the search's
     * business (a bad region of the space), not a broken command. */
    if (cfg->max_failures == 0 || f->worked > 0 || f->failed < cfg->max_failures || f->stopped)
        return 0;
    f->stopped = 1;
    progress_clear(prog);
    if (f->kinds_differ)
        fprintf(stderr, "hpsearch: stopping: the first %zu trials of this run all failed, in "
                "different ways; the last: %s\n", f->failed, o->reason);
    else
        fprintf(stderr, "hpsearch: stopping: the first %zu trials of this run all failed the same "
                "way: %s\n  last: trial %lld: %s\n", f->failed, f->first_kind,
                (long long)o->number, o->reason);
    fprintf(stderr, "  log: %s\n", o->log_path);
    print_ways_forward(cfg, FAILURES_STOPPED_RUN);
    fprintf(stderr, "  max_failures: 0 (or --max-failures 0) turns this check off\n");
    return 1;
}

/* The first line of the stored fail_reason of trial t, or "". */
static void first_line_of_reason(const hps_frozen *t, char *buf, size_t size)
{
    buf[0] = '\0';
    json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
    const char *reason = json_string_value(json_object_get(attrs, "fail_reason"));
    if (reason != NULL)
        snprintf(buf, size, "%.*s", (int)strcspn(reason, "\n"), reason);
    json_decref(attrs);
}

void run_failures_explain_study(hps_study *study, const cfg_config *cfg, const size_t counts[5],
                                const char *log_dir)
{
    if (counts[HPS_FAIL] == 0 || counts[HPS_COMPLETE] > 0 || counts[HPS_PRUNED] > 0)
        return;
    /* Interrupted trials (Ctrl-C, a preemption, a dead worker) say nothing about the
     * command: only the trials' own failures count here. */
    const hps_frozen *last = NULL;
    size_t n = 0, failed = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return;
    for (size_t i = n; i-- > 0;) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK ||
            hps_frozen_state(t) != HPS_FAIL || hps_frozen_interrupted(t))
            continue;
        failed++;
        if (last == NULL)
            last = t;
    }
    if (last == NULL)
        return;
    char reason[400];
    first_line_of_reason(last, reason, sizeof reason);
    long long number = (long long)hps_frozen_number(last);
    fprintf(stderr,
            "hpsearch: study '%s' has %zu failed trial%s and none completed; the last (trial %lld) "
            "failed with: %s\n  log: %s/trial-%05lld.log\n",
            cfg->study_name, failed, failed == 1 ? "" : "s", number,
            reason[0] != '\0' ? reason : "(no reason kept)", log_dir, number);
    print_ways_forward(cfg, FAILURES_BEFORE_RUN);
}

/* *held: the trials that hold a place in n_trials, as the budget counts them (see
 * max_trials in hpsearch.h): every one but the interrupted, which gave theirs back --
 * PAUSED ones included, since a paused trial is resumed, never replaced. *completed:
 * whether one is COMPLETE. -1 when the study cannot be read. */
static int budget_held(hps_study *study, size_t *held, int *completed)
{
    size_t n = 0;
    *held = 0;
    *completed = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK)
            continue;
        hps_trial_state state = hps_frozen_state(t);
        *completed |= state == HPS_COMPLETE;
        *held += !(state == HPS_FAIL && hps_frozen_interrupted(t));
    }
    return 0;
}

void run_failures_explain_idle(hps_study *study, const cfg_config *cfg)
{
    int completed;
    size_t held;
    if (budget_held(study, &held, &completed) != 0 || completed)
        return;
    /* which one ran out decides the way forward: with the budget's own count, neither
     * PAUSED trials (counted by hps_study_count_paused, not count_states) nor
     * interrupted ones make it blame a space that may not even be finite */
    if (cfg->n_trials > 0 && held >= cfg->n_trials)
        fprintf(stderr, "hpsearch: nothing was run: the study already holds its n_trials (%llu) "
                "trials and none completed\n", (unsigned long long)cfg->n_trials);
    else
        fprintf(stderr, "hpsearch: nothing was run: every configuration of the space has been "
                "tried and none completed\n");
    print_ways_forward(cfg, FAILURES_NOTHING_LEFT);
}

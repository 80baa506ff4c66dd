/* pbt.c -- population-based training in `hpsearch run` (see pbt.h). */
#define _GNU_SOURCE /* nftw, symlink, readlink, renameat2 */
#include "cli/pbt.h"

#include "base/mem.h"
#include "base/worker.h"
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PBT_ATTR "pbt"
#define PBT_DRIVER_ATTR "pbt_driver"

unsigned pbt_rounds(const cfg_config *cfg)
{
    double rounds = ceil(cfg->fidelity_max / cfg->pbt.interval);
    return rounds < 1 ? 1 : (unsigned)rounds;
}

static int64_t round_stop(const cfg_config *cfg, unsigned round)
{
    double stop = (double)(round + 1) * cfg->pbt.interval;
    return (int64_t)(stop < cfg->fidelity_max ? stop : cfg->fidelity_max);
}

static void round_dir(const char *root, unsigned member, unsigned round, char *out, size_t size)
{
    snprintf(out, size, "%s/pbt-m%03u-r%03u", root, member, round);
}

/* ---- the seeded decisions ------------------------------------------------------------ */

/* splitmix64: each (seed, round, member) has its own stream, so a decision does not
 * depend on the order in which the members' decisions are taken. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rng_for(const cfg_config *cfg, unsigned round, unsigned member)
{
    uint64_t state = cfg->has_seed ? cfg->seed : 0;
    state = rng_next(&state) ^ ((uint64_t)round << 32 | member);
    rng_next(&state);
    return state;
}

static double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

static int is_explored(const cfg_config *cfg, const cfg_param *p)
{
    return p->kind != CFG_CONSTANT && strcmp(p->name, cfg->fidelity) != 0;
}

/* A number put back into the parameter's range and onto its step (and integral). */
static json_t *number_in_range(const cfg_param *p, double x)
{
    if (x < p->low)
        x = p->low;
    if (x > p->high)
        x = p->high;
    double step = p->kind == CFG_INT && p->step <= 0 ? 1 : p->step;
    if (step > 0) {
        x = p->low + round((x - p->low) / step) * step;
        if (x > p->high)
            x -= step;
    }
    if (p->kind == CFG_INT)
        return json_integer((json_int_t)llround(x));
    return json_real(x);
}

/* A value drawn from the parameter's distribution: uniform, log-uniform for log ones. */
static json_t *draw_value(const cfg_param *p, uint64_t *rng)
{
    double u = rng_unit(rng);
    if (p->kind == CFG_CATEGORICAL || p->n_values > 0) {
        size_t k = (size_t)(u * (double)p->n_values);
        return cli_value_json(&p->values[k < p->n_values ? k : p->n_values - 1]);
    }
    double x;
    if (p->flags & HPS_LOG)
        x = exp(log(p->low) + u * (log(p->high) - log(p->low)));
    else
        x = p->low + u * (p->high - p->low);
    if (p->kind == CFG_INT && p->step <= 0) /* every integer of [low, high] as likely */
        x = floor(p->low + u * (p->high - p->low + 1));
    return number_in_range(p, x);
}

/* Ray Tune's explore: drawn anew with resample_probability, else a number of a range
 * perturbed by a factor; a choice among values is kept (choices have no order). */
static json_t *explore_value(const cfg_config *cfg, const cfg_param *p, json_t *value,
                             uint64_t *rng)
{
    if (value == NULL || rng_unit(rng) < cfg->pbt.resample_probability)
        return draw_value(p, rng);
    if (p->kind == CFG_CATEGORICAL || p->n_values > 0 || !json_is_number(value))
        return json_incref(value);
    double factor = rng_unit(rng) < 0.5 ? 1 - cfg->pbt.perturb : 1 + cfg->pbt.perturb;
    return number_in_range(p, json_number_value(value) * factor);
}

/* ---- the population as stored -------------------------------------------------------- */

typedef enum cell_state { CELL_NONE = 0, CELL_BUSY, CELL_DONE } cell_state;

typedef struct pbt_cell {
    cell_state state;
    int failed;        /* DONE without a value: ranks last */
    double value;
    int64_t number;    /* the trial that ran it */
    json_t *params;    /* its hyperparameters ("after"), owned */
} pbt_cell;

typedef struct pbt_table {
    unsigned population, rounds;
    pbt_cell *cells;   /* [round * population + member] */
    int queued;        /* an interrupted round waits in the queue */
} pbt_table;

static pbt_cell *cell_at(pbt_table *t, unsigned member, unsigned round)
{
    return &t->cells[(size_t)round * t->population + member];
}

static void table_free(pbt_table *t)
{
    for (size_t k = 0; t->cells != NULL && k < (size_t)t->population * t->rounds; k++)
        json_decref(t->cells[k].params);
    free(t->cells);
}

/* The trial's "pbt" attribute (a new reference), or NULL. */
static json_t *lineage_of(const hps_frozen *t)
{
    json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
    json_t *lineage = json_object_get(attrs, PBT_ATTR);
    lineage = json_is_object(lineage) ? json_incref(lineage) : NULL;
    json_decref(attrs);
    return lineage;
}

/* The lineage a queued trial takes over: its origin's ("retry_of"). */
static json_t *queued_lineage(hps_study *study, const hps_frozen *t)
{
    json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
    json_t *origin = json_object_get(attrs, "retry_of");
    const hps_frozen *first;
    json_t *lineage = NULL;
    if (json_is_integer(origin) &&
        hps_study_trial(study, (int64_t)json_integer_value(origin), &first) == HPS_OK)
        lineage = lineage_of(first);
    json_decref(attrs);
    return lineage;
}

static void note_trial(pbt_table *table, hps_study *study, const hps_frozen *t)
{
    hps_trial_state state = hps_frozen_state(t);
    json_t *lineage = lineage_of(t);
    if (lineage == NULL && state == HPS_WAITING) {
        lineage = queued_lineage(study, t);
        table->queued |= lineage != NULL;
    }
    json_int_t member = json_integer_value(json_object_get(lineage, "member"));
    json_int_t round = json_integer_value(json_object_get(lineage, "round"));
    if (lineage == NULL || member < 0 || (unsigned)member >= table->population || round < 0 ||
        (unsigned)round >= table->rounds || (state == HPS_FAIL && hps_frozen_interrupted(t))) {
        json_decref(lineage);
        return; /* not a member's round, or an interrupted one another trial redoes */
    }
    pbt_cell *cell = cell_at(table, (unsigned)member, (unsigned)round);
    if (cell->state == CELL_DONE) {
        json_decref(lineage);
        return;
    }
    cell->number = hps_frozen_number(t);
    json_decref(cell->params);
    cell->params = json_incref(json_object_get(lineage, "after"));
    json_decref(lineage);
    if (state == HPS_RUNNING || state == HPS_WAITING) {
        cell->state = CELL_BUSY;
        return;
    }
    cell->state = CELL_DONE;
    cell->failed = hps_frozen_n_values(t) == 0 || isnan(hps_frozen_value(t, 0));
    cell->value = cell->failed ? 0 : hps_frozen_value(t, 0);
}

static int table_read(const cfg_config *cfg, hps_study *study, pbt_table *table, char *err,
                      size_t errlen)
{
    table->population = cfg->pbt.population;
    table->rounds = pbt_rounds(cfg);
    table->cells = calloc((size_t)table->population * table->rounds, sizeof *table->cells);
    size_t n = 0;
    if (table->cells == NULL || hps_study_n_trials(study, &n) != HPS_OK) {
        snprintf(err, errlen, "cannot read the population: %s",
                 table->cells == NULL ? "out of memory" : hps_study_errmsg(study));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) == HPS_OK)
            note_trial(table, study, t);
    }
    return 0;
}

/* ---- exploit and explore -------------------------------------------------------------- */

typedef struct ranking {
    const pbt_cell *cells;   /* one round's, by member */
    int maximize;
} ranking;

/* Better first; failed last; ties by member number, so the order is total. */
static int rank_before(const ranking *r, unsigned a, unsigned b)
{
    const pbt_cell *x = &r->cells[a], *y = &r->cells[b];
    if (x->failed != y->failed)
        return y->failed;
    if (!x->failed && x->value != y->value)
        return r->maximize ? x->value > y->value : x->value < y->value;
    return a < b;
}

/* The members of round `round`, best first (an insertion sort: populations are small). */
static void rank_round(pbt_table *t, const cfg_config *cfg, unsigned round, unsigned *order)
{
    ranking r = {.cells = cell_at(t, 0, round),
                 .maximize = cfg->objectives[0].direction == HPS_MAXIMIZE};
    for (unsigned k = 0; k < t->population; k++) {
        unsigned j = k;
        while (j > 0 && rank_before(&r, k, order[j - 1])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
}

/* Ray Tune's cut: the quantile, rounded up, but never more than half the population. */
static unsigned quantile_size(const cfg_config *cfg)
{
    unsigned n = (unsigned)ceil(cfg->pbt.quantile * cfg->pbt.population);
    return n > cfg->pbt.population / 2 ? cfg->pbt.population / 2 : n;
}

/* The member whose previous round `member` continues from: itself, or a top member
 * (drawn) when it ranked in the bottom quantile. */
static unsigned choose_source(pbt_table *t, const cfg_config *cfg, unsigned member,
                              unsigned round, uint64_t *rng)
{
    unsigned *order = calloc(t->population, sizeof *order);
    if (order == NULL)
        return member;
    rank_round(t, cfg, round - 1, order);
    unsigned cut = quantile_size(cfg), top = 0, source = member;
    for (unsigned k = 0; k < cut; k++)
        top += !cell_at(t, order[k], round - 1)->failed;
    int in_bottom = 0;
    for (unsigned k = t->population - cut; k < t->population; k++)
        in_bottom |= order[k] == member;
    if (in_bottom && top > 0) {
        /* the failed sort last, so the top's first `top` members have values */
        unsigned pick = (unsigned)(rng_unit(rng) * top);
        source = order[pick < top ? pick : top - 1];
    }
    free(order);
    return source;
}

static json_t *first_params(const cfg_config *cfg, uint64_t *rng)
{
    json_t *params = json_object();
    for (size_t k = 0; params != NULL && k < cfg->n_params; k++)
        if (is_explored(cfg, &cfg->params[k]))
            json_object_set_new(params, cfg->params[k].name, draw_value(&cfg->params[k], rng));
    return params;
}

static json_t *explored_params(const cfg_config *cfg, json_t *from, uint64_t *rng)
{
    json_t *params = json_object();
    for (size_t k = 0; params != NULL && k < cfg->n_params; k++) {
        const cfg_param *p = &cfg->params[k];
        if (is_explored(cfg, p))
            json_object_set_new(params, p->name,
                                explore_value(cfg, p, json_object_get(from, p->name), rng));
    }
    return params;
}

/* The decision for (member, round): its hyperparameters and where it continues from. */
static json_t *decide(pbt_table *t, const cfg_config *cfg, const char *root, unsigned member,
                      unsigned round)
{
    uint64_t rng = rng_for(cfg, round, member);
    json_t *lineage = json_pack("{s:I, s:I, s:I, s:I}", "member", (json_int_t)member, "round",
                                (json_int_t)round, "start_step",
                                (json_int_t)(round == 0 ? 0 : round_stop(cfg, round - 1)),
                                "stop_step", (json_int_t)round_stop(cfg, round));
    if (lineage == NULL)
        return NULL;
    if (round == 0) {
        json_object_set_new(lineage, "parent", json_null());
        json_object_set_new(lineage, "after", first_params(cfg, &rng));
        return lineage;
    }
    unsigned source = choose_source(t, cfg, member, round, &rng);
    const pbt_cell *from = cell_at(t, source, round - 1);
    char dir[4400];
    round_dir(root, source, round - 1, dir, sizeof dir);
    json_object_set_new(lineage, "parent", json_integer(from->number));
    json_object_set_new(lineage, "parent_member", json_integer(source));
    json_object_set_new(lineage, "exploited", json_boolean(source != member));
    json_object_set_new(lineage, "copied_from", json_string(dir));
    json_object_set_new(lineage, "before", from->params != NULL ? json_incref(from->params)
                                                                : json_object());
    json_object_set_new(lineage, "after", source != member
                                              ? explored_params(cfg, from->params, &rng)
                                              : json_deep_copy(from->params != NULL
                                                                   ? from->params
                                                                   : json_object()));
    return lineage;
}

int pbt_plan_next(const cfg_config *cfg, hps_study *study, const char *checkpoint_root,
                  pbt_next_kind *kind, pbt_round *next, char **params_json,
                  char **lineage_json, char *err, size_t errlen)
{
    pbt_table table = {0};
    *params_json = *lineage_json = NULL;
    /* A round left RUNNING by a worker that died (kill -9, a lost node) would hold the
     * next round back for good: recovered, it is interrupted and runs again. Ask does
     * this too, but a population waiting for its round asks nothing. */
    hps_study_recover_stale(study, NULL);
    if (table_read(cfg, study, &table, err, errlen) != 0) {
        table_free(&table);
        return -1;
    }
    *kind = table.queued ? PBT_RESUME : PBT_DONE;
    unsigned round = 0, member = 0;
    for (; round < table.rounds && *kind == PBT_DONE; round++) {
        int round_done = 1;
        for (member = 0; member < table.population; member++) {
            cell_state s = cell_at(&table, member, round)->state;
            round_done &= s == CELL_DONE;
            if (s == CELL_NONE)
                break;
        }
        if (member < table.population)
            *kind = PBT_START;
        else if (!round_done)
            *kind = PBT_WAIT; /* the next round waits for this one */
    }
    int rc = 0;
    if (*kind == PBT_START) {
        round--;
        json_t *lineage = decide(&table, cfg, checkpoint_root, member, round);
        size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(17);
        *lineage_json = lineage != NULL ? json_dumps(lineage, flags) : NULL;
        *params_json = lineage != NULL ? json_dumps(json_object_get(lineage, "after"), flags)
                                       : NULL;
        json_decref(lineage);
        next->member = member;
        next->round = round;
        next->start_step = round == 0 ? 0 : round_stop(cfg, round - 1);
        next->stop_step = round_stop(cfg, round);
        round_dir(checkpoint_root, member, round, next->checkpoint_dir,
                  sizeof next->checkpoint_dir);
        if (*lineage_json == NULL || *params_json == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    table_free(&table);
    return rc;
}

/* ---- checkpoint directories ------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Between chunks and files a copy beats the driver's heartbeat, and stops when a beat
 * finds the population taken over (the new driver copies into the same place). */
static int copy_tick(pbt_pulse *pulse)
{
    return pbt_pulse_beat(pulse, cli_monotonic()) == 0 ? 0 : -1;
}

static int copy_file(pbt_pulse *pulse, const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in >= 0 ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777) : -1;
    int rc = in >= 0 && out >= 0 ? 0 : -1;
    char buf[65536];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        for (ssize_t done = 0; rc == 0 && n > 0 && done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno != EINTR)
                rc = -1;
            done += w > 0 ? w : 0;
        }
        if (n < 0 || (rc == 0 && copy_tick(pulse) != 0))
            rc = -1;
    }
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    return rc;
}

/* Copies directory `from` into the new directory `to`: files, subdirectories and
 * symbolic links (as links: a checkpoint may point at a shared dataset). */
static int copy_tree(pbt_pulse *pulse, const char *from, const char *to, int depth)
{
    if (depth > 64 || mkdir(to, 0750) != 0 || copy_tick(pulse) != 0)
        return -1;
    DIR *dir = opendir(from);
    if (dir == NULL)
        return -1;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        if (snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= (int)sizeof dst ||
            lstat(src, &st) != 0) {
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = copy_tree(pulse, src, dst, depth + 1);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(src, target, sizeof target - 1);
            if (n >= 0)
                target[n] = '\0';
            rc = n >= 0 && symlink(target, dst) == 0 ? 0 : -1;
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file(pulse, src, dst, st.st_mode);
        } /* sockets, fifos: not a checkpoint's */
    }
    closedir(dir);
    return rc;
}

/* Whether this run still drives the population, asked of the storage now, whenever
 * the last beat was (a beat the storage fails counts as ours, as in pbt_pulse_beat). */
static int still_driving(pbt_pulse *pulse)
{
    if (!pulse->taken_over && pbt_beat_driver(pulse->study) > 0)
        pulse->taken_over = 1;
    pulse->last = cli_monotonic();
    return !pulse->taken_over;
}

/* Removes the temporary copies "<name>.copying.<worker id>" next to `dir` whose runs
 * are gone (a crash mid-copy), and "<name>.copying" of earlier versions. A live run's
 * is left to it: it removes its own when its copy fails, and one taken over renames
 * nothing into place (prepare_dir). */
static void remove_dead_copies(const char *dir)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    const char *base = slash != NULL ? slash + 1 : parent;
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s.copying", base);
    size_t n_prefix = strlen(prefix);
    if (slash != NULL)
        *slash = '\0';
    DIR *d = opendir(slash != NULL ? parent : ".");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, n_prefix) != 0)
            continue;
        const char *owner = e->d_name + n_prefix;
        if (*owner != '\0' && (*owner != '.' || !hps_worker_is_dead_local(owner + 1)))
            continue;
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", slash != NULL ? parent : ".", e->d_name);
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

/* Renames the finished copy `tmp` to `dir`, which must not exist: of two runs copying
 * into it (one taken over and stalled, the one that took over), the first finished
 * copy stays. Filesystems without RENAME_NOREPLACE fall back to rename(), which still
 * refuses a directory that is not empty. 0, or -1 with errno. */
static int rename_new(const char *tmp, const char *dir)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#endif
    return rename(tmp, dir);
}

/* The round's directory, made once as a copy of `from` (a missing `from`: empty): copied
 * under a name of this run's own ("<dir>.copying.<worker id>") and renamed, so a crash
 * mid-copy leaves no half checkpoint, and a run taken over while it copied -- stalled
 * past the driver's grace, after its last beat -- can never rename the copy of the run
 * that took over, half made, into place: it checks it still drives right before the
 * rename, and the rename never replaces a directory. A failed copy is removed (a full
 * disk must not keep gigabytes of it). */
static int prepare_dir(const char *dir, const char *from, pbt_pulse *pulse, char *err,
                       size_t errlen)
{
    if (access(dir, F_OK) == 0)
        return 0; /* an interrupted round's: it continues from what it saved */
    remove_dead_copies(dir);
    char tmp[4500];
    char *self = hps_worker_self_id();
    snprintf(tmp, sizeof tmp, "%s.copying.%s", dir, self != NULL ? self : "?");
    hps_mem_free(self);
    int rc = from != NULL && access(from, F_OK) == 0 ? copy_tree(pulse, from, tmp, 0)
                                                     : mkdir(tmp, 0750);
    int saved = errno;
    if (rc == 0 && !still_driving(pulse))
        rc = -1;
    if (rc == 0 && rename_new(tmp, dir) != 0) {
        saved = errno;
        /* another run's copy went in first: a run taken over a moment ago (after its
         * check) -- the same directory, made the same way */
        rc = saved == EEXIST || saved == ENOTEMPTY ? 0 : -1;
    }
    if (access(tmp, F_OK) == 0)
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc != 0 && pulse->taken_over)
        snprintf(err, errlen, "another hpsearch run took this study's population over while "
                 "this one copied %s to %s", from != NULL ? from : "?", dir);
    else if (rc != 0)
        snprintf(err, errlen, "cannot prepare the checkpoint directory %s%s%s: %s", dir,
                 from != NULL ? " from " : "", from != NULL ? from : "", strerror(saved));
    return rc;
}

int pbt_assign(hps_trial *trial, const pbt_round *next, const char *params_json,
               const char *lineage_json, pbt_pulse *pulse, char *err, size_t errlen)
{
    json_t *lineage = json_loads(lineage_json, 0, NULL);
    const char *from = json_string_value(json_object_get(lineage, "copied_from"));
    int rc = prepare_dir(next->checkpoint_dir, from, pulse, err, errlen);
    json_decref(lineage);
    if (rc != 0)
        return -1;
    /* the copy may have taken long: a run that took the population over meanwhile runs
     * this member's round itself */
    if (!still_driving(pulse)) {
        snprintf(err, errlen, "another hpsearch run took this study's population over while "
                 "this one prepared %s", next->checkpoint_dir);
        return -1;
    }
    if (hps_trial_fix_params(trial, params_json) != HPS_OK ||
        hps_trial_set_system_attr(trial, PBT_ATTR, lineage_json) != HPS_OK) {
        snprintf(err, errlen, "cannot record the member's round: %s", hps_trial_errmsg(trial));
        return -1;
    }
    return 0;
}

int pbt_adopt(const cfg_config *cfg, hps_study *study, hps_trial *trial,
              const char *checkpoint_root, pbt_round *out, char *err, size_t errlen)
{
    json_t *lineage = queued_lineage(study, hps_trial_frozen(trial));
    if (lineage == NULL)
        return 0;
    json_int_t member = json_integer_value(json_object_get(lineage, "member"));
    json_int_t round = json_integer_value(json_object_get(lineage, "round"));
    int rc = 1;
    if (member < 0 || (unsigned)member >= cfg->pbt.population || round < 0 ||
        (unsigned)round >= pbt_rounds(cfg)) {
        snprintf(err, errlen, "a queued trial continues member %lld's round %lld, which this "
                 "config's pbt does not have", (long long)member, (long long)round);
        rc = -1;
    }
    char *text = rc == 1 ? json_dumps(lineage, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if (rc == 1 && (text == NULL || hps_trial_set_system_attr(trial, PBT_ATTR, text) != HPS_OK)) {
        snprintf(err, errlen, "cannot record the member's round: %s", hps_trial_errmsg(trial));
        rc = -1;
    }
    free(text);
    json_decref(lineage);
    if (rc == 1) {
        out->member = (unsigned)member;
        out->round = (unsigned)round;
        out->start_step = round == 0 ? 0 : round_stop(cfg, (unsigned)round - 1);
        out->stop_step = round_stop(cfg, (unsigned)round);
        round_dir(checkpoint_root, out->member, out->round, out->checkpoint_dir,
                  sizeof out->checkpoint_dir);
    }
    return rc;
}

/* ---- one run drives a population --------------------------------------------------- */

static void this_host(char *host, size_t size)
{
    if (gethostname(host, size - 1) != 0)
        snprintf(host, size, "unknown");
    host[size - 1] = '\0';
}

/* Whether the heartbeat in `driver` is recent. One from the future (the other host's
 * clock runs ahead) is recent only within the grace too, so a skewed clock cannot hold
 * the population forever. */
static int heartbeat_fresh(json_t *driver, double now)
{
    double age = now - json_number_value(json_object_get(driver, "heartbeat"));
    return age < PBT_DRIVER_GRACE && age > -PBT_DRIVER_GRACE;
}

/* Whether `driver` names this process (`host` is this host's name). */
static int driver_is_ours(json_t *driver, const char *host)
{
    const char *its_host = json_string_value(json_object_get(driver, "host"));
    return its_host != NULL && strcmp(its_host, host) == 0 &&
           json_integer_value(json_object_get(driver, "pid")) == (json_int_t)getpid();
}

/* Whether the run recorded in `driver` is alive: its heartbeat is recent and, on this
 * host, its process exists (a pid alone is not enough: a crashed driver's pid may now be
 * any other process's). */
static int driver_alive(json_t *driver, const char *host, double now)
{
    const char *its_host = json_string_value(json_object_get(driver, "host"));
    json_int_t pid = json_integer_value(json_object_get(driver, "pid"));
    if (its_host == NULL || pid <= 0 || driver_is_ours(driver, host))
        return 0;
    /* not hps_worker_is_dead_local (base/worker.h): that one reads a worker id,
     * host:pid:start, and calls a process whose start time differs dead -- the record
     * has no start time (it is stored as host and pid; a recycled pid is left to the
     * heartbeat, stale after PBT_DRIVER_GRACE), and it holds the raw host name, which
     * worker ids change (':' to '_') */
    if (strcmp(its_host, host) == 0 && kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    return heartbeat_fresh(driver, now);
}

/* The study's driver record into *driver (a new reference; NULL when there is none):
 * 0, or -1 when the study cannot be read. */
static int read_driver(hps_study *study, json_t **driver)
{
    const char *text;
    *driver = NULL;
    if (hps_study_system_attrs(study, &text) != HPS_OK)
        return -1;
    json_t *attrs = json_loads(text, 0, NULL);
    json_t *record = json_object_get(attrs, PBT_DRIVER_ATTR);
    if (json_is_object(record))
        *driver = json_incref(record);
    json_decref(attrs);
    return 0;
}

/* Records this process as the population's driver, its heartbeat now. */
static int write_driver(hps_study *study)
{
    char host[256];
    this_host(host, sizeof host);
    json_t *driver = json_pack("{s:s, s:I, s:f}", "host", host, "pid", (json_int_t)getpid(),
                               "heartbeat", (double)time(NULL));
    char *text = driver != NULL ? json_dumps(driver, JSON_COMPACT) : NULL;
    int rc = text != NULL && hps_study_set_system_attr(study, PBT_DRIVER_ATTR, text) == HPS_OK
                 ? 0
                 : -1;
    free(text);
    json_decref(driver);
    return rc;
}

int pbt_claim_driver(hps_study *study, char *err, size_t errlen)
{
    json_t *driver;
    if (read_driver(study, &driver) != 0) {
        snprintf(err, errlen, "cannot read the study: %s", hps_study_errmsg(study));
        return -1;
    }
    char host[256];
    this_host(host, sizeof host);
    double now = (double)time(NULL);
    int busy = driver != NULL && driver_alive(driver, host, now);
    if (busy)
        snprintf(err, errlen, "another hpsearch run drives this study's population (host %s, "
                 "pid %" JSON_INTEGER_FORMAT ", heartbeat %.0f s ago); one run drives a "
                 "population: wait for it to end, or stop it (the next run continues where "
                 "it stopped)",
                 json_string_value(json_object_get(driver, "host")),
                 json_integer_value(json_object_get(driver, "pid")),
                 now - json_number_value(json_object_get(driver, "heartbeat")));
    json_decref(driver);
    if (busy)
        return 1;
    if (write_driver(study) != 0) {
        snprintf(err, errlen, "cannot record this run as the population's: %s",
                 hps_study_errmsg(study));
        return -1;
    }
    return 0;
}

/* Whom the study's driver record names. */
typedef enum driver_owner {
    DRIVER_UNREAD = -1, /* the study cannot be read */
    DRIVER_NONE,
    DRIVER_OURS,
    DRIVER_OTHER,
} driver_owner;

static driver_owner read_driver_owner(hps_study *study)
{
    json_t *driver;
    if (read_driver(study, &driver) != 0)
        return DRIVER_UNREAD;
    char host[256];
    this_host(host, sizeof host);
    driver_owner owner = driver == NULL                  ? DRIVER_NONE
                         : driver_is_ours(driver, host) ? DRIVER_OURS
                                                        : DRIVER_OTHER;
    json_decref(driver);
    return owner;
}

int pbt_beat_driver(hps_study *study)
{
    driver_owner owner = read_driver_owner(study);
    if (owner == DRIVER_UNREAD)
        return -1;
    if (owner == DRIVER_OTHER)
        return 1;
    return write_driver(study);
}

int pbt_pulse_beat(pbt_pulse *pulse, double now)
{
    if (!pulse->taken_over && now - pulse->last >= PBT_DRIVER_BEAT) {
        /* a failed beat (the storage): the next beat, PBT_DRIVER_BEAT later, tries again */
        pulse->taken_over = pbt_beat_driver(pulse->study) > 0;
        pulse->last = now;
    }
    return pulse->taken_over;
}

void pbt_release_driver(hps_study *study)
{
    if (read_driver_owner(study) == DRIVER_OURS)
        hps_study_set_system_attr(study, PBT_DRIVER_ATTR, "null");
}

/* ---- the lineage, shown -------------------------------------------------------------- */

void pbt_describe_round(hps_study *study, const hps_frozen *t, char *buf, size_t size)
{
    buf[0] = '\0';
    json_t *lineage = lineage_of(t);
    if (lineage == NULL)
        return;
    json_int_t member = json_integer_value(json_object_get(lineage, "member"));
    json_int_t round = json_integer_value(json_object_get(lineage, "round"));
    int n = snprintf(buf, size, "member %" JSON_INTEGER_FORMAT "'s round %" JSON_INTEGER_FORMAT
                     ", measured at step %" JSON_INTEGER_FORMAT, member, round,
                     json_integer_value(json_object_get(lineage, "stop_step")));
    if (n > 0 && (size_t)n < size && json_is_integer(json_object_get(lineage, "parent_member")))
        n += snprintf(buf + n, size - (size_t)n, " (continued from member %" JSON_INTEGER_FORMAT
                      "'s round %" JSON_INTEGER_FORMAT ")",
                      json_integer_value(json_object_get(lineage, "parent_member")), round - 1);
    json_decref(lineage);
    /* the member's newest finished round, if later than this one */
    const hps_frozen *newest = NULL;
    json_int_t newest_round = round, newest_step = 0;
    size_t n_trials = 0;
    if (hps_study_n_trials(study, &n_trials) != HPS_OK)
        return;
    for (size_t i = 0; i < n_trials; i++) {
        const hps_frozen *other;
        if (hps_study_trial(study, (int64_t)i, &other) != HPS_OK ||
            hps_frozen_state(other) != HPS_COMPLETE || hps_frozen_n_values(other) == 0)
            continue;
        json_t *l = lineage_of(other);
        json_int_t r = json_integer_value(json_object_get(l, "round"));
        if (l != NULL && json_integer_value(json_object_get(l, "member")) == member &&
            r > newest_round) {
            newest = other;
            newest_round = r;
            newest_step = json_integer_value(json_object_get(l, "stop_step"));
        }
        json_decref(l);
    }
    if (newest != NULL && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; its newest round: trial %" PRId64 " (round %"
                 JSON_INTEGER_FORMAT ", step %" JSON_INTEGER_FORMAT "), value %.6g",
                 hps_frozen_number(newest), newest_round, newest_step,
                 hps_frozen_value(newest, 0));
}

/* "lr=0.0107 momentum=0.9" from a lineage's parameters. */
static void print_params_json(FILE *out, json_t *params)
{
    const char *name;
    json_t *value;
    const char *sep = "";
    json_object_foreach(params, name, value) {
        if (json_is_integer(value))
            fprintf(out, "%s%s=%" JSON_INTEGER_FORMAT, sep, name, json_integer_value(value));
        else if (json_is_number(value))
            fprintf(out, "%s%s=%.4g", sep, name, json_number_value(value));
        else if (json_is_string(value))
            fprintf(out, "%s%s=%s", sep, name, json_string_value(value));
        else if (json_is_boolean(value))
            fprintf(out, "%s%s=%s", sep, name, json_is_true(value) ? "True" : "False");
        sep = " ";
    }
}

void pbt_print_lineage(hps_study *study, FILE *out)
{
    size_t n = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return;
    json_t *members = json_object(); /* member -> [lineage of each round's last trial] */
    json_int_t rounds = 0;
    for (size_t i = 0; members != NULL && i < n; i++) {
        const hps_frozen *t;
        json_t *lineage = hps_study_trial(study, (int64_t)i, &t) == HPS_OK ? lineage_of(t) : NULL;
        json_int_t member = json_integer_value(json_object_get(lineage, "member"));
        json_int_t round = json_integer_value(json_object_get(lineage, "round"));
        if (lineage == NULL || round < 0 || round > 100000) {
            json_decref(lineage);
            continue;
        }
        char key[32];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, member);
        json_t *schedule = json_object_get(members, key);
        if (schedule == NULL) {
            schedule = json_array();
            json_object_set_new(members, key, schedule);
        }
        while ((json_int_t)json_array_size(schedule) <= round)
            json_array_append_new(schedule, json_null());
        json_object_set_new(lineage, "trial", json_integer(hps_frozen_number(t)));
        json_array_set_new(schedule, (size_t)round, lineage); /* a later trial redid it */
        if (round + 1 > rounds)
            rounds = round + 1;
    }
    size_t shown = json_object_size(members);
    if (shown > 0) {
        fprintf(out, "\npbt lineage (%zu members, %" JSON_INTEGER_FORMAT " rounds so far; "
                "<- mN: continued from member N's checkpoint):\n", shown, rounds);
        for (json_int_t m = 0; m <= 100000 && shown > 0; m++) {
            char key[32];
            snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, m);
            json_t *schedule = json_object_get(members, key);
            if (schedule == NULL)
                continue;
            shown--;
            fprintf(out, "  member %" JSON_INTEGER_FORMAT ":", m);
            size_t r;
            json_t *l;
            json_array_foreach(schedule, r, l) {
                fprintf(out, "%s r%zu", r > 0 ? " |" : "", r);
                if (!json_is_object(l)) {
                    fputs(" ?", out);
                    continue;
                }
                if (json_is_true(json_object_get(l, "exploited")))
                    fprintf(out, " <- m%" JSON_INTEGER_FORMAT,
                            json_integer_value(json_object_get(l, "parent_member")));
                fputc(' ', out);
                print_params_json(out, json_object_get(l, "after"));
            }
            fputc('\n', out);
        }
    }
    json_decref(members);
}

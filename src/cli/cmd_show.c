/* cmd_show.c -- `hpsearch show STUDY|CONFIG`: the study at a glance in the terminal:
 * counts by state, the best trial, the top five, importances as bars and a sparkline
 * of the best value so far. Unicode blocks when the terminal speaks UTF-8, ASCII
 * otherwise (or with --ascii). */
#include "cli/cli.h"
#include "cli/identity.h"
#include "cli/pbt.h"
#include "cli/value_names.h"
#include "report/report_data.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SHOW_TOP 5
#define SHOW_BAR_WIDTH 30
#define SHOW_SPARK_WIDTH 48
#define SHOW_MAX_PARAM_COLUMNS 6

typedef struct show_style {
    int unicode;
} show_style;

/* UTF-8 when the locale environment says so, as POSIX orders it (the command runs in
 * the C locale for number parsing, so nl_langinfo cannot tell). */
static int locale_is_utf8(void)
{
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || v[0] == '\0')
            continue;
        for (const char *c = v; *c != '\0'; c++)
            if (strncasecmp(c, "utf-8", 5) == 0 || strncasecmp(c, "utf8", 4) == 0)
                return 1;
        return 0;
    }
    return 0;
}

static void bar(const show_style *style, double fraction, int width)
{
    if (!(fraction >= 0))
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    if (!style->unicode) {
        int n = (int)lround(fraction * width);
        for (int i = 0; i < width; i++)
            putchar(i < n ? '#' : '.');
        return;
    }
    static const char *const partial[8] = {"", "\u258f", "\u258e", "\u258d",
                                           "\u258c", "\u258b", "\u258a", "\u2589"};
    int eighths = (int)lround(fraction * width * 8);
    int full = eighths / 8, rest = eighths % 8, used = 0;
    for (int i = 0; i < full; i++, used++)
        fputs("\u2588", stdout);
    if (rest > 0) {
        fputs(partial[rest], stdout);
        used++;
    }
    for (; used < width; used++)
        putchar(' ');
}

/* `series` (n >= 2 points) resampled to the width, each column its share's last point,
 * then the first and last values. */
static void draw_sparkline(const show_style *style, const double *series, size_t n)
{
    static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char ascii[] = "_.-~=+*#";
    size_t width = n < SHOW_SPARK_WIDTH ? n : SHOW_SPARK_WIDTH;
    double lo = series[0], hi = series[0];
    for (size_t i = 0; i < n; i++) {
        lo = series[i] < lo ? series[i] : lo;
        hi = series[i] > hi ? series[i] : hi;
    }
    for (size_t c = 0; c < width; c++) {
        size_t i = (c + 1) * n / width - 1;
        int level = hi > lo ? (int)lround((series[i] - lo) / (hi - lo) * 7) : 0;
        if (style->unicode)
            fputs(blocks[level], stdout);
        else
            putchar(ascii[level]);
    }
    printf("  %.6g %s %.6g\n", series[0], style->unicode ? "\u2192" : "->", series[n - 1]);
}

/* Best value so far over the COMPLETE trials in number order. */
static void sparkline(const show_style *style, const rdata_study *data)
{
    size_t n = 0, n_infinite = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        double v = rdata_value(data, r);
        n += data->rows[r].state == HPS_COMPLETE && isfinite(v);
        n_infinite += data->rows[r].state == HPS_COMPLETE && isinf(v);
    }
    if (n < 2)
        return;
    double *best = calloc(n, sizeof *best);
    if (best == NULL)
        return;
    size_t k = 0;
    double b = NAN;
    for (size_t r = 0; r < data->n_rows; r++) {
        double v = rdata_value(data, r);
        if (data->rows[r].state != HPS_COMPLETE || !isfinite(v))
            continue;
        if (isnan(b) || (rdata_maximize(data) ? v > b : v < b))
            b = v;
        best[k++] = b;
    }
    /* A line cannot rise to infinity: such values are left out, and the label says so. */
    if (n_infinite > 0)
        printf("best so far (%zu completed trials, %zu with an infinite value left out): ", n,
               n_infinite);
    else
        printf("best so far (%zu completed trials): ", n);
    draw_sparkline(style, best, n);
    free(best);
}

/* Several objectives: the hypervolume of the feasible front after each COMPLETE trial
 * (the report's history, against Optuna's reference point), which only rises. */
static void hypervolume_sparkline(const show_style *style, const rdata_study *data)
{
    if (data->hypervolume_error != NULL) {
        printf("hypervolume: %s\n", data->hypervolume_error);
        return;
    }
    /* a hypervolume too large for a double (objective values near 1e200) is +inf: such
     * steps cannot be drawn and are left out */
    size_t n = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        n += isfinite(data->rows[r].hypervolume);
    if (n < 2 || data->reference == NULL)
        return;
    double *series = calloc(n, sizeof *series);
    if (series == NULL)
        return;
    size_t k = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        if (isfinite(data->rows[r].hypervolume))
            series[k++] = data->rows[r].hypervolume;
    printf("hypervolume of the feasible front (%zu completed trials; reference point (", n);
    for (size_t j = 0; j < data->n_directions; j++)
        printf("%s%.6g", j > 0 ? ", " : "", data->reference[j]);
    printf(")): ");
    draw_sparkline(style, series, n);
    free(series);
}

typedef struct top_row {
    size_t row;
    double key;
} top_row;

static int compare_top(const void *a, const void *b)
{
    const top_row *p = a, *q = b;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    return (p->row > q->row) - (p->row < q->row);
}

/* The importances object of the snapshot, in its order (most important first). */
static json_t *parse_importances(const rdata_study *data)
{
    return json_loads(data->importances, JSON_PRESERVE_ORDER, NULL);
}

static void print_top(const rdata_study *data, json_t *imp, const char *metric)
{
    top_row *rows = calloc(data->n_rows + 1, sizeof *rows);
    if (rows == NULL)
        return;
    /* Ranked as the library picks the best trial (hps_study_best_trial): every COMPLETE
     * value but NaN, ties in number order (compare_top), so the first row is the best. */
    size_t n = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        double v = rdata_value(data, r);
        if (data->rows[r].state == HPS_COMPLETE && !isnan(v))
            rows[n++] = (top_row){r, rdata_maximize(data) ? -v : v};
    }
    if (n == 0) {
        free(rows);
        return;
    }
    qsort(rows, n, sizeof *rows, compare_top);
    /* Columns: the most important parameters first, then the others, up to a cap. */
    size_t cols[SHOW_MAX_PARAM_COLUMNS], n_cols = 0;
    const char *key;
    json_t *value;
    json_object_foreach(imp, key, value) {
        long p = rdata_param_index(data, key);
        if (p >= 0 && n_cols < SHOW_MAX_PARAM_COLUMNS)
            cols[n_cols++] = (size_t)p;
    }
    for (size_t p = 0; p < data->n_params && n_cols < SHOW_MAX_PARAM_COLUMNS; p++) {
        int have = 0;
        for (size_t c = 0; c < n_cols; c++)
            have |= cols[c] == p;
        if (!have)
            cols[n_cols++] = p;
    }
    printf("\ntop %d:\n  %6s  %-12.12s", SHOW_TOP, "trial", metric);
    for (size_t c = 0; c < n_cols; c++)
        printf("  %-12.12s", data->params[cols[c]].name);
    printf("  %s\n", data->n_samplers > 0 ? "strategy" : "");
    for (size_t i = 0; i < n && i < SHOW_TOP; i++) {
        size_t r = rows[i].row;
        printf("  %6lld  %-12.6g", (long long)data->rows[r].number, rdata_value(data, r));
        for (size_t c = 0; c < n_cols; c++) {
            char text[64] = "-";
            double v;
            if (rdata_param_value(data, r, cols[c], &v))
                rdata_param_text(data, cols[c], v, text, sizeof text);
            printf("  %-12.12s", text);
        }
        int s = data->rows[r].sampler;
        printf("  %s\n", s >= 0 ? data->samplers[s] : "");
    }
    if (data->n_params > n_cols)
        printf("  (%zu more parameters: hpsearch trials shows them all)\n", data->n_params - n_cols);
    free(rows);
}

static void print_importances(const show_style *style, const rdata_study *data, json_t *imp)
{
    if (data->importance_error != NULL) {
        printf("\nimportances: not available (%s)\n", data->importance_error);
        return;
    }
    if (json_object_size(imp) == 0) {
        printf("\nimportances: need at least two completed trials and a parameter that varies\n");
        return;
    }
    size_t width = 4;
    const char *key;
    json_t *value;
    json_object_foreach(imp, key, value) {
        size_t len = strlen(key);
        width = len > width ? len : width;
    }
    width = width > 24 ? 24 : width;
    printf("\nimportances (fANOVA%s):\n", data->n_directions > 1 ? ", objective 0" : "");
    json_object_foreach(imp, key, value) {
        printf("  %-*.*s ", (int)width, (int)width, key);
        bar(style, json_number_value(value), SHOW_BAR_WIDTH);
        printf(" %.3f\n", json_number_value(value));
    }
}

/* Importances within each branch of a conditional space, one line each:
 * "  when optimizer = sgd (12 trials): momentum 0.41, lr 0.37, layers 0.22". */
static void print_branch_importances(const rdata_study *data)
{
    json_t *branches = data->branch_importances != NULL
                           ? json_loads(data->branch_importances, JSON_PRESERVE_ORDER, NULL)
                           : NULL;
    if (json_array_size(branches) > 0)
        printf("importances within each branch:\n");
    size_t b;
    json_t *branch;
    json_array_foreach(branches, b, branch) {
        char *value = json_dumps(json_object_get(branch, "value"), JSON_ENCODE_ANY);
        const char *text = value != NULL ? value : "?";
        json_t *v = json_object_get(branch, "value");
        if (json_is_string(v)) /* sgd, not "sgd" */
            text = json_string_value(v);
        printf("  when %s = %s (%" JSON_INTEGER_FORMAT " trials):",
               json_string_value(json_object_get(branch, "parent")), text,
               json_integer_value(json_object_get(branch, "trials")));
        free(value);
        json_t *imp = json_object_get(branch, "importances");
        const char *key;
        json_t *number;
        const char *sep = " ";
        json_object_foreach(imp, key, number) {
            printf("%s%s %.2f", sep, key, json_number_value(number));
            sep = ", ";
        }
        printf("%s\n", json_object_size(imp) == 0 ? " no parameter of its own varies" : "");
    }
    json_decref(branches);
}

/* "  val_acc = 0.91  train_seconds = 12  gpu_mem_gb = 8 (<= 10)" */
static void print_trial_values(const value_names *vn, const hps_frozen *t)
{
    char name[64], bound[64];
    for (size_t k = 0; k < vn->n_objectives && k < hps_frozen_n_values(t); k++)
        printf("  %s = %.10g", value_names_objective(vn, k, name, sizeof name),
               hps_frozen_value(t, k));
    for (size_t k = 0; k < vn->n_constraints; k++) {
        double v = value_names_constraint_value(vn, t, k, bound, sizeof bound);
        printf("  %s = %.10g (%s)", value_names_constraint(vn, k, name, sizeof name), v, bound);
    }
    putchar('\n');
}

/* "gpus: 0,1 3 trials, 2,3 3 trials": the GPUs `hpsearch run` gave the trials (their
 * system attribute "gpus"), in the order first used; nothing when none had any. */
static void print_gpus(const rdata_study *data)
{
    enum { SHOW_MAX_GPU_SETS = 64 };
    const char *sets[SHOW_MAX_GPU_SETS];
    size_t counts[SHOW_MAX_GPU_SETS], n = 0, others = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        const char *gpus = data->rows[r].gpus;
        if (gpus == NULL)
            continue;
        size_t k = 0;
        while (k < n && strcmp(sets[k], gpus) != 0)
            k++;
        if (k == n && n == SHOW_MAX_GPU_SETS) {
            others++;
            continue;
        }
        if (k == n) {
            sets[n] = gpus;
            counts[n++] = 0;
        }
        counts[k]++;
    }
    if (n == 0)
        return;
    printf("\ngpus:");
    for (size_t k = 0; k < n; k++)
        printf(" %s %zu trial%s%s", sets[k], counts[k], counts[k] == 1 ? "" : "s",
               k + 1 < n ? "," : "");
    if (others > 0)
        printf(", %zu more on other GPUs", others);
    putchar('\n');
}

/* With several objectives the best trials are the Pareto set; with constraints the best
 * trial is the best feasible one. Both come from the library. */
static void print_feasible_best(hps_study *study, const value_names *vn)
{
    int64_t *numbers = NULL;
    size_t n = 0;
    hps_status rc = hps_study_best_trials(study, &numbers, &n);
    if (rc != HPS_OK) {
        printf("best: unknown (%s)\n", hps_study_errmsg(study));
        hps_free(numbers);
        return;
    }
    if (n == 0) {
        printf("best: %s\n", value_names_no_best(vn->n_constraints));
        hps_free(numbers);
        return;
    }
    if (vn->n_objectives > 1)
        value_names_print_pareto_heading(n, vn->n_constraints);
    for (size_t k = 0; k < n && (vn->n_objectives > 1 || k == 0); k++) {
        const hps_frozen *t;
        if (hps_study_trial(study, numbers[k], &t) != HPS_OK)
            continue;
        printf("%s trial %lld", vn->n_objectives > 1 ? " " : "best:", (long long)numbers[k]);
        print_trial_values(vn, t);
    }
    if (vn->n_constraints > 0) {
        size_t n_trials = 0, n_feasible = 0, n_complete = 0;
        hps_study_n_trials(study, &n_trials);
        for (size_t i = 0; i < n_trials; i++) {
            const hps_frozen *t;
            if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK ||
                hps_frozen_state(t) != HPS_COMPLETE)
                continue;
            n_complete++;
            n_feasible += hps_frozen_feasible(t) != 0;
        }
        printf("feasible: %zu of %zu COMPLETE trials\n", n_feasible, n_complete);
    }
    hps_free(numbers);
}

/* The space version an untagged trial was sampled under. Trials are tagged
 * ("space_version") since space versions exist, so an untagged one ran under version 1
 * -- or, in a study whose changes an older hpsearch recorded only as "config_changes"
 * (which tagged no trial), under the last of those changes accepted before it started:
 * each change's run records its time ("at") before it samples a trial. "at" is in whole
 * seconds, so a trial started in the very second of a change counts under the change:
 * the run that accepted it samples at once, while an earlier run's last trial would have
 * had to start in that same second. */
static json_int_t untagged_version(const hps_frozen *t, const json_t *legacy)
{
    double started = hps_frozen_datetime_start(t);
    json_int_t version = 1;
    size_t k;
    const json_t *change;
    json_array_foreach(legacy, k, change) {
        const json_t *at = json_object_get(change, "at");
        if (started > 0 && json_is_number(at) && json_number_value(at) <= started)
            version = (json_int_t)k + 2;
    }
    return version;
}

/* Trials sampled under each space version into counts[0..n_versions). */
static void count_by_version(hps_study *study, const json_t *study_attrs, size_t *counts,
                             size_t n_versions)
{
    size_t n = 0;
    if (hps_study_n_trials(study, &n) != HPS_OK)
        return;
    const json_t *legacy = json_object_get(study_attrs, "config_changes");
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK)
            continue;
        json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
        json_t *v = json_object_get(attrs, "space_version");
        json_int_t version = json_is_integer(v) ? json_integer_value(v)
                                                : untagged_version(t, legacy);
        if (version >= 1 && (size_t)version <= n_versions)
            counts[version - 1]++;
        json_decref(attrs);
    }
}

/* The versions of a space changed mid-study (identity.h), with what changed at each and
 * the trials sampled under it; nothing for a study whose space never changed. */
static void print_space_versions(hps_study *study)
{
    const char *text;
    if (hps_study_system_attrs(study, &text) != HPS_OK)
        return;
    json_t *attrs = json_loads(text, 0, NULL);
    json_t *versions = identity_space_versions(attrs);
    size_t n = json_is_array(versions) ? json_array_size(versions) + 1 : 0;
    size_t *counts = n > 0 ? calloc(n, sizeof *counts) : NULL;
    if (counts != NULL) {
        count_by_version(study, attrs, counts, n);
        printf("space versions: %zu (trials sampled under each)\n", n);
        printf("  1  as created  %zu trial%s\n", counts[0], counts[0] == 1 ? "" : "s");
    }
    for (size_t k = 1; counts != NULL && k < n; k++) {
        json_t *entry = json_array_get(versions, k - 1);
        time_t at = (time_t)json_number_value(json_object_get(entry, "at"));
        char when[64] = "?";
        struct tm tm;
        if (gmtime_r(&at, &tm) != NULL)
            strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
        printf("  %zu  %s  %zu trial%s\n", k + 1, when, counts[k], counts[k] == 1 ? "" : "s");
        size_t i;
        json_t *line;
        json_array_foreach(json_object_get(entry, "changes"), i, line) {
            printf("       %s\n", json_string_value(line) != NULL ? json_string_value(line) : "?");
        }
    }
    free(counts);
    json_decref(versions);
    json_decref(attrs);
}

static void print_summary(const show_style *style, const rdata_study *data,
                          const cli_target *target, hps_study *study)
{
    const char *metric = data->metric != NULL ? data->metric : "value";
    value_names vn;
    value_names_load(study, &vn);
    printf("study %s (", data->name);
    if (data->n_directions == 1)
        printf("%s %s", data->directions[0] == HPS_MAXIMIZE ? "maximize" : "minimize", metric);
    for (size_t k = 0; data->n_directions > 1 && k < data->n_directions; k++) {
        char name[64];
        printf("%s%s %s", k > 0 ? ", " : "",
               data->directions[k] == HPS_MAXIMIZE ? "maximize" : "minimize",
               value_names_objective(&vn, k, name, sizeof name));
    }
    char shown[512];
    printf(") in %s\n", cli_shown_url(target->storage, shown, sizeof shown));
    printf("trials: %zu", data->n_rows);
    for (int s = 0; s < RDATA_STATES; s++) {
        static const int order[RDATA_STATES] = {HPS_COMPLETE, HPS_PRUNED, HPS_FAIL,
                                                HPS_RUNNING,  HPS_WAITING, HPS_PAUSED};
        char name[16];
        snprintf(name, sizeof name, "%s", hps_trial_state_name((hps_trial_state)order[s]));
        for (char *c = name; *c != '\0'; c++)
            *c = (char)(*c - 'A' + 'a');
        printf("  %s %zu", name, data->counts[order[s]]);
    }
    putchar('\n');
    print_space_versions(study);
    if (data->n_rows == 0) {
        printf("\nno trials yet: start the study with `hpsearch run`\n");
        value_names_clear(&vn);
        return;
    }
    int extended = value_names_extended(&vn);
    if (extended)
        print_feasible_best(study, &vn);
    value_names_clear(&vn);
    if (extended) {
        /* said above */
    } else if (data->best_row >= 0) {
        size_t r = (size_t)data->best_row;
        printf("best: trial %lld  %s = %.10g\n", (long long)data->rows[r].number, metric,
               rdata_value(data, r));
        const rdata_row *row = &data->rows[r];
        for (uint32_t k = 0; k < row->n_pv; k++) {
            const rdata_pv *pv = &data->pvs[row->pv_offset + k];
            char text[256];
            rdata_param_text(data, pv->param, pv->value, text, sizeof text);
            printf("  %s = %s\n", data->params[pv->param].name, text);
        }
        const hps_frozen *best;
        char round[512] = "";
        if (hps_study_trial(study, data->rows[r].number, &best) == HPS_OK)
            pbt_describe_round(study, best, round, sizeof round);
        if (round[0] != '\0')
            printf("  pbt: %s\n", round);
    } else if (data->n_directions > 1) {
        printf("best: several objectives (no single best trial)\n");
    } else {
        printf("best: no trial has completed yet\n");
    }
    json_t *imp = parse_importances(data);
    if (!extended) /* ranked by the first value, which is not "best" here */
        print_top(data, imp, metric);
    print_importances(style, data, imp);
    if (data->importance_error == NULL)
        print_branch_importances(data);
    json_decref(imp);
    if (data->n_samplers > 0) {
        printf("\nstrategies:");
        for (size_t s = 0; s < data->n_samplers; s++) {
            size_t count = 0;
            for (size_t r = 0; r < data->n_rows; r++)
                count += data->rows[r].sampler == (int)s;
            printf(" %s %zu%s", data->samplers[s], count, s + 1 < data->n_samplers ? "," : "");
        }
        putchar('\n');
    }
    print_gpus(data);
    pbt_print_lineage(study, stdout);
    putchar('\n');
    if (data->n_directions > 1)
        hypervolume_sparkline(style, data);
    else
        sparkline(style, data);
}

int cmd_show(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"storage", required_argument, NULL, 's'},
        {"ascii", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *storage = NULL;
    show_style style = {locale_is_utf8()};
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            storage = optarg;
            break;
        case 'a':
            style.unicode = 0;
            break;
        case 'h':
            printf("usage: hpsearch show STUDY|CONFIG.yaml [--storage URL] [--ascii]\n\n"
                   "A summary of the study: counts by state, the best trial, the top %d, "
                   "parameter\nimportances as bars and a sparkline of the best value so far (with "
                   "several objectives:\nthe Pareto set and the hypervolume history).\n",
                   SHOW_TOP);
            return CLI_EXIT_OK;
        default:
            cli_error("show: unknown or incomplete option '%s'", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("show: which study? usage: hpsearch show STUDY|CONFIG.yaml [--storage URL]");
        return CLI_EXIT_USAGE;
    }
    const char *arg = argv[optind++];
    if (optind < argc) {
        cli_error("show: unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    cli_target target;
    hps_study *study = NULL;
    int rc = rdata_open("show", arg, storage, &target, &study);
    if (rc != 0)
        return rc;
    rdata_study *data = NULL;
    char err[1024];
    if (rdata_load(study, 1, &data, err, sizeof err) != 0) {
        cli_error("show: study '%s': %s", target.study, err);
        rc = CLI_EXIT_FAILED;
    } else {
        print_summary(&style, data, &target, study);
        rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    }
    rdata_free(data);
    hps_study_close(study);
    cli_target_clear(&target);
    return rc;
}

/* cmd_query.c -- reading studies: `hpsearch trials`, `best`, `studies`, `delete`. */
#include "base/strbuf.h"
#include "cli/checkpoints.h"
#include "cli/pbt.h"
#include "cli/cli.h"
#include "cli/so_far.h"
#include "cli/value_names.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef enum out_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON } out_format;

/* The options each query command has besides --storage: one description drives the
 * parsing (an option of another command is refused, not ignored) and the usage line. */
enum {
    QOPT_FORMAT = 1 << 0, /* --format table|json */
    QOPT_CSV = 1 << 1,    /* ... and csv */
    QOPT_STATE = 1 << 2,  /* --state S,... */
    QOPT_YES = 1 << 3,    /* --yes */
    QOPT_ARTIFACTS = 1 << 4, /* --artifacts */
};

typedef struct query_cmd {
    const char *name;
    int needs_target; /* takes STUDY|CONFIG.yaml */
    int options;      /* QOPT_* */
} query_cmd;

static const query_cmd TRIALS_CMD = {"trials", 1, QOPT_FORMAT | QOPT_CSV | QOPT_STATE};
static const query_cmd BEST_CMD = {"best", 1, QOPT_FORMAT | QOPT_ARTIFACTS};
static const query_cmd STUDIES_CMD = {"studies", 0, QOPT_FORMAT | QOPT_CSV};
static const query_cmd DELETE_CMD = {"delete", 1, QOPT_YES};

typedef struct query_args {
    const char *target;
    const char *storage;
    out_format format;
    int state_mask;   /* bit per hps_trial_state; 0 = all */
    int yes;
    int artifacts;
} query_args;

static int parse_format(const char *text, int with_csv, out_format *out)
{
    if (strcmp(text, "table") == 0 || strcmp(text, "text") == 0)
        *out = FORMAT_TABLE;
    else if (with_csv && strcmp(text, "csv") == 0)
        *out = FORMAT_CSV;
    else if (strcmp(text, "json") == 0)
        *out = FORMAT_JSON;
    else
        return -1;
    return 0;
}

static void print_query_usage(const query_cmd *cmd)
{
    printf("usage: hpsearch %s%s [--storage URL]", cmd->name,
           cmd->needs_target ? " STUDY|CONFIG.yaml" : "");
    if (cmd->options & QOPT_FORMAT)
        printf(" [--format table|%sjson]", cmd->options & QOPT_CSV ? "csv|" : "");
    if (cmd->options & QOPT_STATE)
        printf(" [--state S,...]");
    if (cmd->options & QOPT_YES)
        printf(" [--yes]");
    if (cmd->options & QOPT_ARTIFACTS)
        printf(" [--artifacts]");
    putchar('\n');
}

static int parse_states(const char *cmd, const char *text, int *mask)
{
    char *copy = strdup(text), *save = NULL;
    if (copy == NULL)
        return CLI_EXIT_FAILED;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        hps_trial_state st;
        if (hps_trial_state_parse(tok, &st) != HPS_OK) {
            cli_error("%s: --state: unknown state '%s' (WAITING, RUNNING, COMPLETE, PRUNED, "
                      "FAIL, PAUSED)",
                      cmd, tok);
            free(copy);
            return CLI_EXIT_USAGE;
        }
        *mask |= 1 << st;
    }
    free(copy);
    return 0;
}

/* Parses --storage and the command's own options; returns 0, -1 after --help, or an
 * exit code. */
static int parse_query_args(const query_cmd *cmd, int argc, char **argv, query_args *args)
{
    static const struct option longopts[] = {
        {"storage", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
        {"state", required_argument, NULL, 't'},   {"yes", no_argument, NULL, 'y'},
        {"artifacts", no_argument, NULL, 'a'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        int opt, qopt;
        const char *flag;
    } owned[] = {{'f', QOPT_FORMAT, "--format"}, {'t', QOPT_STATE, "--state"}, {'y', QOPT_YES, "--yes"},
                 {'a', QOPT_ARTIFACTS, "--artifacts"}};
    memset(args, 0, sizeof *args);
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "s:f:yh", longopts, NULL)) != -1) {
        for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
            if (opt == owned[i].opt && !(cmd->options & owned[i].qopt)) {
                cli_error("%s: %s is not an option of this command (see hpsearch %s --help)",
                          cmd->name, owned[i].flag, cmd->name);
                return CLI_EXIT_USAGE;
            }
        int rc = 0;
        switch (opt) {
        case 's':
            args->storage = optarg;
            break;
        case 'f':
            if (parse_format(optarg, cmd->options & QOPT_CSV, &args->format) != 0) {
                cli_error("%s: --format must be table%s or json (got '%s')", cmd->name,
                          cmd->options & QOPT_CSV ? ", csv" : "", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 't':
            rc = parse_states(cmd->name, optarg, &args->state_mask);
            if (rc != 0)
                return rc;
            break;
        case 'y':
            args->yes = 1;
            break;
        case 'a':
            args->artifacts = 1;
            break;
        case 'h':
            print_query_usage(cmd);
            return -1;
        default:
            cli_error("%s: unknown or incomplete option '%s'", cmd->name, argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (cmd->needs_target) {
        if (optind >= argc) {
            cli_error("%s: which study? usage: hpsearch %s STUDY|CONFIG.yaml [--storage URL]",
                      cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        }
        args->target = argv[optind++];
    }
    if (optind < argc) {
        cli_error("%s: unexpected argument '%s'", cmd->name, argv[optind]);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int open_target(const char *cmd, const query_args *args, cli_target *target,
                       hps_study **study)
{
    int rc = cli_resolve_target(args->target, args->storage, target);
    if (rc != 0)
        return rc;
    char err[1024];
    hps_status st = hps_study_open(target->storage, target->study, HPS_OPEN_LOAD, NULL, 0, study,
                                   err, sizeof err);
    if (st != HPS_OK) {
        rc = cli_open_failed(cmd, st, err, target->storage);
        cli_target_clear(target);
        return rc;
    }
    return 0;
}

/* ---- trials ------------------------------------------------------------------------ */

typedef struct name_list {
    const char **names;
    size_t n, cap;
} name_list;

/* Copies: a trial read later may sync the study and free the records names came from. */
static int name_list_add(name_list *list, const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->names[i], name) == 0)
            return 0;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        const char **grown = realloc(list->names, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        list->names = grown;
        list->cap = cap;
    }
    char *copy = strdup(name);
    if (copy == NULL)
        return -1;
    list->names[list->n++] = copy;
    return 0;
}

static void name_list_free(name_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        free((char *)list->names[i]);
    free(list->names);
}

static void format_time(double t, char *buf, size_t size)
{
    if (t <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void csv_field(const char *text)
{
    if (strpbrk(text, ",\"\n\r") == NULL) {
        fputs(text, stdout);
        return;
    }
    putchar('"');
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '"')
            putchar('"');
        putchar(*c);
    }
    putchar('"');
}

/* exact: the shortest text that reads back to the same value; else short for tables */
static void param_text(const hps_frozen *t, const char *name, int exact, char *buf, size_t size)
{
    long idx = hps_frozen_param_index(t, name);
    if (idx < 0) {
        snprintf(buf, size, "-");
        return;
    }
    hps_value v = hps_frozen_param_value(t, (size_t)idx);
    if (!exact && v.type == HPS_VALUE_FLOAT)
        snprintf(buf, size, "%.6g", v.u.f);
    else
        cli_format_value(v, buf, size);
}

/* The objective values a row shows: the trial's, or a PAUSED trial's values so far
 * (the state column says which); 0 when it has none. */
#define QUERY_MAX_VALUES 64
static size_t shown_values(const hps_frozen *t, double *values, int64_t *so_far_step)
{
    *so_far_step = -1;
    size_t n = hps_frozen_n_values(t);
    if (n == 0)
        return so_far_values(t, so_far_step, values, QUERY_MAX_VALUES);
    n = n < QUERY_MAX_VALUES ? n : QUERY_MAX_VALUES;
    for (size_t k = 0; k < n; k++)
        values[k] = hps_frozen_value(t, k);
    return n;
}

static void value_text(const hps_frozen *t, char *buf, size_t size)
{
    double values[QUERY_MAX_VALUES];
    int64_t step;
    size_t n = shown_values(t, values, &step);
    if (n == 0) {
        snprintf(buf, size, "-");
        return;
    }
    size_t used = 0;
    for (size_t v = 0; v < n && used < size; v++) {
        int k = snprintf(buf + used, size - used, "%s%.6g", v > 0 ? "," : "", values[v]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static double duration_of(const hps_frozen *t)
{
    double start = hps_frozen_datetime_start(t), end = hps_frozen_datetime_complete(t);
    return start > 0 && end >= start ? end - start : NAN;
}

/* The first line of a FAIL trial's reason, for the table. */
static void fail_reason(const hps_frozen *t, char *buf, size_t size)
{
    buf[0] = '\0';
    json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
    const char *reason = json_string_value(json_object_get(attrs, "fail_reason"));
    if (reason != NULL)
        snprintf(buf, size, "%.*s", (int)strcspn(reason, "\n"), reason);
    json_decref(attrs);
}

/* A member's round of population-based training (system attribute "pbt"): "pbt m3 r2",
 * and "<- m0 #5" when it continued another member's checkpoint (trial 5's). */
static void pbt_note(const hps_frozen *t, char *buf, size_t size)
{
    json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
    json_t *l = json_object_get(attrs, "pbt");
    if (json_is_object(l)) {
        int n = snprintf(buf, size, "pbt m%" JSON_INTEGER_FORMAT " r%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(l, "member")),
                         json_integer_value(json_object_get(l, "round")));
        if (n > 0 && (size_t)n < size && json_is_true(json_object_get(l, "exploited")))
            snprintf(buf + n, size - (size_t)n,
                     " <- m%" JSON_INTEGER_FORMAT " #%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(l, "parent_member")),
                     json_integer_value(json_object_get(l, "parent")));
    }
    json_decref(attrs);
}

/* The table's note: why a trial failed, the step a PAUSED trial's value is from,
 * where a warm start took it from ("warm start: v1 #12", user attribute
 * warm_start_from), or its place in a PBT population. */
static void trial_note(const hps_frozen *t, char *buf, size_t size)
{
    fail_reason(t, buf, size);
    if (buf[0] != '\0')
        return;
    double values[QUERY_MAX_VALUES];
    int64_t step;
    if (hps_frozen_n_values(t) == 0 && shown_values(t, values, &step) > 0) {
        snprintf(buf, size, "value so far, at step %" PRId64, step);
        return;
    }
    pbt_note(t, buf, size);
    if (buf[0] != '\0')
        return;
    json_t *attrs = json_loads(hps_frozen_user_attrs(t), 0, NULL);
    json_t *origin = json_object_get(attrs, "warm_start_from");
    const char *from = json_string_value(json_object_get(origin, "study"));
    json_t *number = json_object_get(origin, "number");
    if (from != NULL && json_is_integer(number))
        snprintf(buf, size, "warm start: %s #%" JSON_INTEGER_FORMAT, from,
                 json_integer_value(number));
    json_decref(attrs);
}

/* The GPUs `hpsearch run` gave the trial (its system attribute "gpus"), as
 * CUDA_VISIBLE_DEVICES said them: "0,1"; "" when none. */
static void trial_gpus(const hps_frozen *t, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    json_t *attrs = json_loads(hps_frozen_system_attrs(t), 0, NULL);
    json_t *gpus = json_object_get(attrs, "gpus");
    for (size_t k = 0; k < json_array_size(gpus) && used < size; k++) {
        const char *id = json_string_value(json_array_get(gpus, k));
        int w = snprintf(buf + used, size - used, "%s%s", k > 0 ? "," : "", id != NULL ? id : "?");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    json_decref(attrs);
}

/* ---- several objectives and constraints ------------------------------------------- */

/* The value columns' headers: "value" for one objective, else one per objective; then
 * each constraint and whether the trial is feasible. CSV headers are prefixed:
 * "values_acc" as Optuna's trials_dataframe names a named objective, "constraints_mem". */
static void value_headers(const value_names *vn, int csv)
{
    char buf[64];
    for (size_t k = 0; k < vn->n_objectives; k++) {
        const char *name =
            vn->n_objectives == 1 ? "value" : value_names_objective(vn, k, buf, sizeof buf);
        if (csv) {
            printf(",%s", vn->n_objectives == 1 ? "" : "values_");
            csv_field(name);
        } else {
            printf("  %-12s", name);
        }
    }
    for (size_t k = 0; k < vn->n_constraints; k++) {
        const char *name = value_names_constraint(vn, k, buf, sizeof buf);
        if (csv) {
            printf(",constraints_");
            csv_field(name);
        } else {
            printf("  %-12s", name);
        }
    }
    if (vn->n_constraints > 0)
        printf(csv ? ",feasible" : "  %-8s", "feasible");
}

/* A row's cells for those columns: the values (a PAUSED trial's so far), the
 * constraints as the trial printed them, "yes"/"no"; "-" (CSV: empty) where the trial
 * has none. */
static void value_cells(const value_names *vn, const hps_frozen *t, int csv)
{
    char buf[64], bound[64];
    double values[QUERY_MAX_VALUES];
    int64_t step;
    size_t n_values = shown_values(t, values, &step);
    for (size_t k = 0; k < vn->n_objectives; k++) {
        buf[0] = '\0';
        if (k < n_values) {
            if (csv)
                cli_format_double(values[k], buf, sizeof buf);
            else
                snprintf(buf, sizeof buf, "%.6g", values[k]);
        }
        if (csv)
            printf(",%s", buf);
        else
            printf("  %-12s", buf[0] != '\0' ? buf : "-");
    }
    for (size_t k = 0; k < vn->n_constraints; k++) {
        double v = value_names_constraint_value(vn, t, k, bound, sizeof bound);
        buf[0] = '\0';
        if (!isnan(v)) {
            if (csv)
                cli_format_double(v, buf, sizeof buf);
            else
                snprintf(buf, sizeof buf, "%.6g", v);
        }
        if (csv)
            printf(",%s", buf);
        else
            printf("  %-12s", buf[0] != '\0' ? buf : "-");
    }
    if (vn->n_constraints > 0) {
        const char *feasible = value_names_feasible(t);
        if (csv)
            printf(",%s", strcmp(feasible, "-") != 0 ? feasible : "");
        else
            printf("  %-8s", feasible);
    }
}

/* A PAUSED trial's values so far appended to its JSON object `json` (freed), as
 * "values_so_far": {"step": S, "values": [...]}, numbers written as the library writes
 * them; "values" stays [] (the trial has none). NULL when out of memory. */
static char *with_so_far(char *json, int64_t step, const double *values, size_t n)
{
    size_t len = strlen(json);
    hps_strbuf b;
    hps_strbuf_init(&b, 0);
    if (len > 0 && json[len - 1] == '}')
        len--;
    hps_strbuf_append(&b, json, len);
    hps_strbuf_printf(&b, ", \"values_so_far\": {\"step\": %" PRId64 ", \"values\": [", step);
    for (size_t k = 0; k < n; k++) {
        char text[64];
        if (isfinite(values[k]))
            cli_format_double(values[k], text, sizeof text);
        else
            snprintf(text, sizeof text, "null");
        hps_strbuf_printf(&b, "%s%s", k > 0 ? ", " : "", text);
    }
    hps_strbuf_puts(&b, "]}}");
    free(json);
    return hps_strbuf_take(&b);
}

/* A trial's JSON (free with free()), with "feasible" and the constraint values as
 * printed when it has constraint values (the library keeps them in
 * system_attrs.constraints as <= 0), and a PAUSED trial's values so far. */
static char *trial_json(const value_names *vn, const hps_frozen *t)
{
    char *json = NULL, *out = NULL;
    if (hps_frozen_to_json(t, &json) != HPS_OK)
        return NULL;
    if (hps_frozen_n_constraints(t) == 0 || vn->n_constraints == 0) {
        out = strdup(json);
        hps_free(json);
    } else {
        json_t *o = json_loads(json, 0, NULL), *values = json_object();
        hps_free(json);
        char name[64], bound[64];
        for (size_t k = 0; values != NULL && k < vn->n_constraints; k++)
            json_object_set_new(values, value_names_constraint(vn, k, name, sizeof name),
                                json_real(value_names_constraint_value(vn, t, k, bound, sizeof bound)));
        json_object_set_new(o, "constraint_values", values);
        json_object_set_new(o, "feasible", json_boolean(hps_frozen_feasible(t)));
        out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
    }
    double so_far[QUERY_MAX_VALUES];
    int64_t step;
    size_t n_so_far = hps_frozen_n_values(t) == 0 ? shown_values(t, so_far, &step) : 0;
    if (out != NULL && n_so_far > 0)
        out = with_so_far(out, step, so_far, n_so_far);
    return out;
}

static int print_trials(hps_study *study, const query_args *args)
{
    size_t n;
    if (hps_study_n_trials(study, &n) != HPS_OK) {
        cli_error("trials: %s", hps_study_errmsg(study));
        return CLI_EXIT_FAILED;
    }
    value_names vn;
    value_names_load(study, &vn);
    /* Rows are kept as numbers, and each trial is read again when printed: a record
     * pointer is only valid until the next read of the study. */
    name_list names = {0};
    int64_t *rows = calloc(n + 1, sizeof *rows);
    size_t n_rows = 0;
    int gpu_column = 0; /* some trial ran with GPUs of hpsearch's choosing */
    int so_far_column = 0; /* some PAUSED trial has a value so far (CSV: its step) */
    char buf[256];
    if (rows == NULL) {
        value_names_clear(&vn);
        return CLI_EXIT_FAILED;
    }
    for (size_t i = 0; i < n; i++) {
        const hps_frozen *t;
        if (hps_study_trial(study, (int64_t)i, &t) != HPS_OK)
            continue;
        if (args->state_mask != 0 && !(args->state_mask & (1 << hps_frozen_state(t))))
            continue;
        rows[n_rows++] = (int64_t)i;
        trial_gpus(t, buf, sizeof buf);
        gpu_column |= buf[0] != '\0';
        double so_far;
        int64_t step;
        so_far_column |= so_far_values(t, &step, &so_far, 1) > 0;
        for (size_t p = 0; p < hps_frozen_n_params(t); p++)
            if (name_list_add(&names, hps_frozen_param_name(t, p)) != 0) {
                free(rows);
                name_list_free(&names);
                value_names_clear(&vn);
                return CLI_EXIT_FAILED;
            }
    }
    if (args->format == FORMAT_JSON) {
        printf("[");
        for (size_t r = 0; r < n_rows; r++) {
            char *json = NULL;
            const hps_frozen *t;
            if (hps_study_trial(study, rows[r], &t) == HPS_OK)
                json = trial_json(&vn, t);
            if (json != NULL)
                printf("%s%s", r > 0 ? ",\n " : "", json);
            free(json);
        }
        printf("]\n");
    } else if (args->format == FORMAT_CSV) {
        printf("number,state");
        value_headers(&vn, 1);
        printf(",datetime_start,datetime_complete,duration");
        for (size_t k = 0; k < names.n; k++) {
            printf(",params_");
            csv_field(names.names[k]);
        }
        printf("%s%s,fail_reason\n", gpu_column ? ",gpus" : "",
               so_far_column ? ",so_far_step" : "");
        for (size_t r = 0; r < n_rows; r++) {
            const hps_frozen *t;
            if (hps_study_trial(study, rows[r], &t) != HPS_OK)
                continue;
            printf("%" PRId64 ",%s", hps_frozen_number(t),
                   hps_trial_state_name(hps_frozen_state(t)));
            value_cells(&vn, t, 1);
            char start[64], end[64];
            format_time(hps_frozen_datetime_start(t), start, sizeof start);
            format_time(hps_frozen_datetime_complete(t), end, sizeof end);
            double d = duration_of(t);
            printf(",%s,%s,", start, end);
            if (!isnan(d))
                printf("%.3f", d);
            for (size_t k = 0; k < names.n; k++) {
                putchar(',');
                param_text(t, names.names[k], 1, buf, sizeof buf);
                if (strcmp(buf, "-") != 0)
                    csv_field(buf);
            }
            if (gpu_column) {
                putchar(',');
                trial_gpus(t, buf, sizeof buf);
                csv_field(buf);
            }
            if (so_far_column) {
                /* the step a PAUSED trial's value is from: its value is that far */
                double so_far;
                int64_t step;
                putchar(',');
                if (so_far_values(t, &step, &so_far, 1) > 0)
                    printf("%" PRId64, step);
            }
            putchar(',');
            fail_reason(t, buf, sizeof buf);
            csv_field(buf);
            putchar('\n');
        }
    } else {
        printf("%6s  %-8s", "number", "state");
        value_headers(&vn, 0);
        for (size_t k = 0; k < names.n; k++)
            printf("  %-12s", names.names[k]);
        printf("  %-8s%s  %s\n", "duration", gpu_column ? "  gpus    " : "", "note");
        for (size_t r = 0; r < n_rows; r++) {
            const hps_frozen *t;
            if (hps_study_trial(study, rows[r], &t) != HPS_OK)
                continue;
            printf("%6" PRId64 "  %-8s", hps_frozen_number(t),
                   hps_trial_state_name(hps_frozen_state(t)));
            if (value_names_extended(&vn)) {
                value_cells(&vn, t, 0);
            } else {
                value_text(t, buf, sizeof buf);
                printf("  %-12s", buf);
            }
            for (size_t k = 0; k < names.n; k++) {
                param_text(t, names.names[k], 0, buf, sizeof buf);
                printf("  %-12s", buf);
            }
            double d = duration_of(t);
            if (isnan(d))
                snprintf(buf, sizeof buf, "-");
            else
                cli_format_duration(d, buf, sizeof buf);
            printf("  %-8s", buf);
            if (gpu_column) {
                trial_gpus(t, buf, sizeof buf);
                printf("  %-8s", buf[0] != '\0' ? buf : "-");
            }
            trial_note(t, buf, 100);
            printf("  %s\n", buf);
        }
    }
    free(rows);
    name_list_free(&names);
    value_names_clear(&vn);
    return CLI_EXIT_OK;
}

int cmd_trials(int argc, char **argv)
{
    query_args args;
    int rc = parse_query_args(&TRIALS_CMD, argc, argv, &args);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cli_target target;
    hps_study *study;
    rc = open_target("trials", &args, &target, &study);
    if (rc != 0)
        return rc;
    rc = print_trials(study, &args);
    hps_study_close(study);
    cli_target_clear(&target);
    return rc;
}

/* ---- best ------------------------------------------------------------------------- */

/* "trial N", each objective, each constraint with its bound and whether the trial is
 * feasible, then the parameters; one "key: value" line each. */
static void print_best_trial(hps_study *study, const value_names *vn, const hps_frozen *t)
{
    char name[64], value[64], bound[64];
    printf("trial %" PRId64 "\n", hps_frozen_number(t));
    for (size_t k = 0; k < vn->n_objectives && k < hps_frozen_n_values(t); k++) {
        cli_format_double(hps_frozen_value(t, k), value, sizeof value);
        printf("%s: %s\n", value_names_objective(vn, k, name, sizeof name), value);
    }
    for (size_t k = 0; k < vn->n_constraints; k++) {
        double v = value_names_constraint_value(vn, t, k, bound, sizeof bound);
        cli_format_double(v, value, sizeof value);
        printf("%s: %s (%s)\n", value_names_constraint(vn, k, name, sizeof name), value, bound);
    }
    if (vn->n_constraints > 0)
        printf("feasible: %s\n", value_names_feasible(t));
    for (size_t i = 0; i < hps_frozen_n_params(t); i++) {
        char text[256];
        cli_format_value(hps_frozen_param_value(t, i), text, sizeof text);
        printf("%s: %s\n", hps_frozen_param_name(t, i), text);
    }
    char round[512];
    pbt_describe_round(study, t, round, sizeof round);
    if (round[0] != '\0')
        printf("pbt: %s\n", round);
}

/* Several objectives: the Pareto set, the feasible COMPLETE trials no other feasible one
 * dominates; JSON: an array of them. */
static int print_pareto_set(hps_study *study, const value_names *vn, out_format format)
{
    int64_t *numbers = NULL;
    size_t n = 0;
    if (hps_study_best_trials(study, &numbers, &n) != HPS_OK) {
        cli_error("best: %s", hps_study_errmsg(study));
        return CLI_EXIT_FAILED;
    }
    if (n == 0) {
        hps_free(numbers);
        cli_error("best: %s", value_names_no_best(vn->n_constraints));
        return CLI_EXIT_FAILED;
    }
    if (format == FORMAT_JSON)
        printf("[");
    else
        value_names_print_pareto_heading(n, vn->n_constraints);
    for (size_t k = 0; k < n; k++) {
        const hps_frozen *t;
        if (hps_study_trial(study, numbers[k], &t) != HPS_OK)
            continue;
        if (format == FORMAT_JSON) {
            char *json = trial_json(vn, t);
            if (json != NULL)
                printf("%s%s", k > 0 ? ",\n " : "", json);
            free(json);
        } else {
            putchar('\n');
            print_best_trial(study, vn, t);
        }
    }
    if (format == FORMAT_JSON)
        printf("]\n");
    hps_free(numbers);
    return CLI_EXIT_OK;
}

/* `best --artifacts`: where the files the run kept of the trial are (its system
 * attribute "artifacts", run_artifacts.h), one per line or as a JSON list. */
static int print_artifacts(const hps_frozen *trial, out_format format)
{
    json_t *attrs = json_loads(hps_frozen_system_attrs(trial), 0, NULL);
    json_t *files = json_object_get(attrs, "artifacts");
    int rc = CLI_EXIT_OK;
    if (!json_is_array(files) || json_array_size(files) == 0) {
        cli_error("best: trial %" PRId64 " kept no files (its config has no artifacts:, or "
                  "their patterns matched nothing the trial wrote)", hps_frozen_number(trial));
        rc = CLI_EXIT_FAILED;
    } else if (format == FORMAT_JSON) {
        char *text = json_dumps(files, JSON_COMPACT);
        if (text != NULL)
            printf("%s\n", text);
        free(text);
    } else {
        for (size_t i = 0; i < json_array_size(files); i++) {
            const char *path = json_string_value(json_array_get(files, i));
            if (path == NULL)
                continue;
            printf("%s\n", path);
            if (access(path, F_OK) != 0)
                cli_warn("best: %s is gone (deleted or moved since the run)", path);
        }
    }
    json_decref(attrs);
    return rc;
}

int cmd_best(int argc, char **argv)
{
    query_args args;
    int rc = parse_query_args(&BEST_CMD, argc, argv, &args);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cli_target target;
    hps_study *study;
    rc = open_target("best", &args, &target, &study);
    if (rc != 0)
        return rc;
    value_names vn;
    value_names_load(study, &vn);
    const hps_frozen *best;
    if (vn.n_objectives > 1 && args.artifacts) {
        cli_error("best --artifacts: with several objectives there is no single best trial; "
                  "`hpsearch best` lists the Pareto set, and each trial's kept files are in "
                  "its trial-NNNNN.artifacts directory beside its log");
        rc = CLI_EXIT_FAILED;
    } else if (vn.n_objectives > 1) {
        rc = print_pareto_set(study, &vn, args.format);
    } else if (hps_study_best_trial(study, &best) != HPS_OK) {
        cli_error("best: %s", hps_study_errmsg(study));
        rc = CLI_EXIT_FAILED;
    } else if (args.artifacts) {
        rc = print_artifacts(best, args.format);
    } else if (args.format == FORMAT_JSON) {
        char *json = trial_json(&vn, best);
        if (json != NULL)
            printf("%s\n", json);
        free(json);
    } else {
        print_best_trial(study, &vn, best);
    }
    value_names_clear(&vn);
    hps_study_close(study);
    cli_target_clear(&target);
    return rc;
}

/* ---- studies ---------------------------------------------------------------------- */

int cmd_studies(int argc, char **argv)
{
    query_args args;
    int rc = parse_query_args(&STUDIES_CMD, argc, argv, &args);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *storage = args.storage != NULL ? args.storage : CLI_DEFAULT_STORAGE;
    char *json = NULL, err[1024];
    hps_status listed = hps_storage_list_studies(storage, &json, err, sizeof err);
    if (listed != HPS_OK)
        return cli_open_failed("studies", listed, err, storage);
    if (args.format == FORMAT_JSON) {
        printf("%s\n", json);
        hps_free(json);
        return CLI_EXIT_OK;
    }
    json_t *list = json_loads(json, JSON_ALLOW_NUL, NULL);
    hps_free(json);
    size_t i;
    json_t *s;
    /* Counts in the order `hpsearch run` sums a study up: complete, pruned, failed,
     * running, waiting, paused. */
    static const char *const counted[] = {"n_complete", "n_pruned", "n_fail", "n_running",
                                          "n_waiting",  "n_paused"};
    enum { N_COUNTED = sizeof counted / sizeof counted[0] };
    if (args.format == FORMAT_CSV)
        printf("name,direction,n_trials,%s,%s,%s,%s,%s,%s,best_value\n", counted[0], counted[1],
               counted[2], counted[3], counted[4], counted[5]);
    else
        printf("%-24s  %-9s  %7s  %8s  %6s  %6s  %7s  %7s  %6s  %s\n", "study", "direction",
               "trials", "complete", "pruned", "failed", "running", "waiting", "paused", "best");
    json_array_foreach(list, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *dir = json_string_value(json_array_get(json_object_get(s, "directions"), 0));
        json_t *best = json_object_get(s, "best_value");
        char best_text[64] = "-";
        if (json_is_number(best))
            snprintf(best_text, sizeof best_text, "%.6g", json_number_value(best));
        long long n_trials = (long long)json_integer_value(json_object_get(s, "n_trials"));
        long long n[N_COUNTED];
        for (size_t k = 0; k < N_COUNTED; k++)
            n[k] = (long long)json_integer_value(json_object_get(s, counted[k]));
        if (args.format == FORMAT_CSV) {
            csv_field(name != NULL ? name : "");
            printf(",%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s\n", dir != NULL ? dir : "", n_trials,
                   n[0], n[1], n[2], n[3], n[4], n[5], strcmp(best_text, "-") == 0 ? "" : best_text);
        } else {
            printf("%-24s  %-9s  %7lld  %8lld  %6lld  %6lld  %7lld  %7lld  %6lld  %s\n",
                   name != NULL ? name : "?", dir != NULL ? dir : "?", n_trials, n[0], n[1], n[2],
                   n[3], n[4], n[5], best_text);
        }
    }
    json_decref(list);
    return CLI_EXIT_OK;
}

/* ---- delete ----------------------------------------------------------------------- */

int cmd_delete(int argc, char **argv)
{
    query_args args;
    int rc = parse_query_args(&DELETE_CMD, argc, argv, &args);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cli_target target;
    rc = cli_resolve_target(args.target, args.storage, &target);
    if (rc != 0)
        return rc;
    if (!args.yes) {
        if (!isatty(STDIN_FILENO)) {
            cli_error("delete: refusing to delete study '%s' without --yes (stdin is not a "
                      "terminal)",
                      target.study);
            cli_target_clear(&target);
            return CLI_EXIT_USAGE;
        }
        char shown[512];
        fprintf(stderr, "Delete study '%s' and all its trials from %s? [y/N] ", target.study,
                cli_shown_url(target.storage, shown, sizeof shown));
        char answer[16];
        if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
            fprintf(stderr, "not deleted\n");
            cli_target_clear(&target);
            return CLI_EXIT_FAILED;
        }
    }
    /* what the study's runs left on disk goes with it (after the study: a failure
     * there must not leave a study whose checkpoints are gone) */
    char err[1024], uid[32] = "";
    char *roots = NULL;
    hps_study *study = NULL;
    hps_status st = hps_study_open(target.storage, target.study, HPS_OPEN_LOAD, NULL, 0, &study,
                                   err, sizeof err);
    if (st == HPS_OK) {
        snprintf(uid, sizeof uid, "%s", hps_study_uid(study));
        roots = checkpoints_roots(study);
        hps_study_close(study);
        st = hps_study_delete(target.storage, target.study, err, sizeof err);
    }
    if (st != HPS_OK) {
        cli_error("delete: %s", err);
        rc = cli_open_exit_code(st);
    } else {
        printf("deleted study '%s'\n", target.study);
        checkpoints_remove(roots, uid);
    }
    free(roots);
    cli_target_clear(&target);
    return rc;
}

/* identity.c -- what makes a study the same study: its objectives (metric and direction, or
 * metrics), its constraints, its search space. */
#include "cli/identity.h"

#include "cli/cli.h"
#include "cli/warm_start.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDENTITY_KEY "config_identity"
#define VERSIONS_KEY "space_versions"
/* where studies recorded an accepted change before space versions existed (read only) */
#define LEGACY_CHANGES_KEY "config_changes"
#define MAX_SHOWN 6 /* differences named in one message */

static const char *direction_name(hps_direction d)
{
    return d == HPS_MAXIMIZE ? "maximize" : "minimize";
}

/* "maximize" or "minimize val_acc, maximize train_seconds" for messages. */
static void describe_directions(const hps_direction *dirs, const char *const *names, size_t n,
                                char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && used < size; k++) {
        int w = snprintf(buf + used, size - used, "%s%s%s%s", k > 0 ? ", " : "",
                         direction_name(dirs[k]), names != NULL ? " " : "",
                         names != NULL ? names[k] : "");
        used += w > 0 ? (size_t)w : 0;
    }
}

int identity_check_direction(hps_study *study, const cfg_config *cfg)
{
    size_t n = hps_study_n_directions(study);
    int same = n == cfg->n_objectives;
    for (size_t k = 0; same && k < n; k++)
        same = hps_study_direction(study, k) == cfg->objectives[k].direction;
    if (same)
        return 0;
    hps_direction was[CFG_MAX_OBJECTIVES], is[CFG_MAX_OBJECTIVES];
    const char *names[CFG_MAX_OBJECTIVES];
    for (size_t k = 0; k < n && k < CFG_MAX_OBJECTIVES; k++)
        was[k] = hps_study_direction(study, k);
    size_t n_is = cfg_directions(cfg, is);
    for (size_t k = 0; k < n_is; k++)
        names[k] = cfg->objectives[k].name;
    char before[512], now[1024];
    describe_directions(was, NULL, n < CFG_MAX_OBJECTIVES ? n : CFG_MAX_OBJECTIVES, before,
                        sizeof before);
    describe_directions(is, n_is > 1 ? names : NULL, n_is, now, sizeof now);
    cli_error("%s: study '%s' was created to %s%s, but this config says %s. A study keeps its "
              "direction%s: run this config under a new study name (--study NAME or `study:` in "
              "the file)",
              cfg->path, cfg->study_name, before, n > 1 ? " (several objectives)" : "", now,
              n > 1 || n_is > 1 ? "s" : "");
    return CLI_EXIT_USAGE;
}

/* A parameter's conditions: {parent: [values]} or {parent: {min, max}}. NULL on OOM. */
static json_t *when_identity(const cfg_param *p)
{
    json_t *when = json_object();
    int bad = when == NULL;
    for (size_t c = 0; !bad && c < p->n_when; c++) {
        const cfg_condition *cond = &p->when[c];
        json_t *holds = cond->values != NULL ? json_array() : json_object();
        bad = json_object_set_new(when, cond->parent, holds) != 0;
        for (size_t k = 0; !bad && k < cond->n_values; k++)
            bad = json_array_append_new(holds, cli_value_json(&cond->values[k])) != 0;
        if (!bad && cond->has_min)
            bad = json_object_set_new(holds, "min", json_real(cond->min)) != 0;
        if (!bad && cond->has_max)
            bad = json_object_set_new(holds, "max", json_real(cond->max)) != 0;
    }
    if (bad) {
        json_decref(when);
        return NULL;
    }
    return when;
}

/* A parameter as the space defines it: what it is, its range, its values and when it is
 * active. */
static json_t *param_identity(const cfg_param *p)
{
    static const char *const kinds[] = {"float", "int", "categorical", "constant"};
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = json_object_set_new(o, "type", json_string(kinds[p->kind]));
    if (p->kind == CFG_FLOAT || p->kind == CFG_INT) {
        bad |= json_object_set_new(o, "low", json_real(p->low));
        bad |= json_object_set_new(o, "high", json_real(p->high));
        if (p->step > 0)
            bad |= json_object_set_new(o, "step", json_real(p->step));
        if (p->flags & HPS_LOG)
            bad |= json_object_set_new(o, "log", json_true());
        if (p->grid_points > 0)
            bad |= json_object_set_new(o, "grid_points", json_integer((json_int_t)p->grid_points));
    }
    if (p->n_values > 0) {
        json_t *values = json_array();
        bad |= json_object_set_new(o, "values", values);
        for (size_t i = 0; !bad && i < p->n_values; i++)
            bad |= json_array_append_new(values, cli_value_json(&p->values[i]));
    }
    if (!bad && p->n_when > 0) /* absent without conditions: older studies keep matching */
        bad |= json_object_set_new(o, "when", when_identity(p));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* An entry of metrics or constraints: how its value is read and what it must be. */
static json_t *metric_identity(const cfg_metric *m, int is_constraint)
{
    json_t *o = json_pack("{s:s, s:s?, s:s}", "name", m->name, "regex", m->regex, "summary",
                          cfg_summary_names[m->summary]);
    int bad = o == NULL;
    if (!bad && is_constraint)
        bad = json_object_set_new(o, m->upper ? "max" : "min", json_real(m->bound)) != 0;
    else if (!bad)
        bad = json_object_set_new(o, "goal", json_string(direction_name(m->direction))) != 0;
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *metric_list_identity(const cfg_metric *list, size_t n, int is_constraint)
{
    json_t *a = json_array();
    for (size_t k = 0; a != NULL && k < n; k++) {
        json_t *m = metric_identity(&list[k], is_constraint);
        if (m == NULL || json_array_append_new(a, m) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* One objective keeps the form studies of earlier versions recorded (metric,
 * metric_regex, metric_summary, direction); several are a list under "metrics". */
static json_t *identity_of(const cfg_config *cfg)
{
    json_t *params = json_object();
    const cfg_metric *m = &cfg->objectives[0];
    /* how the value is read and summarized is part of what it means */
    json_t *id = cfg->n_objectives == 1
                     ? json_pack("{s:s, s:s?, s:s, s:s, s:o}", "metric", m->name, "metric_regex",
                                 m->regex, "metric_summary", cfg_summary_names[m->summary],
                                 "direction", direction_name(m->direction), "parameters", params)
                     : json_pack("{s:o, s:o}", "metrics",
                                 metric_list_identity(cfg->objectives, cfg->n_objectives, 0),
                                 "parameters", params);
    if (id != NULL && cfg->n_constraints > 0 &&
        json_object_set_new(id, "constraints",
                            metric_list_identity(cfg->constraints, cfg->n_constraints, 1)) != 0) {
        json_decref(id);
        id = NULL;
    }
    for (size_t i = 0; id != NULL && i < cfg->n_params; i++) {
        json_t *p = param_identity(&cfg->params[i]);
        if (p == NULL || json_object_set_new(params, cfg->params[i].name, p) != 0) {
            json_decref(id);
            id = NULL;
        }
    }
    return id;
}

/* "{type: float, low: 0.0001, ...}" for messages. */
static void describe(const json_t *node, char *buf, size_t size)
{
    char *text = node != NULL ? json_dumps(node, JSON_COMPACT | JSON_ENCODE_ANY |
                                                     JSON_REAL_PRECISION(10))
                              : NULL;
    snprintf(buf, size, "%s", text != NULL ? text : "(none)");
    free(text);
}

typedef struct diff_list {
    char lines[MAX_SHOWN][600];
    size_t n, total;
} diff_list;

/* The differences of a config from its study: all of them, and those --allow-changes
 * cannot accept (what the values mean, a parameter's type, a parameter added without
 * the value the earlier trials ran with). */
typedef struct diffs {
    diff_list all, fixed;
} diffs;

static void add_diff(diff_list *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_diff(diff_list *d, const char *fmt, ...)
{
    if (d->n < MAX_SHOWN) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->lines[d->n++], sizeof d->lines[0], fmt, ap);
        va_end(ap);
    }
    d->total++;
}

static const cfg_param *config_param(const cfg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].name, name) == 0)
            return &cfg->params[i];
    return NULL;
}

/* A parameter of the config the study did not have: accepted with a value for the
 * earlier trials (its default, or a constant's one value). */
static void compare_new_param(const cfg_config *cfg, const char *name, diffs *d)
{
    const cfg_param *p = config_param(cfg, name);
    char shown[64];
    if (p != NULL && p->kind != CFG_CONSTANT && !p->has_default) {
        add_diff(&d->all, "parameter '%s' is new", name);
        char at[CFG_WHERE_SIZE];
        add_diff(&d->fixed, "%s: parameter '%s' is new: give it `default: VALUE`, the value "
                 "the study's earlier trials ran with", cfg_where(cfg, p->line, at, sizeof at),
                 name);
        return;
    }
    if (p != NULL && p->has_default) {
        json_t *value = cli_value_json(&p->dflt);
        describe(value, shown, sizeof shown);
        json_decref(value);
        add_diff(&d->all, "parameter '%s' is new (earlier trials: %s)", name, shown);
    } else {
        add_diff(&d->all, "parameter '%s' is new", name);
    }
}

/* A difference in what the values mean, which --allow-changes cannot accept: in both
 * lists, the refusal naming where the config says it ("FILE:LINE: ", or "FILE: " for an
 * override or a key the config no longer has). */
static void add_meaning_diff(diffs *dd, const cfg_config *cfg, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_meaning_diff(diffs *dd, const cfg_config *cfg, int line, const char *fmt, ...)
{
    char what[sizeof dd->all.lines[0]];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    add_diff(&dd->all, "%s", what);
    char at[CFG_WHERE_SIZE];
    add_diff(&dd->fixed, "%s: %s", cfg_where(cfg, line, at, sizeof at), what);
}

static void compare(const json_t *stored, const json_t *now, const cfg_config *cfg, diffs *dd)
{
    diff_list *d = &dd->all;
    char was[256], is[256];
    const int metric_line = cfg->n_objectives > 0 ? cfg->objectives[0].line : 0;
    const char *metric_was = json_string_value(json_object_get(stored, "metric"));
    const char *metric_is = json_string_value(json_object_get(now, "metric"));
    if (metric_was != NULL && metric_is != NULL && strcmp(metric_was, metric_is) != 0)
        add_meaning_diff(dd, cfg, metric_line,
                         "metric: the study's values are '%s', this config reads '%s'",
                         metric_was, metric_is);
    static const char *const reading[] = {"metric_regex", "metric_summary"};
    for (size_t i = 0; i < sizeof reading / sizeof reading[0]; i++) {
        const json_t *a = json_object_get(stored, reading[i]), *b = json_object_get(now, reading[i]);
        if (json_object_get(stored, "parameters") != NULL && !json_equal((json_t *)a, (json_t *)b) &&
            !(a == NULL && b == NULL)) {
            describe(a, was, sizeof was);
            describe(b, is, sizeof is);
            add_meaning_diff(dd, cfg, metric_line,
                             "metric.%s: the study's values were read with %s, this config "
                             "uses %s",
                             reading[i] + strlen("metric_"), was, is);
        }
    }
    /* the directions are checked before (identity_check_direction) */
    static const char *const lists[] = {"metrics", "constraints"};
    const int list_lines[] = {metric_line,
                              cfg->n_constraints > 0 ? cfg->constraints[0].line : 0};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const json_t *a = json_object_get(stored, lists[i]), *b = json_object_get(now, lists[i]);
        if (json_object_get(stored, "parameters") != NULL && !(a == NULL && b == NULL) &&
            !json_equal((json_t *)a, (json_t *)b)) {
            describe(a, was, sizeof was);
            describe(b, is, sizeof is);
            add_meaning_diff(dd, cfg, list_lines[i], "%s: the study's were %s, this config has %s",
                             lists[i], was, is);
        }
    }
    const json_t *p_was = json_object_get(stored, "parameters");
    const json_t *p_is = json_object_get(now, "parameters");
    if (!json_is_object(p_was))
        return; /* a study of an older version recorded only its metric */
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)p_is, name, value) {
        const json_t *had = json_object_get(p_was, name);
        if (had == NULL) {
            compare_new_param(cfg, name, dd);
        } else if (!json_equal((json_t *)had, value)) {
            describe(had, was, sizeof was);
            describe(value, is, sizeof is);
            add_diff(d, "parameter '%s': the study had %s, this config has %s", name, was, is);
            const char *type_was = json_string_value(json_object_get(had, "type"));
            const char *type_is = json_string_value(json_object_get(value, "type"));
            const cfg_param *p = config_param(cfg, name);
            char at[CFG_WHERE_SIZE];
            if (type_was != NULL && type_is != NULL && strcmp(type_was, type_is) != 0)
                add_diff(&dd->fixed, "%s: parameter '%s' was %s in the study and is %s "
                         "here: a parameter keeps its type within a study",
                         cfg_where(cfg, p != NULL ? p->line : 0, at, sizeof at), name,
                         type_was, type_is);
        }
    }
    json_object_foreach((json_t *)p_was, name, value) {
        if (json_object_get(p_is, name) == NULL)
            add_diff(d, "parameter '%s' was in the study's space and is not in this config", name);
    }
}

static json_t *stored_identity(hps_study *study)
{
    const char *text;
    if (hps_study_system_attrs(study, &text) != HPS_OK)
        return NULL;
    json_t *attrs = json_loads(text, 0, NULL);
    json_t *id = json_incref(json_object_get(attrs, IDENTITY_KEY));
    if (id == NULL && hps_study_user_attrs(study, &text) == HPS_OK) {
        /* older versions recorded the metric alone, as a user attribute */
        json_t *user = json_loads(text, 0, NULL);
        json_t *metric = json_object_get(user, "metric");
        if (json_is_string(metric))
            id = json_pack("{s:O}", "metric", metric);
        json_decref(user);
    }
    json_decref(attrs);
    return id;
}

static int set_json(hps_study *study, const char *key, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_REAL_PRECISION(17));
    int rc = text != NULL && hps_study_set_system_attr(study, key, text) == HPS_OK ? 0 : -1;
    free(text);
    return rc;
}

static void print_lines(const diff_list *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "  - %s\n", d->lines[i]);
    if (d->total > d->n)
        fprintf(stderr, "  - and %zu more\n", d->total - d->n);
}

/* Compares the config with the study's recorded identity: 0 when they agree or
 * allow_changes lets the differences (in *d) pass, else an exit code after printing
 * them. *now and *before are the caller's to release. */
static int compare_with_study(hps_study *study, const cfg_config *cfg, int allow_changes,
                              json_t **now, json_t **before, diffs *d)
{
    *now = identity_of(cfg);
    *before = stored_identity(study);
    if (*now == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    if (*before != NULL)
        compare(*before, *now, cfg, d);
    if (d->all.total > 0 && !allow_changes) {
        cli_error("%s: this config does not match study '%s' in %s:", cfg->path,
                  cfg->study_name, cfg->storage);
        print_lines(&d->all);
        if (d->fixed.total == 0) {
            fprintf(stderr, "Run it as a new study (--study NAME, or `study:` in the file), or "
                            "continue this one with the changed space with --allow-changes "
                            "(recorded in the study as a new space version).\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (d->fixed.total > 0) {
        if (allow_changes)
            cli_error("%s: study '%s' in %s cannot continue with this config, even with "
                      "--allow-changes:", cfg->path, cfg->study_name, cfg->storage);
        else
            fprintf(stderr, "--allow-changes cannot continue it:\n");
        print_lines(&d->fixed);
        fprintf(stderr, "Run it as a new study (--study NAME, or `study:` in the file).\n");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int identity_verify(hps_study *study, const cfg_config *cfg, int allow_changes)
{
    json_t *now = NULL, *before = NULL;
    diffs d;
    memset(&d, 0, sizeof d);
    int rc = compare_with_study(study, cfg, allow_changes, &now, &before, &d);
    if (rc == 0 && d.all.total > 0)
        cli_warn("study '%s' would continue with a changed space (%zu difference%s, recorded "
                 "by run as space version %d)",
                 cfg->study_name, d.all.total, d.all.total == 1 ? "" : "s",
                 identity_space_version(study) + 1);
    json_decref(now);
    json_decref(before);
    return rc;
}

json_t *identity_space_versions(const json_t *attrs)
{
    json_t *versions = json_object_get(attrs, VERSIONS_KEY);
    if (json_is_array(versions))
        return json_incref(versions);
    const json_t *legacy = json_object_get(attrs, LEGACY_CHANGES_KEY);
    if (!json_is_array(legacy))
        return NULL;
    versions = json_array();
    size_t k;
    const json_t *change;
    json_array_foreach(legacy, k, change) {
        json_t *entry = json_pack("{s:I, s:O?, s:O?, s:O?}", "version", (json_int_t)k + 2, "at",
                                  json_object_get(change, "at"), "changes",
                                  json_object_get(change, "differences"), "before",
                                  json_object_get(change, "before"));
        if (entry == NULL || json_array_append_new(versions, entry) != 0) {
            json_decref(versions);
            return NULL;
        }
    }
    return versions;
}

/* Appends space version {"version", "at", "changes", "before"} (before: the identity the
 * study had until then) to the study's list. Returns the new version, or -1. */
static int record_space_version(hps_study *study, const json_t *before, const diff_list *d)
{
    const char *text;
    json_t *attrs = hps_study_system_attrs(study, &text) == HPS_OK ? json_loads(text, 0, NULL)
                                                                   : NULL;
    json_t *versions = identity_space_versions(attrs);
    if (versions == NULL)
        versions = json_array();
    json_t *lines = json_array();
    for (size_t i = 0; lines != NULL && i < d->n; i++)
        json_array_append_new(lines, json_string(d->lines[i]));
    if (lines != NULL && d->total > d->n)
        json_array_append_new(lines, json_sprintf("and %zu more", d->total - d->n));
    int version = versions != NULL ? (int)json_array_size(versions) + 2 : -1;
    json_t *entry = json_pack("{s:i, s:f, s:o, s:O?}", "version", version, "at",
                              (double)time(NULL), "changes", lines, "before", before);
    int rc = entry != NULL && versions != NULL && json_array_append_new(versions, entry) == 0
                 ? set_json(study, VERSIONS_KEY, versions)
                 : -1;
    json_decref(versions);
    json_decref(attrs);
    return rc == 0 ? version : -1;
}

int identity_space_version(hps_study *study)
{
    const char *text;
    if (hps_study_system_attrs(study, &text) != HPS_OK)
        return 1;
    json_t *attrs = json_loads(text, 0, NULL);
    json_t *versions = identity_space_versions(attrs);
    int version = (int)json_array_size(versions) + 1;
    json_decref(versions);
    json_decref(attrs);
    return version;
}

int identity_check(hps_study *study, const cfg_config *cfg, int allow_changes)
{
    json_t *now = NULL, *before = NULL;
    diffs d;
    memset(&d, 0, sizeof d);
    int rc = compare_with_study(study, cfg, allow_changes, &now, &before, &d);
    if (rc != 0)
        goto out;
    int version = 0;
    if (d.all.total > 0 && (version = record_space_version(study, before, &d.all)) < 0) {
        cli_error("%s: cannot record the change in study '%s': %s", cfg->path, cfg->study_name,
                  hps_study_errmsg(study));
        rc = CLI_EXIT_FAILED;
        goto out;
    }
    if (d.all.total > 0)
        cli_warn("continuing study '%s' with a changed space: space version %d (%zu "
                 "difference%s, recorded)",
                 cfg->study_name, version, d.all.total, d.all.total == 1 ? "" : "s");
    if ((before == NULL || d.all.total > 0 || json_object_get(before, "parameters") == NULL) &&
        set_json(study, IDENTITY_KEY, now) != 0) {
        cli_error("%s: cannot record the config in study '%s': %s", cfg->path, cfg->study_name,
                  hps_study_errmsg(study));
        rc = CLI_EXIT_FAILED;
    }
    if (rc == 0 && d.all.total > 0)
        rc = warm_report_space_change(cfg, study, version);
out:
    json_decref(now);
    json_decref(before);
    return rc;
}

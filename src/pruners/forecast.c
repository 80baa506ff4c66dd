/* forecast.c -- the forecast pruner: stop a trial whose learning curve, extrapolated to
 * the full budget (curve.h: an ensemble of parametric curves with their uncertainty),
 * has less than min_probability chance of beating the best COMPLETE trial's value.
 * Where successive halving compares ranks at one rung and assumes curves do not cross,
 * this judges the shape: a slow starter that is still climbing keeps its chance.
 *
 * Mode freeze-thaw (Swersky, Snoek & Adams, "Freeze-Thaw Bayesian Optimization", 2014)
 * stops nothing: trials run in slices and pause, and each ask resumes the paused trial
 * whose forecast promises the most expected improvement over the incumbent per epoch
 * still to run -- unless a new trial promises more per epoch of its full budget. */
#include "base/mem.h"
#include "pruners/curve.h"
#include "pruners/pruner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FORECAST_STOP = 0, FORECAST_FREEZE_THAW = 1 };

static const hps_option_choice forecast_modes[] = {
    {"stop", FORECAST_STOP},
    {"freeze-thaw", FORECAST_FREEZE_THAW},
    {NULL, 0},
};

/* Freeze-thaw's price of a new trial: the final values its normal is fitted to. */
enum { NEW_TRIAL_ALL = 0, NEW_TRIAL_UPPER_HALF = 1 };

static const hps_option_choice new_trial_estimates[] = {
    {"all", NEW_TRIAL_ALL},
    {"upper-half", NEW_TRIAL_UPPER_HALF},
    {NULL, 0},
};

/* One paused trial's fit, kept from one ask to the next: an ask weighs every paused
 * trial, yet between two asks only the resumed one reports new values. */
typedef struct fit_memo {
    int64_t number;       /* the trial */
    size_t n;             /* its points */
    double *xy;           /* the fit's inputs: n x's, n y's, then the target x */
    hps_curve_forecast f; /* what hps_curve_forecast_at gave for them */
} fit_memo;

typedef struct forecast_opts {
    double min_probability;   /* prune below this chance of beating the incumbent */
    int64_t max_step;         /* the full budget's last step; 0 = auto */
    int64_t min_points;       /* values a trial reports before it is judged */
    int64_t n_startup_trials; /* no pruning before this many trials completed */
    int64_t interval_steps;   /* judge every this many steps */
    int mode;
    int64_t slice_steps;      /* freeze-thaw: the steps of a resumed trial's slice */
    int64_t first_slice_steps; /* freeze-thaw: a new trial's first slice; 0 = min_points */
    int new_trial_estimate;    /* freeze-thaw: NEW_TRIAL_ALL or NEW_TRIAL_UPPER_HALF */
    /* freeze-thaw: the last ask's fits, by trial number, and the ask's under way */
    fit_memo *memo, *next;
    size_t n_memo, n_next;
} forecast_opts;

static void memo_free(fit_memo *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hps_mem_free(m[i].xy);
    hps_mem_free(m);
}

static hps_status forecast_init(hps_pruner *pruner)
{
    forecast_opts *o = hps_mem_calloc(1, sizeof *o);
    if (o == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    pruner->impl = o;
    return HPS_OK;
}

static void forecast_destroy(hps_pruner *pruner)
{
    forecast_opts *o = pruner->impl;
    if (o != NULL) {
        memo_free(o->memo, o->n_memo);
        memo_free(o->next, o->n_next);
    }
    hps_mem_free(o);
}

static const hps_option forecast_options[] = {
    {.name = "min_probability", .type = HPS_OPTION_DOUBLE,
     HPS_OPTION_FIELD(forecast_opts, min_probability), .def = "0.05", .dmin = 0, .dmax = 1,
     .flags = HPS_OPTION_MIN_OPEN,
     .help = "prune when the forecast gives the trial less than this chance of beating the "
             "best COMPLETE trial at max_step (mode freeze-thaw: such a paused trial is never "
             "resumed)"},
    {.name = "max_step", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(forecast_opts, max_step),
     .def = "auto", .min = 1, .keyword = "auto", .keyword_value = 0,
     .help = "the step the forecast is for, the full budget (auto: the largest last step of "
             "the COMPLETE trials; the CLI's fidelity max when there is one)"},
    {.name = "min_points", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(forecast_opts, min_points),
     .def = "5", .min = 4, .max = 1000000,
     .help = "values a trial must have reported before it is judged (the curves with "
             "three and four parameters need 5 and 6)"},
    {.name = "n_startup_trials", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(forecast_opts, n_startup_trials), .def = "3", .min = 1,
     .help = "no pruning until this many trials completed (the best of them is the bar; "
             "mode freeze-thaw: new trials start until this many trials have a final value or "
             "a forecast, then no more until a trial completes)"},
    {.name = "interval_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(forecast_opts, interval_steps), .def = "1", .min = 1,
     .help = "judge every this many steps after the first min_points values (mode stop)"},
    {.name = "mode", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(forecast_opts, mode),
     .def = "stop", .choices = forecast_modes,
     .help = "stop (prune by the forecast) or freeze-thaw (trials pause after each slice and "
             "an ask resumes the paused trial with the most expected improvement per step "
             "left, or starts a new one when that promises more; needs max_step)"},
    {.name = "slice_steps", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(forecast_opts, slice_steps),
     .def = "5", .min = 1, .max = 1000000,
     .help = "mode freeze-thaw: the steps a resumed trial runs before it pauses again (a new "
             "trial's first slice ends at step first_slice_steps)"},
    {.name = "first_slice_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(forecast_opts, first_slice_steps), .def = "min_points", .min = 1,
     .max = 1000000, .keyword = "min_points", .keyword_value = 0,
     .help = "mode freeze-thaw: the steps a new trial runs before it first pauses; when below "
             "min_points, a paused trial with fewer than min_points values has no forecast and "
             "is resumed only when its latest value is among the best third of the values "
             "reported at that step (otherwise such a trial was paused by its user, and is "
             "resumed first)"},
    {.name = "new_trial_estimate", .type = HPS_OPTION_ENUM,
     HPS_OPTION_FIELD(forecast_opts, new_trial_estimate), .def = "all",
     .choices = new_trial_estimates,
     .help = "mode freeze-thaw: the final values a new trial's normal is fitted to, which "
             "price it against resuming a paused trial: all (the COMPLETE trials' values and "
             "the paused trials' forecasts) or upper-half (the better half of them: the "
             "sampler proposes near the good configurations, and the bad ones' spread "
             "would make a new trial look better than a good paused curve)"},
    HPS_OPTIONS_END,
};

/* The incumbent is the best value in one direction; freeze-thaw's slices need the
 * budget's end, and each mode refuses the other's options. */
static hps_status forecast_bind(hps_pruner *pruner, const hps_context *ctx)
{
    const forecast_opts *o = pruner->impl;
    hps_status rc = hps_pruner_needs_one_objective(pruner, ctx);
    if (rc != HPS_OK)
        return rc;
    if (o->mode == FORECAST_STOP) {
        static const char *const thaw_only[] = {"slice_steps", "first_slice_steps",
                                                "new_trial_estimate"};
        for (size_t i = 0; i < sizeof thaw_only / sizeof *thaw_only; i++)
            if (hps_options_given(forecast_options, pruner->given, thaw_only[i]))
                return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                                      "pruner 'forecast': %s applies to mode freeze-thaw only "
                                      "(mode stop runs every trial to its end or its pruning)",
                                      thaw_only[i]);
        return HPS_OK;
    }
    if (hps_options_given(forecast_options, pruner->given, "interval_steps"))
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'forecast': interval_steps applies to mode stop only "
                              "(mode freeze-thaw judges at each ask)");
    if (o->max_step == 0)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'forecast': mode freeze-thaw needs max_step (the full "
                              "budget, where trials finish instead of pausing)");
    if (o->max_step <= o->min_points)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'forecast': max_step (%lld) must be above min_points "
                              "(%lld), where a new trial's first slice ends",
                              (long long)o->max_step, (long long)o->min_points);
    if (o->max_step <= o->first_slice_steps)
        return hps_errbuf_set(&pruner->err, HPS_ERR_INVALID,
                              "pruner 'forecast': max_step (%lld) must be above "
                              "first_slice_steps (%lld), where a new trial's first slice ends",
                              (long long)o->max_step, (long long)o->first_slice_steps);
    return HPS_OK;
}

/* What both modes judge against: the study's trials and the best COMPLETE one. */
typedef struct incumbent_view {
    const hps_frozen *const *all;
    size_t n_all;
    int maximize;
    double incumbent;           /* the best COMPLETE value; NaN when none */
    size_t n_complete;          /* how many trials completed */
    int64_t last_complete_step; /* the largest last step among them; -1 when none */
} incumbent_view;

/* Reads the trials (which syncs them) and finds the incumbent among them. */
static hps_status read_incumbent(hps_pruner *pruner, const hps_context *ctx, incumbent_view *v)
{
    hps_status rc = hps_ctx_trials(ctx, &v->all, &v->n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    v->maximize = ctx->directions[0] == HPS_MAXIMIZE;
    double best = NAN;
    v->n_complete = 0;
    v->last_complete_step = -1;
    for (size_t i = 0; i < v->n_all; i++) {
        const hps_frozen *c = v->all[i];
        if (c == NULL || c->state != HPS_COMPLETE || c->n_values < 1)
            continue;
        v->n_complete++;
        double x = c->values[0];
        if (!isnan(x) && (isnan(best) || (v->maximize ? x > best : x < best)))
            best = x;
        int64_t s = hps_pruner_last_step(c);
        if (s > v->last_complete_step)
            v->last_complete_step = s;
    }
    v->incumbent = best;
    return HPS_OK;
}

/* Whether the trial is due for a judgement at its latest step. */
static int due(const forecast_opts *o, const hps_frozen *t)
{
    if ((int64_t)t->n_inter < o->min_points)
        return 0;
    int64_t first_judged = t->inter[o->min_points - 1].step;
    return hps_pruner_first_in_interval(t, hps_pruner_last_step(t), first_judged,
                                        o->interval_steps);
}

/* The forecast, kept on the trial (system attribute "forecast") for the report, which
 * draws it from `step` to `max_step`, and for anyone asking why it was stopped. */
static hps_status record(const hps_context *ctx, hps_pruner *pruner, int64_t step,
                         int64_t max_step, const hps_curve_forecast *f, double incumbent,
                         double p)
{
    char text[320];
    snprintf(text, sizeof text,
             "{\"step\": %lld, \"max_step\": %lld, \"mean\": %.9g, \"sd\": %.9g, "
             "\"incumbent\": %.17g, \"p_beat\": %.6g}",
             (long long)step, (long long)max_step, f->mean, f->sd, incumbent, p);
    return hps_ctx_set_trial_attr(ctx, "forecast", text, &pruner->err);
}

/* The inputs of trial t's fit (it has values): its n steps as x's, counted from x = 1 at
 * the first report (the power laws need x > 0), its n values, then max_step on the same
 * scale. NULL when out of memory. */
static double *fit_inputs(const hps_frozen *t, int64_t max_step)
{
    size_t n = t->n_inter;
    double *xy = hps_mem_calloc(2 * n + 1, sizeof *xy);
    if (xy == NULL)
        return NULL;
    int64_t origin = t->inter[0].step - 1;
    for (size_t i = 0; i < n; i++) {
        xy[i] = (double)(t->inter[i].step - origin);
        xy[n + i] = t->inter[i].value;
    }
    xy[2 * n] = (double)(max_step - origin);
    return xy;
}

static hps_status fit(hps_pruner *pruner, const double *xy, size_t n, hps_curve_forecast *f)
{
    hps_status rc = hps_curve_forecast_at(xy, xy + n, n, xy[2 * n], f);
    if (rc != HPS_OK)
        return hps_errbuf_set(&pruner->err, rc, "out of memory");
    return HPS_OK;
}

/* The forecast of trial t's value at max_step from its intermediate values (n_fitted =
 * 0 when they are too few). */
static hps_status forecast_trial(hps_pruner *pruner, const hps_frozen *t, int64_t max_step,
                                 hps_curve_forecast *f)
{
    f->n_fitted = 0;
    if (t->n_inter == 0)
        return HPS_OK;
    double *xy = fit_inputs(t, max_step);
    if (xy == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    hps_status rc = fit(pruner, xy, t->n_inter, f);
    hps_mem_free(xy);
    return rc;
}

static hps_status forecast_should_prune(hps_pruner *pruner, const hps_context *ctx,
                                        int *prune_out)
{
    const forecast_opts *o = pruner->impl;
    const hps_frozen *t = ctx->trial;
    *prune_out = 0;
    int64_t step = hps_pruner_last_step(t);
    if (step < 0)
        return HPS_OK;
    if (isnan(t->inter[t->n_inter - 1].value)) {
        *prune_out = 1; /* a diverged curve has nothing left to forecast */
        return HPS_OK;
    }
    if (o->mode == FORECAST_FREEZE_THAW)
        return HPS_OK; /* it pauses at the end of its slice instead */
    if (!due(o, t))
        return HPS_OK;
    incumbent_view v;
    hps_status rc = read_incumbent(pruner, ctx, &v);
    if (rc != HPS_OK)
        return rc;
    if ((int64_t)v.n_complete < o->n_startup_trials || isnan(v.incumbent))
        return HPS_OK;
    int64_t max_step = o->max_step > 0 ? o->max_step : v.last_complete_step;
    if (step >= max_step)
        return HPS_OK; /* at the budget already: its value is what it is */
    hps_curve_forecast f;
    rc = forecast_trial(pruner, t, max_step, &f);
    if (rc != HPS_OK)
        return rc;
    if (f.n_fitted == 0)
        return HPS_OK;
    double above = hps_curve_prob_above(&f, v.incumbent);
    double p_beat = v.maximize ? above : 1 - above;
    *prune_out = p_beat < o->min_probability;
    return record(ctx, pruner, step, max_step, &f, v.incumbent, p_beat);
}


/* ---- mode freeze-thaw ------------------------------------------------------------- */

static int memo_order(const void *a, const void *b)
{
    int64_t x = ((const fit_memo *)a)->number, y = ((const fit_memo *)b)->number;
    return (x > y) - (x < y);
}

/* Starts an ask's memo, with room for each paused trial of `all`. */
static hps_status memo_begin(hps_pruner *pruner, const hps_frozen *const *all, size_t n_all)
{
    forecast_opts *o = pruner->impl;
    size_t n_paused = 0;
    for (size_t i = 0; i < n_all; i++)
        n_paused += all[i] != NULL && all[i]->state == HPS_PAUSED;
    memo_free(o->next, o->n_next);
    o->n_next = 0;
    o->next = n_paused > 0 ? hps_mem_calloc(n_paused, sizeof *o->next) : NULL;
    if (n_paused > 0 && o->next == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    return HPS_OK;
}

/* The ask's fits replace the last ask's, sorted for memo_find. */
static void memo_commit(forecast_opts *o)
{
    memo_free(o->memo, o->n_memo);
    o->memo = o->next;
    o->n_memo = o->n_next;
    o->next = NULL;
    o->n_next = 0;
    if (o->n_memo > 1)
        qsort(o->memo, o->n_memo, sizeof *o->memo, memo_order);
}

/* forecast_trial at max_step for a paused trial, kept for the next ask. The fit is a
 * deterministic function of its inputs, so inputs equal to the last ask's to the bit
 * (the trial has reported nothing since) give its forecast without fitting again. */
static hps_status forecast_paused(hps_pruner *pruner, const hps_frozen *t, hps_curve_forecast *f)
{
    forecast_opts *o = pruner->impl;
    size_t n = t->n_inter;
    if (n == 0)
        return forecast_trial(pruner, t, o->max_step, f);
    double *xy = fit_inputs(t, o->max_step);
    if (xy == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    fit_memo key = {.number = t->number};
    const fit_memo *seen = o->n_memo > 0 ? bsearch(&key, o->memo, o->n_memo, sizeof *o->memo,
                                                   memo_order)
                                         : NULL;
    if (seen != NULL && seen->n == n && memcmp(seen->xy, xy, (2 * n + 1) * sizeof *xy) == 0) {
        *f = seen->f;
    } else {
        hps_status rc = fit(pruner, xy, n, f);
        if (rc != HPS_OK) {
            hps_mem_free(xy);
            return rc;
        }
    }
    o->next[o->n_next++] = (fit_memo){.number = t->number, .n = n, .xy = xy, .f = *f};
    return HPS_OK;
}

/* A new trial's first slice ends at step first_slice_steps (by default min_points, the
 * values its forecast needs); every resumed one runs slice_steps more; the slice that
 * reaches max_step has no end (-1: the trial finishes). */
static hps_status forecast_max_step(hps_pruner *pruner, const hps_context *ctx,
                                    int64_t *max_step_out)
{
    const forecast_opts *o = pruner->impl;
    *max_step_out = -1;
    if (o->mode != FORECAST_FREEZE_THAW)
        return HPS_OK;
    int64_t paused = hps_rec_paused_step(ctx->trial);
    if (paused < 0) /* below max_step: bind saw to it */
        *max_step_out = o->first_slice_steps > 0 ? o->first_slice_steps : o->min_points;
    else if (paused < o->max_step - o->slice_steps) /* no overflow for a huge paused step */
        *max_step_out = paused + o->slice_steps;
    return HPS_OK;
}

/* What an ask weighs: the best paused trial worth resuming, and the trials' final
 * values that price a new one. */
typedef struct thaw_choice {
    int64_t number;        /* the paused trial with the best rate; -1: none */
    double rate;           /* its expected improvement per step left */
    double *finals;        /* COMPLETE values and paused trials' forecasts, in trial order */
    size_t n_finals;
} thaw_choice;

/* Adds a final value to the choice's (room for one per trial); a non-finite one tells
 * nothing. */
static void add_final(thaw_choice *c, double value)
{
    if (isfinite(value))
        c->finals[c->n_finals++] = value;
}

static int descending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The normal a new trial's final value is taken to follow (mean, standard deviation),
 * fitted to the final values known (n >= 2; reordered here), by the option
 * new_trial_estimate:
 * - all: every final value. The spread then comes mostly from the bad configurations
 *   (on the digits MLP, accuracies 0.3-0.97), and its upper tail makes a new trial's
 *   expected improvement over a good incumbent larger than what a good paused curve,
 *   flattened out a few thousandths below it, is forecast to gain: new trials win most
 *   asks while the good paused curves wait (bench/pruning.md, "Freeze-thaw against
 *   ASHA").
 * - upper-half: the better half of them, rounded up and at least 2 (of 3 the better two,
 *   of 5 the better three). The sampler does not draw like the first configurations: it
 *   proposes near the good ones, whose finals are what a new trial should be compared
 *   to; a new trial then starts when the paused curves promise less than a draw among
 *   the good configurations would. Measured with first_slice_steps 1 (bench/pruning.md,
 *   "... priced by the better half"): more good curves finished, ASHA's final reached
 *   on 7 fresh seeds of 10 against 5, yet not within half of ASHA's epochs, so it is an
 *   option and `all` the default. */
static void new_trial_normal(const forecast_opts *o, double *finals, size_t n, int maximize,
                             double *mean_out, double *sd_out)
{
    size_t used = n;
    if (o->new_trial_estimate == NEW_TRIAL_UPPER_HALF) {
        qsort(finals, n, sizeof *finals, descending);
        if (!maximize) /* the better half is the lower one: move it to the front */
            for (size_t i = 0; i < n / 2; i++) {
                double swap = finals[i];
                finals[i] = finals[n - 1 - i];
                finals[n - 1 - i] = swap;
            }
        used = (n + 1) / 2 < 2 ? 2 : (n + 1) / 2;
    }
    /* Welford's running sums, in the order given (for `all`: the trials') */
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < used; i++) {
        double delta = finals[i] - mean;
        mean += delta / (double)(i + 1);
        m2 += delta * (finals[i] - mean);
    }
    *mean_out = mean;
    *sd_out = sqrt(m2 / (double)(used - 1));
}

/* The best latest value of the paused trials; NaN when none is paused. */
static double best_paused_value(const hps_frozen *const *all, size_t n_all, int maximize)
{
    double best = NAN;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *t = all[i];
        if (t == NULL || t->state != HPS_PAUSED || t->n_inter == 0)
            continue;
        double v = t->inter[t->n_inter - 1].value;
        if (!isnan(v) && (isnan(best) || (maximize ? v > best : v < best)))
            best = v;
    }
    return best;
}

/* Trial t's value at `step`; NaN when it reported none there. */
static double value_at(const hps_frozen *t, int64_t step)
{
    for (size_t i = t->n_inter; i-- > 0;)
        if (t->inter[i].step == step)
            return t->inter[i].value;
    return NAN;
}

/* Whether paused trial t, too short for a forecast, earns its next slice: its latest
 * value ranks among the best third of the values all trials reported at that step
 * (the best one at least) -- successive halving's rung with reduction factor 3, which
 * on curves that sort themselves early costs a bad configuration its first slice only. */
static int in_best_third(const hps_frozen *t, const hps_frozen *const *all, size_t n_all,
                         int maximize)
{
    int64_t step = t->inter[t->n_inter - 1].step;
    double mine = t->inter[t->n_inter - 1].value;
    if (isnan(mine))
        return 0;
    size_t n_at_step = 1, better = 0;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *u = all[i];
        if (u == NULL || u == t || u->number == t->number)
            continue;
        double v = value_at(u, step);
        if (isnan(v))
            continue;
        n_at_step++;
        better += maximize ? v > mine : v < mine;
    }
    size_t keep = n_at_step / 3 > 0 ? n_at_step / 3 : 1;
    return better < keep;
}

/* Whether the study's slices may end before min_points: a first slice configured
 * shorter (first_slice_steps below min_points). Only then does a rung judge the trials
 * paused too early for a forecast (in_best_third). With the default first slice, which
 * ends at min_points, a trial paused before it was paused by its user (Python's
 * trial.pause at a step of its choosing), not cut into a short slice by this scheduler:
 * it goes first as any trial too short for a forecast does, rather than wait for good at
 * a rung the study never set up, judged at whatever step its user stopped. */
static int short_first_slice(const forecast_opts *o)
{
    return o->first_slice_steps > 0 && o->first_slice_steps < o->min_points;
}

/* Weighs paused trial t: its forecast at max_step joins the final values, and it is a
 * candidate when that gives it at least min_probability of beating the incumbent -- a
 * rule only for a COMPLETE incumbent (`judge`): the best value reported so far is a
 * bar at another step, which the leading trial itself, if its curve turns down, is
 * forecast to miss, and then nothing would ever finish. A paused trial with too few
 * values for a forecast goes first (its curve needs them) -- when it has fewer than
 * min_points in a study with a short first slice (short_first_slice), only if
 * in_best_third. */
static hps_status weigh_paused(hps_pruner *pruner, const hps_frozen *t,
                               const hps_frozen *const *all, size_t n_all, double incumbent,
                               int judge, int maximize, thaw_choice *c)
{
    const forecast_opts *o = pruner->impl;
    int64_t paused = hps_rec_paused_step(t);
    if (short_first_slice(o) && t->n_inter > 0 && (int64_t)t->n_inter < o->min_points &&
        paused < o->min_points) {
        /* paused before the forecast could judge it, in slices below min_points: a rung
         * decides */
        if (in_best_third(t, all, n_all, maximize) && c->rate < HUGE_VAL) {
            c->number = t->number;
            c->rate = HUGE_VAL;
        }
        return HPS_OK;
    }
    hps_curve_forecast f;
    hps_status rc = forecast_paused(pruner, t, &f);
    if (rc != HPS_OK)
        return rc;
    if (f.n_fitted == 0) {
        if (c->rate < HUGE_VAL) {
            c->number = t->number;
            c->rate = HUGE_VAL;
        }
        return HPS_OK;
    }
    add_final(c, f.mean);
    double above = hps_curve_prob_above(&f, incumbent);
    if (judge && (maximize ? above : 1 - above) < o->min_probability)
        return HPS_OK; /* hopeless: it stays paused */
    double left = (double)(o->max_step > paused ? o->max_step - paused : 1);
    double rate = hps_curve_expected_improvement(&f, incumbent, maximize) / left;
    if (isnan(rate))
        return HPS_OK; /* a forecast without a number must not hold the choice */
    if (c->number < 0 || rate > c->rate) {
        c->number = t->number;
        c->rate = rate;
    }
    return HPS_OK;
}

/* The trials that count against the study's budget, as the engine counts them: all
 * but the interrupted ones (stopped through no fault of their own). */
static uint64_t budget_used(const hps_frozen *const *all, size_t n_all)
{
    uint64_t used = 0;
    for (size_t i = 0; i < n_all; i++)
        used += all[i] != NULL && !(all[i]->state == HPS_FAIL && all[i]->interrupted);
    return used;
}

/* The ask's choice once the paused trials are weighed (forecast_promote): the paused
 * trial c->number, or a new trial (-1). */
static void choose(const forecast_opts *o, const hps_context *ctx,
                   const hps_frozen *const *all, size_t n_all, thaw_choice *c,
                   double incumbent, int judge, int maximize, int64_t *number_out)
{
    if (c->number < 0)
        return;
    int budget_left = !ctx->no_new_trials &&
                      (ctx->max_trials == 0 || budget_used(all, n_all) < ctx->max_trials);
    if (!budget_left || c->rate == HUGE_VAL) {
        *number_out = c->number;
        return;
    }
    if ((int64_t)c->n_finals < o->n_startup_trials)
        return;
    if (!judge) {
        /* Before any trial completed the bar is the leader's own latest value, which
         * on a curve levelling off leaves it almost no expected improvement, while a
         * new trial is priced with the spread of the forecasts: new trials would start
         * forever. Enough of them have a forecast; the best is run to its end. */
        *number_out = c->number;
        return;
    }
    /* a normal needs two values; only a guard: a finite incumbent and the candidate's
     * forecast are two, and an infinite incumbent gave the candidate an infinite rate */
    if (c->n_finals < 2)
        return;
    double mean, sd;
    new_trial_normal(o, c->finals, c->n_finals, maximize, &mean, &sd);
    double new_rate = hps_normal_expected_improvement(mean, sd, incumbent, maximize) /
                      (double)o->max_step;
    if (c->rate >= new_rate)
        *number_out = c->number;
}

/* The ask's choice (Swersky et al.'s freeze-thaw, with a simpler model of new trials):
 * resume the paused trial with the most expected improvement over the incumbent (the
 * best COMPLETE value; before any, the best latest value of a paused trial) per step it
 * has left, unless a new trial promises more per step of its full budget. A new trial's
 * final value is taken to be normal with the mean and spread of the final values known
 * (COMPLETE trials' and paused trials' forecast means; all of them, or with
 * new_trial_estimate upper-half the better half: new_trial_normal); with fewer than
 * n_startup_trials of them, new trials start; with that many and no COMPLETE trial yet,
 * the best candidate is resumed (so that some trial completes). Once the study's budget
 * of trials is used or nothing new can start (a finite space run out), the best
 * candidate is resumed whatever a new one would promise. */
static hps_status forecast_promote(hps_pruner *pruner, const hps_context *ctx,
                                   int64_t *number_out)
{
    const forecast_opts *o = pruner->impl;
    *number_out = -1;
    if (o->mode != FORECAST_FREEZE_THAW)
        return HPS_OK;
    incumbent_view v;
    hps_status rc = read_incumbent(pruner, ctx, &v);
    if (rc != HPS_OK)
        return rc;
    const hps_frozen *const *all = v.all;
    size_t n_all = v.n_all;
    int maximize = v.maximize;
    double incumbent = v.incumbent;
    int judge = !isnan(incumbent); /* a COMPLETE trial sets the bar */
    if (isnan(incumbent))
        incumbent = best_paused_value(all, n_all, maximize);
    if (isnan(incumbent))
        return HPS_OK; /* nothing paused */
    thaw_choice c = {.number = -1, .finals = hps_mem_calloc(n_all, sizeof *c.finals)};
    if (c.finals == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    rc = memo_begin(pruner, all, n_all);
    if (rc != HPS_OK) {
        hps_mem_free(c.finals);
        return rc;
    }
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *t = all[i];
        if (t != NULL && t->state == HPS_COMPLETE && t->n_values > 0) {
            add_final(&c, t->values[0]);
        } else if (t != NULL && t->state == HPS_PAUSED) {
            rc = weigh_paused(pruner, t, all, n_all, incumbent, judge, maximize, &c);
            if (rc != HPS_OK) {
                hps_mem_free(c.finals);
                return rc; /* the last ask's memo stays; the next ask starts this one anew */
            }
        }
    }
    memo_commit(pruner->impl);
    choose(o, ctx, all, n_all, &c, incumbent, judge, maximize, number_out);
    hps_mem_free(c.finals);
    return HPS_OK;
}

const hps_pruner_ops hps_forecast_pruner_ops = {
    .name = "forecast",
    .help = "the trial's learning curve, extrapolated to max_step by an ensemble of "
            "parametric curves, has less than min_probability chance of beating the best "
            "COMPLETE trial; mode freeze-thaw pauses trials after each slice and resumes the one "
            "with the most expected improvement per step left instead",
    .options = forecast_options,
    .init = forecast_init,
    .destroy = forecast_destroy,
    .bind = forecast_bind,
    .should_prune = forecast_should_prune,
    .max_step = forecast_max_step,
    .promote = forecast_promote,
};

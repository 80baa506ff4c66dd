/* forecast.c -- the forecast pruner: stop a trial whose learning curve, extrapolated to
 * the full budget (curve.h: an ensemble of parametric curves with their uncertainty),
 * has less than min_probability chance of beating the best COMPLETE trial's value.
 * Where successive halving compares ranks at one rung and assumes curves do not cross,
 * this judges the shape: a slow starter that is still climbing keeps its chance. */
#include "base/mem.h"
#include "pruners/curve.h"
#include "pruners/pruner.h"

#include <math.h>
#include <stdio.h>

typedef struct forecast_opts {
    double min_probability;   /* prune below this chance of beating the incumbent */
    int64_t max_step;         /* the full budget's last step; 0 = auto */
    int64_t min_points;       /* values a trial reports before it is judged */
    int64_t n_startup_trials; /* no pruning before this many trials completed */
    int64_t interval_steps;   /* judge every this many steps */
} forecast_opts;

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
    hps_mem_free(pruner->impl);
}

static const hps_option forecast_options[] = {
    {.name = "min_probability", .type = HPS_OPTION_DOUBLE,
     HPS_OPTION_FIELD(forecast_opts, min_probability), .def = "0.05", .dmin = 0, .dmax = 1,
     .flags = HPS_OPTION_MIN_OPEN,
     .help = "prune when the forecast gives the trial less than this chance of beating the "
             "best COMPLETE trial at max_step"},
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
     .help = "no pruning until this many trials completed (the best of them is the bar)"},
    {.name = "interval_steps", .type = HPS_OPTION_INT,
     HPS_OPTION_FIELD(forecast_opts, interval_steps), .def = "1", .min = 1,
     .help = "judge every this many steps after the first min_points values"},
    HPS_OPTIONS_END,
};

/* The incumbent is the best value in one direction. */
static hps_status forecast_bind(hps_pruner *pruner, const hps_context *ctx)
{
    return hps_pruner_needs_one_objective(pruner, ctx);
}

/* The best COMPLETE value (NaN when none), how many trials completed, and the largest
 * last step among them. */
static void complete_trials(const hps_frozen *const *all, size_t n_all, int maximize,
                            double *best, size_t *n_complete, int64_t *last_step)
{
    *best = NAN;
    *n_complete = 0;
    *last_step = -1;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *c = all[i];
        if (c == NULL || c->state != HPS_COMPLETE || c->n_values < 1)
            continue;
        ++*n_complete;
        double v = c->values[0];
        if (!isnan(v) && (isnan(*best) || (maximize ? v > *best : v < *best)))
            *best = v;
        int64_t s = hps_pruner_last_step(c);
        if (s > *last_step)
            *last_step = s;
    }
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

/* The forecast, kept on the trial (system attribute "forecast") for the report and for
 * anyone asking why it was stopped. */
static hps_status record(const hps_context *ctx, hps_pruner *pruner, int64_t step,
                         const hps_curve_forecast *f, double incumbent, double p)
{
    char text[256];
    snprintf(text, sizeof text,
             "{\"step\": %lld, \"mean\": %.9g, \"sd\": %.9g, \"incumbent\": %.17g, "
             "\"p_beat\": %.6g}",
             (long long)step, f->mean, f->sd, incumbent, p);
    return hps_ctx_set_trial_attr(ctx, "forecast", text, &pruner->err);
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
    if (!due(o, t))
        return HPS_OK;
    const hps_frozen *const *all;
    size_t n_all, n_complete;
    hps_status rc = hps_ctx_trials(ctx, &all, &n_all, &pruner->err);
    if (rc != HPS_OK)
        return rc;
    int maximize = ctx->directions[0] == HPS_MAXIMIZE;
    double incumbent;
    int64_t last_complete_step;
    complete_trials(all, n_all, maximize, &incumbent, &n_complete, &last_complete_step);
    if ((int64_t)n_complete < o->n_startup_trials || isnan(incumbent))
        return HPS_OK;
    int64_t max_step = o->max_step > 0 ? o->max_step : last_complete_step;
    if (step >= max_step)
        return HPS_OK; /* at the budget already: its value is what it is */
    /* the curves are fitted from x = 1 at the first report (the power laws need x > 0) */
    double *x = hps_mem_calloc(2 * t->n_inter, sizeof *x);
    if (x == NULL)
        return hps_errbuf_set(&pruner->err, HPS_ERR_NOMEM, "out of memory");
    double *y = x + t->n_inter;
    int64_t origin = t->inter[0].step - 1;
    for (size_t i = 0; i < t->n_inter; i++) {
        x[i] = (double)(t->inter[i].step - origin);
        y[i] = t->inter[i].value;
    }
    hps_curve_forecast f;
    rc = hps_curve_forecast_at(x, y, t->n_inter, (double)(max_step - origin), &f);
    hps_mem_free(x);
    if (rc != HPS_OK)
        return hps_errbuf_set(&pruner->err, rc, "out of memory");
    if (f.n_fitted == 0)
        return HPS_OK;
    double above = hps_curve_prob_above(&f, incumbent);
    double p_beat = maximize ? above : 1 - above;
    *prune_out = p_beat < o->min_probability;
    return record(ctx, pruner, step, &f, incumbent, p_beat);
}

const hps_pruner_ops hps_forecast_pruner_ops = {
    .name = "forecast",
    .help = "the trial's learning curve, extrapolated to max_step by an ensemble of "
            "parametric curves, has less than min_probability chance of beating the best "
            "COMPLETE trial",
    .options = forecast_options,
    .init = forecast_init,
    .destroy = forecast_destroy,
    .bind = forecast_bind,
    .should_prune = forecast_should_prune,
};

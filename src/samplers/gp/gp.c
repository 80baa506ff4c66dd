/* gp.c -- the `gp` sampler: Bayesian optimization with a Gaussian process.
 *
 * At each ask after the start-up phase the sampler models the losses of the finished
 * trials (COMPLETE, PRUNED with their last value, and FAIL at the worst loss observed
 * unless a retry of theirs finished: failed_trials) over the relative search space
 * with a GP (model.c: Matern-5/2 ARD, MAP hyperparameters; transform.c: robust
 * targets), fantasizes the trials still running at the mean observed target (a
 * constant liar: where the model expects better than average, a running point's
 * neighbourhood now looks average and certain, so concurrent asks spread out; believing
 * them at the posterior mean instead bunched a batch around the incumbent, see
 * bench/gp.md "Batches"), and suggests the maximizer of log expected improvement
 * (acquisition.c).
 *
 * Options: gp_options below (and hps_sampler_catalog).
 *
 * Start-up: until n_startup_trials trials have finished (enqueued and grid-seeded ones
 * count), parameters come from a scrambled Sobol sequence indexed by trial number;
 * the scramble seed is stored in the study so all workers fill in one sequence.
 *
 * Conditional spaces (parameters only some finished trials have): the model covers the
 * union of the finished trials' parameters, an inactive one NaN, with the arc kernel
 * for numeric ones and "inactive" as one more choice for categorical ones (kernel.h).
 * The acquisition runs once per branch -- each set of active parameters the finished
 * trials show, its inactive parameters held inactive and the active discrete
 * parameters that took a single value on that branch (its parents) held there -- and
 * the best branch wins. So that a value of a categorical parent no trial has taken (a
 * model choice the start-up missed; failed and unmodelled trials count as taking
 * theirs) is proposed too, each branch is also searched with such a parent at that
 * value, its ancestors held and every other conditional dim inactive (unseen_branch).
 * The joint sample covers the shared parameters; the values
 * chosen for the others wait for the trial to suggest them (gp_plan). A parameter no
 * finished trial has, or one not planned for this trial, is drawn at random.
 * An enqueued trial whose fixed values cover the space skips the model; one that
 * fixes some parameters gets the others from the model, conditioned on the fixed ones.
 *
 * Several objectives, constraints (model_and_choose_multi): one independent GP per
 * objective and per constraint value, over the same points (the finished trials every
 * model can learn from: with several objectives COMPLETE with every value, or PRUNED at
 * its last step's values when that step has every objective's (multi_values), raised
 * where the COMPLETE trials' grew after that step (raise_pruned_rows); carrying the
 * study's constraint count when there are constraints; FAIL ones at the worst value of
 * every objective and constraint, never feasible: collect_multi). The acquisition
 * is log expected hypervolume improvement over the feasible trials' front (ehvi.h:
 * exact boxes, closed form) -- log EI below the best feasible value for one objective
 * -- plus the log probability of feasibility of each constraint model, a constraint's
 * threshold 0 carried through its output transform; while no trial is feasible, the
 * log probability of feasibility alone. Running trials are believed at every model's
 * posterior mean, their means joining the front when their constraint means are
 * feasible. A trial is feasible when every constraint value is <= 0 (Optuna's rule).
 * Studies with more than GP_MAX_MODELS objectives plus constraints use the Sobol
 * sequence. Spaces of more than GP_MAX_DIMS free parameters are sampled independently.
 *
 * Cost. Fitting is the expensive part: each likelihood evaluation factors and inverts
 * the covariance, O(n^3). So every fit starts from the previous one, which L-BFGS
 * usually confirms in a few evaluations; a second start from the default point runs
 * only when the study has grown by an eighth since the last one; and the fit sees at
 * most GP_FIT_ROWS observations (the best half and an even spread of the others) --
 * lengthscales and noise show in a few hundred points as well as in a thousand. The
 * posterior itself uses every kept observation. OpenBLAS runs single-threaded during
 * an ask, whatever the host process set (gp_blas_serial_begin); an ask
 * costs about 3 ms at 50 trials, 36 ms at 400, 150 ms at 1000 (bench/gp.md). */
#include "base/mem.h"
#include "base/rng.h"
#include "base/trial_rec.h"
#include "base/value.h"
#include "base/hypervolume.h"
#include "samplers/gp/acquisition.h"
#include "samplers/gp/branch.h"
#include "samplers/gp/kernel.h"
#include "samplers/gp/linalg.h"
#include "samplers/gp/model.h"
#include "samplers/gp/transform.h"
#include "samplers/sampler.h"
#include "samplers/sobol_seq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spaces with more free parameters are sampled independently: a GP over hundreds of
 * dimensions learns little from the few hundred trials a study has. */
#define GP_MAX_DIMS 256
/* Running trials fantasized per ask (the most recent ones). */
#define GP_MAX_PENDING 64
/* Hyperparameters are fitted on at most this many observations (see fit_rows). */
#define GP_FIT_ROWS 150
/* Likelihood evaluations per start of a full fit, and of a warm one. */
#define GP_FULL_FIT_EVALS 60
#define GP_WARM_FIT_EVALS 20
/* L-BFGS evaluations per refined candidate of the acquisition. */
#define GP_LOCAL_EVALS 60
/* Best observations whose neighbourhoods get extra candidates. */
#define GP_LOCAL_SEEDS 5
/* Several objectives and constraints: at most this many models (objectives plus
 * constraints); a study with more is sampled from the Sobol sequence. */
#define GP_MAX_MODELS 16

/* Values the acquisition chose for a trial's conditional parameters, handed out when
 * the trial suggests them; the last GP_PLAN_SLOTS trials this process asked for. */
#define GP_PLAN_SLOTS 16
typedef struct gp_plan {
    int64_t trial; /* -1: empty */
    hps_param_rec *params;
    size_t n;
} gp_plan;

/* A fit's hyperparameters, kept for the next ask's first start. */
typedef struct gp_fit_memory {
    uint64_t signature;
    double *theta;
    size_t len;
    size_t full_fit_n; /* observations at the last fit with both starts */
} gp_fit_memory;

typedef struct gp_state {
    /* options */
    int64_t n_startup;      /* -1: automatic (see startup_count) */
    int deterministic;
    int warping;
    size_t n_candidates;
    size_t n_local;
    size_t max_observations;
    gp_warp warp;
    int branch_choice;      /* gp_branch_choice: how a conditional space's branch is chosen */
    /* the previous fit: the first start of the next, when the space is the same */
    gp_fit_memory fit;
    gp_fit_memory multi_fit[GP_MAX_MODELS]; /* several objectives, constraints */
    uint64_t sobol_seed;    /* start-up scramble, shared through the study */
    gp_plan plans[GP_PLAN_SLOTS];
    size_t next_plan;
} gp_state;

static void plan_clear(gp_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        hps_mem_free(plan->params[i].name);
        hps_dist_clear(&plan->params[i].dist);
    }
    hps_mem_free(plan->params);
    plan->params = NULL;
    plan->n = 0;
    plan->trial = -1;
}

/* ---- options ---------------------------------------------------------------------------- */

static hps_status gp_init(hps_sampler *sampler)
{
    gp_state *s = hps_mem_calloc(1, sizeof *s);
    if (s == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < GP_PLAN_SLOTS; i++)
        s->plans[i].trial = -1;
    sampler->impl = s;
    return HPS_OK;
}

static void gp_destroy(hps_sampler *sampler)
{
    gp_state *s = sampler->impl;
    if (s == NULL)
        return;
    hps_mem_free(s->fit.theta);
    for (size_t i = 0; i < GP_MAX_MODELS; i++)
        hps_mem_free(s->multi_fit[i].theta);
    for (size_t i = 0; i < GP_PLAN_SLOTS; i++)
        plan_clear(&s->plans[i]);
    hps_mem_free(s);
}

static const hps_option_choice output_transforms[] = {
    {"robust", GP_WARP_ROBUST},
    {"standardize", GP_WARP_STANDARDIZE},
    {NULL, 0},
};

static const hps_option_choice branch_choices[] = {
    {"acquisition", GP_BRANCH_ACQUISITION},
    {"thompson", GP_BRANCH_THOMPSON},
    {"weighted", GP_BRANCH_WEIGHTED},
    {NULL, 0},
};

static const hps_option gp_options[] = {
    {.name = "n_startup_trials", .type = HPS_OPTION_INT, HPS_OPTION_FIELD(gp_state, n_startup),
     .def = "auto", .min = 0, .max = 1000000, .keyword = "auto", .keyword_value = -1,
     .help = "Sobol points before the model (auto: 2d + 1 clamped to [4, 10], d = free "
             "parameters)"},
    {.name = "deterministic_objective", .type = HPS_OPTION_BOOL,
     HPS_OPTION_FIELD(gp_state, deterministic), .def = "false",
     .help = "no noise term, only a 1e-7 nugget, and the best observed value as incumbent "
             "(otherwise the best posterior mean at an observed point)"},
    {.name = "input_warping", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(gp_state, warping),
     .def = "true",
     .help = "a fitted Kumaraswamy CDF per numeric parameter, for parameters whose effect is "
             "crowded into one end of their range"},
    {.name = "n_candidates", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(gp_state, n_candidates),
     .def = "1024", .min = 16, .max = 1u << 16,
     .help = "quasi-random candidates of the acquisition per ask"},
    {.name = "n_local_search", .type = HPS_OPTION_UINT, HPS_OPTION_FIELD(gp_state, n_local),
     .def = "8", .min = 0, .max = 64, .help = "candidates refined by L-BFGS"},
    {.name = "max_observations", .type = HPS_OPTION_UINT,
     HPS_OPTION_FIELD(gp_state, max_observations), .def = "1000", .min = 16, .max = 2000,
     .help = "trials the model keeps: the best half and the most recent of the others, "
             "failed trials among them (with several objectives or constraints: the most "
             "recent finished ones, then failed ones as room allows)"},
    {.name = "output_transform", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(gp_state, warp),
     .def = "robust", .choices = output_transforms,
     .help = "objective values: robust (the bad half compressed) or standardize"},
    {.name = "branch_choice", .type = HPS_OPTION_ENUM, HPS_OPTION_FIELD(gp_state, branch_choice),
     .def = "acquisition", .choices = branch_choices,
     .help = "conditional spaces: acquisition (the acquisition runs in every branch the "
             "trials took, and in each with a categorical parent at a value no trial "
             "took, the largest value wins), thompson (Thompson sampling on how "
             "often each branch's trials rank among the best picks one branch the "
             "trials took, the acquisition chooses the values inside it) or weighted "
             "(the acquisition in the same branches as acquisition, each value weighted "
             "by a Thompson draw of the branch's share of good trials)"},
    HPS_OPTIONS_END,
};

static hps_status gp_bind(hps_sampler *sampler, const hps_context *ctx)
{
    /* Start-up points of all workers should interleave into one Sobol sequence, which
     * needs one scramble: the first worker's seed becomes the study's. A seeded sampler
     * joining a study scrambled otherwise simply follows the study. */
    gp_state *s = sampler->impl;
    s->sobol_seed = sampler->seed;
    return hps_ctx_agree_seed(ctx, "gp_sobol_seed", "scrambles its GP start-up with",
                              &s->sobol_seed, 0, &sampler->err);
}

/* ---- independent sampling ----------------------------------------------------------------- */

static hps_status gp_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                            const hps_dist *dist, double *internal_out)
{
    gp_state *s = sampler->impl;
    int64_t number = ctx->trial->number;
    size_t dim = ctx->position;
    double u = -1;
    for (size_t i = 0; i < GP_PLAN_SLOTS; i++) {
        const gp_plan *plan = &s->plans[i];
        for (size_t k = 0; plan->trial == number && k < plan->n; k++) {
            const hps_param_rec *p = &plan->params[k];
            if (strcmp(p->name, name) == 0 && hps_dist_equal(&p->dist, dist) &&
                hps_dist_contains(dist, p->internal)) {
                *internal_out = p->internal;
                return HPS_OK;
            }
        }
    }
    /* No joint values for this trial: start-up (or a fallback), where Sobol points
     * cover the space evenly. With joint values, this is a parameter outside the
     * relative space: independent random. */
    if (ctx->n_planned == 0 && dim < SOBOL_MAX_DIMS && number >= 0)
        u = sobol_coordinate((uint64_t)number, (unsigned)dim, 1, s->sobol_seed);
    if (u < 0) {
        hps_rng rng;
        hps_rng_seed_keyed(&rng, sampler->seed, number, name);
        u = hps_rng_uniform(&rng);
    }
    *internal_out = hps_dist_from_unit(dist, hps_ctx_prior_unit(ctx, name, dist, u));
    return HPS_OK;
}

/* ---- the joint sample ----------------------------------------------------------------------- */

/* Everything one ask builds; freed at its end. */
typedef struct gp_ask {
    size_t d;               /* free (modelled) dims */
    size_t d_shared;        /* the first d_shared are in the relative space, the others
                               conditional (NaN where inactive) */
    const char **names;     /* dim -> parameter name (borrowed) */
    size_t *space_index;    /* shared dim -> index in the relative space */
    gp_dim *dims;
    unsigned char *categorical;
    double *fixed;          /* d encoded values, NAN where free */
    size_t n_fixed;         /* of them not NAN */
    size_t n;               /* observations */
    double *x, *loss, *y, *scratch;
    size_t n_pending;
    double *pending_x;
    double *pending_mean, *pending_var; /* believed targets: the lie, or per model */
    double *taken;
    const hps_frozen **failed; /* FAIL trials the model learns from (failed_trials) */
    size_t n_failed;
    double *tried;          /* conditional spaces: every trial's point (collect_tried) */
    size_t n_tried;
    double *seeds;
    size_t *order;
    gp_model model;
    int model_ready;
} gp_ask;

static void ask_clear(gp_ask *a)
{
    hps_mem_free(a->names);
    hps_mem_free(a->space_index);
    hps_mem_free(a->dims);
    hps_mem_free(a->categorical);
    hps_mem_free(a->fixed);
    hps_mem_free(a->x);
    hps_mem_free(a->loss);
    hps_mem_free(a->y);
    hps_mem_free(a->scratch);
    hps_mem_free(a->pending_x);
    hps_mem_free(a->pending_mean);
    hps_mem_free(a->pending_var);
    hps_mem_free(a->taken);
    hps_mem_free(a->failed);
    hps_mem_free(a->tried);
    hps_mem_free(a->seeds);
    hps_mem_free(a->order);
    if (a->model_ready)
        gp_model_clear(&a->model);
}

static int is_constant(const hps_dist *dist)
{
    return hps_dist_cardinality(dist) == 1;
}

/* Encoded value of an internal one (snapped first: a stored value may be off-grid). */
static double encode(const gp_dim *dim, double internal)
{
    double v = hps_dist_contains(dim->dist, internal) ? internal : hps_dist_snap(dim->dist, internal);
    if (dim->kind == GP_DIM_CATEGORICAL)
        return v;
    return hps_dist_to_unit(dim->dist, v);
}

static double decode(const gp_dim *dim, double enc)
{
    if (dim->kind == GP_DIM_CATEGORICAL)
        return hps_dist_snap(dim->dist, enc);
    return hps_dist_from_unit(dim->dist, enc);
}

/* The internal value a fixed-parameter object gives `name`, if it is valid. */
static int fixed_internal(const json_t *fixed, const char *name, const hps_dist *dist, double *out)
{
    const json_t *node = fixed != NULL ? json_object_get(fixed, name) : NULL;
    hps_value v;
    if (node == NULL || hps_value_from_json(node, &v) != 0)
        return 0;
    return hps_dist_internal_of(dist, &v, out) == 0;
}

/* The parameters of a running trial as far as they are known: suggested ones, the
 * joint values of this process's live trial, or the values it was enqueued with.
 * Returns 1 when every shared dim is known (a conditional one not known is NaN). */
static int pending_point(const gp_ask *a, const hps_pending *pending,
                         double *x)
{
    const hps_frozen *rec = pending->rec;
    const json_t *fixed = pending->fixed;
    for (size_t j = 0; j < a->d; j++) {
        const char *name = a->names[j];
        const hps_dist *dist = a->dims[j].dist;
        const hps_param_rec *p = hps_rec_find_param(rec, name);
        double internal = NAN;
        if (p != NULL && hps_dist_equal(&p->dist, dist))
            internal = p->internal;
        for (size_t r = 0; internal != internal && r < pending->n_planned; r++)
            if (strcmp(pending->planned[r].name, name) == 0 &&
                hps_dist_equal(&pending->planned[r].dist, dist))
                internal = pending->planned[r].internal;
        if (internal != internal && !fixed_internal(fixed, name, dist, &internal)) {
            if (j < a->d_shared)
                return 0;
            x[j] = NAN; /* not suggested (yet): taken as inactive */
            continue;
        }
        x[j] = encode(&a->dims[j], internal);
    }
    return 1;
}

/* A finished trial's encoded point: a conditional parameter this trial lacks, or had
 * with another distribution, is inactive (NaN) here. */
static void finished_point(const gp_ask *a, const hps_frozen *rec, double *x)
{
    for (size_t j = 0; j < a->d; j++) {
        const hps_param_rec *p = hps_rec_find_param(rec, a->names[j]);
        int active = p != NULL && (j < a->d_shared || hps_dist_equal(&p->dist, a->dims[j].dist));
        x[j] = active ? encode(&a->dims[j], p->internal) : NAN;
    }
}

static uint64_t space_signature(const gp_ask *a)
{
    uint64_t sig = 0x6a09e667f3bcc909ULL ^ a->d;
    for (size_t j = 0; j < a->d; j++) {
        const hps_dist *dist = a->dims[j].dist;
        sig = hps_hash_string(a->names[j], sig);
        sig = hps_hash_bytes(&dist->kind, sizeof dist->kind, sig);
        sig = hps_hash_bytes(&dist->flags, sizeof dist->flags, sig);
        sig = hps_hash_bytes(&a->dims[j].levels, sizeof a->dims[j].levels, sig);
    }
    return sig;
}

/* Default start-up length: 2d + 1 points, at least 4 and at most 10. A GP with
 * informative priors needs few points to start modelling, and each start-up point is
 * a trial not spent where the model points; but below about 2d + 1 points the ARD
 * lengthscales are guesswork. Optuna's GPSampler uses 10 for every dimension. */
static size_t startup_count(const gp_state *s, size_t d)
{
    if (s->n_startup >= 0)
        return (size_t)s->n_startup;
    size_t n = 2 * d + 1;
    return n < 4 ? 4 : (n > 10 ? 10 : n);
}

/* Sorting indices by loss needs the losses; qsort has no context argument, so the
 * indices are sorted through an array of (loss, index) pairs instead. */
typedef struct loss_index {
    double loss;
    size_t index;
} loss_index;

static int cmp_loss_index(const void *pa, const void *pb)
{
    const loss_index *a = pa, *b = pb;
    /* NaN sorts last; ties by index so the order is deterministic */
    int an = a->loss != a->loss, bn = b->loss != b->loss;
    if (an != bn)
        return an - bn;
    if (a->loss < b->loss)
        return -1;
    if (a->loss > b->loss)
        return 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* Which trials the model sees: all, or beyond max_observations the best half and the
 * most recent of the others by trial number (marked in keep[]). By number, not by row:
 * the failed trials' rows follow the finished ones', and would otherwise all count as
 * more recent than every finished trial. */
static hps_status choose_observations(hps_sampler *sampler, const double *loss,
                                      const int64_t *number, size_t n, size_t cap,
                                      unsigned char *keep)
{
    if (n <= cap) {
        memset(keep, 1, n);
        return HPS_OK;
    }
    loss_index *li = hps_mem_realloc_array(NULL, n, sizeof *li);
    if (li == NULL)
        return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        li[i].loss = loss[i];
        li[i].index = i;
    }
    qsort(li, n, sizeof *li, cmp_loss_index);
    memset(keep, 0, n);
    for (size_t i = 0; i < cap / 2; i++)
        keep[li[i].index] = 1;
    /* the rows by trial number, reusing li: a number is exact in a double */
    for (size_t i = 0; i < n; i++) {
        li[i].loss = (double)number[i];
        li[i].index = i;
    }
    qsort(li, n, sizeof *li, cmp_loss_index);
    size_t kept = cap / 2;
    for (size_t i = n; i-- > 0 && kept < cap;) {
        if (!keep[li[i].index]) {
            keep[li[i].index] = 1;
            kept++;
        }
    }
    hps_mem_free(li);
    return HPS_OK;
}

static hps_status nomem(hps_sampler *sampler)
{
    return hps_errbuf_set(&sampler->err, HPS_ERR_NOMEM, "out of memory");
}

/* Fits (or refits) the hyperparameters and factors the model; 0, or GP_ERR_NUMERIC
 * when no factorization works, or GP_ERR_NOMEM. */
/* Rows the hyperparameters are fitted on: all of them up to GP_FIT_ROWS; beyond, the
 * best half of that many by target plus evenly spaced others. Lengthscales and noise
 * are properties of the function, which a few hundred points show as well as a
 * thousand, while each likelihood evaluation costs n^3. Returns the row count and
 * fills rows[] (ascending). */
static size_t fit_rows(const gp_ask *a, const double *y, size_t *rows, loss_index *li,
                       unsigned char *take)
{
    size_t n = a->n;
    if (n <= GP_FIT_ROWS) {
        for (size_t i = 0; i < n; i++)
            rows[i] = i;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        li[i].loss = y[i];
        li[i].index = i;
    }
    qsort(li, n, sizeof *li, cmp_loss_index);
    memset(take, 0, n);
    size_t best = GP_FIT_ROWS / 2, rest = GP_FIT_ROWS - best;
    for (size_t i = 0; i < best; i++)
        take[li[i].index] = 1;
    for (size_t t = 0; t < rest; t++)
        take[li[best + t * (n - best) / rest].index] = 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (take[i])
            rows[k++] = i;
    return k;
}

/* Fits (or refits) the hyperparameters and factors the model; 0, or GP_ERR_NUMERIC
 * when no factorization works, or GP_ERR_NOMEM.
 *
 * Schedule: every fit starts from the previous one (have_prev), which L-BFGS usually
 * confirms in a few evaluations. A second start from the default point guards against
 * a poor local optimum of the likelihood; it runs when there is no previous fit and
 * then each time the study has grown by an eighth (at least 3 trials) -- every ask
 * would double the cost for little. */
static int fit_model(const gp_state *s, gp_fit_memory *mem, gp_ask *a, gp_model *m,
                     const double *y, uint64_t signature, int constant)
{
    size_t d = a->d, n = a->n;
    size_t len = gp_model_theta_len(m);
    double *theta = a->scratch; /* len entries; scratch has max(n, 3 d + 2) */
    double fixed_noise = GP_MIN_NOISE;
    int rc = 0;
    size_t *rows = NULL;
    loss_index *li = NULL;
    unsigned char *take = NULL;
    double *xs = NULL, *ys = NULL;
    int have_prev = mem->theta != NULL && mem->signature == signature && mem->len == len;
    if (have_prev)
        memcpy(theta, mem->theta, len * sizeof *theta);
    else
        gp_model_default_theta(m, !s->deterministic, fixed_noise, theta);
    if (!constant) {
        size_t grow = n / 8 > 3 ? n / 8 : 3;
        int full = !have_prev || n >= mem->full_fit_n + grow || n < mem->full_fit_n;
        size_t k = n;
        if (n > GP_FIT_ROWS) {
            rows = hps_mem_calloc(n, sizeof *rows);
            li = hps_mem_realloc_array(NULL, n, sizeof *li);
            take = hps_mem_calloc(n, 1);
            xs = hps_mem_realloc_array(NULL, GP_FIT_ROWS, d * sizeof *xs);
            ys = hps_mem_calloc(GP_FIT_ROWS, sizeof *ys);
            if (rows == NULL || li == NULL || take == NULL || xs == NULL || ys == NULL) {
                rc = GP_ERR_NOMEM;
                goto out;
            }
            k = fit_rows(a, y, rows, li, take);
            for (size_t t = 0; t < k; t++) {
                memcpy(xs + t * d, a->x + rows[t] * d, d * sizeof *xs);
                ys[t] = y[rows[t]];
            }
            if (gp_model_set_data(m, xs, ys, k) != 0) {
                rc = GP_ERR_NOMEM;
                goto out;
            }
        }
        /* without a previous fit, theta already is the default start */
        gp_fit_options opt = {.fit_noise = !s->deterministic, .fixed_noise = fixed_noise,
                              .extra_start = full && have_prev};
        /* a warm start that has not converged in GP_WARM_FIT_EVALS continues next ask */
        opt.max_evals = full ? GP_FULL_FIT_EVALS : GP_WARM_FIT_EVALS;
        if (gp_model_fit(m, &opt, theta) != 0) {
            rc = GP_ERR_NOMEM;
            goto out;
        }
        if (full)
            mem->full_fit_n = n;
        if (k < n && gp_model_set_data(m, a->x, y, n) != 0) {
            rc = GP_ERR_NOMEM;
            goto out;
        }
    }
    rc = gp_model_factor(m, theta);
    if (rc == GP_ERR_NUMERIC) {
        gp_model_default_theta(m, !s->deterministic, fixed_noise, theta);
        rc = gp_model_factor(m, theta);
    }
    if (rc != 0 || constant)
        goto out;
    if (mem->theta == NULL || mem->len != len) {
        double *p = hps_mem_realloc_array(mem->theta, len, sizeof *p);
        if (p == NULL) {
            rc = GP_ERR_NOMEM;
            goto out;
        }
        mem->theta = p;
    }
    memcpy(mem->theta, theta, len * sizeof *theta);
    mem->len = len;
    mem->signature = signature;
out:
    hps_mem_free(rows);
    hps_mem_free(li);
    hps_mem_free(take);
    hps_mem_free(xs);
    hps_mem_free(ys);
    return rc;
}

static void add_dim(const hps_context *ctx, gp_ask *a, const char *name, const hps_dist *dist,
                    int conditional, size_t *n_fixed)
{
    gp_dim *dim = &a->dims[a->d];
    dim->dist = dist;
    dim->prior = hps_ctx_prior(ctx, name, dist);
    dim->levels = hps_dist_cardinality(dist);
    dim->kind = dist->kind == HPS_DIST_CATEGORICAL ? GP_DIM_CATEGORICAL
                : dim->levels == 0                ? GP_DIM_CONTINUOUS
                                                  : GP_DIM_DISCRETE;
    a->categorical[a->d] = dim->kind == GP_DIM_CATEGORICAL ? GP_KERNEL_CATEGORICAL
                           : conditional                   ? GP_KERNEL_ARC
                                                           : GP_KERNEL_NUMERIC;
    a->names[a->d] = name;
    double internal;
    a->fixed[a->d] = NAN;
    if (fixed_internal(ctx->fixed, name, dist, &internal)) {
        a->fixed[a->d] = encode(dim, internal);
        (*n_fixed)++;
    }
    a->d++;
}

/* The parameters of finished trials outside the relative space (the conditional ones),
 * first seen first, at most `cap`; constants are left out. */
static size_t conditional_params(const hps_history *h, const hps_param_rec **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_finished; i++) {
        const hps_frozen *rec = h->finished[i];
        for (size_t k = 0; k < rec->n_params && n < cap; k++) {
            const hps_param_rec *p = &rec->params[k];
            if (hps_space_index(&h->space, p->name) >= 0 || is_constant(&p->dist))
                continue;
            size_t t = 0;
            while (t < n && strcmp(out[t]->name, p->name) != 0)
                t++;
            if (t == n)
                out[n++] = p;
        }
    }
    return n;
}

/* The free dims: the relative space's (constants take their only value and are not
 * modelled), then the conditional parameters, with the values an enqueued trial fixes.
 * Returns 0 or GP_ERR_NOMEM. */
static int build_dims(const hps_context *ctx, const hps_history *h, gp_ask *a, size_t *n_fixed)
{
    size_t nspace = h->space.n;
    size_t cap = GP_MAX_DIMS + 1;
    const hps_param_rec **cond = hps_mem_calloc(cap, sizeof *cond);
    a->names = hps_mem_calloc(nspace + cap, sizeof *a->names);
    a->space_index = hps_mem_calloc(nspace + 1, sizeof *a->space_index);
    a->dims = hps_mem_calloc(nspace + cap, sizeof *a->dims);
    a->categorical = hps_mem_calloc(nspace + cap, 1);
    a->fixed = hps_mem_calloc(nspace + cap, sizeof *a->fixed);
    if (cond == NULL || a->names == NULL || a->space_index == NULL || a->dims == NULL ||
        a->categorical == NULL || a->fixed == NULL) {
        hps_mem_free(cond);
        return GP_ERR_NOMEM;
    }
    *n_fixed = 0;
    for (size_t i = 0; i < nspace; i++) {
        if (is_constant(h->space.dists[i]))
            continue;
        a->space_index[a->d] = i;
        add_dim(ctx, a, h->space.names[i], h->space.dists[i], 0, n_fixed);
    }
    a->d_shared = a->d;
    size_t n_cond = conditional_params(h, cond, cap);
    for (size_t t = 0; t < n_cond; t++)
        add_dim(ctx, a, cond[t]->name, &cond[t]->dist, 1, n_fixed);
    hps_mem_free(cond);
    return 0;
}

/* The FAIL trials the model learns from, into a->failed: a trial whose objective raised
 * or returned NaN (a diverged training run) says its point is bad, and a model that
 * never sees it keeps proposing next to it -- every built-in Optuna sampler ignores
 * FAIL trials, and its GPSampler proposed one failing corner 15 times in a row
 * (bench/ml_heldout.md, "The GPSampler reference checked"). As SMAC gives a crashed run
 * the worst cost, such a trial enters at +inf, which the output transform replaces by
 * the worst finite loss observed (transform.h): the model learns "no better than
 * anything seen" there, and nothing is invented beyond the observed range. They come
 * from the history's ended trials, so after the space changed (hps_study_map_space)
 * they are seen through the new space as the finished ones are (an added parameter at
 * its default, as the trial ran -- or, if it failed before suggesting it, as a failure
 * that did not depend on it). Left out: a trial failed as interrupted (its run was
 * stopped -- no verdict on its point), one whose run a retry finished
 * (failed_runs_retried_to_the_end), one lacking a parameter of the relative space that
 * has no default (it failed before suggesting it: no point to place), and one with a
 * parameter the model does not have (a conditional one no finished trial has, or with
 * another distribution: its row would pass for another branch). A study without FAIL
 * trials models exactly what it did before. */
static int failed_point_known(const gp_ask *a, const hps_frozen *rec)
{
    for (size_t j = 0; j < a->d_shared; j++)
        if (hps_rec_find_param(rec, a->names[j]) == NULL)
            return 0;
    for (size_t k = 0; k < rec->n_params; k++) {
        const hps_param_rec *p = &rec->params[k];
        size_t j = 0;
        while (j < a->d && !(strcmp(a->names[j], p->name) == 0 &&
                             (j < a->d_shared || hps_dist_equal(&p->dist, a->dims[j].dist))))
            j++;
        if (j == a->d && !is_constant(&p->dist))
            return 0;
    }
    return 1;
}

static int cmp_int64(const void *pa, const void *pb)
{
    int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return (x > y) - (x < y);
}

/* The runs (hps_rec_run_of) a retry finished -- COMPLETE, or PRUNED with or without a value --
 * sorted into *runs; how many, or SIZE_MAX when out of memory. A retry runs the same
 * configuration again, so once one finished, the failures before it were transient (a
 * lost node, a full disk) and say nothing about their point: modelling them at the
 * worst value would hold a good configuration down beside its own finished value.
 * While the retry runs, or when every attempt failed, the failures stand. (A finished
 * retry the changed-space view leaves out is not seen, and its failures stand.) */
static size_t failed_runs_retried_to_the_end(const hps_history *h, int64_t **runs)
{
    size_t n = 0, n_all = h->n_finished + h->n_ended;
    *runs = hps_mem_calloc(n_all + 1, sizeof **runs);
    if (*runs == NULL)
        return SIZE_MAX;
    for (size_t i = 0; i < n_all; i++) {
        const hps_frozen *rec = i < h->n_finished ? h->finished[i] : h->ended[i - h->n_finished];
        if (rec->state != HPS_FAIL && hps_rec_run_of(rec) != rec->number)
            (*runs)[n++] = hps_rec_run_of(rec);
    }
    qsort(*runs, n, sizeof **runs, cmp_int64);
    return n;
}

static hps_status failed_trials(hps_sampler *sampler, const hps_history *h, gp_ask *a)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ended; i++)
        n += h->ended[i]->state == HPS_FAIL && !h->ended[i]->interrupted;
    if (n == 0)
        return HPS_OK;
    int64_t *retried;
    size_t n_retried = failed_runs_retried_to_the_end(h, &retried);
    a->failed = hps_mem_calloc(n, sizeof *a->failed);
    if (n_retried == SIZE_MAX || a->failed == NULL) {
        hps_mem_free(retried);
        return nomem(sampler);
    }
    for (size_t i = 0; i < h->n_ended; i++) {
        const hps_frozen *rec = h->ended[i];
        if (rec->state != HPS_FAIL || rec->interrupted)
            continue;
        int64_t run = hps_rec_run_of(rec);
        if (n_retried > 0 && bsearch(&run, retried, n_retried, sizeof *retried, cmp_int64) != NULL)
            continue;
        if (failed_point_known(a, rec))
            a->failed[a->n_failed++] = rec;
    }
    hps_mem_free(retried);
    return HPS_OK;
}

/* The encoded points and targets of the finished trials the model keeps, then of the
 * failed ones (failed_trials) at +inf. */
static hps_status collect_observations(hps_sampler *sampler, const hps_context *ctx,
                                       const hps_history *h, gp_ask *a)
{
    gp_state *s = sampler->impl;
    size_t n_all = h->n_finished + a->n_failed, d = a->d;
    unsigned char *keep = hps_mem_calloc(n_all, 1);
    int64_t *number = hps_mem_calloc(n_all + 1, sizeof *number);
    a->loss = hps_mem_calloc(n_all, sizeof *a->loss);
    if (keep == NULL || number == NULL || a->loss == NULL) {
        hps_mem_free(keep);
        hps_mem_free(number);
        return nomem(sampler);
    }
    for (size_t i = 0; i < n_all; i++) {
        int finished = i < h->n_finished;
        a->loss[i] = finished ? hps_ctx_loss(ctx, h->finished[i]) : HUGE_VAL;
        number[i] = finished ? h->finished[i]->number : a->failed[i - h->n_finished]->number;
    }
    hps_status rc = choose_observations(sampler, a->loss, number, n_all, s->max_observations,
                                        keep);
    hps_mem_free(number);
    if (rc != HPS_OK) {
        hps_mem_free(keep);
        return rc;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++)
        n += keep[i];
    a->x = hps_mem_realloc_array(NULL, n, d * sizeof *a->x);
    a->y = hps_mem_calloc(n, sizeof *a->y);
    a->scratch = hps_mem_calloc(n > 3 * d + 2 ? n : 3 * d + 2, sizeof *a->scratch);
    if (a->x == NULL || a->y == NULL || a->scratch == NULL) {
        hps_mem_free(keep);
        return nomem(sampler);
    }
    for (size_t i = 0, row = 0; i < n_all; i++) {
        if (!keep[i])
            continue;
        finished_point(a, i < h->n_finished ? h->finished[i] : a->failed[i - h->n_finished],
                       a->x + row * d);
        a->loss[row++] = a->loss[i]; /* compacting in place: row <= i */
    }
    a->n = n;
    hps_mem_free(keep);
    return HPS_OK;
}

/* The incumbent and the best few observations, whose neighbourhoods the acquisition
 * searches closely: by observed target, or with noise by the posterior mean at each
 * observed point (a lucky noisy draw should not set the bar), which for the model's
 * own data is y - (noise + jitter) alpha. Returns 0 or GP_ERR_NOMEM. */
static int rank_observations(const gp_state *s, gp_ask *a, double *best, size_t *n_seeds)
{
    const gp_model *m = &a->model;
    size_t n = a->n, d = a->d;
    *n_seeds = n < GP_LOCAL_SEEDS ? n : GP_LOCAL_SEEDS;
    a->seeds = hps_mem_realloc_array(NULL, *n_seeds + 1, d * sizeof *a->seeds);
    loss_index *li = hps_mem_realloc_array(NULL, n, sizeof *li);
    if (a->seeds == NULL || li == NULL) {
        hps_mem_free(li);
        return GP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        li[i].loss = s->deterministic ? a->y[i] : a->y[i] - (m->noise + m->jitter) * m->alpha[i];
        li[i].index = i;
    }
    qsort(li, n, sizeof *li, cmp_loss_index);
    *best = li[0].loss;
    for (size_t t = 0; t < *n_seeds; t++)
        memcpy(a->seeds + t * d, a->x + li[t].index * d, d * sizeof *a->seeds);
    a->order = hps_mem_calloc(n + 1, sizeof *a->order);
    for (size_t t = 0; a->order != NULL && t < n; t++)
        a->order[t] = li[t].index;
    hps_mem_free(li);
    return a->order != NULL ? 0 : GP_ERR_NOMEM;
}

/* The value every running trial is believed at: the mean target the model keeps (the
 * worst one, a harsher lie, spread batches too but scored lower in bench/gp.md). */
static double constant_lie(const gp_ask *a)
{
    double sum = 0;
    for (size_t i = 0; i < a->n; i++)
        sum += a->y[i];
    return sum / (double)a->n;
}

/* Adds the running trials to the model at the constant lie (the incumbent of the
 * acquisition was taken before, from the observations alone). Returns 0, or
 * GP_ERR_NUMERIC when the model could not even be refactored without them, or
 * GP_ERR_NOMEM. */
static int fantasize_pending(const hps_history *h, gp_ask *a)
{
    gp_model *m = &a->model;
    size_t d = a->d;
    size_t first = h->n_pending > GP_MAX_PENDING ? h->n_pending - GP_MAX_PENDING : 0;
    size_t count = h->n_pending - first;
    a->pending_x = hps_mem_realloc_array(NULL, count + 1, d * sizeof *a->pending_x);
    a->pending_mean = hps_mem_calloc(count + 1, sizeof *a->pending_mean);
    if (a->pending_x == NULL || a->pending_mean == NULL)
        return GP_ERR_NOMEM;
    for (size_t i = first; i < h->n_pending; i++)
        if (pending_point(a, &h->pending[i], a->pending_x + a->n_pending * d))
            a->n_pending++;
    if (a->n_pending == 0)
        return 0;
    double lie = constant_lie(a);
    for (size_t i = 0; i < a->n_pending; i++)
        a->pending_mean[i] = lie;
    int rc = gp_model_append(m, a->pending_x, a->pending_mean, a->n_pending);
    if (rc != GP_ERR_NUMERIC)
        return rc;
    /* the extended factor failed: go on without the fantasies */
    a->n_pending = 0;
    if (gp_model_set_data(m, a->x, a->y, a->n) != 0)
        return GP_ERR_NOMEM;
    memcpy(a->scratch, m->theta, gp_model_theta_len(m) * sizeof *a->scratch);
    return gp_model_factor(m, a->scratch);
}

/* Whether rows x and y have the same conditional dims active. */
static int same_branch(const gp_ask *a, const double *x, const double *y)
{
    for (size_t j = a->d_shared; j < a->d; j++)
        if ((x[j] != x[j]) != (y[j] != y[j]))
            return 0;
    return 1;
}

/* Buffers for one branch's acquisition problem (d values each; seeds GP_LOCAL_SEEDS
 * rows). */
typedef struct branch_buf {
    unsigned char *inactive, *parent;
    double *fixed, *seeds;
    size_t n_seeds;
} branch_buf;

/* The branch of row order[r]: its rows (every row with the same conditional dims
 * active) marked in `searched`, its inactive dims, its parents -- active discrete dims
 * with one value on every row of the branch, shared or conditional (a layer count
 * decides which widths exist) -- fixed there, its own best rows as the seeds. Returns
 * the branch's number of rows; *n_good_out gets how many of them are among the first
 * n_good rows of the order. */
static size_t gather_branch(const gp_ask *a, const gp_acq_problem *base, size_t r,
                            size_t n_good, unsigned char *searched, branch_buf *b,
                            size_t *n_good_out)
{
    size_t d = a->d, n = a->n, count = 0;
    const double *xr = a->x + a->order[r] * d;
    for (size_t j = 0; j < d; j++) {
        b->inactive[j] = j >= a->d_shared && xr[j] != xr[j];
        b->fixed[j] = base->fixed != NULL ? base->fixed[j] : NAN;
        const gp_dim *dim = &a->dims[j];
        /* Only a discrete dim can decide a branch: a continuous one has levels == 0 and
         * would otherwise pin every parameter of a branch seen once. */
        b->parent[j] = !b->inactive[j] && b->fixed[j] != b->fixed[j] &&
                       (dim->kind == GP_DIM_CATEGORICAL ||
                        (dim->kind == GP_DIM_DISCRETE && dim->levels <= GP_FINE_LEVELS));
    }
    b->n_seeds = 0;
    *n_good_out = 0;
    for (size_t q = r; q < n; q++) {
        const double *xq = a->x + a->order[q] * d;
        if (!same_branch(a, xr, xq))
            continue;
        searched[a->order[q]] = 1;
        count++;
        *n_good_out += q < n_good;
        if (b->n_seeds < GP_LOCAL_SEEDS)
            memcpy(b->seeds + b->n_seeds++ * d, xq, d * sizeof *b->seeds);
        for (size_t j = 0; j < d; j++)
            b->parent[j] = b->parent[j] && xq[j] == xr[j];
    }
    for (size_t j = 0; j < d; j++)
        if (b->parent[j])
            b->fixed[j] = xr[j];
    return count;
}

/* The acquisition's maximizer inside the branch of row order[r]. 0 or GP_ERR_NOMEM. */
static int optimize_branch(const gp_acq_problem *base, const branch_buf *b, size_t r,
                           double *x, double *value)
{
    gp_acq_problem p = *base;
    p.fixed = b->fixed;
    p.inactive = b->inactive;
    p.seeds = b->seeds;
    p.n_seeds = b->n_seeds;
    p.seed = base->seed + r;
    return gp_acq_optimize(&p, x, value);
}

/* A level of categorical dim j that no trial of the study took (a->tried), in *level:
 * among such levels the one the user's prior weighs most, ties drawn uniformly (with no
 * prior, every unseen level). 0 when every level was taken, 1 when one was not,
 * GP_ERR_NOMEM. The draw loses nothing: to the categorical kernel every unseen level is
 * as far from every row, so the model predicts the same at each, and the acquisition
 * differs between them only by the prior's term. Counted over every trial, not over the
 * observations: a level only failed trials, or trials no model learns from, took would
 * otherwise be proposed again on every ask. */
static int unseen_level(const gp_ask *a, size_t j, hps_rng *rng, double *level)
{
    size_t levels = a->dims[j].levels, n_unseen = levels;
    unsigned char *seen = hps_mem_calloc(levels + 1, 1);
    if (seen == NULL)
        return GP_ERR_NOMEM;
    for (size_t i = 0; i < a->n_tried; i++) {
        double v = a->tried[i * a->d + j];
        if (v == v && v >= 0 && v < (double)levels && !seen[(size_t)v]) {
            seen[(size_t)v] = 1;
            n_unseen--;
        }
    }
    if (n_unseen > 0) {
        const hps_prior *prior = a->dims[j].prior;
        int weighted = prior != NULL && prior->categorical && prior->n_weights == levels;
        double top = -HUGE_VAL;
        size_t n_top = 0;
        for (size_t k = 0; k < levels; k++) {
            double w = weighted ? prior->weights[k] : 0;
            if (seen[k] || w < top)
                continue;
            n_top = w > top ? 1 : n_top + 1;
            top = w;
        }
        size_t pick = (size_t)(hps_rng_uniform(rng) * (double)n_top);
        pick = pick < n_top ? pick : n_top - 1;
        for (size_t k = 0; k < levels; k++)
            if (!seen[k] && (weighted ? prior->weights[k] : 0) == top && pick-- == 0) {
                *level = (double)k;
                break;
            }
    }
    hps_mem_free(seen);
    return n_unseen > 0;
}

/* Whether conditional dim k is active on every row where dim j is: an ancestor of j in
 * the tree the trials show (or a parameter always suggested beside it). */
static int active_wherever(const gp_ask *a, size_t k, size_t j)
{
    for (size_t i = 0; i < a->n; i++) {
        const double *xi = a->x + i * a->d;
        if (xi[j] == xi[j] && xi[k] != xi[k])
            return 0;
    }
    return 1;
}

/* The branch a seen branch b leads to when its categorical parent j takes a level no
 * trial has: j at that level, the shared dims as in b (its other parents held), the
 * conditional parents of b active wherever j is -- j's ancestors, such as the model
 * family a loss sits under -- held at b's values, and every other conditional dim
 * (but any the caller fixed) inactive: the new level's own parameters are unknown to
 * the model, and are drawn at random when the trial suggests them. Searched like a
 * seen branch, the model's prior and the shared dims give it an acquisition value, so
 * a model choice the start-up missed competes with the ones it took instead of never
 * being proposed. */
static void unseen_branch(const gp_ask *a, const gp_acq_problem *base, const branch_buf *b,
                          size_t j, double level, branch_buf *u)
{
    for (size_t k = 0; k < a->d; k++) {
        int caller_fixed = base->fixed != NULL && base->fixed[k] == base->fixed[k];
        int ancestor = b->parent[k] && k != j && active_wherever(a, k, j);
        u->inactive[k] = k >= a->d_shared && k != j && !caller_fixed && !ancestor;
        u->fixed[k] = u->inactive[k] ? NAN : b->fixed[k];
    }
    u->fixed[j] = level;
    u->seeds = b->seeds;
    u->n_seeds = b->n_seeds;
}

/* The branch to search by Thompson sampling on the share of its rows among the best
 * (branch.h): returns the order index of its best row. `searched` is scratch (n). */
static size_t thompson_branch(const gp_ask *a, const gp_acq_problem *base,
                              unsigned char *searched, branch_buf *b, size_t *leaders,
                              size_t *counts, size_t *goods)
{
    size_t n = a->n, n_branches = 0, n_good = gp_branch_n_good(n);
    memset(searched, 0, n);
    for (size_t r = 0; r < n; r++) {
        if (searched[a->order[r]])
            continue;
        leaders[n_branches] = r;
        counts[n_branches] = gather_branch(a, base, r, n_good, searched, b, &goods[n_branches]);
        n_branches++;
    }
    hps_rng rng;
    hps_rng_seed(&rng, base->seed ^ 0x6272616e6368ULL); /* "branch" */
    size_t k = gp_branch_thompson(&rng, counts, goods, n_branches, n_good, n);
    return leaders[k];
}

/* The maximizer of the acquisition over the branches the finished trials show (see the
 * top of the file): with choice "acquisition", in every branch, best observed branch
 * first, and in each branch's unseen_branch ones, the largest value winning; with
 * "thompson", in the one branch Thompson sampling picks (branch.h); with "weighted", in
 * every branch and its unseen_branch ones, the largest value times a Thompson draw of
 * the branch's share of good trials winning (branch.h). 0 or GP_ERR_NOMEM. */
static int optimize_per_branch(const gp_state *s, const gp_ask *a, const gp_acq_problem *base,
                               double *x_out, double *value_out)
{
    size_t d = a->d, n = a->n;
    unsigned char *searched = hps_mem_calloc(n + 1, 1); /* rows whose branch ran */
    branch_buf b = {
        .inactive = hps_mem_calloc(d + 1, 1),
        .parent = hps_mem_calloc(d + 1, 1),
        .fixed = hps_mem_calloc(d + 1, sizeof *b.fixed),
        .seeds = hps_mem_realloc_array(NULL, GP_LOCAL_SEEDS + 1, d * sizeof *b.seeds),
    };
    branch_buf unseen = {.inactive = hps_mem_calloc(d + 1, 1),
                         .fixed = hps_mem_calloc(d + 1, sizeof *unseen.fixed)};
    /* thompson's leaders, counts and good counts per branch; the others need none */
    size_t *per_branch = s->branch_choice == GP_BRANCH_THOMPSON
                             ? hps_mem_calloc(3 * n + 3, sizeof *per_branch)
                             : NULL;
    double *x = hps_mem_calloc(d + 1, sizeof *x);
    int rc = GP_ERR_NOMEM, found = 0;
    if (searched == NULL || b.inactive == NULL || b.parent == NULL || b.fixed == NULL ||
        b.seeds == NULL || x == NULL || unseen.inactive == NULL || unseen.fixed == NULL ||
        (s->branch_choice == GP_BRANCH_THOMPSON && per_branch == NULL))
        goto out;
    *value_out = -HUGE_VAL;
    if (s->branch_choice == GP_BRANCH_THOMPSON) {
        size_t r = thompson_branch(a, base, searched, &b, per_branch, per_branch + n + 1,
                                   per_branch + 2 * n + 2);
        size_t n_good;
        memset(searched, 0, n);
        gather_branch(a, base, r, 0, searched, &b, &n_good);
        rc = optimize_branch(base, &b, r, x_out, value_out);
        goto out;
    }
    int weighted = s->branch_choice == GP_BRANCH_WEIGHTED;
    size_t n_good_total = weighted ? gp_branch_n_good(n) : 0;
    hps_rng rng, level_rng;
    hps_rng_seed(&rng, base->seed ^ 0x6272616e6368ULL); /* "branch" */
    hps_rng_seed(&level_rng, base->seed ^ 0x756e7365656eULL); /* "unseen" */
    double best = -HUGE_VAL;
    for (size_t r = 0; r < n; r++) {
        if (searched[a->order[r]])
            continue;
        size_t n_good;
        size_t count = gather_branch(a, base, r, n_good_total, searched, &b, &n_good);
        /* the branch itself (j == d), then each categorical parent at an unseen level */
        for (size_t j = d + 1; j-- > 0;) {
            const branch_buf *search = &b;
            size_t trials = count, good = n_good;
            if (j < d) {
                double level = 0;
                if (!b.parent[j] || a->dims[j].kind != GP_DIM_CATEGORICAL)
                    continue;
                int got = unseen_level(a, j, &level_rng, &level);
                if (got < 0)
                    goto out;
                if (got == 0)
                    continue;
                unseen_branch(a, base, &b, j, level, &unseen);
                search = &unseen;
                trials = good = 0;
            }
            double v;
            /* the seen branch keeps the seed it had before unseen levels were searched */
            if (optimize_branch(base, search, j == d ? r : n + r * d + j, x, &v) != 0)
                goto out;
            /* weighted: the acquisition times a Thompson draw of the branch's share of
             * good trials, a prior over branches in the manner of piBO */
            double score =
                weighted ? v + log(gp_branch_draw(&rng, trials, good, n_good_total, n)) : v;
            if (!found || score > best) {
                found = 1;
                best = score;
                *value_out = v;
                memcpy(x_out, x, d * sizeof *x_out);
            }
        }
    }
    rc = 0;
out:
    hps_mem_free(searched);
    hps_mem_free(b.inactive);
    hps_mem_free(b.parent);
    hps_mem_free(b.fixed);
    hps_mem_free(b.seeds);
    hps_mem_free(unseen.inactive);
    hps_mem_free(unseen.fixed);
    hps_mem_free(per_branch);
    hps_mem_free(x);
    return rc;
}

/* Keeps the values chosen for the trial's conditional parameters (x's dims past the
 * shared ones, NaN where inactive) until it suggests them. 0 or GP_ERR_NOMEM. */
static int keep_plan(gp_state *s, const gp_ask *a, int64_t trial, const double *x)
{
    gp_plan *plan = &s->plans[s->next_plan];
    s->next_plan = (s->next_plan + 1) % GP_PLAN_SLOTS;
    plan_clear(plan);
    plan->params = hps_mem_calloc(a->d - a->d_shared + 1, sizeof *plan->params);
    if (plan->params == NULL)
        return GP_ERR_NOMEM;
    plan->trial = trial;
    for (size_t j = a->d_shared; j < a->d; j++) {
        if (x[j] != x[j])
            continue;
        hps_param_rec *p = &plan->params[plan->n];
        p->name = hps_mem_strdup(a->names[j]);
        if (p->name == NULL || hps_dist_copy(&p->dist, a->dims[j].dist) != 0) {
            hps_mem_free(p->name);
            return GP_ERR_NOMEM;
        }
        p->internal = decode(&a->dims[j], x[j]);
        plan->n++;
    }
    return 0;
}

/* Every trial's point in a->tried, whatever the trial's state -- finished, FAILED,
 * PRUNED without a value, paused, running: the whole history -- and the running ones'
 * planned values (the fantasized rows): what unseen_level counts a categorical level as
 * taken by. The observations would not do: they leave out failed trials, with several
 * objectives a pruned trial lacking a value, with constraints one without constraint
 * values, and those beyond max_observations. */
static hps_status collect_tried(hps_sampler *sampler, const hps_history *h, gp_ask *a)
{
    const hps_frozen *const *lists[3] = {h->finished, h->ended, h->paused};
    size_t sizes[3] = {h->n_finished, h->n_ended, h->n_paused}, d = a->d;
    size_t n_rows = h->n_finished + h->n_ended + h->n_paused + h->n_pending + a->n_pending;
    a->tried = hps_mem_realloc_array(NULL, n_rows + 1, d * sizeof *a->tried);
    if (a->tried == NULL)
        return nomem(sampler);
    a->n_tried = 0;
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < sizes[l]; i++)
            finished_point(a, lists[l][i], a->tried + a->n_tried++ * d);
    for (size_t i = 0; i < h->n_pending; i++)
        finished_point(a, h->pending[i].rec, a->tried + a->n_tried++ * d);
    if (a->n_pending > 0)
        memcpy(a->tried + a->n_tried * d, a->pending_x, a->n_pending * d * sizeof *a->tried);
    a->n_tried += a->n_pending;
    return HPS_OK;
}

/* Maximizes the acquisition `problem` describes (its model, incumbent or boxes set by
 * the caller; the rest filled here) and writes the chosen values of the relative space.
 * HPS_OK, or the error (set on the sampler). */
static hps_status choose_point(hps_sampler *sampler, const hps_context *ctx, const hps_history *h,
                        gp_ask *a, gp_acq_problem *problem, double *values_out)
{
    gp_state *s = sampler->impl;
    size_t d = a->d;
    /* points not to suggest again: every finished trial's, the paused ones' and the
     * running ones'. Not only the observations: with several objectives a PRUNED trial
     * whose last step lacks an objective's value teaches no model (multi_values), so
     * the models stay as they were and would propose its point again, ask after ask
     * (and beyond max_observations the oldest ones are not observed either). The failed
     * trials the model learns from too. A paused trial is no model row either, yet it
     * is to be resumed: a new trial at its point would train the same configuration
     * twice. */
    size_t n_taken = h->n_finished + a->n_failed + h->n_paused + a->n_pending, row = 0;
    a->taken = hps_mem_realloc_array(NULL, n_taken + 1, d * sizeof *a->taken);
    if (a->taken == NULL)
        return nomem(sampler);
    for (size_t i = 0; i < h->n_finished; i++)
        finished_point(a, h->finished[i], a->taken + row++ * d);
    for (size_t i = 0; i < a->n_failed; i++)
        finished_point(a, a->failed[i], a->taken + row++ * d);
    for (size_t i = 0; i < h->n_paused; i++)
        finished_point(a, h->paused[i], a->taken + row++ * d);
    if (a->n_pending > 0)
        memcpy(a->taken + row * d, a->pending_x, a->n_pending * d * sizeof *a->taken);

    uint64_t key = (uint64_t)ctx->trial->number;
    problem->dims = a->dims;
    problem->fixed = a->n_fixed > 0 ? a->fixed : NULL;
    problem->taken = a->taken;
    problem->n_taken = n_taken;
    problem->seeds = a->seeds;
    problem->seed = hps_splitmix64(&key) ^ sampler->seed;
    problem->n_candidates = s->n_candidates;
    problem->n_local = s->n_local;
    problem->local_evals = GP_LOCAL_EVALS;
    problem->prior_weight = hps_ctx_prior_weight(ctx, h->n_finished);
    double *x_next = a->scratch; /* scratch holds max(n, 3 d + 2) >= d */
    double acq_value;
    if (a->d_shared < d) {
        hps_status rc = collect_tried(sampler, h, a);
        if (rc != HPS_OK)
            return rc;
    }
    if (a->d_shared < d ? optimize_per_branch(s, a, problem, x_next, &acq_value) != 0
                        : gp_acq_optimize(problem, x_next, &acq_value) != 0)
        return nomem(sampler);
    if (a->d_shared < d && keep_plan(s, a, ctx->trial->number, x_next) != 0)
        return nomem(sampler);
    for (size_t j = 0; j < a->d_shared; j++) {
        double v = decode(&a->dims[j], x_next[j]);
        if (!isfinite(v) || !hps_dist_contains(a->dims[j].dist, v))
            v = hps_dist_snap(a->dims[j].dist, isfinite(v) ? v : a->dims[j].dist->low);
        values_out[a->space_index[j]] = v;
    }
    for (size_t i = 0; i < h->space.n; i++)
        if (is_constant(h->space.dists[i]))
            values_out[i] = hps_dist_nth_value(h->space.dists[i], 0);
    return HPS_OK;
}

/* ---- several objectives, constraints ----------------------------------------------------- */

/* Constraint values per trial when the study uses constraints: the most a finished
 * trial has (0: the study has none). A trial with fewer, told before a constraint
 * appeared, has the others satisfied (multi_row). */
static size_t study_constraints(const hps_history *h)
{
    size_t k = 0;
    for (size_t i = 0; i < h->n_finished; i++)
        if (hps_frozen_n_constraints(h->finished[i]) > k)
            k = hps_frozen_n_constraints(h->finished[i]);
    return k;
}

/* What an ask with several models builds, beside gp_ask; freed at its end. */
typedef struct gp_multi {
    size_t n_obj, n_con, k;         /* k = n_obj + n_con models */
    double *raw;                    /* n x k: losses (lower is better), constraint values */
    double *y;                      /* k x n: each model's targets */
    double *column;                 /* n + 1 scratch */
    double thresholds[GP_MAX_MODELS]; /* constraints: 0 in target units */
    gp_model models[GP_MAX_MODELS];
    gp_model *model_ptr[GP_MAX_MODELS];
    size_t n_ready;
    unsigned char *feasible;        /* n */
    unsigned char *pruned;          /* n: the row is a PRUNED trial's (raise_pruned_rows) */
    double *front;                  /* (n + pending) x n_obj: feasible targets, beliefs */
    gp_ehvi ehvi;
    int ehvi_ready;
} gp_multi;

static void multi_clear(gp_multi *mm)
{
    hps_mem_free(mm->raw);
    hps_mem_free(mm->y);
    hps_mem_free(mm->column);
    for (size_t t = 0; t < mm->n_ready; t++)
        gp_model_clear(&mm->models[t]);
    hps_mem_free(mm->feasible);
    hps_mem_free(mm->pruned);
    hps_mem_free(mm->front);
    if (mm->ehvi_ready)
        gp_ehvi_clear(&mm->ehvi);
}

/* The values a finished trial is modelled at with several objectives: a COMPLETE one's
 * values; a PRUNED one's last reported step, when that step carries a value for every
 * objective -- as one objective models a pruned trial at its last value (the engine's
 * rule, Optuna's), and for the same reason: the models must learn that the pruner
 * stopped the point, or they see nothing there and the acquisition keeps proposing the
 * points around it, which are pruned in turn (bench/multiobjective.md, "Pruning with
 * two objectives"). Those values are then raised where the COMPLETE trials' grew after
 * that step (raise_pruned_rows). A last step missing an objective (a study reporting one
 * value per step) or holding a NaN leaves the trial out: every model is fitted on the
 * same points. NULL when the trial has no such values; else `buf` or the record's
 * values. */
static const double *multi_values(const hps_frozen *rec, size_t n_obj,
                                  double buf[HPS_REC_MAX_INTER_VALUES])
{
    if (rec->state == HPS_COMPLETE)
        return rec->n_values == n_obj ? rec->values : NULL;
    if (rec->state != HPS_PRUNED || rec->n_inter == 0 || n_obj > HPS_REC_MAX_INTER_VALUES)
        return NULL;
    if (hps_rec_inter_values(&rec->inter[rec->n_inter - 1], buf) != n_obj)
        return NULL;
    for (size_t j = 0; j < n_obj; j++)
        if (isnan(buf[j]))
            return NULL;
    return buf;
}

/* A finished trial's row: its losses (maximized objectives negated; one objective: the
 * study's loss, a pruned trial's last value included; several: multi_values) and
 * constraint values. 0 when the trial cannot teach every model (several objectives: no
 * values for every objective; constraints missing). */
static int multi_row(const hps_context *ctx, const hps_frozen *rec, const gp_multi *mm,
                     double *row)
{
    /* with none, nothing says it was measured (a pruned run stopped before its constraint
     * was: the hpsearch command records all or none); fewer: the rest were not asked */
    size_t n_con = hps_frozen_n_constraints(rec);
    if (mm->n_con > 0 && n_con == 0)
        return 0;
    if (mm->n_obj == 1) {
        row[0] = hps_ctx_loss(ctx, rec);
    } else {
        double buf[HPS_REC_MAX_INTER_VALUES];
        const double *values = multi_values(rec, mm->n_obj, buf);
        if (values == NULL)
            return 0;
        for (size_t j = 0; j < mm->n_obj; j++)
            row[j] = ctx->directions[j] == HPS_MAXIMIZE ? -values[j] : values[j];
    }
    for (size_t i = 0; i < mm->n_con; i++)
        row[mm->n_obj + i] = i < n_con ? hps_frozen_constraint(rec, i) : 0.0;
    return 1;
}

/* The step of `rec` at `step`, or the last one before it; NULL when it reported none
 * by then (steps are kept in increasing order). */
static const hps_inter_rec *inter_at_or_before(const hps_frozen *rec, int64_t step)
{
    size_t lo = 0, hi = rec->n_inter; /* the first step after `step` is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec->inter[mid].step <= step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? &rec->inter[lo - 1] : NULL;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* With several objectives, a PRUNED trial's losses are its last step's, each raised by
 * how much the COMPLETE trials' loss grew from that step to their end, when it grew (the
 * median over those that reported by that step), never lowered. A rung's values are not
 * the end's and not always worse: an objective that accumulates over the steps
 * (training seconds, cost) is far lower at an early rung, and at its own values a
 * pruned region looks cheap -- the models pull the acquisition into the region the
 * pruner stops, its trials pruned in turn, the region looking cheaper still (found in
 * review: 85 of 240 proposals pruned, none before pruned trials were modelled). An
 * objective that improves with the steps (accuracy) keeps the pessimistic rung value,
 * one that does not change (a parameter count) its exact value: lifting every pruned
 * trial to the worst COMPLETE one instead lost what modelling pruned trials gained on
 * bench/multiobjective.md's example (median hypervolume within 300 epochs 0.9375
 * against 0.9430). No COMPLETE trial reported by that step: the worst COMPLETE value.
 * `row_rec` holds each row's trial. 0 or GP_ERR_NOMEM. */
static int raise_pruned_rows(const hps_context *ctx, gp_multi *mm,
                             const hps_frozen *const *row_rec, size_t n)
{
    size_t k = mm->k;
    double *growth = hps_mem_calloc(n + 1, sizeof *growth);
    if (growth == NULL)
        return GP_ERR_NOMEM;
    for (size_t j = 0; j < mm->n_obj; j++) {
        double worst_complete = -HUGE_VAL;
        for (size_t r = 0; r < n; r++)
            if (!mm->pruned[r] && isfinite(mm->raw[r * k + j]))
                worst_complete = fmax(worst_complete, mm->raw[r * k + j]);
        for (size_t r = 0; r < n; r++) {
            if (!mm->pruned[r])
                continue;
            int64_t step = row_rec[r]->inter[row_rec[r]->n_inter - 1].step;
            size_t m = 0;
            for (size_t c = 0; c < n; c++) {
                double end = mm->raw[c * k + j], then[HPS_REC_MAX_INTER_VALUES];
                const hps_inter_rec *at = mm->pruned[c] || !isfinite(end)
                                              ? NULL
                                              : inter_at_or_before(row_rec[c], step);
                if (at == NULL || hps_rec_inter_values(at, then) != mm->n_obj ||
                    !isfinite(then[j]))
                    continue;
                growth[m++] = end - (ctx->directions[j] == HPS_MAXIMIZE ? -then[j] : then[j]);
            }
            double *v = &mm->raw[r * k + j];
            if (m > 0) {
                qsort(growth, m, sizeof *growth, cmp_double);
                double median = m % 2 ? growth[m / 2] : 0.5 * (growth[m / 2 - 1] + growth[m / 2]);
                if (median > 0)
                    *v += median;
            } else if (*v < worst_complete) {
                *v = worst_complete;
            }
        }
    }
    hps_mem_free(growth);
    return 0;
}

/* The encoded points and rows of the finished trials every model can learn from, the
 * most recent max_observations of them, then the failed ones (failed_trials), newest
 * first, as far as that bound allows: +inf for every objective and every constraint,
 * which each model's output transform replaces by the worst finite value of its
 * column -- the worst loss per objective, the worst constraint value per constraint (a
 * failed run's own constraint values, if it has any, are not trusted) -- and never
 * feasible, so they join neither the front nor the incumbent. 0 or GP_ERR_NOMEM. */
static int collect_multi(const gp_state *s, const hps_context *ctx, const hps_history *h,
                         gp_ask *a, gp_multi *mm)
{
    size_t n_all = h->n_finished + a->n_failed, d = a->d, k = mm->k;
    mm->raw = hps_mem_realloc_array(NULL, n_all + 1, k * sizeof *mm->raw);
    a->x = hps_mem_realloc_array(NULL, n_all + 1, d * sizeof *a->x);
    mm->pruned = hps_mem_calloc(n_all + 1, 1);
    const hps_frozen **row_rec = hps_mem_realloc_array(NULL, n_all + 1, sizeof *row_rec);
    if (mm->raw == NULL || a->x == NULL || mm->pruned == NULL || row_rec == NULL) {
        hps_mem_free(row_rec);
        return GP_ERR_NOMEM;
    }
    size_t n = 0, n_pruned = 0;
    for (size_t i = h->n_finished; i-- > 0 && n < s->max_observations;) {
        const hps_frozen *rec = h->finished[i];
        if (!multi_row(ctx, rec, mm, mm->raw + n * k))
            continue;
        finished_point(a, rec, a->x + n * d);
        mm->pruned[n] = rec->state == HPS_PRUNED;
        n_pruned += mm->pruned[n];
        row_rec[n] = rec;
        n++;
    }
    size_t first_failed = n; /* none while no finished trial gives a worst value */
    /* the newest failures first, in the room the finished trials leave */
    for (size_t i = a->n_failed; first_failed > 0 && i-- > 0 && n < s->max_observations;
         n++) {
        for (size_t t = 0; t < k; t++)
            mm->raw[n * k + t] = HUGE_VAL;
        finished_point(a, a->failed[i], a->x + n * d);
        row_rec[n] = a->failed[i];
    }
    a->n = n;
    int rc = mm->n_obj > 1 && n_pruned > 0 ? raise_pruned_rows(ctx, mm, row_rec, n) : 0;
    hps_mem_free(row_rec);
    if (rc != 0)
        return rc;
    mm->y = hps_mem_realloc_array(NULL, k, (n + 1) * sizeof *mm->y);
    mm->column = hps_mem_calloc(n + 2, sizeof *mm->column);
    mm->feasible = hps_mem_calloc(n + 1, 1);
    a->scratch = hps_mem_calloc(n + 1 > 3 * d + 2 ? n + 1 : 3 * d + 2, sizeof *a->scratch);
    if (mm->y == NULL || mm->column == NULL || mm->feasible == NULL || a->scratch == NULL)
        return GP_ERR_NOMEM;
    for (size_t r = 0; r < first_failed; r++)
        mm->feasible[r] = hps_pareto_feasible(mm->raw + r * k + mm->n_obj, mm->n_con);
    return 0;
}

/* Model t's targets into mm->y + t (n + 1): the robust transform of its column; for a
 * constraint the threshold 0 goes through the same (monotone) transform, so that
 * "feasible" keeps its meaning in target units. Returns 1 when the targets are all
 * equal. */
static int multi_targets(const gp_state *s, const gp_ask *a, gp_multi *mm, size_t t)
{
    size_t n = a->n;
    double *y = mm->y + t * (n + 1);
    for (size_t r = 0; r < n; r++)
        mm->column[r] = mm->raw[r * mm->k + t];
    int is_constraint = t >= mm->n_obj;
    if (is_constraint)
        mm->column[n] = 0;
    int constant = gp_transform_losses(mm->column, n + (size_t)is_constraint, s->warp, y,
                                       a->scratch);
    if (is_constraint)
        mm->thresholds[t - mm->n_obj] = y[n];
    return constant;
}

/* Fits model t. 0, GP_ERR_NUMERIC or GP_ERR_NOMEM. */
static int multi_fit(gp_state *s, gp_ask *a, gp_multi *mm, size_t t, uint64_t signature)
{
    gp_model *m = &mm->models[t];
    const double *y = mm->y + t * (a->n + 1);
    int constant = multi_targets(s, a, mm, t);
    if (gp_model_init(m, a->d, a->categorical) != 0)
        return GP_ERR_NOMEM;
    mm->n_ready++;
    mm->model_ptr[t] = m;
    if ((s->warping && gp_model_use_warping(m) != 0) || gp_model_set_data(m, a->x, y, a->n) != 0)
        return GP_ERR_NOMEM;
    return fit_model(s, &s->multi_fit[t], a, m, y, signature ^ (0x9e3779b97f4a7c15ULL * (t + 1)),
                     constant);
}

/* Seeds and search order: the rows by Deb's constrained non-dominated rank (feasible
 * fronts first), then by recency. 0 or GP_ERR_NOMEM. */
static int multi_order(gp_ask *a, const gp_multi *mm)
{
    size_t n = a->n, d = a->d, k = mm->k;
    double *obj = hps_mem_realloc_array(NULL, n + 1, mm->n_obj * sizeof *obj);
    double *con = hps_mem_realloc_array(NULL, n + 1, (mm->n_con + 1) * sizeof *con);
    size_t *rank = hps_mem_calloc(n + 1, sizeof *rank);
    loss_index *li = hps_mem_realloc_array(NULL, n + 1, sizeof *li);
    a->order = hps_mem_calloc(n + 1, sizeof *a->order);
    a->seeds = hps_mem_realloc_array(NULL, GP_LOCAL_SEEDS + 1, d * sizeof *a->seeds);
    int rc = GP_ERR_NOMEM;
    if (obj == NULL || con == NULL || rank == NULL || li == NULL || a->order == NULL ||
        a->seeds == NULL)
        goto out;
    for (size_t r = 0; r < n; r++) {
        memcpy(obj + r * mm->n_obj, mm->raw + r * k, mm->n_obj * sizeof *obj);
        memcpy(con + r * mm->n_con, mm->raw + r * k + mm->n_obj, mm->n_con * sizeof *con);
    }
    if (hps_pareto_rank(obj, n, mm->n_obj, mm->n_con > 0 ? con : NULL, mm->n_con, rank, NULL) !=
        HPS_OK)
        goto out;
    for (size_t r = 0; r < n; r++) {
        li[r].loss = (double)rank[r];
        li[r].index = r; /* rows run newest first */
    }
    qsort(li, n, sizeof *li, cmp_loss_index);
    for (size_t r = 0; r < n; r++) {
        a->order[r] = li[r].index;
        if (r < GP_LOCAL_SEEDS)
            memcpy(a->seeds + r * d, a->x + li[r].index * d, d * sizeof *a->seeds);
    }
    rc = 0;
out:
    hps_mem_free(obj);
    hps_mem_free(con);
    hps_mem_free(rank);
    hps_mem_free(li);
    return rc;
}

/* The running trials believed at every model's posterior mean (the kriging believer,
 * as for one objective); their objective means join the front when their constraint
 * means are feasible. Returns the front's size so far plus theirs, or SIZE_MAX when out
 * of memory. A model whose extended factor fails goes on without the beliefs. */
static size_t multi_fantasize(const hps_history *h, gp_ask *a, gp_multi *mm, size_t n_front)
{
    size_t d = a->d, first = h->n_pending > GP_MAX_PENDING ? h->n_pending - GP_MAX_PENDING : 0;
    size_t count = h->n_pending - first;
    a->pending_x = hps_mem_realloc_array(NULL, count + 1, d * sizeof *a->pending_x);
    a->pending_mean = hps_mem_realloc_array(NULL, count + 1, mm->k * sizeof *a->pending_mean);
    a->pending_var = hps_mem_calloc(count + 1, sizeof *a->pending_var);
    if (a->pending_x == NULL || a->pending_mean == NULL || a->pending_var == NULL)
        return SIZE_MAX;
    for (size_t i = first; i < h->n_pending; i++)
        if (pending_point(a, &h->pending[i], a->pending_x + a->n_pending * d))
            a->n_pending++;
    size_t p = a->n_pending;
    if (p == 0)
        return n_front;
    for (size_t t = 0; t < mm->k; t++) {
        gp_model *m = &mm->models[t];
        double *mean = a->pending_mean + t * p;
        gp_model_predict(m, a->pending_x, p, mean, a->pending_var);
        int rc = gp_model_append(m, a->pending_x, mean, p);
        if (rc == GP_ERR_NUMERIC) {
            const double *y = mm->y + t * (a->n + 1);
            memcpy(a->scratch, m->theta, gp_model_theta_len(m) * sizeof *a->scratch);
            rc = gp_model_set_data(m, a->x, y, a->n) != 0 ? GP_ERR_NOMEM
                                                          : gp_model_factor(m, a->scratch);
        }
        if (rc == GP_ERR_NOMEM)
            return SIZE_MAX;
    }
    for (size_t i = 0; i < p && mm->n_obj > 1; i++) {
        int feasible = 1;
        for (size_t c = 0; c < mm->n_con && feasible; c++)
            feasible = a->pending_mean[(mm->n_obj + c) * p + i] <= mm->thresholds[c];
        for (size_t j = 0; j < mm->n_obj && feasible; j++)
            mm->front[n_front * mm->n_obj + j] = a->pending_mean[j * p + i];
        n_front += (size_t)feasible;
    }
    return n_front;
}

/* The sampler with several objectives or constraints: a GP per objective and per
 * constraint, over the same points; log EHVI (log EI for one objective) of the feasible
 * front plus the log probability of feasibility, or the latter alone while no trial is
 * feasible. */
static hps_status model_and_choose_multi(hps_sampler *sampler, const hps_context *ctx,
                                         const hps_history *h, double *values_out)
{
    gp_state *s = sampler->impl;
    hps_status rc = HPS_OK;
    gp_ask a;
    gp_multi mm;
    memset(&a, 0, sizeof a);
    memset(&mm, 0, sizeof mm);
    mm.n_obj = ctx->n_directions;
    mm.n_con = study_constraints(h);
    mm.k = mm.n_obj + mm.n_con;
    if (mm.k > GP_MAX_MODELS)
        return HPS_OK; /* Sobol (see the top) */
    if (build_dims(ctx, h, &a, &a.n_fixed) != 0)
        goto oom;
    size_t d = a.d;
    if (d == 0 || a.n_fixed == d || d > GP_MAX_DIMS || h->n_finished == 0 ||
        h->n_finished < startup_count(s, d))
        goto out;
    rc = failed_trials(sampler, h, &a);
    if (rc != HPS_OK)
        goto out;
    if (collect_multi(s, ctx, h, &a, &mm) != 0)
        goto oom;
    if (a.n == 0)
        goto out; /* no trial any model can learn from */
    uint64_t signature = space_signature(&a);
    for (size_t t = 0; t < mm.k; t++) {
        int mrc = multi_fit(s, &a, &mm, t, signature);
        if (mrc == GP_ERR_NOMEM)
            goto oom;
        if (mrc != 0)
            goto out; /* numerically hopeless: independent sampling this time */
    }
    if (multi_order(&a, &mm) != 0)
        goto oom;

    /* the incumbent (one objective) or the front, in target units */
    size_t n_front = 0, n = a.n;
    double best = HUGE_VAL;
    mm.front = hps_mem_realloc_array(NULL, n + GP_MAX_PENDING + 1, mm.n_obj * sizeof *mm.front);
    if (mm.front == NULL)
        goto oom;
    for (size_t r = 0; r < n; r++) {
        if (!mm.feasible[r])
            continue;
        for (size_t j = 0; j < mm.n_obj; j++)
            mm.front[n_front * mm.n_obj + j] = mm.y[j * (n + 1) + r];
        best = mm.y[r] < best ? mm.y[r] : best;
        n_front++;
    }
    int feasibility_only = n_front == 0;
    n_front = multi_fantasize(h, &a, &mm, n_front);
    if (n_front == SIZE_MAX)
        goto oom;
    if (mm.n_obj > 1 && !feasibility_only) {
        double ref[GP_MAX_MODELS];
        if (hps_hypervolume_reference(mm.front, n_front, mm.n_obj, NULL, ref) != HPS_OK)
            goto out;
        int erc = gp_ehvi_init(&mm.ehvi, mm.front, n_front, mm.n_obj, ref);
        if (erc == GP_ERR_NOMEM)
            goto oom;
        mm.ehvi_ready = erc == 0;
        if (!mm.ehvi_ready)
            goto out;
    }
    gp_acq_problem problem = {
        .model = &mm.models[0],
        .best = best,
        .n_seeds = n < GP_LOCAL_SEEDS ? n : GP_LOCAL_SEEDS,
        .objectives = mm.model_ptr,
        .n_objectives = mm.n_obj,
        .ehvi = mm.ehvi_ready ? &mm.ehvi : NULL,
        .constraints = mm.model_ptr + mm.n_obj,
        .thresholds = mm.thresholds,
        .n_constraints = mm.n_con,
        .feasibility_only = feasibility_only,
    };
    rc = choose_point(sampler, ctx, h, &a, &problem, values_out);
    goto out;
oom:
    rc = nomem(sampler);
out:
    multi_clear(&mm);
    ask_clear(&a);
    return rc;
}

static hps_status model_and_choose(hps_sampler *sampler, const hps_context *ctx,
                                   const hps_history *h, double *values_out)
{
    gp_state *s = sampler->impl;
    if (ctx->n_directions != 1 || study_constraints(h) > 0)
        return model_and_choose_multi(sampler, ctx, h, values_out);
    hps_status rc = HPS_OK;
    gp_ask a;
    memset(&a, 0, sizeof a);
    if (build_dims(ctx, h, &a, &a.n_fixed) != 0)
        goto oom;
    size_t d = a.d;
    /* nothing to choose (all constant or all enqueued), too much to model, or start-up:
     * every value NAN, so `sample` draws them */
    if (d == 0 || a.n_fixed == d || d > GP_MAX_DIMS || h->n_finished == 0 ||
        h->n_finished < startup_count(s, d))
        goto out;
    rc = failed_trials(sampler, h, &a);
    if (rc == HPS_OK)
        rc = collect_observations(sampler, ctx, h, &a);
    if (rc != HPS_OK)
        goto out;
    int constant = gp_transform_losses(a.loss, a.n, s->warp, a.y, a.scratch);
    /* the prior mean (0) at the targets' upper quartile: where the model has no data
     * (the faces first) it expects worse than most trials, not their mean (transform.h) */
    gp_transform_shift_to_quantile(a.y, a.n, GP_PRIOR_MEAN_QUANTILE, a.scratch);

    if (gp_model_init(&a.model, d, a.categorical) != 0)
        goto oom;
    a.model_ready = 1;
    if (s->warping && gp_model_use_warping(&a.model) != 0)
        goto oom;
    if (gp_model_set_data(&a.model, a.x, a.y, a.n) != 0)
        goto oom;
    int mrc = fit_model(s, &s->fit, &a, &a.model, a.y, space_signature(&a), constant);
    double best = 0;
    size_t n_seeds = 0;
    if (mrc == 0)
        mrc = rank_observations(s, &a, &best, &n_seeds);
    if (mrc == 0)
        mrc = fantasize_pending(h, &a);
    if (mrc == GP_ERR_NOMEM)
        goto oom;
    if (mrc != 0)
        goto out; /* numerically hopeless: independent sampling this time */

    gp_acq_problem problem = {.model = &a.model, .best = best, .n_seeds = n_seeds};
    rc = choose_point(sampler, ctx, h, &a, &problem, values_out);
    goto out;
oom:
    rc = nomem(sampler);
out:
    ask_clear(&a);
    return rc;
}

/* An ask costs the same in any host process -- the command, or Python where numpy left
 * OpenBLAS on every core: the model runs single-threaded (linalg.h). */
static hps_status gp_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                     const hps_history *h, double *values_out)
{
    gp_blas_serial_begin();
    hps_status rc = model_and_choose(sampler, ctx, h, values_out);
    gp_blas_serial_end();
    return rc;
}

const hps_sampler_ops hps_gp_sampler_ops = {
    .name = "gp",
    .help = "Bayesian optimization: a Gaussian process (Matern-5/2, one lengthscale per "
            "parameter, MAP-fitted) and log expected improvement -- with several objectives "
            "log expected hypervolume improvement, with constraints times the probability "
            "of feasibility; running trials are fantasized so parallel workers get distinct "
            "points",
    .learns = 1,
    .options = gp_options,
    .init = gp_init,
    .destroy = gp_destroy,
    .bind = gp_bind,
    .sample = gp_sample,
    .sample_relative = gp_sample_relative,
};

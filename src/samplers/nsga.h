/* nsga.h -- the genetic algorithm NSGA-II and NSGA-III share (nsga2.c): generations
 * agreed with the study, parents by elite selection (non-dominated rank, Deb's
 * constrained domination), children by crossover and mutation. The two samplers differ
 * only in how the front that overflows the population is cut: NSGA-II by crowding
 * distance (nsga2.c), NSGA-III by niching around reference points (nsga3.c).
 *
 * A sampler of the family keeps an hps_nsga_state at the start of its state (sampler->impl),
 * so that the entries of HPS_NSGA_OPTIONS, whose fields are hps_nsga_state's, serve its
 * option table as they serve nsga2's. Its trial and study attributes carry its name
 * ("nsga3:generation", "nsga3:parents:G"), so that two samplers never read each other's
 * generations. */
#ifndef HPS_NSGA_H
#define HPS_NSGA_H

#include "base/rng.h"
#include "samplers/nsga_crossover.h"
#include "samplers/sampler.h"

#include <math.h>

#define HPS_NSGA_MAX_POPULATION 1000000
/* The smallest population: two parents (spx and undx need three: hps_nsga_bind) */
#define HPS_NSGA_MIN_POPULATION 2


/* The trials elite selection chooses from, with their values laid out for base/pareto.h. */
typedef struct hps_nsga_pool {
    const hps_frozen **trials;
    size_t n, m, k;
    double *minimized;   /* n x m, maximized objectives negated */
    double *raw;         /* n x m, as stored (crowding's ties follow Optuna's sort) */
    double *constraints; /* n x k, NaN where a trial has fewer; NULL when k == 0 */
} hps_nsga_pool;

struct hps_nsga_state;

/* How the front that does not fit whole is cut: orders front[0..count) (pool indices) so
 * that its first `room` members (room <= count) are the ones kept. elite[0..n_elite) are
 * the pool indices kept before it; rng is seeded by the study's seed and the generation.
 * 0, or -1 when out of memory. */
typedef int (*hps_nsga_cut_fn)(const struct hps_nsga_state *s, const hps_nsga_pool *p,
                               const size_t *elite, size_t n_elite, size_t *front,
                               size_t count, size_t room, hps_rng *rng);

/* The parents of one generation: trial numbers, as agreed. */
typedef struct hps_nsga_parents {
    int known;
    int64_t *numbers;
    size_t n;
} hps_nsga_parents;

typedef struct hps_nsga_state {
    /* options (HPS_NSGA_OPTIONS) */
    uint64_t population_size;
    double mutation_prob; /* NAN: 1 / the number of parameters */
    hps_nsga_crossover crossover;
    double crossover_prob;
    double swapping_prob;
    double sbx_eta;       /* NAN: 20 for several objectives, 2 for one */
    double blx_alpha;
    double spx_epsilon;    /* NAN: sqrt(the number of numeric parameters + 2) */
    double undx_sigma_xi;
    double undx_sigma_eta; /* NAN: 0.35 / sqrt(the number of numeric parameters) */
    double vsbx_eta;       /* NAN: as sbx_eta */

    hps_nsga_cut_fn cut;
    char generation_attr[32]; /* "NAME:generation" */
    char parents_key[32];     /* "NAME:parents:", the generation follows */
    char draw_key[16];        /* keys the children's draws, apart from parameter names */

    /* parents by generation, as agreed with the study: never change once known */
    hps_nsga_parents *parents;
    size_t n_generations;
} hps_nsga_state;

int hps_nsga_parse_mutation_prob(void *state, const char *value, const char **why);
int hps_nsga_parse_sbx_eta(void *state, const char *value, const char **why);
int hps_nsga_parse_vsbx_eta(void *state, const char *value, const char **why);
int hps_nsga_parse_spx_epsilon(void *state, const char *value, const char **why);
int hps_nsga_parse_undx_sigma_eta(void *state, const char *value, const char **why);
extern const hps_option_choice hps_nsga_crossovers[];

/* The options of every sampler of the family (Optuna's NSGAIISampler's, with its
 * defaults), entries of an option table whose state begins with an hps_nsga_state. */
#define HPS_NSGA_OPTIONS                                                                     \
    {.name = "population_size", .type = HPS_OPTION_UINT,                                     \
     HPS_OPTION_FIELD(hps_nsga_state, population_size), .def = "50",                        \
     .min = HPS_NSGA_MIN_POPULATION, .max = HPS_NSGA_MAX_POPULATION,                              \
     .help = "the trials of a generation, and the parents kept"},                            \
    {.name = "mutation_prob", .type = HPS_OPTION_TEXT, .def = "auto",                        \
     .parse = hps_nsga_parse_mutation_prob, .rule = "auto or a number in [0, 1]",            \
     .help = "the probability that a child's parameter is drawn at random instead "          \
             "(auto: 1 / the number of parameters)"},                                        \
    {.name = "crossover", .type = HPS_OPTION_ENUM,                                           \
     HPS_OPTION_FIELD(hps_nsga_state, crossover), .def = "uniform",                         \
     .choices = hps_nsga_crossovers,                                                         \
     .help = "how parents' numeric parameters are crossed: uniform (each from either "       \
             "parent), sbx (simulated binary), vsbx (Ballester and Carter's unbounded "      \
             "sbx), blxalpha (blend), spx (simplex, 3 parents) or undx (unimodal normal, 3 " \
             "parents); categorical ones always by uniform crossover of the first and last " \
             "parent"},                                                                      \
    {.name = "crossover_prob", .type = HPS_OPTION_DOUBLE,                                    \
     HPS_OPTION_FIELD(hps_nsga_state, crossover_prob), .def = "0.9", .dmin = 0, .dmax = 1,  \
     .help = "the probability that a child is a crossover of parents (else a parent's "      \
             "copy)"},                                                                       \
    {.name = "swapping_prob", .type = HPS_OPTION_DOUBLE,                                     \
     HPS_OPTION_FIELD(hps_nsga_state, swapping_prob), .def = "0.5", .dmin = 0, .dmax = 1,   \
     .help = "uniform crossover: the probability that a parameter comes from the first "     \
             "parent"},                                                                      \
    {.name = "sbx_eta", .type = HPS_OPTION_TEXT, .def = "auto",                              \
     .parse = hps_nsga_parse_sbx_eta, .rule = "auto or a number >= 0",                       \
     .help = "sbx: the distribution index, small for children far from their parents "       \
             "(auto: 20 for several objectives, 2 for one)"},                                \
    {.name = "blx_alpha", .type = HPS_OPTION_DOUBLE,                                         \
     HPS_OPTION_FIELD(hps_nsga_state, blx_alpha), .def = "0.5", .dmin = 0,                  \
     .dmax = HUGE_VAL,                                                                       \
     .help = "blxalpha: how far beyond the parents' range, in units of its width, a child "  \
             "may fall"},                                                                    \
    {.name = "vsbx_eta", .type = HPS_OPTION_TEXT, .def = "auto",                             \
     .parse = hps_nsga_parse_vsbx_eta, .rule = "auto or a number >= 0",                      \
     .help = "vsbx: the distribution index, small for children far from their parents "      \
             "(auto: 20 for several objectives, 2 for one)"},                                \
    {.name = "spx_epsilon", .type = HPS_OPTION_TEXT, .def = "auto",                          \
     .parse = hps_nsga_parse_spx_epsilon, .rule = "auto or a number >= 0",                   \
     .help = "spx: how far the parents' simplex is expanded about its centroid (auto: "      \
             "sqrt(the number of numeric parameters + 2))"},                                 \
    {.name = "undx_sigma_xi", .type = HPS_OPTION_DOUBLE,                                     \
     HPS_OPTION_FIELD(hps_nsga_state, undx_sigma_xi), .def = "0.5", .dmin = 0,              \
     .dmax = HUGE_VAL,                                                                       \
     .help = "undx: the spread along the first two parents' line (standard deviation "       \
             "undx_sigma_xi^2 of their distance, as Optuna 3.1 draws it)"},                  \
    {.name = "undx_sigma_eta", .type = HPS_OPTION_TEXT, .def = "auto",                       \
     .parse = hps_nsga_parse_undx_sigma_eta, .rule = "auto or a number >= 0",                \
     .help = "undx: the spread across that line (standard deviation undx_sigma_eta^2 of "    \
             "the third parent's distance from it; auto: 0.35 / sqrt(the number of numeric " \
             "parameters))"}

/* Sets what the option table does not (the "auto" options, the attribute keys from the
 * sampler's name, the cut). */
void hps_nsga_state_init(hps_nsga_state *s, const char *name, hps_nsga_cut_fn cut);
/* Frees the parents; not s itself. */
void hps_nsga_state_free(hps_nsga_state *s);

/* The hps_sampler_ops functions of the family (sampler->impl begins with its state). */
hps_status hps_nsga_bind(hps_sampler *sampler, const hps_context *ctx);
hps_status hps_nsga_sample(hps_sampler *sampler, const hps_context *ctx, const char *name,
                           const hps_dist *dist, double *internal_out);
hps_status hps_nsga_sample_relative(hps_sampler *sampler, const hps_context *ctx,
                                    const hps_history *history, double *values_out);

#endif

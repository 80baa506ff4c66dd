/* pbt.h -- population-based training (Jaderberg et al. 2017) in `hpsearch run`.
 *
 * A population of `pbt.population` members trains the fidelity's budget in rounds of
 * `pbt.interval` steps; each round of a member is one trial, with the member's current
 * hyperparameters and a checkpoint directory of its own that starts as a copy of the
 * checkpoint the member continues from: its own of the previous round, or -- when it
 * ranked in the bottom `quantile` of that round -- a top member's, whose hyperparameters
 * it then takes, explored (each number multiplied by 1 - perturb or 1 + perturb, or
 * drawn anew with resample_probability; each other value drawn anew with that
 * probability).
 *
 * Rounds are synchronous: a member's round r starts once every member's round r - 1
 * has finished, and its decision depends only on those results, the seed, the member
 * and the round -- never on timing or the number of slots -- so the same reported
 * values give the same decisions. Everything is read back from the study (system
 * attribute "pbt" of each trial), so a stopped run continues where it stopped. */
#ifndef HPS_CLI_PBT_H
#define HPS_CLI_PBT_H

#include "cli/config.h"
#include "hpsearch.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* One member's round, as a trial runs it. */
typedef struct pbt_round {
    unsigned member, round;
    int64_t start_step;        /* what its checkpoint holds: round x interval */
    int64_t stop_step;         /* where the round ends: the fidelity's value */
    char checkpoint_dir[4400]; /* <checkpoint root>/pbt-mMEMBER-rROUND */
} pbt_round;

typedef enum pbt_next_kind {
    PBT_START,   /* a new trial for a member's round: pbt_assign it */
    PBT_RESUME,  /* a queued trial continues an interrupted round: ask takes it */
    PBT_WAIT,    /* the rest of the round is running; the next waits for it */
    PBT_DONE     /* every round of every member has run */
} pbt_next_kind;

/* What the run should do next. PBT_START fills *next and *params_json (the member's
 * hyperparameters, freed with free) and *lineage_json (the trial's system attribute
 * "pbt", freed with free). Returns -1 with a message (the storage failed). */
int pbt_plan_next(const cfg_config *cfg, hps_study *study, const char *checkpoint_root,
                  pbt_next_kind *kind, pbt_round *next, char **params_json,
                  char **lineage_json, char *err, size_t errlen);

/* The driver's heartbeat as a run keeps it (see pbt_claim_driver): the run loop beats
 * it between events and a checkpoint copy beats it while it copies, since a copy can
 * outlast the grace (gigabytes of a large model, or a network filesystem) and the
 * loop waits for it. */
typedef struct pbt_pulse {
    hps_study *study;
    double last;     /* cli_monotonic() of the last beat */
    int taken_over;  /* a beat found the record another run's: it stays so */
} pbt_pulse;

/* Beats when PBT_DRIVER_BEAT seconds have passed since the last beat: 0, or 1 when
 * another run has taken the population over (this beat or an earlier one found so). A
 * beat the storage fails counts as a beat: the next one tries again. */
int pbt_pulse_beat(pbt_pulse *pulse, double now);

/* Makes `trial` (fresh from ask) carry out the planned round: fixes its parameters,
 * records the lineage and prepares the checkpoint directory (a copy of the one it
 * continues from, made once: an interrupted round's directory is kept as it is),
 * beating `pulse` while it copies; a copy stops when a beat finds the population
 * taken over. The copy goes in under a name of this run's own and is renamed into
 * place only if this run still drives the population right then, and never over a
 * directory already there; before it returns, it checks again that the population is
 * still this run's (the trainer is started next). Returns -1 with a message. */
int pbt_assign(hps_trial *trial, const pbt_round *next, const char *params_json,
               const char *lineage_json, pbt_pulse *pulse, char *err, size_t errlen);

/* Whether `trial` (fresh from ask) takes over an interrupted round (a preempted trial
 * queued again): then 1, with the round in *out and the lineage copied to the trial;
 * 0 when it is a new trial. -1 with a message. */
int pbt_adopt(const cfg_config *cfg, hps_study *study, hps_trial *trial,
              const char *checkpoint_root, pbt_round *out, char *err, size_t errlen);

/* One `hpsearch run` drives a population: two would each start the same rounds, their
 * trainers writing one checkpoint directory. The driving run is recorded in the study
 * (system attribute "pbt_driver": host, pid and a heartbeat it refreshes every
 * PBT_DRIVER_BEAT seconds, during checkpoint copies too: pbt_pulse); another run is
 * refused while that heartbeat is younger than PBT_DRIVER_GRACE and, on this host, the
 * process lives. The grace is about a live run's beats, not about how long anything it
 * does may take. Two runs started within the same moment are not told apart. */
#define PBT_DRIVER_BEAT 10.0
#define PBT_DRIVER_GRACE 60.0

/* Records this process as the population's driver: 0, or 1 with a message naming the
 * run that drives it, or -1 with a message (the storage failed). */
int pbt_claim_driver(hps_study *study, char *err, size_t errlen);

/* Refreshes the record's heartbeat: 0, or 1 when the record names another run (it took
 * the population over, this run's heartbeat having stopped: the record is left as it
 * is), or -1 (the storage failed; the study says why). The record is read, then
 * written: not atomic, but a run never overwrites a record it sees is another's. */
int pbt_beat_driver(hps_study *study);

/* Clears the record when the run ends, if it is this run's still. */
void pbt_release_driver(hps_study *study);

/* Prints each member's hyperparameter schedule, round by round, with the rounds that
 * copied another member's checkpoint marked ("<- m3"); nothing for a study without
 * population-based training. For `hpsearch show`. */
void pbt_print_lineage(hps_study *study, FILE *out);

/* Where a member's round stands, when `t` is one (system attribute "pbt"), for the
 * lines that name a best trial (`hpsearch best`, `show`, the end of a run): "member 3's
 * round 1, measured at step 10 (continued from member 0's round 0)", and, when the
 * member has finished a later round, "; its newest round: trial 25 (round 3, step 20),
 * value 0.9644". Empty for any other trial. The best trial is the best of every round
 * (each round's checkpoint is kept), so it can be a member's earlier round -- while a
 * round is in flight, or when the member's value fell later on -- and its fidelity
 * parameter reads as the budget's max, not the step its value was measured at: this
 * says both. */
void pbt_describe_round(hps_study *study, const hps_frozen *t, char *buf, size_t size);

/* The number of rounds a member trains: the fidelity's max in steps of interval. */
unsigned pbt_rounds(const cfg_config *cfg);

#endif

/* options.h -- settings described by a table, one line per option (Redis's
 * static_configs[]).
 *
 * A table belongs to one kind of state -- a sampler's, a pruner's, the study -- and each
 * line says everything about one option: its name, type, the field it sets (by offset
 * into the state), its default, the values it accepts and a line of help. From the table
 * come parsing and checking (one message for every option of every strategy:
 *     sampler 'tpe': n_ei_candidates must be an integer in [1, 100000] (got '0')),
 * the defaults a new state starts from, freeing, and the description the catalog calls
 * of hpsearch.h return. A new option is one line.
 *
 *     static const hps_option sobol_options[] = {
 *         {.name = "scramble", .type = HPS_OPTION_BOOL, HPS_OPTION_FIELD(sobol_state, scramble),
 *          .def = "true", .help = "scramble the sequence (seeded)"},
 *         HPS_OPTIONS_END,
 *     };
 *
 * Values are text, as the public set calls take them. Defaults are text too and go
 * through the same parser, so a default always satisfies its own option's rule. */
#ifndef HPS_OPTIONS_H
#define HPS_OPTIONS_H

#include "base/errbuf.h"
#include "base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum hps_option_type {
    HPS_OPTION_BOOL,   /* int field: true/false, yes/no (any case) or 1/0 */
    HPS_OPTION_UINT,   /* unsigned integer field of any width, in [min, max] */
    HPS_OPTION_INT,    /* int64_t field, in [min, max] */
    HPS_OPTION_DOUBLE, /* double field, in [dmin, dmax]; never NaN */
    HPS_OPTION_ENUM,   /* int field: the value of one of `choices`, named in any case */
    HPS_OPTION_TEXT,   /* char * field, owned (hps_options_free), of min..max bytes */
} hps_option_type;

/* A name an ENUM option accepts. A name whose value an earlier one has is an alias:
 * accepted, not listed. The list ends with {NULL, 0}. */
typedef struct hps_option_choice {
    const char *name;
    int value;
} hps_option_choice;

/* flags */
#define HPS_OPTION_REQUIRED 1u  /* no default: hps_options_missing names it until given */
#define HPS_OPTION_MIN_OPEN 2u  /* DOUBLE: dmin itself is not accepted */
#define HPS_OPTION_INFINITE 4u  /* DOUBLE: inf and -inf are accepted too */

/* A parser of the option's own, for a value the types do not describe (TPE's gamma
 * "0.15:40") or one that depends on other options. Returns 0 after storing the value
 * into `state`; -1 for a value it refuses -- then the message is the uniform one with
 * the option's `rule`, or, when it sets *why (static text), "OWNER: WHY". The table
 * never reads or writes the field of an option that has its own parser. */
typedef int (*hps_option_parse_fn)(void *state, const char *value, const char **why);

typedef struct hps_option {
    const char *name;
    hps_option_type type;
    size_t offset, size;        /* the field: HPS_OPTION_FIELD */
    const char *def;            /* the default as text; NULL: none (the field is left) */
    int64_t min;                /* UINT, INT: the range; TEXT: the length in bytes */
    uint64_t max;               /* 0 means "no maximum" (the type's largest value) */
    double dmin, dmax;          /* DOUBLE: the range (-HUGE_VAL, HUGE_VAL: none) */
    const char *keyword;        /* UINT, INT: a word accepted besides the range ("auto") */
    int64_t keyword_value;      /* ... and the value it stores */
    const hps_option_choice *choices; /* ENUM */
    unsigned flags;
    hps_option_parse_fn parse;  /* NULL: the type's parser */
    const char *rule;           /* what the option accepts, when `parse` decides it */
    const char *help;           /* one line */
} hps_option;

#define HPS_OPTION_FIELD(type, member) \
    .offset = offsetof(type, member), .size = sizeof(((type *)0)->member)
#define HPS_OPTIONS_END {.name = NULL}
/* At most this many options per table (the "given" bits are one uint64_t). */
#define HPS_OPTIONS_MAX 64

/* The option called `name`, or NULL. */
const hps_option *hps_options_find(const hps_option *table, const char *name);

/* Sets option `name` of `state` from text. HPS_ERR_NOTFOUND when the table has no such
 * option (nothing written, no message); HPS_ERR_INVALID with the message
 * "OWNER: NAME must be RULE (got 'VALUE')" when the value is refused (the field keeps
 * its value); HPS_ERR_NOMEM for a text that cannot be copied. `given` (may be NULL)
 * gets the option's bit (see hps_options_given). */
hps_status hps_options_set(const hps_option *table, void *state, const char *owner,
                           const char *name, const char *value, uint64_t *given,
                           hps_errbuf *err);

/* Sets every option that has a default to it. HPS_OK or HPS_ERR_NOMEM. */
hps_status hps_options_init(const hps_option *table, void *state);
/* Frees the text fields. */
void hps_options_free(const hps_option *table, void *state);

/* Whether option `name` was given (set through hps_options_set) according to `given`. */
int hps_options_given(const hps_option *table, uint64_t given, const char *name);
/* The first HPS_OPTION_REQUIRED option not given, or NULL. */
const hps_option *hps_options_missing(const hps_option *table, uint64_t given);

/* What the option accepts, as the messages say it ("an integer in [1, 100000]"). */
void hps_option_rule(const hps_option *opt, char *buf, size_t size);
/* The options' names, ", "-separated, after `sb`'s text. */
void hps_options_names(hps_strbuf *sb, const hps_option *table);
/* Appends the options as JSON objects, each preceded by ", " unless *count is 0, and
 * counts them: {"name", "type" (bool, int, float, enum, text), "default" (text, or
 * null), "accepts" (the rule), "help", and when they apply "min", "max",
 * "min_excluded", "keyword", "choices", "required"}. */
void hps_options_json(hps_strbuf *sb, const hps_option *table, size_t *count);

/* The parsers behind the types, for parsers of an option's own. 0, or -1 when `text` is
 * not one. Integers: optional leading blanks and sign, then digits, nothing after. */
int hps_option_parse_bool(const char *text, int *out);
int hps_option_parse_u64(const char *text, uint64_t *out);
/* A finite number (strtod's syntax, all of `text`). */
int hps_option_parse_double(const char *text, double *out);

#endif

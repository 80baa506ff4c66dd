/*
 * config_internal.h -- shared by the files of the config reader (and its tests), not
 * used elsewhere:
 *   config.c        the file, loading, whole-config checks, freeing
 *   config_keys.c   the table of top-level keys (formats, --set, field, type, default,
 *                   docs) and what it drives; the readers and writers of complex keys
 *   config_param.c  the parameter space; readers and checks both formats share; writer
 *   config_wandb.c  a parameter in W&B form
 *   config_pruner.c `pruner`, W&B's `early_terminate`, `fidelity`
 *   config_pbt.c    `pbt` (population-based training)
 *   config_metrics.c `metric`, `direction`, `metrics`, `constraints`
 *   config_set.c    `--set key=value` overrides
 *   config_doc.c    the YAML document: libyaml's events built into a tree of cfg_node
 *   config_yaml.c   typed, located access to the nodes; messages; durations
 *   config_write.c  YAML as the writers need it
 *
 * Status convention of every function here: 0 ok, -1 error (message written into the
 * context), -2 out of memory (likewise).
 */
#ifndef HPS_CLI_CONFIG_INTERNAL_H
#define HPS_CLI_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#if defined(__GNUC__)
#define CFG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CFG_PRINTF(fmt, args)
#endif

/* Beyond the per-parameter caps, aliases could make a 1 MiB file expand into gigabytes
 * (one big list referenced by every parameter); these bound the whole config. */
#define CFG_MAX_TOTAL_VALUES 1000000u
#define CFG_MAX_TOTAL_BYTES (16u * 1024u * 1024u)

typedef struct cfg_ctx {
    const char *file;    /* name for "FILE:LINE:" prefixes; NULL: no location (cfg_set) */
    char *err;
    size_t errlen;
    cfg_config *cfg;
    int quiet;           /* do not record warnings (cfg_set) */
    int text_not_file;   /* the text is an override's, not the file's (cfg_set): its nodes
                            carry no line, so nothing read from it claims a line of the file */
    size_t total_values; /* budget counters, see above */
    size_t total_bytes;
    const char *base_dir; /* relative paths (storage, log_dir) resolve against this */
    int key_line[CFG_MAX_KEYS]; /* by key: where its value was given (0: not), for
                                   messages about combinations of keys */
    int key_at[CFG_MAX_KEYS];   /* by key: the line of the key itself (0: not given here) */
    cfg_metric *own_objectives; /* cfg->objectives when this reading allocated it (an
                                   override copies the config's before changing it) */
} cfg_ctx;

/* ---- messages (config_yaml.c) ------------------------------------------------- */
/* Writes "FILE:LINE: " + message into the context's buffer; returns -1. */
int cfg_fail(cfg_ctx *ctx, int line, const char *fmt, ...) CFG_PRINTF(3, 4);
/* "out of memory"; returns -2. */
int cfg_nomem(cfg_ctx *ctx);
/* Appends "FILE:LINE: message" to cfg->warnings (unless quiet); 0 or -2. */
int cfg_warn(cfg_ctx *ctx, int line, const char *fmt, ...) CFG_PRINTF(3, 4);

/* ---- the document (config_doc.c) ------------------------------------------------- */
typedef enum cfg_node_kind {
    CFG_NODE_SCALAR, CFG_NODE_SEQUENCE, CFG_NODE_MAPPING, CFG_NODE_ALIAS
} cfg_node_kind;

/* A node of the document, read-only once built. Items of a collection are a list
 * (first, next); a mapping's items alternate key, value. An alias is a node of its own
 * (with the line where it is used) pointing at its target. */
typedef struct cfg_node cfg_node;
struct cfg_node {
    cfg_node_kind kind;
    int line, column;     /* 1-based; a collection's line is its first item's, an empty
                             one's where it starts */
    char style;           /* scalar: 0 plain, else its quote or block indicator: ' " | > */
    int open;             /* collection: still being built (an alias to it is cyclic) */
    int cyclic;           /* alias: names a collection it is inside of */
    const char *tag;      /* as libyaml resolves it ("tag:yaml.org,2002:str", "!"); NULL:
                             none */
    const char *text;     /* scalar: its text, `len` bytes (may hold NULs); alias: the
                             anchor's name */
    size_t len;
    const cfg_node *target; /* alias: the anchored node; NULL when unknown or cyclic */
    cfg_node *first;      /* collection: its first item */
    cfg_node *next;       /* the next item of the collection holding this node */
    size_t count;         /* collection: its items (a mapping counts keys and values) */
};

typedef struct cfg_yaml {
    const cfg_node *root;      /* NULL for an empty stream */
    struct cfg_chunk *chunks;  /* the arena holding every node and text */
} cfg_yaml;

/* Parses text (kept alive by the caller) into one document; y->root is NULL for an empty
 * stream. Close with cfg_yaml_close even on error. */
int cfg_yaml_open(cfg_ctx *ctx, const char *text, size_t len, cfg_yaml *y);
void cfg_yaml_close(cfg_yaml *y);

/* ---- nodes (config_yaml.c) ------------------------------------------------------- */
/* 1-based line of a node (an alias: where it is used), or fallback for NULL. */
int cfg_node_line(const cfg_node *node, int fallback);
/* Follows aliases and refuses unknown tags: *out is the node to read. */
int cfg_node_deref(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                   const cfg_node **out);
/* The text of a mapping key (must be a scalar); borrowed from the document. */
int cfg_key_text(cfg_ctx *ctx, const cfg_node *key, int line, const char *where,
                 const char **text, size_t *len);
int cfg_key_is(const char *text, size_t len, const char *want);

/* One entry of a mapping: its key (checked by cfg_key_text), the key's line, its value. */
typedef struct cfg_entry {
    const char *key;
    size_t len;
    int line;
    const cfg_node *value;
} cfg_entry;

/* Steps through mapping `map` (*iter NULL at the start; it holds the last value read):
 * 1 with the next entry in *e;
 * 0 after the last one, or when its key is not a plain name -- then *rc holds the
 * (reported) error, naming `where`. So a loop reads
 *     while (rc == 0 && cfg_map_next(ctx, map, &iter, line, where, &e, &rc)) ...
 * and stops at the end, on a bad key or when its body sets rc. */
int cfg_map_next(cfg_ctx *ctx, const cfg_node *map, const cfg_node **iter, int line,
                 const char *where, cfg_entry *e, int *rc);
/* The value of `key` in mapping `map` as written (possibly an alias), or NULL. */
const cfg_node *cfg_map_lookup(const cfg_node *map, const char *key);
/* Dereferenced node if it is a mapping / sequence, else an error naming `key`. */
int cfg_node_mapping(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                     const cfg_node **out);
int cfg_node_sequence(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                      const cfg_node **out);

/* A scalar read with the YAML 1.2 core schema. type NONE is null. `text` is borrowed
 * from the document and NUL-free; len <= CFG_MAX_STRING. */
typedef struct cfg_scalar {
    hps_value_type type;
    int64_t i;
    double f;
    int b;
    const char *text;
    size_t len;
    int line;
} cfg_scalar;

/* Reads a scalar; a collection is an error naming `key`. */
int cfg_get_scalar(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                   cfg_scalar *out);
/* Any non-null scalar as owned text (numbers and bools as written). */
int cfg_get_text(cfg_ctx *ctx, const cfg_node *node, int line, const char *key, char **out);
/* An int or float scalar (not a bool or string); *is_int tells which (may be NULL). */
int cfg_get_number(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                   double *out, int *is_int);
/* A whole number within [min, max]. */
int cfg_get_int(cfg_ctx *ctx, const cfg_node *node, int line, const char *key, int64_t min,
                int64_t max, int64_t *out);
int cfg_get_bool(cfg_ctx *ctx, const cfg_node *node, int line, const char *key, int *out);
/* Seconds: a number, or text such as "90m", "2h", "1h30m", "45s", "1.5d". */
int cfg_get_duration(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                     double *out);

/* Short printable form of a scalar for messages ("'abc'", "12", "true"). */
void cfg_scalar_describe(const cfg_scalar *s, char *buf, size_t len);

/* Owned copies counted against the budgets. */
int cfg_strndup(cfg_ctx *ctx, const char *text, size_t len, char **out);
/* One-line flow YAML of any node (metadata), aliases expanded, owned. */
int cfg_node_flow_text(cfg_ctx *ctx, const cfg_node *node, int line, const char *key,
                       char **out);

/* hps_value helpers. */
void cfg_value_clear(hps_value *value);
int cfg_value_compare(const hps_value *a, const hps_value *b);
void cfg_value_describe(const hps_value *value, char *buf, size_t len);

/* ---- top-level keys (config_keys.c) ---------------------------------------------------- */
/* How a key's value is held, and so read, defaulted, freed and written back unless the
 * key brings functions of its own. */
typedef enum cfg_type {
    CFG_T_CUSTOM,   /* the key's own functions do everything */
    CFG_T_TEXT,     /* char *, owned */
    CFG_T_BOOL,     /* int, 0 or 1 */
    CFG_T_UINT,     /* unsigned or uint64_t (by the field's size), a whole number in
                       [min, max] */
    CFG_T_DURATION, /* double, seconds: a number or text such as "90m" */
    CFG_T_ENUM,     /* an enum field (int-sized), one of `items` by name */
} cfg_type;

typedef struct cfg_enum_item {
    const char *name;
    int value;
} cfg_enum_item;

typedef struct cfg_key_def cfg_key_def;
/* Reads a key's value into ctx->cfg; `key` names it in messages. */
typedef int (*cfg_key_fn)(cfg_ctx *ctx, const cfg_node *value, int line, const char *key);
/* Writes `key: value` lines (nothing when there is nothing to say); `given`: the file
 * or an override gave the key. */
typedef void (*cfg_write_fn)(FILE *out, const cfg_config *cfg, const char *key, int given);
/* Frees what `a` holds for the key unless `b` shares it (b may be all zeros). */
typedef void (*cfg_release_fn)(cfg_config *a, const cfg_config *b);

#define CFG_NO_FIELD SIZE_MAX

/* A flag beside config.h's: several keys keep their values in one field, each its own
 * setting (the W&B metadata); otherwise keys sharing a field are one setting (study and
 * name). */
#define CFG_PER_NAME 0x100u

struct cfg_key_def {
    cfg_key_info info;          /* name, formats and --set flags, documentation */
    cfg_type type;
    size_t offset, size;        /* the cfg_config field; keys sharing one (study and name)
                                   are one setting; CFG_NO_FIELD: none */
    int64_t min, max;           /* CFG_T_UINT */
    double default_number;      /* BOOL, UINT, DURATION, ENUM: a file without the key */
    const cfg_enum_item *items; /* CFG_T_ENUM, ended by {NULL, 0} */
    cfg_key_fn read;            /* replaces reading by type */
    int (*fill_default)(cfg_ctx *ctx); /* a default computed once every key is read */
    cfg_write_fn write;         /* replaces writing by type */
    cfg_release_fn release;     /* CFG_T_CUSTOM's fields */
    const char *elsewhere;      /* hint when the key is used in the other format */
    const char *const *excludes; /* keys that say the same another way (NULL-terminated):
                                   never given together */
    const char *excludes_why;   /* the message's reason when they are */
};

/* The table: CFG_MAX_KEYS at most. */
extern const cfg_key_def cfg_keys[];
extern const size_t cfg_n_keys;

/* Reads one key's value (through def->read, or by type); marks it given and where. */
int cfg_read_key(cfg_ctx *ctx, const cfg_key_def *def, const cfg_node *value, int line);
/* Defaults of a new config (numbers), and the computed ones once every key is read. */
void cfg_keys_set_defaults(cfg_config *cfg);
int cfg_keys_fill_defaults(cfg_ctx *ctx);
/* Where `key`'s value was given in this file (0: not given or not from a file). */
int *cfg_key_line(cfg_ctx *ctx, const char *key);
/* Marks `key` given (a key read inside another, such as sampler.seed). */
void cfg_mark_given(cfg_config *cfg, const char *key);
/* An enum value by name, or an error "KEY: must be a, b or c, not X". */
int cfg_read_enum(cfg_ctx *ctx, const cfg_node *v, int line, const char *key,
                  const cfg_enum_item *items, int *out);
extern const cfg_enum_item cfg_summary_items[];
extern const cfg_enum_item cfg_direction_items[];

const cfg_key_def *cfg_find_key(const char *text, size_t len);
/* Whether output lines can carry a metric of this name (the reader's key syntax). */
int cfg_metric_name_ok(const char *name);
/* `metric`, `direction`, `metrics`, `constraints`, in config_metrics.c. */
int cfg_key_metric(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
int cfg_key_direction(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
int cfg_key_metrics(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
int cfg_key_constraints(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_metric(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_write_direction(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_write_metrics(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_write_constraints(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_release_objectives(cfg_config *a, const cfg_config *b);
void cfg_release_constraints(cfg_config *a, const cfg_config *b);
/* The one objective's name is readable (the entries of metrics are checked as read). */
int cfg_check_objectives(cfg_ctx *ctx);
/* `pruner:` (native) and `early_terminate:` (W&B), `fidelity:`, in config_pruner.c. */
int cfg_key_pruner(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
int cfg_key_early_terminate(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_pruner(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_write_early_terminate(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_release_pruner(cfg_config *a, const cfg_config *b);
int cfg_key_fidelity(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_fidelity(FILE *out, const cfg_config *cfg, const char *key, int given);
/* `terminate:` (config_terminate.c). */
int cfg_key_terminate(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_terminate(FILE *out, const cfg_config *cfg, const char *key, int given);
/* `initial:` (config_initial.c); its entries are checked against the space by
 * cfg_check_initial, once every key is read. */
int cfg_key_initial(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_initial(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_release_initial(cfg_config *a, const cfg_config *b);
int cfg_check_initial(cfg_ctx *ctx);
/* `pbt:` (config_pbt.c); cfg_check_pbt checks it against the rest of the config. */
int cfg_key_pbt(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_pbt(FILE *out, const cfg_config *cfg, const char *key, int given);
int cfg_check_pbt(cfg_ctx *ctx);

/* `warm_start:` (config_warm.c). */
int cfg_key_warm_start(cfg_ctx *ctx, const cfg_node *v, int line, const char *key);
void cfg_write_warm_start(FILE *out, const cfg_config *cfg, const char *key, int given);
void cfg_release_warm_start(cfg_config *a, const cfg_config *b);
/* Turns the fidelity parameter into a constant at its maximum (idempotent). */
int cfg_apply_fidelity(cfg_ctx *ctx);
/* The key of this format (CFG_NATIVE / CFG_WANDB) closest to a misspelt one, or NULL. */
const char *cfg_suggest_key(const char *text, size_t len, unsigned mode);
/* A storage URL checked, with a relative sqlite path made absolute against base_dir. */
int cfg_resolve_storage(cfg_ctx *ctx, const char *url, int line, char **out);

/* ---- whole-config checks (config.c) ------------------------------------------------- */
/* Builds command / shell_command from a string command (idempotent). */
int cfg_finish_command(cfg_ctx *ctx);
/* Checks that involve several keys (grid size, heartbeat); reruns after overrides. */
int cfg_validate(cfg_ctx *ctx);
/* The current directory, owned. */
int cfg_cwd(cfg_ctx *ctx, char **out);
/* Frees what `a` owns among the keys' fields, unless `b` shares it (b all zeros: all). */
void cfg_free_replaced(cfg_config *a, const cfg_config *b);

/* ---- writing YAML (config_write.c) ---------------------------------------------------- */
/* A double-quoted YAML scalar of text[0..len), owned; NULL when out of memory. */
char *cfg_yaml_quote_n(const char *text, size_t len);
/* A value with its YAML type kept (1 int, 1.0 float, "1" string). */
void cfg_write_value(FILE *out, const hps_value *value);
/* `key: [a, b]` of strings, when n > 0. */
void cfg_write_word_list(FILE *out, const char *key, char *const *words, size_t n);

/* ---- word lists (config.c) ----------------------------------------------------------- */
int cfg_push_word(cfg_ctx *ctx, char ***words, size_t *n, const char *text, size_t len,
                  int line);
void cfg_free_words(char **words, size_t n);

/* ---- parameters (config_param.c, config_wandb.c) ----------------------------------------- */
#define CFG_MAX_NAME 256

/* Every key either form knows, so a key of the other form gets a pointed message. */
enum {
    PK_TYPE, PK_LOW, PK_HIGH, PK_STEP, PK_LOG, PK_VALUES, PK_VALUE, PK_GRID_POINTS,
    PK_DISTRIBUTION, PK_MIN, PK_MAX, PK_Q,
    PK_PROBABILITIES, PK_MU, PK_SIGMA, PK_A, PK_B, PK_PARAMETERS, PK_WHEN,
    PK_PRIOR, PK_DEFAULT, PK_CHOICES,
    PK_COUNT
};
extern const char *const cfg_pkey_names[PK_COUNT];

/* A parameter's keys as found, and the names its bounds go by in messages. */
typedef struct cfg_pkeys {
    const cfg_node *node[PK_COUNT];
    int line[PK_COUNT];
    const char *low_name, *high_name, *step_name;
    int low_k, high_k, step_k; /* which PK_ holds them (for lines) */
} cfg_pkeys;

/* Keys of a parameter mapping; anything outside the `allowed` bit set is an error. */
int cfg_collect_keys(cfg_ctx *ctx, const cfg_param *p, const cfg_node *map, int line,
                     unsigned long allowed, cfg_pkeys *keys);
/* Fails if a key of the `forbidden` bit set is present; `why` ends "cannot be used ...". */
int cfg_forbid(cfg_ctx *ctx, const cfg_param *p, const cfg_pkeys *keys,
               unsigned long forbidden, const char *why);
/* A list of values: kind CATEGORICAL keeps YAML types, FLOAT / INT need numbers. */
int cfg_read_values(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line,
                    const char *key);
/* One value: makes p a CONSTANT. */
int cfg_read_constant(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line,
                      const char *key);
/* A number > 0 under key k (step, q). */
int cfg_read_step_like(cfg_ctx *ctx, const cfg_param *p, const cfg_pkeys *keys, int k,
                       double *out, int *is_int);
int cfg_read_grid_points(cfg_ctx *ctx, cfg_param *p, const cfg_pkeys *keys);
/* The checks every float/int parameter passes, whichever form it came from. */
int cfg_check_range(cfg_ctx *ctx, cfg_param *p, const cfg_pkeys *keys);
/* A parameter's `prior:` (config_prior.c), read once its range or values are known. */
int cfg_read_prior(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line);
/* A parameter mapping in W&B form (config_wandb.c). */
int cfg_param_wandb(cfg_ctx *ctx, cfg_param *p, const cfg_node *map, int line);

/* Reads `parameters:` (native or W&B form, per ctx->cfg->is_wandb). */
int cfg_parse_parameters(cfg_ctx *ctx, const cfg_node *node, int line);
void cfg_release_parameters(cfg_config *a, const cfg_config *b);
void cfg_param_clear(cfg_param *param);
/* `when:` (config_when.c): read as written, then checked against the parents once every
 * parameter is read (unknown parents, cycles, values the parent never takes). */
int cfg_read_when(cfg_ctx *ctx, cfg_param *p, const cfg_node *node, int line);
int cfg_resolve_conditions(cfg_ctx *ctx);
void cfg_conditions_clear(cfg_param *param);
/* `    when: {...}` under a parameter being written back (nothing without conditions). */
void cfg_write_when(FILE *out, const cfg_param *p);
/* Cells this parameter contributes to the grid; 0 when not finite. */
uint64_t cfg_param_grid_count(const cfg_param *param);

#endif /* HPS_CLI_CONFIG_INTERNAL_H */

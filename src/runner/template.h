/*
 * template.h -- building a trial's command line from a template and its parameters.
 *
 * A command is either an argv template (a list of words, run directly) or a shell
 * string (run by /bin/sh -c). Both take the same placeholders:
 *
 *   Macros, W&B sweep semantics:
 *     ${env}              /usr/bin/env
 *     ${interpreter}      ctx->interpreter (e.g. "python3")
 *     ${program}          ctx->program (error if NULL)
 *     ${args}             one word per parameter: --name=value (a W&B nested object is
 *                         one word: --optimizer={'lr': 0.01, 'name': 'adam'}, Python's
 *                         str() of the dict, as W&B's agent passes it)
 *     ${args_no_hyphens}  one word per parameter: name=value (nested objects likewise)
 *     ${args_json}        the parameters as one JSON object (tmpl_params_json)
 *     ${args_json_file}   ctx->args_json_file (error if NULL)
 *     ${envvar:NAME}      the value of environment variable NAME (error if unset)
 *   Fields, Python str.format style:
 *     {name}              the text of parameter `name` (tmpl_format_value)
 *     {name:default}      the same, or the text `default` (up to the closing brace, as
 *                         written) when the trial has no parameter `name` -- a conditional
 *                         parameter inactive in this trial
 *     {trial_number}      ctx->trial_number
 *     {study_name}        ctx->study_name (error if NULL)
 *     {{ and }}           literal braces ("${{" is a literal "${")
 *
 * In an argv template, ${args} and ${args_no_hyphens} expand to several words and must
 * stand alone as a word; every other placeholder may also sit inside a longer word
 * ("--params=${args_json_file}", "--lr={lr}"). An unknown {...} or ${...}, an
 * unterminated '{' and a single '}' are errors naming the word and column, so typos
 * fail loudly instead of reaching the trial. A parameter named like a built-in field
 * ("trial_number") shadows the built-in.
 *
 * Return values: 0 on success; -1 on a template or context error with the reason in
 * err; -2 when out of memory, with "out of memory" in err. err may be NULL (errlen 0).
 * An expanded word (or the whole shell string) longer than TMPL_MAX_WORD bytes is an
 * error: Linux refuses to exec an argument that long anyway (MAX_ARG_STRLEN).
 */
#ifndef HPS_RUNNER_TEMPLATE_H
#define HPS_RUNNER_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "hpsearch.h"

#define TMPL_MAX_WORD (128u * 1024u - 1u)

typedef struct tmpl_param {
    const char *name;
    hps_value value;
    int nested;  /* W&B nested parameter: each '.' of the name goes one object deeper
                    ("optimizer.lr" is key lr of object optimizer); the members of one
                    object are neighbours in the list */
} tmpl_param;

typedef struct tmpl_context {
    const tmpl_param *params;
    size_t n_params;
    const char *program;        /* W&B `program`, may be NULL */
    const char *interpreter;    /* e.g. "python3"; NULL makes ${interpreter} an error */
    const char *args_json_file; /* path of a file holding the params as JSON, may be NULL */
    const char *study_name;     /* may be NULL */
    int64_t trial_number;
} tmpl_context;

/* Text of a value as a trial sees it on its command line, like Python's str() (what W&B
 * passes): ints as integers; floats in the shortest form that reads back to the same
 * double, exactly as Python's repr (0.001, 1e-05, 0.1, 5.0, 1e+16, -0.0, nan, inf, -inf:
 * exponent form when the decimal exponent is < -4 or >= 16, ".0" on integral values);
 * strings as they are (NULL as ""); bools as True/False; HPS_VALUE_NONE as None.
 * Writes a NUL-terminated string into buf (64 bytes always suffice for non-strings) and
 * returns its length, or -1 if it does not fit (or buf is NULL / size 0). */
int tmpl_format_value(hps_value v, char *buf, size_t size);

/* The params as one JSON object in their order, formatted like Python's json.dumps:
 * {"lr": 0.001, "act": "relu", "flag": true}; nested ones as objects inside it
 * ({"optimizer": {"lr": 0.01}}). Floats use tmpl_format_value's text, so
 * integral floats stay floats (1.0); NaN and infinities, which JSON cannot hold, are
 * written as null; HPS_VALUE_NONE is null. Strings are escaped ('"', '\\', control
 * characters); other bytes pass through, so valid UTF-8 stays valid. Free with free().
 * NULL on OOM. */
char *tmpl_params_json(const tmpl_param *params, size_t n_params);

/* Splits a command string into words with the POSIX shell's quoting rules only:
 * space, tab and newline separate words; '...' is literal; inside "..." a backslash
 * escapes only " \ $ ` and newline; outside quotes a backslash escapes the next byte;
 * backslash-newline is removed (line continuation). Quotes can make empty words ('').
 * Nothing else is special: no expansion, no operators (| ; & > are ordinary bytes).
 * An unterminated quote is an error naming the quote and its 1-based column.
 * On success *words_out is an array of *n_out strings (NULL when there are none); free
 * it with tmpl_free_words. On error *words_out is NULL and *n_out 0. */
int tmpl_split_words(const char *command, char ***words_out, size_t *n_out, char *err,
                     size_t errlen);

/* Frees n words and the array. NULL-safe. */
void tmpl_free_words(char **words, size_t n);

/* Expands an argv template into a new NULL-terminated argv of *argc_out words; free it
 * with tmpl_free_words(argv, argc). On error *argv_out is NULL and *argc_out 0. */
int tmpl_expand_argv(char *const *tmpl, size_t n_tmpl, const tmpl_context *ctx,
                     char ***argv_out, size_t *argc_out, char *err, size_t errlen);

/* Expands a string for /bin/sh -c. Every substituted text is quoted for the place it
 * lands in: outside quotes as one single-quoted word ('it'\''s'); inside '...' with
 * each ' written as '\''; inside "..." with " \ $ ` backslash-escaped. So the value
 * reaches the trial as exactly one argument (or, for ${args} outside quotes, one per
 * parameter, space-separated) and is never interpreted by the shell. Quote state is
 * tracked through the literal text (backslashes, '...', "..."); constructs such as
 * $(...) nesting quotes are not understood. Free *out with free(); NULL on error. */
int tmpl_expand_shell(const char *tmpl, const tmpl_context *ctx, char **out, char *err,
                      size_t errlen);

/* Checks an argv template before any value exists (at config load): every {name}
 * names one of param_names or trial_number/study_name, every ${...} is a known macro
 * (${envvar:NAME} with a non-empty NAME; whether it is set is checked at expansion),
 * ${args} and ${args_no_hyphens} stand alone, braces are balanced. Returns 0 or -1. */
int tmpl_validate(char *const *tmpl, size_t n_tmpl, const char *const *param_names,
                  size_t n_names, char *err, size_t errlen);

/* The same check for a shell-string template, where ${args} may appear anywhere. */
int tmpl_validate_shell(const char *tmpl, const char *const *param_names, size_t n_names,
                        char *err, size_t errlen);

/* How a (validated) template uses field {name}: TMPL_USE_BARE when some word has it
 * without a default (a trial without parameter `name` could not be given its command),
 * TMPL_USE_DEFAULT when some word gives one; 0 when it is not used. A shell string is
 * one word. */
enum { TMPL_USE_BARE = 1u, TMPL_USE_DEFAULT = 2u };
unsigned tmpl_field_use(char *const *tmpl, size_t n_tmpl, const char *name);

#endif /* HPS_RUNNER_TEMPLATE_H */

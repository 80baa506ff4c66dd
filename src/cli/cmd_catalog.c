/* cmd_catalog.c -- `hpsearch samplers` and `hpsearch pruners`: the library's catalog of
 * strategies and their options (hps_sampler_catalog, hps_pruner_catalog), as text or
 * JSON; and the lists of names that help texts and messages print, from the same
 * catalog -- the library is the authority on names, options and defaults. */
#include "cli/cli.h"
#include "cli/config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_WIDTH 88

/* The catalog, parsed; NULL when the library could not give it (out of memory). */
static json_t *load_catalog(cli_strategy_kind kind)
{
    char *text = NULL;
    hps_status rc = kind == CLI_SAMPLERS ? hps_sampler_catalog(&text) : hps_pruner_catalog(&text);
    if (rc != HPS_OK)
        return NULL;
    json_t *doc = json_loads(text, 0, NULL);
    hps_free(text);
    return doc;
}

static const char *text_of(const json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(object, key));
    return s != NULL ? s : "";
}

const char *cli_strategy_names(cli_strategy_kind kind, const char *dflt, char *buf, size_t size)
{
    json_t *doc = load_catalog(kind);
    const char *names[64];
    size_t n = 0;
    if (dflt != NULL)
        names[n++] = dflt;
    size_t i;
    json_t *e;
    json_array_foreach(doc, i, e) {
        const char *name = text_of(e, "name");
        if ((dflt == NULL || strcmp(name, dflt) != 0) && n < sizeof names / sizeof names[0])
            names[n++] = name;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && used < size; k++) {
        const char *sep = k == 0 ? "" : k + 1 == n ? " or " : ", ";
        /* a config with a fidelity runs pruner auto unless it names one (pruner_default.h) */
        int auto_default = dflt != NULL && kind == CLI_PRUNERS && strcmp(names[k], "auto") == 0;
        const char *mark = dflt != NULL && k == 0 ? " (default)"
                           : auto_default         ? " (default with a fidelity)"
                                                  : "";
        int w = snprintf(buf + used, size - used, "%s%s%s", sep, names[k], mark);
        used += w > 0 ? (size_t)w : 0;
    }
    json_decref(doc);
    return buf;
}

int cli_sampler_learns(const char *name)
{
    json_t *doc = load_catalog(CLI_SAMPLERS);
    size_t i;
    json_t *e;
    int learns = 1; /* an unknown sampler is not assumed to ignore the results */
    json_array_foreach(doc, i, e) {
        if (strcmp(text_of(e, "name"), name) == 0)
            learns = json_is_true(json_object_get(e, "learns"));
    }
    json_decref(doc);
    return learns;
}

/* ---- the text view ------------------------------------------------------------------ */

/* `text` in lines of at most WRAP_WIDTH columns, each after `indent` spaces (the first
 * line after `first` columns already printed). */
static void print_wrapped(const char *text, int indent, int first)
{
    int column = first;
    const char *p = text;
    while (*p != '\0') {
        size_t word = strcspn(p, " ");
        if (column > indent && column + 1 + (int)word > WRAP_WIDTH) {
            printf("\n%*s", indent, "");
            column = indent;
        } else if (column > indent) {
            putchar(' ');
            column++;
        } else if (column < indent) {
            printf("%*s", indent - column, "");
            column = indent;
        }
        printf("%.*s", (int)word, p);
        column += (int)word;
        p += word;
        while (*p == ' ')
            p++;
    }
    putchar('\n');
}

/* "  name = default: what it accepts", then its help */
static void print_option(const json_t *opt)
{
    const json_t *def = json_object_get(opt, "default");
    const char *name = text_of(opt, "name"), *accepts = text_of(opt, "accepts");
    if (json_is_string(def))
        printf("  %s = %s: %s\n", name, json_string_value(def), accepts);
    else
        printf("  %s: %s (%s)\n", name, accepts,
               json_is_true(json_object_get(opt, "required")) ? "required" : "no default");
    print_wrapped(text_of(opt, "help"), 6, 0);
}

/* "name (or alias, ...), the default -- what it does", then its options */
static void print_strategy(const json_t *e, const char *dflt)
{
    const char *name = text_of(e, "name");
    int column = printf("%s", name);
    const json_t *aliases = json_object_get(e, "aliases");
    for (size_t i = 0; i < json_array_size(aliases); i++)
        column += printf("%s%s", i == 0 ? " (or " : ", ",
                         json_string_value(json_array_get(aliases, i)));
    if (json_array_size(aliases) > 0)
        column += printf(")");
    if (dflt != NULL && strcmp(name, dflt) == 0)
        column += printf(", the default");
    else if (dflt != NULL && strcmp(dflt, CFG_DEFAULT_PRUNER) == 0 && strcmp(name, "auto") == 0)
        column += printf(", the default with a fidelity");
    column += printf(" --");
    print_wrapped(text_of(e, "help"), 4, column);
    size_t i;
    json_t *opt;
    json_array_foreach(json_object_get(e, "options"), i, opt)
        print_option(opt);
}

/* ---- the commands ------------------------------------------------------------------- */

static void usage(FILE *out, const char *cmd)
{
    int samplers = strcmp(cmd, "samplers") == 0;
    fprintf(out,
            "usage: hpsearch %s [NAME] [--format text|json]\n"
            "\n"
            "The %s of this hpsearch (%s),\n"
            "each with its options: default, accepted values and meaning. A config gives\n"
            "them as `%s: {name: NAME, OPTION: VALUE, ...}`. With NAME, that one only.\n"
            "--format json prints the library's catalog (%s in hpsearch.h).\n",
            cmd, cmd, samplers ? "what chooses each trial's parameters" : "what stops trials early",
            samplers ? "sampler" : "pruner",
            samplers ? "hps_sampler_catalog" : "hps_pruner_catalog");
}

static int run_catalog(int argc, char **argv, cli_strategy_kind kind)
{
    const char *cmd = kind == CLI_SAMPLERS ? "samplers" : "pruners";
    const char *dflt = kind == CLI_SAMPLERS ? CFG_DEFAULT_SAMPLER : CFG_DEFAULT_PRUNER;
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout, cmd);
            return CLI_EXIT_OK;
        }
        if (opt == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0)) {
            json = strcmp(optarg, "json") == 0;
            continue;
        }
        if (opt == 'f')
            cli_error("%s: --format must be text or json (got '%s')", cmd, optarg);
        usage(stderr, cmd);
        return CLI_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        cli_error("%s: at most one name", cmd);
        usage(stderr, cmd);
        return CLI_EXIT_USAGE;
    }
    const char *only = optind < argc ? argv[optind] : NULL;
    json_t *doc = load_catalog(kind);
    if (doc == NULL) {
        cli_error("%s: out of memory", cmd);
        return CLI_EXIT_FAILED;
    }
    json_t *shown = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(doc, i, e) {
        if (only == NULL || strcmp(text_of(e, "name"), only) == 0)
            json_array_append(shown, e);
    }
    int rc = CLI_EXIT_OK;
    if (json_array_size(shown) == 0) {
        char names[512];
        cli_error("%s: no %s '%s' (known: %s)", cmd, kind == CLI_SAMPLERS ? "sampler" : "pruner",
                  only, cli_strategy_names(kind, NULL, names, sizeof names));
        rc = CLI_EXIT_USAGE;
    } else if (json) {
        char *text = json_dumps(only != NULL ? json_array_get(shown, 0) : shown, JSON_INDENT(2));
        if (text != NULL)
            puts(text);
        free(text);
    } else {
        json_array_foreach(shown, i, e) {
            if (i > 0)
                putchar('\n');
            print_strategy(e, dflt);
        }
    }
    json_decref(shown);
    json_decref(doc);
    return rc;
}

int cmd_samplers(int argc, char **argv)
{
    return run_catalog(argc, argv, CLI_SAMPLERS);
}

int cmd_pruners(int argc, char **argv)
{
    return run_catalog(argc, argv, CLI_PRUNERS);
}

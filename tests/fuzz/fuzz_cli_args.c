/* fuzz_cli_args.c -- libFuzzer harness for the command line of `hpsearch`: the option
 * parsing of the subcommands (src/cli/cmd_*.c), --set overrides (cfg_set_pair) and
 * durations (cfg_parse_duration).
 *
 * The input is split on NUL bytes into words; the first is the subcommand. Only
 * commands that end quickly and touch nothing outside the scratch directory are run:
 * run (only while no word names an existing file, so no trial is ever started), plan,
 * show, trials, best, studies, delete, report and narrow. The last five need a
 * storage; every storage they can reach is empty or cannot open: words that mention
 * sqlite or postgres are refused, the default "sqlite:hpsearch.db" is a directory in
 * the scratch directory, and the configs there use ":memory:". Never run: dashboard
 * (a socket), slurm (sbatch), and anything else.
 *
 * The CLI reports errors on stderr and results on stdout; both streams are pointed at
 * /dev/null so the fuzzer's own output (kept on the original stderr) stays readable.
 * Sanitizer reports write to file descriptor 2 directly and are unaffected. */
#include "fuzz.h"
#include "cli/cli.h"
#include "cli/config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 32

/* Configs the commands can be pointed at (by these names: the fuzzer finds them in the
 * seeds). Their storages are empty, so the query commands stop at "no such study". */
static const struct {
    const char *name, *text;
} scratch_files[] = {
    {"tune.yaml",
     "study: s\nstorage: \":memory:\"\nmetric: score\ndirection: maximize\n"
     "command: [python3, train.py, --lr, \"{lr}\"]\nsampler: random\nseed: 1\n"
     "parameters:\n  lr: {type: float, low: 1.0e-4, high: 0.1, log: true}\n"
     "  layers: {type: int, low: 1, high: 4}\n  act: {values: [relu, tanh]}\n"},
    {"grid.yaml",
     "storage: \":memory:\"\nmetric: loss\nsampler: grid\ncommand: echo {a} {b}\n"
     "parameters:\n  a: {values: [1, 2, 3]}\n  b: {type: float, low: 0, high: 1, step: 0.25}\n"},
    {"sweep.yaml",
     "program: train.py\nmethod: bayes\nmetric: {name: val_acc, goal: maximize}\n"
     "storage: \":memory:\"\nparameters:\n  lr: {min: 0.0001, max: 0.1, "
     "distribution: log_uniform_values}\n  bs: {values: [16, 32]}\n"},
};

static const char base_config[] =
    "metric: score\ncommand: [true]\nstorage: \":memory:\"\n"
    "parameters:\n  x: {type: float, low: 0, high: 1}\n";

static char scratch_dir[] = "/tmp/hps_fuzz_cli_XXXXXX";

/* Leaves no scratch directory behind. (Were a command ever to leave a file of its own
 * there, rmdir would fail and the directory stay, showing it.) */
static void remove_scratch(void)
{
    if (chdir(scratch_dir) != 0)
        return;
    for (size_t i = 0; i < sizeof scratch_files / sizeof scratch_files[0]; i++)
        (void)unlink(scratch_files[i].name);
    (void)rmdir("hpsearch.db");
    if (chdir("/") == 0)
        (void)rmdir(scratch_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static int done;
    if (done)
        return 0;
    done = 1;
    if (mkdtemp(scratch_dir) == NULL || chdir(scratch_dir) != 0)
        abort();
    atexit(remove_scratch);
    for (size_t i = 0; i < sizeof scratch_files / sizeof scratch_files[0]; i++) {
        FILE *f = fopen(scratch_files[i].name, "w");
        if (f == NULL || fputs(scratch_files[i].text, f) < 0 || fclose(f) != 0)
            abort();
    }
    /* the default storage, sqlite:hpsearch.db, can then never be created */
    if (mkdir("hpsearch.db", 0700) != 0)
        abort();
    /* stdout and stderr are variables in glibc; the fuzzer already holds its own handle
     * on the original stderr */
    FILE *null = fopen("/dev/null", "w");
    if (null == NULL)
        abort();
    stdout = null;
    stderr = null;
    return 0;
}


/* GNU getopt keeps a pointer into the previous argv when a command returned in the
 * middle of a cluster of short options ("-qz"); the commands reset only optind = 1,
 * which does not clear it. optind = 0 makes the next call start over. */
static void reset_getopt(void)
{
    char name[] = "reset";
    char *argv[] = {name, NULL};
    optind = 0;
    opterr = 0;
    (void)getopt(1, argv, "");
}

static int allowed(char **words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(words[i], "sqlite") != NULL || strstr(words[i], "postgres") != NULL)
            return 0;
    return 1;
}

static int names_a_file(char **words, size_t n)
{
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (stat(words[i], &st) == 0 && !S_ISDIR(st.st_mode))
            return 1;
    return 0;
}

static void run_command(char **words, size_t n)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } commands[] = {
        {"run", cmd_run},         {"plan", cmd_plan},     {"show", cmd_show},
        {"trials", cmd_trials},   {"best", cmd_best},     {"studies", cmd_studies},
        {"delete", cmd_delete},   {"report", cmd_report}, {"narrow", cmd_narrow},
    };
    if (n == 0 || !allowed(words, n))
        return;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(words[0], commands[i].name) != 0)
            continue;
        if (commands[i].fn == cmd_run && names_a_file(words + 1, n - 1))
            return;
        reset_getopt();
        (void)commands[i].fn((int)n, words);
        return;
    }
}

/* Every word with an '=' as a --set override, and every word as a duration. */
static void overrides(char **words, size_t n)
{
    char err[1024];
    cfg_config *cfg = NULL;
    for (size_t i = 0; i < n; i++) {
        double seconds;
        if (cfg_parse_duration(words[i], &seconds) == 0 && !(seconds >= 0))
            abort();
        if (strchr(words[i], '=') == NULL)
            continue;
        if (cfg == NULL && cfg_load_string(base_config, sizeof base_config - 1, "base.yaml",
                                           &cfg, err, sizeof err) != 0)
            abort();
        (void)cfg_set_pair(cfg, words[i], err, sizeof err);
    }
    cfg_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libFuzzer has called this already; the replay driver (replay_main.c) has not */
    LLVMFuzzerInitialize(NULL, NULL);
    if (size > 4096)
        return 0;
    /* words: the input cut at NUL bytes, in one copy terminated by a NUL of its own */
    char *copy = fuzz_cstring(data, size);
    if (copy == NULL)
        return 0;
    char *words[MAX_WORDS + 1];
    size_t n = 0;
    for (char *p = copy; p <= copy + size && n < MAX_WORDS; p += strlen(p) + 1)
        words[n++] = p;
    if (n > 0 && size > 0 && data[size - 1] == '\0')
        n--; /* a trailing NUL ends the last word; it does not start an empty one */
    words[n] = NULL;

    overrides(words, n);
    run_command(words, n);
    free(copy);
    return 0;
}

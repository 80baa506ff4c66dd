/* cmd_slurm.c -- `hpsearch slurm CONFIG.yaml --workers N [...]`: a Slurm job array of
 * hpsearch workers on one shared study.
 *
 * Each array task runs `hpsearch run CONFIG.yaml` on its node. The study lives in the
 * config's storage, so the tasks share its budget (n_trials counts trials of all
 * workers) and its grid, and every worker stops when they are used up. GPUs are asked
 * of Slurm per task (--gpus-per-task): Slurm then sets CUDA_VISIBLE_DEVICES, and the
 * script does not override it (only a config's own `gpus` list would; `gpus: all` is
 * Slurm's list, run_gpus.h). A config whose
 * storage is an SQLite file is refused unless --allow-sqlite: several nodes cannot
 * share one safely over a network filesystem. With --requeue a task that is preempted
 * or reaches its time limit goes back into Slurm's queue and continues the study
 * where it stopped (its trials from their checkpoints: see cmd_run.c's SIGTERM). */
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/run_setup.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLURM_MAX_WORKERS 100000
#define SLURM_MAX_GPUS 64
#define SLURM_MAX_CPUS 4096
#define SLURM_MAX_EXTRA 64
/* Seconds between Slurm's time-limit warning and the end of preempt_grace: hpsearch
 * records the trials and the script requeues the task. Slurm may send the warning up
 * to 60 s early, never late. */
#define SLURM_REQUEUE_MARGIN 30
/* sbatch --signal's time is a 16-bit number of seconds */
#define SLURM_MAX_SIGNAL_TIME 65535

typedef struct slurm_options {
    const char *config_path;
    long workers;
    long gpus_per_worker;
    long cpus_per_worker;
    const char *partition;
    const char *time_limit;
    const char *output;
    const char *extra[SLURM_MAX_EXTRA]; /* --sbatch lines */
    size_t n_extra;
    int submit;
    int allow_sqlite;
    int requeue;
    char **run_args; /* after "--": passed on to `hpsearch run` */
    int n_run_args;
} slurm_options;

static void slurm_usage(FILE *out)
{
    fputs("usage: hpsearch slurm CONFIG.yaml --workers N [options] [-- RUN-OPTIONS]\n"
          "\n"
          "Writes an sbatch script for a job array of N tasks; each task runs\n"
          "`hpsearch run CONFIG.yaml` on the study of the config's storage (PostgreSQL,\n"
          "reachable from every node). The study's n_trials and grid are shared: the\n"
          "workers stop when they are used up.\n"
          "\n"
          "  -w, --workers N           array tasks (hpsearch workers), 1..100000\n"
          "  -g, --gpus-per-worker G   GPUs per task (#SBATCH --gpus-per-task; Slurm sets\n"
          "                            CUDA_VISIBLE_DEVICES)\n"
          "  -c, --cpus-per-worker C   CPUs per task (#SBATCH --cpus-per-task)\n"
          "  -p, --partition P         Slurm partition\n"
          "  -t, --time T              time limit per task (Slurm format: 90, 4:00:00, 1-12)\n"
          "      --sbatch OPTION       one more #SBATCH line, e.g. --sbatch=--account=ml (repeatable)\n"
          "  -o, --output FILE         the script (default: STUDY.sbatch next to the config;\n"
          "                            - for stdout)\n"
          "      --requeue             a task that is preempted or reaches its time limit\n"
          "                            goes back into the queue and continues the study; its\n"
          "                            trials get preempt_grace to save a checkpoint and\n"
          "                            resume from it (#SBATCH --requeue, --signal)\n"
          "      --submit              submit it with sbatch\n"
          "      --allow-sqlite        accept an SQLite storage (all tasks on one node, or a\n"
          "                            filesystem whose locks work)\n"
          "  -- RUN-OPTIONS            passed to each `hpsearch run` (e.g. -- -j 2 --set seed=1)\n",
          out);
}

static int parse_count(const char *flag, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        cli_error("slurm: %s must be a whole number from %ld to %ld (got '%s')", flag, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* Text that goes into an #SBATCH line verbatim: printable, no quotes or spaces. */
static int check_token(const char *flag, const char *text, const char *allowed)
{
    if (text[0] == '\0' || strlen(text) > 256 || strspn(text, allowed) != strlen(text)) {
        cli_error("slurm: %s '%.100s' has characters Slurm does not take here", flag, text);
        return -1;
    }
    return 0;
}

static int parse_slurm_args(int argc, char **argv, slurm_options *opts)
{
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"gpus-per-worker", required_argument, NULL, 'g'},
        {"cpus-per-worker", required_argument, NULL, 'c'},
        {"partition", required_argument, NULL, 'p'},
        {"time", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"sbatch", required_argument, NULL, 1},
        {"submit", no_argument, NULL, 2},
        {"allow-sqlite", no_argument, NULL, 3},
        {"requeue", no_argument, NULL, 4},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* everything after "--" belongs to `hpsearch run`, untouched by getopt */
    int end = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            end = i;
            opts->run_args = argv + i + 1;
            opts->n_run_args = argc - i - 1;
            break;
        }
    }
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(end, argv, "w:g:c:p:t:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w':
            if (parse_count("--workers", optarg, 1, SLURM_MAX_WORKERS, &opts->workers) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'g':
            if (parse_count("--gpus-per-worker", optarg, 0, SLURM_MAX_GPUS, &opts->gpus_per_worker) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'c':
            if (parse_count("--cpus-per-worker", optarg, 1, SLURM_MAX_CPUS, &opts->cpus_per_worker) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'p':
            if (check_token("--partition", optarg,
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,-") != 0)
                return CLI_EXIT_USAGE;
            opts->partition = optarg;
            break;
        case 't':
            if (strcmp(optarg, "INFINITE") != 0 && strcmp(optarg, "UNLIMITED") != 0 &&
                check_token("--time", optarg, "0123456789:-") != 0)
                return CLI_EXIT_USAGE;
            opts->time_limit = optarg;
            break;
        case 'o':
            opts->output = optarg;
            break;
        case 1:
            if (opts->n_extra >= SLURM_MAX_EXTRA) {
                cli_error("slurm: at most %d --sbatch options", SLURM_MAX_EXTRA);
                return CLI_EXIT_USAGE;
            }
            if (optarg[0] != '-' || check_token("--sbatch", optarg,
                                                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                "0123456789_.,:=+-/%@") != 0) {
                if (optarg[0] != '-')
                    cli_error("slurm: --sbatch takes an sbatch option such as --account=ml "
                              "(got '%.100s')", optarg);
                return CLI_EXIT_USAGE;
            }
            opts->extra[opts->n_extra++] = optarg;
            break;
        case 2:
            opts->submit = 1;
            break;
        case 3:
            opts->allow_sqlite = 1;
            break;
        case 4:
            opts->requeue = 1;
            break;
        case 'h':
            slurm_usage(stdout);
            return -1;
        default:
            cli_error("slurm: unknown or incomplete option '%s' (see hpsearch slurm --help)",
                      argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < end)
        opts->config_path = argv[optind++];
    if (optind < end) {
        cli_error("slurm: unexpected argument '%s' (options for `hpsearch run` go after --)",
                  argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (opts->config_path == NULL) {
        cli_error("slurm: which config? usage: hpsearch slurm CONFIG.yaml --workers N");
        return CLI_EXIT_USAGE;
    }
    if (opts->workers == 0) {
        cli_error("slurm: how many workers? give --workers N");
        return CLI_EXIT_USAGE;
    }
    if (opts->submit && opts->output != NULL && strcmp(opts->output, "-") == 0) {
        cli_error("slurm: --submit needs the script in a file (not -o -)");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Appends `text` single-quoted for the shell. */
static void put_quoted(FILE *out, const char *text)
{
    fputc('\'', out);
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '\'')
            fputs("'\\''", out);
        else
            fputc(*c, out);
    }
    fputc('\'', out);
}

/* A study name as a file-name part (as `hpsearch run` names its log directory). */
static void safe_name(const char *name, char *buf, size_t size)
{
    size_t k = 0;
    for (const char *c = name; *c != '\0' && k + 1 < size; c++) {
        unsigned char ch = (unsigned char)*c;
        int unsafe = ch == '/' || ch == '\\' || ch < 0x20 || (k == 0 && ch == '.');
        buf[k++] = unsafe ? '_' : (char)ch;
    }
    buf[k] = '\0';
}

/* Refuses storages the tasks of an array cannot share. */
static int check_storage(const cfg_config *cfg, const slurm_options *opts)
{
    const char *url = cfg->storage;
    hps_storage_kind kind = HPS_STORAGE_POSTGRES;
    hps_storage_url_kind(url, &kind, NULL); /* the config reader checked the URL */
    if (kind == HPS_STORAGE_MEMORY) {
        cli_error("%s: storage %s keeps the study inside each process: the %ld tasks would each "
                  "run a private study. Use a journal file on the shared filesystem "
                  "(journal:PATH) or a PostgreSQL storage (postgresql://...) that every node can "
                  "reach",
                  cfg->path, url, opts->workers);
        return -1;
    }
    if (kind == HPS_STORAGE_SQLITE && !opts->allow_sqlite) {
        cli_error("%s: storage %s is an SQLite file; tasks on several nodes cannot share one "
                  "safely (file locks over NFS and most network filesystems do not hold). Use a "
                  "journal on the shared filesystem (journal:PATH) or a PostgreSQL storage "
                  "(postgresql://user@host/db), see docs/distributed.md; or pass --allow-sqlite "
                  "if all tasks run on one node",
                  cfg->path, url);
        return -1;
    }
    return 0;
}

/* Before the time limit Slurm sends USR1 to this shell alone (--signal=B:USR1@...):
 * hpsearch is told to stop as if preempted, then the task is requeued. A distinct signal,
 * because SIGTERM also comes from scancel, whose task must not come back. Preemption
 * sends SIGTERM to every process of the task, hpsearch included, and Slurm requeues a
 * preempted task itself (--requeue); the trap passes it on for a shell-only SIGTERM. */
static void write_requeue_traps(FILE *out, const cfg_config *cfg)
{
    fprintf(out,
            "# Preempted (SIGTERM) or near the time limit (USR1): hpsearch gives its trials\n"
            "# %gs (preempt_grace) to save a checkpoint and queues them again on the study;\n"
            "# near the time limit this task is requeued too, and continues them.\n"
            "hpsearch_pid=\n"
            "requeue=0\n"
            "trap 'requeue=1; kill -TERM \"$hpsearch_pid\" 2>/dev/null || true' USR1\n"
            "trap 'kill -TERM \"$hpsearch_pid\" 2>/dev/null || true' TERM\n",
            cfg->preempt_grace);
}

/* A trap interrupts `wait`: wait again until hpsearch has exited; the shell keeps the
 * status of a child that ended, for the last `wait`. */
static void write_requeue_wait(FILE *out)
{
    fputs("hpsearch_pid=$!\n"
          "wait \"$hpsearch_pid\" || true\n"
          "while kill -0 \"$hpsearch_pid\" 2>/dev/null; do\n"
          "    wait \"$hpsearch_pid\" || true\n"
          "done\n"
          "status=0\n"
          "wait \"$hpsearch_pid\" || status=$?\n"
          "if [ \"$requeue\" = 1 ]; then\n"
          "    scontrol requeue \"$SLURM_JOB_ID\"\n"
          "fi\n"
          "exit \"$status\"\n",
          out);
}

static int write_script(FILE *out, const cfg_config *cfg, const slurm_options *opts,
                        const char *config_abs, const char *exe, const char *log_dir)
{
    char safe[256];
    safe_name(cfg->study_name, safe, sizeof safe);
    /* Job names end up in squeue columns and file names: keep them tame. */
    for (char *c = safe; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            *c = '_';
    fprintf(out, "#!/bin/bash\n");
    fprintf(out, "# %ld hpsearch workers on study '%s' (written by hpsearch slurm).\n", opts->workers,
            safe);
    fprintf(out, "# Each array task runs `hpsearch run` on the shared study; together they stop\n"
                 "# at the study's n_trials (all workers count) or when its grid is done.\n");
    fprintf(out, "#SBATCH --job-name=hpsearch-%s\n", safe);
    fprintf(out, "#SBATCH --array=0-%ld\n", opts->workers - 1);
    fprintf(out, "#SBATCH --ntasks=1\n");
    if (opts->cpus_per_worker > 0)
        fprintf(out, "#SBATCH --cpus-per-task=%ld\n", opts->cpus_per_worker);
    if (opts->gpus_per_worker > 0)
        fprintf(out, "#SBATCH --gpus-per-task=%ld\n", opts->gpus_per_worker);
    if (opts->partition != NULL)
        fprintf(out, "#SBATCH --partition=%s\n", opts->partition);
    if (opts->time_limit != NULL)
        fprintf(out, "#SBATCH --time=%s\n", opts->time_limit);
    /* sbatch reads directives word by word: a path with blanks cannot be one */
    if (strpbrk(log_dir, " \t\n") == NULL)
        fprintf(out, "#SBATCH --output=%s/slurm-%%A_%%a.out\n", log_dir);
    else
        cli_warn("the log directory %s has blanks: task logs go to sbatch's default place",
                 log_dir);
    if (opts->requeue) {
        fprintf(out, "#SBATCH --requeue\n");
        fprintf(out, "#SBATCH --signal=B:USR1@%.0f\n", ceil(cfg->preempt_grace) + SLURM_REQUEUE_MARGIN);
        fprintf(out, "#SBATCH --open-mode=append\n"); /* a requeued task's log goes on */
    }
    for (size_t i = 0; i < opts->n_extra; i++)
        fprintf(out, "#SBATCH %s\n", opts->extra[i]);
    fprintf(out, "set -eu\n");
    fputs("cd ", out); /* where this `hpsearch slurm` would run trials (W&B: its cwd) */
    put_quoted(out, cfg->workdir);
    fputc('\n', out);
    if (opts->requeue)
        write_requeue_traps(out, cfg);
    fputs(opts->requeue ? "" : "exec ", out);
    put_quoted(out, exe);
    fputs(" run ", out);
    put_quoted(out, config_abs);
    fputs(" --no-progress", out);
    /* Slurm gave this task its GPUs in CUDA_VISIBLE_DEVICES. One trial at a time sees
     * them all; several share them out (`all` is the inherited list, run_gpus.h). */
    if (opts->gpus_per_worker > 0 && cfg->parallel > 1 && cfg->n_gpus == 0)
        fputs(" --gpus all", out);
    for (int i = 0; i < opts->n_run_args; i++) {
        fputc(' ', out);
        put_quoted(out, opts->run_args[i]);
    }
    fputs(opts->requeue ? " &\n" : "\n", out);
    if (opts->requeue)
        write_requeue_wait(out);
    return ferror(out) ? -1 : 0;
}

static int submit(const char *script)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("slurm: cannot start sbatch: %s", strerror(errno));
        return CLI_EXIT_FAILED;
    }
    if (pid == 0) {
        execlp("sbatch", "sbatch", script, (char *)NULL);
        fprintf(stderr, "hpsearch: slurm: cannot run sbatch: %s (is Slurm installed here?)\n",
                strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            cli_error("slurm: waiting for sbatch: %s", strerror(errno));
            return CLI_EXIT_FAILED;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cli_error("slurm: sbatch failed (%s %d); the script is %s",
                  WIFEXITED(status) ? "exit status" : "signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), script);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

int cmd_slurm(int argc, char **argv)
{
    slurm_options opts;
    memset(&opts, 0, sizeof opts);
    int rc = parse_slurm_args(argc, argv, &opts);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cfg_config *cfg = NULL;
    char err[2048];
    int loaded = cfg_load(opts.config_path, &cfg, err, sizeof err);
    if (loaded != 0) {
        cli_error("%s", err);
        return loaded == -2 ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    FILE *out = NULL;
    char config_abs[PATH_MAX], exe[PATH_MAX], log_dir[PATH_MAX], script[PATH_MAX];
    rc = CLI_EXIT_USAGE;
    if (check_storage(cfg, &opts) != 0)
        goto out;
    if (opts.gpus_per_worker > 0 && cfg->n_gpus > 0 && strcmp(cfg->gpus[0], "all") != 0) {
        cli_error("%s: the config sets gpus, but with --gpus-per-worker Slurm chooses each task's "
                  "GPUs (CUDA_VISIBLE_DEVICES): remove gpus from the config (or write gpus: all)",
                  cfg->path);
        goto out;
    }
    if (cfg->pbt.population > 0 && opts.workers > 1) {
        cli_error("%s: pbt: one hpsearch run drives a population (the others would be refused "
                  "at once): give --workers 1, and -j/parallel to run a round's members side "
                  "by side", cfg->path);
        goto out;
    }
    if (opts.requeue && cfg->preempt_grace + SLURM_REQUEUE_MARGIN > SLURM_MAX_SIGNAL_TIME) {
        cli_error("%s: preempt_grace (%gs) is too long for --requeue: Slurm warns at most %d s "
                  "before the time limit, and hpsearch needs %d s of them after the grace",
                  cfg->path, cfg->preempt_grace, SLURM_MAX_SIGNAL_TIME, SLURM_REQUEUE_MARGIN);
        goto out;
    }
    rc = CLI_EXIT_FAILED;
    if (realpath(opts.config_path, config_abs) == NULL) {
        cli_error("slurm: %s: %s", opts.config_path, strerror(errno));
        goto out;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        snprintf(exe, sizeof exe, "hpsearch"); /* found through PATH on the node */
    else
        exe[n] = '\0';
    /* the tasks' logs go where `hpsearch run` keeps the trials' */
    setup_log_dir(cfg, log_dir, sizeof log_dir);
    if (cli_make_dirs(log_dir) != 0) {
        cli_error("slurm: cannot create the log directory %s: %s", log_dir, strerror(errno));
        goto out;
    }
    int to_stdout = opts.output != NULL && strcmp(opts.output, "-") == 0;
    if (opts.output != NULL) {
        snprintf(script, sizeof script, "%s", opts.output);
    } else {
        char safe[256];
        safe_name(cfg->study_name, safe, sizeof safe);
        snprintf(script, sizeof script, "%s/%s.sbatch", cfg->dir, safe);
    }
    out = to_stdout ? stdout : fopen(script, "w");
    if (out == NULL) {
        cli_error("slurm: cannot write %s: %s", script, strerror(errno));
        goto out;
    }
    if (write_script(out, cfg, &opts, config_abs, exe, log_dir) != 0) {
        cli_error("slurm: cannot write %s", to_stdout ? "the script" : script);
        goto out;
    }
    if (!to_stdout) {
        int closed = fclose(out);
        out = NULL;
        if (closed != 0) {
            cli_error("slurm: cannot write %s: %s", script, strerror(errno));
            goto out;
        }
        chmod(script, 0750);
        fprintf(stderr, "hpsearch: wrote %s: %ld workers on study '%s'", script, opts.workers,
                cfg->study_name);
        if (opts.gpus_per_worker > 0)
            fprintf(stderr, ", %ld GPU%s each", opts.gpus_per_worker,
                    opts.gpus_per_worker > 1 ? "s" : "");
        fprintf(stderr, "; task logs in %s/slurm-JOB_TASK.out\n", log_dir);
        if (!opts.submit)
            fprintf(stderr, "hpsearch: submit with: sbatch %s\n", script);
    }
    rc = opts.submit ? submit(script) : CLI_EXIT_OK;
out:
    if (out != NULL && out != stdout)
        fclose(out);
    cfg_free(cfg);
    return rc;
}

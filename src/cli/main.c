/* main.c -- the hpsearch command: dispatch to subcommands. */
#include "cli/cli.h"
#include "cli/config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    char samplers[256], pruners[256];
    fprintf(out,
            "usage: hpsearch COMMAND [ARGS]\n"
            "\n"
            "Hyperparameter search for any training command: each trial runs the command with\n"
            "its parameters and reads the metric it prints; studies are kept in SQLite, a\n"
            "journal file or PostgreSQL, so runs resume where they stopped.\n"
            "  samplers: %s\n"
            "  pruners:  %s\n",
            cli_strategy_names(CLI_SAMPLERS, CFG_DEFAULT_SAMPLER, samplers, sizeof samplers),
            cli_strategy_names(CLI_PRUNERS, CFG_DEFAULT_PRUNER, pruners, sizeof pruners));
    fputs("\n"
          "commands:\n"
          "  run CONFIG.yaml [options]     run a study's trials (hpsearch or W&B sweep file)\n"
          "  trials STUDY|CONFIG [opts]    list trials (--format table|csv|json, --state S)\n"
          "  best STUDY|CONFIG [opts]      the best trial and its parameters (several\n"
          "                                objectives: the Pareto set)\n"
          "  studies [--storage URL]       list studies: trials by state, best value\n"
          "  delete STUDY|CONFIG [--yes]   delete a study, its trials and checkpoints\n"
          "  show STUDY|CONFIG [opts]      a summary: counts, best, top 5, importances, sparkline\n"
          "  report STUDY|CONFIG [-o FILE] one self-contained HTML report with charts and table\n"
          "  dashboard [--port P] [opts]   a live web page of a storage's studies, data as JSON\n"
          "  plan CONFIG [run's options] [--hours H --trial-minutes M]\n"
          "                                what run would do: space, budget, strategy, cost;\n"
          "                                checks the config exactly as run does\n"
          "  narrow CONFIG --top K [opts]  the next, narrower search around the best K trials\n"
          "                                (--warm-start, --trials N, --sampler, -o OUT)\n"
          "  slurm CONFIG --workers N       a Slurm job array of workers on one study (--submit)\n"
          "  samplers [NAME] [--format F]  the samplers and their options, defaults, ranges\n"
          "  pruners [NAME] [--format F]   the pruners and their options, defaults, ranges\n"
          "  help config                   every key of a config file, with its default\n"
          "  version                       print the version\n"
          "\n"
          "Query commands read --storage URL (default sqlite:hpsearch.db), or the storage\n"
          "of a config file given instead of a study name; they never create a database\n"
          "(only run does). `hpsearch COMMAND --help` shows each command's options;\n"
          "docs/config.md describes the config file.\n",
          out);
}

int main(int argc, char **argv)
{
    /* Metric lines and configs are read with strtod: keep the C numeric locale. */
    setlocale(LC_ALL, "C");
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } commands[] = {
        {"run", cmd_run},         {"trials", cmd_trials}, {"best", cmd_best},
        {"studies", cmd_studies}, {"delete", cmd_delete},   {"plan", cmd_plan},
        {"narrow", cmd_narrow},   {"slurm", cmd_slurm},
        {"report", cmd_report},   {"dashboard", cmd_dashboard}, {"show", cmd_show},
        {"samplers", cmd_samplers}, {"pruners", cmd_pruners},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("hpsearch %s\n", HPS_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 && argc > 2 && strcmp(argv[2], "config") == 0)
        return cmd_help_config(stdout);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    cli_error("unknown command '%s'", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}

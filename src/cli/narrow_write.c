/* narrow_write.c -- the config `hpsearch narrow` writes (see narrow.h): the old config
 * with the narrowed space, the new study, budget and sampler, and its paths (workdir,
 * storage, log_dir) rewritten to resolve from the new file's directory. Every other
 * setting is written by the config's own writer (cfg_write_settings), so none is lost. */
#include "cli/cli.h"
#include "cli/narrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths ------------------------------------------------------------------------------ */

/* `path` (absolute) as written in a file in directory `from` (absolute, canonical):
 * relative when both lie under one top directory (a project moved or copied whole keeps
 * working), else absolute. */
static void path_from(const char *from, const char *path, char *out, size_t size)
{
    const char *f = from, *p = path;
    const char *common_f = from, *common_p = path; /* ends of the shared components */
    for (;;) {
        while (*f == '/')
            f++;
        while (*p == '/')
            p++;
        size_t lf = strcspn(f, "/"), lp = strcspn(p, "/");
        if (lf == 0 || lf != lp || strncmp(f, p, lf) != 0)
            break;
        f += lf;
        p += lp;
        common_f = f;
        common_p = p;
    }
    if (common_p == path) { /* nothing shared below the root */
        snprintf(out, size, "%s", path);
        return;
    }
    out[0] = '\0';
    for (const char *c = common_f; *c != '\0';) {
        while (*c == '/')
            c++;
        if (*c == '\0')
            break;
        snprintf(out + strlen(out), size - strlen(out), "../");
        c += strcspn(c, "/");
    }
    while (*common_p == '/')
        common_p++;
    snprintf(out + strlen(out), size - strlen(out), "%s", common_p);
    size_t len = strlen(out);
    if (len == 0)
        snprintf(out, size, ".");
    else if (out[len - 1] == '/')
        out[len - 1] = '\0';
}

int narrow_canonical_file(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash == NULL ? 1 : (int)(slash - path),
             slash == NULL ? "." : slash == path ? "/" : path);
    char *real = realpath(dir, NULL);
    if (real == NULL)
        return -1;
    snprintf(out, size, "%s/%s", strcmp(real, "/") == 0 ? "" : real,
             slash == NULL ? path : slash + 1);
    free(real);
    return 0;
}

/* A study name as a file-name part (as `hpsearch run` names its log directory). */
static void safe_name(const char *name, char *buf, size_t size)
{
    size_t k = 0;
    for (const char *c = name; *c != '\0' && k + 1 < size; c++, k++) {
        unsigned char ch = (unsigned char)*c;
        buf[k] = ch == '/' || ch == '\\' || ch < 0x20 || (k == 0 && ch == '.') ? '_' : (char)ch;
    }
    buf[k] = '\0';
}

/* ---- writing the new config ------------------------------------------------------------ */

void narrow_describe_budget(const narrow_plan *plan, char *buf, size_t size)
{
    if (plan->new_trials == 0)
        snprintf(buf, size, "none (runs until stopped%s)", plan->grid ? " or the grid is done" : "");
    else if (plan->warm > 0)
        snprintf(buf, size, "%llu = %zu warm-started trial%s + %llu new trial%s",
                 (unsigned long long)(plan->warm + plan->new_trials), plan->warm,
                 plan->warm == 1 ? "" : "s", (unsigned long long)plan->new_trials,
                 plan->new_trials == 1 ? "" : "s");
    else
        snprintf(buf, size, "%llu new trial%s", (unsigned long long)plan->new_trials,
                 plan->new_trials == 1 ? "" : "s");
}

/* Paths as seen from the new file's directory (plan->dir). */
static void write_paths(FILE *f, const cfg_config *cfg, const narrow_plan *plan)
{
    char path[PATH_MAX + 16], shown[PATH_MAX];
    if (strncmp(cfg->storage, "sqlite:", 7) == 0 && strcmp(cfg->storage, "sqlite::memory:") != 0 &&
        narrow_canonical_file(cfg->storage + 7, path, sizeof path) == 0) {
        path_from(plan->dir, path, shown, sizeof shown);
        snprintf(path, sizeof path, "sqlite:%s", shown);
        fprintf(f, "storage: ");
        cfg_write_string(f, path);
    } else {
        fprintf(f, "storage: ");
        cfg_write_string(f, cfg->storage);
    }
    fprintf(f, "\n");
    /* trials run where the old ones did (W&B: where the sweep is started, unless given) */
    if ((cfg->is_wandb && cfg_key_given(cfg, "workdir")) ||
        (!cfg->is_wandb && strcmp(cfg->workdir, plan->dir) != 0)) {
        path_from(plan->dir, cfg->workdir, shown, sizeof shown);
        fprintf(f, "workdir: ");
        cfg_write_string(f, shown);
        fprintf(f, "\n");
    }
    /* a log directory of the user's gets a folder for the new study, so its trial logs
     * do not mix with the old study's */
    if (cfg->log_dir != NULL) {
        char safe[256];
        safe_name(plan->study, safe, sizeof safe);
        snprintf(path, sizeof path, "%s/%s", cfg->log_dir, safe);
        path_from(plan->dir, path, shown, sizeof shown);
        fprintf(f, "log_dir: ");
        cfg_write_string(f, shown);
        fprintf(f, "\n");
    }
}

int narrow_write_config(const cfg_config *cfg, const narrow_plan *plan)
{
    /* what narrow changes is written here; the config's writer does the rest (the
     * `initial:` entries narrow_initial.c kept among them). The old study started from
     * its own warm start: the new study starts from the old study instead
     * (--warm-start). */
    static const char *const written_here[] = {"study", "name", "storage", "workdir",
                                               "log_dir", "n_trials", "run_cap",
                                               "warm_start", NULL};
    FILE *f = fopen(plan->path, "w");
    if (f == NULL) {
        cli_error("narrow: cannot write %s: %s", plan->path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    int wandb = cfg->is_wandb;
    char budget[160];
    narrow_describe_budget(plan, budget, sizeof budget);
    fprintf(f, "# Narrowed by `hpsearch narrow` around the best %zu of the %zu COMPLETE trials of "
               "study '%s'.\n",
            plan->top, plan->n_complete, plan->from_study);
    if (plan->grid)
        fprintf(f, "# The grid is refined around the best cells: %llu cells, %llu new.\n",
                (unsigned long long)plan->grid_cells, (unsigned long long)plan->grid_new);
    fprintf(f, "# %s: %s.\n# %s: %s.\n", wandb ? "run_cap" : "n_trials", budget,
            wandb ? "method" : "sampler", plan->sampler_said);
    fprintf(f, "%s: ", wandb ? "name" : "study");
    cfg_write_string(f, plan->study);
    fprintf(f, "\n");
    write_paths(f, cfg, plan);
    if (plan->new_trials > 0)
        fprintf(f, "%s: %llu\n", wandb ? "run_cap" : "n_trials",
                (unsigned long long)(plan->warm + plan->new_trials));
    cfg_write_settings(f, cfg, written_here);
    if (fclose(f) != 0) {
        cli_error("narrow: cannot write %s: %s", plan->path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    return 0;
}

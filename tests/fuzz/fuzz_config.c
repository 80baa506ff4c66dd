/* fuzz_config.c -- libFuzzer harness for the study file reader (src/cli/config*.c).
 *
 * The input is the text of a config file. cfg_load_string takes both formats: it tells a
 * W&B sweep file from hpsearch's own YAML by its top-level keys, so one entry reaches
 * config_wandb.c as well. A config that loads is handed to the cheap consumers the run
 * and `plan` apply to it next (grid size, pruner, auto decision, grid values, the
 * command template check, the sampler), since a config that passes validation but
 * breaks them is as much a bug as a parser crash. It is also written back as `hpsearch
 * narrow` writes it: that text must load, and write back to itself. */
#include "cli/config.h"
#include "cli/space.h"
#include "runner/template.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What cmd_run's validate_command checks, on the parsed template. */
static void check_command(const cfg_config *cfg)
{
    const char **names = calloc(cfg->n_params + 1, sizeof *names);
    if (names == NULL)
        return;
    for (size_t i = 0; i < cfg->n_params; i++)
        names[i] = cfg->params[i].name;
    char err[1024];
    if (cfg->shell_command != NULL)
        (void)tmpl_validate_shell(cfg->shell_command, names, cfg->n_params, err, sizeof err);
    else
        (void)tmpl_validate(cfg->command, cfg->n_command, names, cfg->n_params, err, sizeof err);
    free(names);
}

/* Whether the parameter has at most a few thousand grid values. space_grid_values
 * accepts up to CFG_MAX_GRID_CELLS of them (160 MB), which is correct but would make
 * the fuzzer spend its time in calloc. */
static int small_grid(const cfg_param *p)
{
    if (p->kind == CFG_CATEGORICAL || p->kind == CFG_CONSTANT || p->n_values > 0)
        return 1;
    if (p->grid_points > 0)
        return p->grid_points <= 4096;
    double step = p->kind == CFG_INT && p->step == 0 ? 1 : p->step;
    return step <= 0 || (p->high - p->low) / step <= 4096;
}

static void use_config(const cfg_config *cfg)
{
    char err[1024];
    (void)cfg_grid_size(cfg);

    hps_pruner *pruner = NULL;
    if (cfg_make_pruner(cfg->pruner, &pruner, err, sizeof err) == 0)
        hps_pruner_free(pruner);

    space_auto_choice choice;
    space_auto_choose(cfg, 0, &choice);
    space_auto_choose(cfg, 100, &choice);

    for (size_t i = 0; i < cfg->n_params; i++) {
        if (!small_grid(&cfg->params[i]))
            continue;
        hps_value *values = NULL;
        size_t n = 0;
        if (space_grid_values(&cfg->params[i], &values, &n) == 0)
            space_free_values(values, n);
    }
    check_command(cfg);

    /* A grid sampler gets every parameter's grid values, hence the same limit. */
    int all_small = 1;
    for (size_t i = 0; i < cfg->n_params; i++)
        all_small = all_small && small_grid(&cfg->params[i]);
    if (all_small) {
        hps_sampler *sampler = NULL;
        if (space_make_sampler(cfg, &sampler, err, sizeof err) == HPS_OK)
            hps_sampler_free(sampler);
    }
}

/* cfg's settings as the config writer writes them (malloc'd), NULL when out of memory. */
static char *written(const cfg_config *cfg, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    if (out == NULL)
        return NULL;
    cfg_write_settings(out, cfg, NULL);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Writing back loses nothing: the text loads, and writes back to itself. (A text past
 * half the file cap may outgrow the caps once aliases are spelt out: not checked.) */
static void check_written_back(const cfg_config *cfg)
{
    size_t len = 0, again_len = 0;
    char *text = written(cfg, &len), err[2048];
    cfg_config *reloaded = NULL;
    if (text == NULL || len > CFG_MAX_FILE_BYTES / 2) {
        free(text);
        return;
    }
    if (cfg_load_string(text, len, "fuzz.yaml", &reloaded, err, sizeof err) == -1) {
        fprintf(stderr, "the written config does not load: %s\n--- written ---\n%s\n", err, text);
        abort();
    }
    char *again = reloaded != NULL ? written(reloaded, &again_len) : NULL;
    if (again != NULL && (again_len != len || memcmp(again, text, len) != 0)) {
        fprintf(stderr, "written twice, the config differs:\n--- first ---\n%s\n--- then ---\n%s\n",
                text, again);
        abort();
    }
    free(again);
    cfg_free(reloaded);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the reader refuses files over 1 MiB before parsing; nothing to learn past that */
    if (size > CFG_MAX_FILE_BYTES + 1)
        return 0;
    cfg_config *cfg = NULL;
    char err[2048];
    if (cfg_load_string((const char *)data, size, "fuzz.yaml", &cfg, err, sizeof err) == 0) {
        use_config(cfg);
        check_written_back(cfg);
        cfg_free(cfg);
    }
    return 0;
}

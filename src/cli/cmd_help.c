/* cmd_help.c -- `hpsearch help config`: every key a config file may have, from the
 * config reader's own table (src/cli/config_keys.c), so the list cannot drift. */
#include "cli/cli.h"
#include "cli/config.h"

#include <stdio.h>

int cmd_help_config(FILE *out)
{
    fputs("Keys of a config file (docs/config.md: section 2, W&B sweep files section 6).\n"
          "Columns: h = hpsearch files take it, w = W&B sweep files do; * = --set KEY=VALUE\n"
          "can change it.\n\n",
          out);
    cfg_key_info key;
    char derived[128];
    for (size_t k = 0; cfg_key_describe(k, &key, derived, sizeof derived) == 0; k++) {
        fprintf(out, "  %-18s %c%c %c  %s\n", key.name, (key.flags & CFG_NATIVE) ? 'h' : '-',
                (key.flags & CFG_WANDB) ? 'w' : '-', (key.flags & CFG_SETTABLE) ? '*' : ' ',
                key.help);
        fprintf(out, "  %-24s %s; default: %s\n", "", key.type, key.default_value);
        const char *example = (key.flags & CFG_NATIVE) ? key.example : key.example_wandb;
        if (example == NULL)
            example = key.example;
        if (example != NULL)
            fprintf(out, "  %-24s e.g. %s: %s\n", "", key.name, example);
    }
    return ferror(out) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

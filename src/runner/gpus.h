/*
 * gpus.h -- which GPUs this process may hand to trials, what a GPU id may look like,
 * and a pool that gives each running trial its devices.
 *
 * Detection (gpu_detect) asks, in order:
 *   1. the inherited CUDA_VISIBLE_DEVICES, when set: Slurm, a container or the user has
 *      chosen the devices already, and a trial must get a subset of exactly these
 *      entries (a child's CUDA_VISIBLE_DEVICES is read against the physical devices,
 *      not against its parent's list). Like CUDA, the list ends at its first entry that
 *      is not a device id; an empty list or "-1" means no GPU;
 *   2. the NVIDIA driver's files, /proc/driver/nvidia/gpus/<PCI id>/information (one
 *      directory per GPU; its "GPU UUID:" line): GPUs 0 .. n-1 and their UUIDs;
 *   3. `nvidia-smi -L` on PATH ("GPU 0: ... (UUID: GPU-...)", MIG devices under it),
 *      given 5 seconds: a wedged driver can make it hang.
 * Testing hook: HPSEARCH_NVIDIA_PROC=DIR reads DIR/gpus/ instead of
 * /proc/driver/nvidia/gpus/ (an empty or missing DIR: no driver files), and a fake
 * nvidia-smi first on PATH stands in for NVIDIA's, so everything here runs on
 * machines without a GPU.
 *
 * Ids (gpu_id_check) are what CUDA_VISIBLE_DEVICES takes: a device index (0, 1, ...),
 * a GPU UUID (GPU-<hex and dashes>, a unique prefix is enough), a MIG device (MIG-<uuid>,
 * or the older MIG-GPU-<uuid>/<gi>/<ci>).
 *
 * Nothing here prints; errors come back as text.
 */
#ifndef HPS_RUNNER_GPUS_H
#define HPS_RUNNER_GPUS_H

#include <stddef.h>

typedef enum gpu_source {
    GPU_SOURCE_NONE = 0,    /* nothing found anywhere */
    GPU_SOURCE_INHERITED,   /* CUDA_VISIBLE_DEVICES of this process */
    GPU_SOURCE_DRIVER,      /* /proc/driver/nvidia/gpus */
    GPU_SOURCE_NVIDIA_SMI   /* nvidia-smi -L */
} gpu_source;

typedef struct gpu_inventory {
    gpu_source source;
    char **ids;      /* the GPUs `all` means, in order: indices, or the inherited entries */
    size_t n_ids;
    char **uuids;    /* GPU- and MIG- UUIDs known (upper case), to check ids given as UUIDs */
    size_t n_uuids;
} gpu_inventory;

/* Fills *out (zeroed first) from the first source that answers (see the top). A source
 * that finds no GPU is not an error: out->n_ids is 0 then, and out->source says which
 * source decided (GPU_SOURCE_INHERITED for an empty or "-1" CUDA_VISIBLE_DEVICES).
 * Returns 0, or -1 out of memory. */
int gpu_detect(gpu_inventory *out);

void gpu_inventory_free(gpu_inventory *inv);

/* Where the inventory came from, for messages: "CUDA_VISIBLE_DEVICES=0,1", "the NVIDIA
 * driver (/proc/driver/nvidia/gpus)", "nvidia-smi -L". */
void gpu_source_describe(const gpu_inventory *inv, char *buf, size_t size);

/* Whether `id` (len bytes) is a GPU id CUDA_VISIBLE_DEVICES takes. Returns 0, or -1
 * with why in `why`, suggesting the right spelling for the usual mistakes ("cuda:0",
 * "gpu1", "0;1", "0 1", -1). */
int gpu_id_check(const char *id, size_t len, char *why, size_t size);

/* Whether the inventory has `id`: 1 yes, 0 no, -1 it cannot tell (a UUID when the
 * source listed only indices, or the other way round; a MIG device nvidia-smi did not
 * list). */
int gpu_inventory_has(const gpu_inventory *inv, const char *id);

/* ---- the pool: devices per running trial ------------------------------------------- */

/* GPUs with how many trials use each. A trial takes `per_trial` distinct GPUs, each
 * with fewer than `trials_per_gpu` trials on it, the least used first (ties: the
 * earlier in the list), so a finished trial's GPU goes to the next trial. */
typedef struct gpu_pool {
    char **ids;
    size_t n;
    unsigned *load;          /* trials on each GPU now */
    unsigned per_trial;      /* >= 1 */
    unsigned trials_per_gpu; /* >= 1 */
} gpu_pool;

/* A pool over copies of ids[0 .. n) (n >= 1, per_trial <= n). Returns 0, or -1 out of
 * memory. */
int gpu_pool_init(gpu_pool *pool, char *const *ids, size_t n, unsigned per_trial,
                  unsigned trials_per_gpu);

void gpu_pool_free(gpu_pool *pool);

/* Trials the pool can run at once: n * trials_per_gpu / per_trial. */
unsigned gpu_pool_capacity(const gpu_pool *pool);

/* Takes per_trial GPUs: their indices into out[0 .. per_trial). Returns 0, or -1 when
 * not enough GPUs have room. */
int gpu_pool_take(gpu_pool *pool, size_t *out);

/* Gives back what gpu_pool_take took. */
void gpu_pool_give_back(gpu_pool *pool, const size_t *taken);

/* The taken GPUs as CUDA_VISIBLE_DEVICES says them: "0,1". Returns 0, or -1 when it
 * does not fit in size bytes. */
int gpu_pool_format(const gpu_pool *pool, const size_t *taken, char *buf, size_t size);

#endif

/* test_gpus.c -- GPU ids, detection from each source (fake driver files and a fake
 * nvidia-smi, see runner/gpus.h), and the per-trial device pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/gpus.h"
#include "testutil.h"

static void expect_id_ok(const char *id)
{
    char why[512] = "";
    if (gpu_id_check(id, strlen(id), why, sizeof why) != 0)
        fail_msg("'%s' rejected: %s", id, why);
}

static void expect_id_bad(const char *id, const char *says)
{
    char why[512] = "";
    if (gpu_id_check(id, strlen(id), why, sizeof why) != -1)
        fail_msg("'%s' accepted", id);
    if (strstr(why, says) == NULL)
        fail_msg("'%s': [%s] not in [%s]", id, says, why);
}

static void test_ids(void **state)
{
    (void)state;
    expect_id_ok("0");
    expect_id_ok("15");
    expect_id_ok("GPU-5f8b2c3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c");
    expect_id_ok("GPU-5f8b"); /* CUDA takes a unique prefix */
    expect_id_ok("MIG-5f8b2c3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c");
    expect_id_ok("MIG-GPU-5f8b2c3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c/1/0");
    expect_id_bad("cuda:0", "write 0");
    expect_id_bad("gpu1", "write 1");
    expect_id_bad("/dev/nvidia3", "write 3");
    expect_id_bad("0;1", "with commas: 0,1");
    expect_id_bad("0 1 2", "with commas: 0,1,2");
    expect_id_bad("-1", "hides every GPU");
    expect_id_bad("GPU-", "not a GPU id");
    expect_id_bad("GPU-xyz", "not a GPU id");
    expect_id_bad("MIG-GPU-5f8b/x/0", "not a GPU id");
    expect_id_bad("all", "not a GPU id");
    expect_id_bad("", "empty");
}

/* The PATH the tests replace, restored for testutil's cleanup (it runs rm). */
static char *saved_path;

static int save_path(void **state)
{
    (void)state;
    saved_path = strdup(getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
    return saved_path == NULL;
}

static int restore_path(void **state)
{
    (void)state;
    setenv("PATH", saved_path, 1);
    free(saved_path);
    return 0;
}

/* Each test sets the environment it needs; none of the machine's own GPUs count. */
static void clear_sources(const char *proc_dir)
{
    unsetenv("CUDA_VISIBLE_DEVICES");
    setenv("HPSEARCH_NVIDIA_PROC", proc_dir, 1);
    setenv("PATH", testutil_path("no-bin"), 1); /* no nvidia-smi */
}

static void fake_driver_gpu(const char *root, const char *pci, const char *uuid)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/gpus", root);
    mkdir(root, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/gpus/%s", root, pci);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/gpus/%s/information", root, pci);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "Model: \t\t NVIDIA A100-SXM4-40GB\nIRQ:   \t\t 95\nGPU UUID: \t %s\n"
               "Video BIOS: \t 92.00.19.00.01\nBus Type: \t PCIe\nDevice Minor: \t 0\n", uuid);
    fclose(f);
}

static void expect_ids(const gpu_inventory *inv, const char *const *ids, size_t n)
{
    assert_int_equal(inv->n_ids, n);
    for (size_t k = 0; k < n; k++)
        assert_string_equal(inv->ids[k], ids[k]);
}

static void test_inherited(void **state)
{
    (void)state;
    gpu_inventory inv;
    clear_sources(testutil_path("no-driver"));
    setenv("CUDA_VISIBLE_DEVICES", "2, 3,GPU-abcd", 1);
    assert_int_equal(gpu_detect(&inv), 0);
    assert_int_equal(inv.source, GPU_SOURCE_INHERITED);
    expect_ids(&inv, (const char *const[]){"2", "3", "GPU-abcd"}, 3);
    assert_int_equal(gpu_inventory_has(&inv, "3"), 1);
    assert_int_equal(gpu_inventory_has(&inv, "0"), 0); /* not given to this process */
    assert_int_equal(gpu_inventory_has(&inv, "GPU-ABCD"), 1);
    gpu_inventory_free(&inv);

    setenv("CUDA_VISIBLE_DEVICES", "1,-1,2", 1); /* CUDA stops at -1 */
    assert_int_equal(gpu_detect(&inv), 0);
    expect_ids(&inv, (const char *const[]){"1"}, 1);
    gpu_inventory_free(&inv);

    setenv("CUDA_VISIBLE_DEVICES", "", 1); /* hides every GPU */
    assert_int_equal(gpu_detect(&inv), 0);
    assert_int_equal(inv.source, GPU_SOURCE_INHERITED);
    assert_int_equal(inv.n_ids, 0);
    gpu_inventory_free(&inv);
}

static void test_driver_files(void **state)
{
    (void)state;
    gpu_inventory inv;
    const char *root = testutil_path("proc-nvidia");
    clear_sources(root);
    /* created out of PCI order: GPU 0 is the lowest bus id */
    fake_driver_gpu(root, "0000:b1:00.0", "GPU-bbbbbbbb-0000-0000-0000-000000000001");
    fake_driver_gpu(root, "0000:3b:00.0", "GPU-aaaaaaaa-0000-0000-0000-000000000000");
    assert_int_equal(gpu_detect(&inv), 0);
    assert_int_equal(inv.source, GPU_SOURCE_DRIVER);
    expect_ids(&inv, (const char *const[]){"0", "1"}, 2);
    assert_int_equal(inv.n_uuids, 2);
    assert_string_equal(inv.uuids[0], "GPU-aaaaaaaa-0000-0000-0000-000000000000");
    assert_int_equal(gpu_inventory_has(&inv, "1"), 1);
    assert_int_equal(gpu_inventory_has(&inv, "2"), 0);
    assert_int_equal(gpu_inventory_has(&inv, "GPU-bbbbbbbb"), 1);
    assert_int_equal(gpu_inventory_has(&inv, "GPU-cccccccc"), 0);
    assert_int_equal(gpu_inventory_has(&inv, "MIG-GPU-cccccccc/1/0"), 0);
    assert_int_equal(gpu_inventory_has(&inv, "MIG-GPU-aaaaaaaa-0000-0000-0000-000000000000/1/0"), -1);
    assert_int_equal(gpu_inventory_has(&inv, "MIG-1234"), -1); /* the driver files list no MIG */
    char where[512];
    gpu_source_describe(&inv, where, sizeof where);
    assert_non_null(strstr(where, root));
    gpu_inventory_free(&inv);
}

static void test_nvidia_smi(void **state)
{
    (void)state;
    gpu_inventory inv;
    clear_sources(testutil_path("no-driver"));
    const char *bin = testutil_path("bin");
    mkdir(bin, 0755);
    char path[4096];
    snprintf(path, sizeof path, "%s/nvidia-smi", bin);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\n[ \"$1\" = -L ] || exit 9\n"
          "echo 'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-11111111-2222-3333-4444-555555555555)'\n"
          "echo '  MIG 1g.5gb      Device  0: (UUID: MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee)'\n"
          "echo 'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-66666666-2222-3333-4444-555555555555)'\n",
          f);
    fclose(f);
    chmod(path, 0755);
    setenv("PATH", bin, 1);
    assert_int_equal(gpu_detect(&inv), 0);
    assert_int_equal(inv.source, GPU_SOURCE_NVIDIA_SMI);
    expect_ids(&inv, (const char *const[]){"0", "1"}, 2);
    assert_int_equal(inv.n_uuids, 3);
    assert_int_equal(gpu_inventory_has(&inv, "MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), 1);
    assert_int_equal(gpu_inventory_has(&inv, "MIG-ffffffff"), 0);
    assert_int_equal(gpu_inventory_has(&inv, "GPU-66666666"), 1);
    gpu_inventory_free(&inv);
}

/* A wedged driver makes nvidia-smi hang: detection gives up after its 5 seconds with
 * the lines printed so far. */
static void test_nvidia_smi_hangs(void **state)
{
    (void)state;
    gpu_inventory inv;
    clear_sources(testutil_path("no-driver"));
    const char *bin = testutil_path("hung-bin");
    mkdir(bin, 0755);
    char path[4096];
    snprintf(path, sizeof path, "%s/nvidia-smi", bin);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho 'GPU 0: NVIDIA A100 (UUID: GPU-11111111-2222-3333-4444-555555555555)'\n"
          "printf 'GPU 1: cut off'\nexec sleep 600\n", f);
    fclose(f);
    chmod(path, 0755);
    char search[4200];
    snprintf(search, sizeof search, "%s:/bin:/usr/bin", bin); /* sleep */
    setenv("PATH", search, 1);
    assert_int_equal(gpu_detect(&inv), 0);
    assert_int_equal(inv.source, GPU_SOURCE_NVIDIA_SMI);
    expect_ids(&inv, (const char *const[]){"0"}, 1);
    gpu_inventory_free(&inv);
}

static void test_nothing(void **state)
{
    (void)state;
    gpu_inventory inv;
    clear_sources(testutil_path("no-driver"));
    assert_int_equal(gpu_detect(&inv), 0);
    assert_int_equal(inv.source, GPU_SOURCE_NONE);
    assert_int_equal(inv.n_ids, 0);
    assert_int_equal(gpu_inventory_has(&inv, "0"), -1); /* nothing to check against */
    gpu_inventory_free(&inv);
}

static void expect_taken(gpu_pool *pool, size_t *taken, const char *devices)
{
    char text[64];
    assert_int_equal(gpu_pool_take(pool, taken), 0);
    assert_int_equal(gpu_pool_format(pool, taken, text, sizeof text), 0);
    assert_string_equal(text, devices);
}

static void test_pool(void **state)
{
    (void)state;
    char *const ids[] = {"0", "1", "2", "3"};
    gpu_pool pool;
    size_t a[2], b[2], c[2];

    /* two GPUs per trial: 4 GPUs run 2 trials */
    assert_int_equal(gpu_pool_init(&pool, ids, 4, 2, 1), 0);
    assert_int_equal(gpu_pool_capacity(&pool), 2);
    expect_taken(&pool, a, "0,1");
    expect_taken(&pool, b, "2,3");
    assert_int_equal(gpu_pool_take(&pool, c), -1);
    gpu_pool_give_back(&pool, a); /* a finished trial's GPUs go to the next */
    expect_taken(&pool, c, "0,1");
    gpu_pool_free(&pool);

    /* packing: two trials per GPU, spread before stacked */
    assert_int_equal(gpu_pool_init(&pool, ids, 2, 1, 2), 0);
    assert_int_equal(gpu_pool_capacity(&pool), 4);
    size_t t[5];
    expect_taken(&pool, &t[0], "0");
    expect_taken(&pool, &t[1], "1");
    expect_taken(&pool, &t[2], "0");
    expect_taken(&pool, &t[3], "1");
    assert_int_equal(gpu_pool_take(&pool, &t[4]), -1);
    gpu_pool_give_back(&pool, &t[1]);
    expect_taken(&pool, &t[4], "1");
    gpu_pool_free(&pool);

    /* 3 GPUs, 2 per trial: one trial at a time */
    assert_int_equal(gpu_pool_init(&pool, ids, 3, 2, 1), 0);
    assert_int_equal(gpu_pool_capacity(&pool), 1);
    gpu_pool_free(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_inherited),
        cmocka_unit_test(test_driver_files),
        cmocka_unit_test(test_nvidia_smi),
        cmocka_unit_test(test_nvidia_smi_hangs),
        cmocka_unit_test(test_nothing),
        cmocka_unit_test(test_pool),
    };
    return cmocka_run_group_tests(tests, save_path, restore_path);
}

#!/usr/bin/env bash
# scripts/check-layers.sh catches what it is for: on a copy of the tree it passes, then
# fails on each kind of include that breaks a rule -- a front end reaching into the
# library (quoted, angle-bracketed, by a relative path; in src/cli, src/report,
# src/runner, python/src, examples/ at any depth), a library layer including one above
# it (quoted, angle-bracketed, "# include", indented), a ".." anywhere in a path -- and on
# an allowlist or a layer table that no longer matches the code.
source "$(dirname "$0")/lib.sh"

# fresh_tree: a copy of what the checker reads, in ./tree (the checker is run from there)
fresh_tree() {
    rm -rf tree
    mkdir -p tree/scripts tree/python
    cp -r "$HPS_SOURCE_DIR/src" "$HPS_SOURCE_DIR/examples" "$HPS_SOURCE_DIR/CMakeLists.txt" tree/
    cp -r "$HPS_SOURCE_DIR/python/src" tree/python/
    cp "$HPS_SOURCE_DIR/scripts/check-layers.sh" tree/scripts/
}

# expect_violation WHAT FILE LINE NEEDLE: FILE gets LINE; the checker fails, saying NEEDLE
expect_violation() {
    fresh_tree
    echo "$3" >> "tree/$2"
    local out
    out=$(bash tree/scripts/check-layers.sh 2>&1)
    expect_eq "$1: exit 1" 1 $?
    expect_contains "$1: named" "$4" "$out"
}

fresh_tree
out=$(bash tree/scripts/check-layers.sh 2>&1)
expect_eq "the tree as it is passes" 0 $?
expect_contains "says so" "check-layers: ok" "$out"

expect_violation "cli reaches into the sampler layer" src/cli/space.c \
    '#include "samplers/auto_policy.h"' \
    'src/cli/space.c:'
expect_violation "the message says what and where" src/cli/space.c \
    '#include "samplers/auto_policy.h"' \
    "front end src/cli/ may not include the library's private \"samplers/auto_policy.h\""
expect_violation "report reaches into the engine" src/report/report_data.c \
    '#include "engine/study.h"' 'may not include the library'"'"'s private "engine/study.h"'
expect_violation "runner reaches into storage" src/runner/proc.c \
    '#include <storage/storage.h>' 'private "storage/storage.h"'
expect_violation "the binding reaches into the engine" python/src/trial.c \
    '#include "engine/study.h"' 'front end python/src/ may not include'
expect_violation "an example reaches into the engine" examples/c_api/tune_ridge.c \
    '#include "engine/study.h"' 'front end examples/c_api/ may not include'
expect_violation "a relative path" src/cli/cmd_plan.c \
    '#include "../samplers/auto_policy.h"' 'by a relative path'
expect_violation "a library layer reaching up" src/samplers/tpe.c \
    '#include "engine/study.h"' 'samplers/ may not include "engine/study.h"'
# a library layer's include in every form the compiler reads
expect_violation "a library layer reaching up in angle brackets" src/samplers/tpe.c \
    '#include <engine/study.h>' 'samplers/ may not include "engine/study.h"'
expect_violation "a library layer reaching up by # include" src/samplers/tpe.c \
    '# include "engine/study.h"' 'samplers/ may not include "engine/study.h"'
expect_violation "a library layer reaching up, indented" src/pruners/asha.c \
    '  #include "engine/study.h"' 'pruners/ may not include "engine/study.h"'
# a ".." anywhere in the path, not only leading
expect_violation "a front end's relative path through base/" src/cli/cmd_plan.c \
    '#include "base/../samplers/auto_policy.h"' 'by a relative path ("base/../samplers/auto_policy.h")'
expect_violation "a library layer's relative path through base/" src/samplers/tpe.c \
    '#include "base/../engine/study.h"' 'samplers/ may not include by a relative path'
# examples/: C in a nested folder, and C beside the folders
fresh_tree
mkdir -p tree/examples/nested/deeper
printf '#include "hpsearch.h"\n#include "engine/study.h"\n' > tree/examples/nested/deeper/x.c
out=$(bash tree/scripts/check-layers.sh 2>&1)
expect_eq "an example nested below examples/ reaching into the engine: exit 1" 1 $?
expect_contains "and says which" 'examples/nested/deeper/x.c:2: front end examples/nested/ may not include' "$out"
fresh_tree
printf '#include "engine/study.h"\n' > tree/examples/top.c
out=$(bash tree/scripts/check-layers.sh 2>&1)
expect_eq "an example directly in examples/ reaching into the engine: exit 1" 1 $?
expect_contains "and says which" 'examples/top.c:1: front end examples/top.c may not include' "$out"

# base/ utilities and other front ends' headers stay allowed
fresh_tree
printf '#include "base/strbuf.h"\n#include "runner/proc.h"\n#include "report/report_data.h"\n' \
    >> tree/src/cli/space.c
bash tree/scripts/check-layers.sh > /dev/null 2>&1
expect_eq "base/ and front-end headers are allowed in a front end" 0 $?

# the allowlist: an entry lets its include pass; one that matches nothing is an error
fresh_tree
echo '#include "engine/study.h"' >> tree/src/cli/space.c
sed -i '/^frontend_allowlist=(/a\    "src/cli/space.c engine/study.h -- a test of the allowlist"' \
    tree/scripts/check-layers.sh
bash tree/scripts/check-layers.sh > /dev/null 2>&1
expect_eq "an allowlisted include passes" 0 $?
sed -i '$d' tree/src/cli/space.c
out=$(bash tree/scripts/check-layers.sh 2>&1)
expect_eq "a stale allowlist entry fails" 1 $?
expect_contains "and says which" 'allowlist entry "src/cli/space.c engine/study.h" matches no include' "$out"

# the layer table and CMake's library folders must agree
fresh_tree
sed -i 's|^file(GLOB HPS_LIB_SOURCES CONFIGURE_DEPENDS|& src/extra/*.c|' tree/CMakeLists.txt
mkdir tree/src/extra
out=$(bash tree/scripts/check-layers.sh 2>&1)
expect_eq "a library folder without a rule fails" 1 $?
expect_contains "and says which" "src/extra/ is built into the library but has no rule" "$out"

finish

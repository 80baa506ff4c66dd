#!/usr/bin/env bash
# The C examples of the documentation compile and run as written: the program in the
# header's opening comment and the README's "Quick start: C", each built with the link
# line the README gives (pkg-config on the build tree), against the shared library.
# Also: the shared library exports the API and nothing else.
source "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$HPSEARCH")
export PKG_CONFIG_PATH="$BUILD/pkgconfig"
CC=${CC:-cc}
# a sanitized build's library needs its programs built with the same sanitizers
CC="$CC ${HPS_SANITIZE_CFLAGS:-}"

flags=$(pkg-config --cflags --libs hpsearch 2>&1)
expect_eq "pkg-config knows hpsearch in the build tree" 0 $?

# the header's example: the indented block of its opening comment
sed -n '1,/^\*\//p' "$HPS_SOURCE_DIR/include/hpsearch.h" |
    sed -n '/#include <hpsearch.h>/,/^ \*      }$/p' | sed 's/^ \*      //; s/^ \*$//' > header_example.c
expect_contains "the header has its example" "int main(void)" "$(cat header_example.c)"
# shellcheck disable=SC2086
out=$($CC -std=c11 -Wall -Wextra -Werror header_example.c $flags -o header_example 2>&1)
expect_eq "the header's example compiles with pkg-config's flags ($out)" 0 $?
out=$(./header_example 2>&1)
expect_eq "and runs" 0 $?
expect_contains "finding a learning rate" "best lr" "$out"

# the README's example: the ```c block under "Quick start: C"
sed -n '/^## Quick start: C/,/^## /p' "$HPS_SOURCE_DIR/README.md" |
    sed -n '/^```c$/,/^```$/p' | sed '1d;$d' > tune.c
expect_contains "the README has its example" "int main(void)" "$(cat tune.c)"
cmd=$(sed -n '/^## Quick start: C/,/^## /p' "$HPS_SOURCE_DIR/README.md" |
      sed -n '/^```sh$/,/^```$/p' | sed '1d;$d')
expect_contains "the README gives the link line" "pkg-config --cflags --libs hpsearch" "$cmd"
# shellcheck disable=SC2086
out=$($CC -std=c11 -Wall -Wextra -Werror tune.c $flags -o tune 2>&1)
expect_eq "the README's example compiles with pkg-config's flags ($out)" 0 $?
out=$(./tune 2>&1)
expect_eq "and runs" 0 $?
expect_contains "printing the best value" "best " "$out"
expect_eq "30 trials in its study" 30 "$(sql tune.db "SELECT COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = 'ridge'")"

# after `cmake --install`, wherever the prefix
cmake --install "$BUILD" --prefix "$WORK/inst" > install.log 2>&1
expect_eq "cmake --install works" 0 $?
pc=$(find "$WORK/inst" -name hpsearch.pc | head -1)
[ -n "$pc" ] && ok "the installed hpsearch.pc is at $pc" || fail "no installed hpsearch.pc"
# shellcheck disable=SC2046
out=$($CC -std=c11 tune.c $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs hpsearch) \
      -o tune-installed 2>&1)
expect_eq "the example builds against the installed library ($out)" 0 $?
out=$(LD_LIBRARY_PATH=$(dirname "$(dirname "$pc")") ./tune-installed 2>&1)
expect_eq "and runs with it" 0 $?

# what the shared library exports
others=$(nm -D --defined-only "$BUILD/libhpsearch.so" | awk '{print $3}' | grep -v '^hps_' | head -5)
expect_eq "the shared library exports only hps_ names" "" "$others"
api=$(grep -c '^HPS_API ' "$HPS_SOURCE_DIR/include/hpsearch.h")
exported=$(nm -D --defined-only "$BUILD/libhpsearch.so" | grep -c ' T hps_')
expect_eq "every declared function is exported" "$api" "$exported"
finish

#!/usr/bin/env bash
# check-layers.sh -- the include rules of CONTRIBUTING.md's layer picture, checked
# rather than reviewed: each library folder of src/ may include only the layers below it
# (and the public header), and a front end -- the command (src/cli, src/runner,
# src/report), the Python binding's C (python/src), the C examples -- only the public
# header, src/base/'s utilities, its own and other front ends' headers. CI runs it (make
# test, and tests/cli/test_check_layers.sh checks the checker); it prints every include
# that breaks a rule.
set -euo pipefail
cd "$(dirname "$0")/.."

# Library folder: the folders its files may include from (besides itself and hpsearch.h).
# The design's rule, so kept by hand; which folders the library has is CMake's
# HPS_LIB_SOURCES glob, and the two must name the same folders (checked below).
declare -A may_include=(
    [base]=""
    [storage]="base"
    [plugin]="base"
    [samplers]="base plugin"
    [pruners]="base plugin samplers"
    [engine]="base plugin samplers pruners storage"
)

# Front-end includes of private library headers that stay for now, one per line:
# "FILE TARGET -- why", FILE as the repository names it. Each needs an API that does not
# exist yet; an entry that no longer matches an include is itself an error, so the list
# only shrinks.
frontend_allowlist=(
)

status=0
complain() {
    echo "$1" >&2
    status=1
}

# The library's folders, from the globs of HPS_LIB_SOURCES in CMakeLists.txt.
lib_folders=$(sed -n '/^file(GLOB HPS_LIB_SOURCES/,/)/p' CMakeLists.txt |
              grep -o 'src/[a-z_]*/' | cut -d/ -f2 | sort -u)
[ -n "$lib_folders" ] || complain "check-layers: no library folder found in CMakeLists.txt's HPS_LIB_SOURCES"
for layer in $lib_folders; do
    [ -n "${may_include[$layer]+set}" ] ||
        complain "check-layers: src/$layer/ is built into the library but has no rule in may_include"
done
for layer in "${!may_include[@]}"; do
    grep -qx -- "$layer" <<< "$lib_folders" ||
        complain "check-layers: may_include has a rule for $layer/, which CMakeLists.txt does not build into the library"
done

# includes PATH: "file:line:delimiter:target" for every #include "..." or <...> in the C
# below PATH (a folder, searched recursively, or a file); the delimiter is " or <.
# Indented forms and "# include" count as much as "#include".
includes() {
    grep -rnHE --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$1" |
        sed -E 's/^([^:]*:[0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]*)[>"].*/\1:\2:\3/' ||
        true
}

# has_dotdot TARGET: whether a component of the include path is "..", wherever it is
# ("../x.h", "base/../engine/study.h"): such a path leaves the folder its first
# component names, so the rules below could not tell where it points
has_dotdot() {
    [[ "/$1/" == */../* ]]
}

# (the loops below use only bash builtins: a process per include made this take seconds)

# ---- the library: every include points down the layers
for layer in "${!may_include[@]}"; do
    allowed=" $layer ${may_include[$layer]} "
    while IFS=: read -r file line delim target; do
        [ "$target" = hpsearch.h ] && continue
        if has_dotdot "$target"; then
            complain "$file:$line: $layer/ may not include by a relative path (\"$target\")"
            continue
        fi
        top=${target%%/*}
        if [ "$top" = "$target" ]; then
            # <stdio.h>, <jansson.h>: a system header; "name.h": neither a layer nor public
            [ "$delim" = '<' ] && continue
            complain "$file:$line: $layer/ may not include \"$target\" (allowed:${allowed% })"
            continue
        fi
        # <sys/wait.h>, <linux/...>: a system header, unless it names a folder of src/
        [ "$delim" = '<' ] && [ ! -d "src/$top" ] && continue
        [[ "$allowed" == *" $top "* ]] ||
            complain "$file:$line: $layer/ may not include \"$target\" (allowed:${allowed% })"
    done < <(includes "src/$layer")
done

# ---- front ends: every folder of src/ the library does not build, the binding, examples
declare -A is_frontend=()
for d in src/*/; do
    d=${d%/}
    grep -qx -- "${d#src/}" <<< "$lib_folders" || is_frontend[$d]=1
done
is_frontend[python/src]=1
# examples/: each folder with C anywhere below it, and C files beside the folders
for d in examples/*/; do
    if [ -n "$(find "$d" -name '*.c' -print -quit)" ]; then is_frontend[${d%/}]=1; fi
done
for f in examples/*.c; do
    if [ -f "$f" ]; then is_frontend[$f]=1; fi
done
declare -A allowlisted=() # "FILE TARGET" -> 1 until an include uses it, then 2
for entry in "${frontend_allowlist[@]}"; do
    allowlisted[${entry%% -- *}]=1
done
for dir in $(printf '%s\n' "${!is_frontend[@]}" | sort); do
    while IFS=: read -r file line delim target; do
        if has_dotdot "$target"; then
            complain "$file:$line: a front end may not reach into the library by a relative path (\"$target\")"
            continue
        fi
        top=${target%%/*}
        # a plain name: the public header, a header beside the file, or a system one
        [ "$top" = "$target" ] && continue
        [ -d "src/$top" ] || continue # a system header (<sys/wait.h>, <linux/...>)
        [ "$top" = base ] && continue # utilities every part may use (DESIGN.md)
        [ -n "${is_frontend[src/$top]+set}" ] && continue
        if [ -n "${allowlisted["$file $target"]+set}" ]; then
            allowlisted["$file $target"]=2
            continue
        fi
        complain "$file:$line: front end ${dir%/}$([ -d "$dir" ] && echo /) may not include the library's private \"$target\" (only hpsearch.h, base/ and front-end headers; add the API it needs to include/hpsearch.h)"
    done < <(includes "$dir")
done
for key in "${!allowlisted[@]}"; do
    [ "${allowlisted[$key]}" = 2 ] ||
        complain "check-layers: allowlist entry \"$key\" matches no include: remove it"
done
[ $status -eq 0 ] && echo "check-layers: ok (every include points down the layers; front ends use the public header)"
exit $status

#!/usr/bin/env bash
# check-layers.sh -- the include rules of CONTRIBUTING.md's layer picture, checked
# rather than reviewed: each folder of src/ may include only the layers below it (and the
# public header). CI runs it (make test); it prints every include that breaks a rule.
set -euo pipefail
cd "$(dirname "$0")/.."

# folder: the folders its files may include from (besides itself and hpsearch.h)
declare -A may_include=(
    [base]=""
    [storage]="base"
    [plugin]="base"
    [samplers]="base plugin"
    [pruners]="base plugin samplers"
    [engine]="base plugin samplers pruners storage"
)

status=0
for layer in "${!may_include[@]}"; do
    allowed="$layer ${may_include[$layer]}"
    while IFS=: read -r file line text; do
        target=$(sed 's/.*#include "\([^"]*\)".*/\1/' <<< "$text")
        [ "$target" = hpsearch.h ] && continue
        top=${target%%/*}
        if [ "$top" = "$target" ] || ! grep -qw -- "$top" <<< "$allowed"; then
            echo "$file:$line: $layer/ may not include \"$target\" (allowed: $allowed)" >&2
            status=1
        fi
    done < <(grep -rn '^#include "' "src/$layer" || true)
done
[ $status -eq 0 ] && echo "check-layers: ok (every include points down the layers)"
exit $status

#!/usr/bin/env bash
# On a warm-started or resumed study the auto sampler decides with the trials the study
# holds (finished ones, the old trials among them) and with its max_trials (n_trials
# plus the warm start's): run and plan must name that choice, not the one for a fresh
# study, and it must be the strategy the trials record. Two objectives: the GP runs the
# first 100 finished trials, TPE the rest.
source "$(dirname "$0")/lib.sh"

# the source: 100 finished trials of two objectives, drawn at random (cheap)
two_objective_study v1.yaml v1 w.db 100

# the new study: 3 trials of its own after the 100 warm-started ones
sed -e 's/^study: v1/study: v2/' -e 's/^sampler: random/sampler: auto/' \
    -e 's/^n_trials: 100/n_trials: 3/' -e '/^parallel:/d' v1.yaml > v2.yaml
echo 'warm_start: {from: v1}' >> v2.yaml

# a fresh study of 3 trials would be the GP's throughout, but run creates this one with
# the 100 warm-started trials first: plan must name what run then records
planned=$("$HPSEARCH" plan v2.yaml | sed -n 's/^strategy: auto -> \([a-z]*\)\..*/\1/p')
expect_eq "plan before the warm start: the choice with the warm trials" tpe "$planned"

"$HPSEARCH" run v2.yaml >/dev/null 2>v2.err || fail "run v2.yaml: $(cat v2.err)"
said=$(sed -n 's/^hpsearch: auto chose \([a-z]*\):.*/\1/p' v2.err)
expect_eq "run names the strategy for 100 finished trials" tpe "$said"
expect_eq "the one plan named" "$planned" "$said"
recorded=$(sql w.db "SELECT DISTINCT json_extract(t.system_attrs, '$.sampler') FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'v2' AND json_extract(t.system_attrs, '$.sampler') IS NOT NULL")
expect_eq "and the trials ran with it" "$said" "$recorded"

# resumed with more trials: plan reads the stored study as the sampler will
sed -i 's/^n_trials: 3/n_trials: 5/' v2.yaml
planned=$("$HPSEARCH" plan v2.yaml | sed -n 's/^strategy: auto -> \([a-z]*\)\..*/\1/p')
expect_eq "plan on the stored study names the run-time choice" tpe "$planned"
"$HPSEARCH" run v2.yaml >/dev/null 2>v2b.err || fail "resume v2.yaml: $(cat v2b.err)"
said=$(sed -n 's/^hpsearch: auto chose \([a-z]*\):.*/\1/p' v2b.err)
expect_eq "the resumed run names it too" tpe "$said"
recorded=$(sql w.db "SELECT DISTINCT json_extract(t.system_attrs, '$.sampler') FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'v2' AND json_extract(t.system_attrs, '$.sampler') IS NOT NULL")
expect_eq "and every trial of the study ran with it" tpe "$recorded"

finish

"""A PostgreSQL URL as a Python study's storage: the same study seen from two Study
objects (as two workers would), heartbeats on, and a clear error for a bad URL.

The first test runs against the throwaway server of scripts/with-test-servers.sh
(HPS_TEST_POSTGRES_URL) and is skipped without it; the second needs no server."""
import os
import uuid

import pytest

import hpsearch

URL = os.environ.get("HPS_TEST_POSTGRES_URL")

needs_server = pytest.mark.skipif(URL is None, reason="no test PostgreSQL server "
                                  "(run under scripts/with-test-servers.sh)")


@needs_server
def test_two_study_objects_share_one_postgres_study():
    name = f"py-{uuid.uuid4().hex[:12]}"
    first = hpsearch.create_study(study_name=name, storage=URL, direction="minimize",
                                  sampler=hpsearch.samplers.RandomSampler(seed=3))
    first.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.25) ** 2, n_trials=6)
    second = hpsearch.load_study(study_name=name, storage=URL)
    second.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.25) ** 2, n_trials=4)
    numbers = sorted(t.number for t in first.trials)
    assert numbers == list(range(10))
    assert all(t.state == hpsearch.trial.TrialState.COMPLETE for t in first.trials)
    best = min(t.value for t in first.trials)
    assert first.best_value == best == second.best_value
    assert first.best_params == second.best_params
    hpsearch.delete_study(study_name=name, storage=URL)
    with pytest.raises(KeyError):
        hpsearch.load_study(study_name=name, storage=URL)


def test_bad_postgres_url_is_a_clear_error_without_the_password():
    bad = "postgresql://tuner:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(Exception) as info:
        hpsearch.create_study(study_name="x", storage=bad)
    text = str(info.value)
    assert "s3cret" not in text
    assert "127.0.0.1" in text or "postgres" in text.lower()

"""Hypothesis profiles: 'ci' is derandomized (a fixed seed: the same examples on every
run, so CI is reproducible); 'dev' searches fresh examples each run. CI=true selects
'ci'; HYPOTHESIS_PROFILE overrides either way."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") == "true" else "dev"))

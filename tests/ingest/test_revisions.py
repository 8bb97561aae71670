"""The revision plan against a plain dictionary model of 'what changed'."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bettercities.core.problems import Report
from bettercities.indicators.periods import parse_period
from bettercities.ingest.revisions import plan
from bettercities.ingest.validation import Validated

keys = st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(0, 2))  # indicator, area, period index
content = st.tuples(st.sampled_from([None, 0.0, 1.5, 2.0]), st.booleans())  # value, suppressed


def validated(entries: dict[tuple[int, int, int], tuple[float | None, bool]]) -> Validated:
    items = list(entries.items())
    n = len(items)
    return Validated(
        rows=np.arange(n) + 2,
        area_id=np.array([k[1] for k, _ in items], dtype=np.int64),
        indicator_id=np.array([k[0] for k, _ in items], dtype=np.int64),
        period=np.array([k[2] for k, _ in items], dtype=np.int64),
        periods=[parse_period(p) for p in ("2019", "2020", "2021")],
        value=np.array([np.nan if v is None else v for _, (v, _s) in items], dtype=np.float64),
        numerator=np.full(n, np.nan),
        denominator=np.full(n, np.nan),
        provisional=np.zeros(n, dtype=bool),
        estimated=np.zeros(n, dtype=bool),
        suppressed=np.array([s for _, (_v, s) in items], dtype=bool),
        indicators=[],
        empty=0,
        report=Report(),
    )


@given(
    stored=st.dictionaries(keys, st.tuples(content, st.integers(1, 3))),
    incoming=st.dictionaries(keys, content),
)
def test_plan_matches_a_dictionary_model(
    stored: dict[tuple[int, int, int], tuple[tuple[float | None, bool], int]],
    incoming: dict[tuple[int, int, int], tuple[float | None, bool]],
) -> None:
    period_ids = np.array([10, 20, 30])  # period index -> id
    rows = list(stored.items())
    current = pd.DataFrame(
        {
            "id": np.arange(len(rows), dtype=np.int64) + 100,
            "indicator_id": [k[0] for k, _ in rows],
            "area_id": [k[1] for k, _ in rows],
            "period_id": [period_ids[k[2]] for k, _ in rows],
            "value": [np.nan if c[0] is None else c[0] for _, (c, _r) in rows],
            "numerator": np.nan,
            "denominator": np.nan,
            "provisional": False,
            "estimated": False,
            "suppressed": [c[1] for _, (c, _r) in rows],
            "revision": [r for _, (_c, r) in rows],
        }
    )
    result = plan(validated(incoming), period_ids, current)

    ids = {k: 100 + i for i, (k, _) in enumerate(rows)}
    expected_new = [k for k in incoming if k not in stored]
    expected_revised = [k for k in incoming if k in stored and stored[k][0] != incoming[k]]
    assert (result.inserted, result.revised) == (len(expected_new), len(expected_revised))
    assert result.unchanged == len(incoming) - len(expected_new) - len(expected_revised)
    assert sorted(result.replaced_ids) == sorted(ids[k] for k in expected_revised)
    order = list(incoming)
    written = {order[p]: int(r) for p, r in zip(result.positions, result.revisions, strict=True)}
    assert written == {**{k: 1 for k in expected_new}, **{k: stored[k][1] + 1 for k in expected_revised}}

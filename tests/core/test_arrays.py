"""``distinct``: the result of ``numpy.unique`` (the reference: NumPy's own sort-based answer), faster for
ids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bettercities.core.arrays import distinct


@given(
    st.one_of(
        hnp.arrays(
            dtype=st.sampled_from([np.int64, np.int32, np.int16]),
            shape=st.integers(0, 300),
            elements=st.integers(-5, 2_000),
        ),
        hnp.arrays(
            dtype=st.sampled_from([np.uint64, np.uint32, np.uint8]),
            shape=st.integers(0, 300),
            elements=st.integers(0, 255),
        ),
    )
)
def test_same_as_numpys_unique(values: np.ndarray) -> None:
    expected = np.unique(values)
    found = distinct(values)
    assert found.dtype == expected.dtype
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize(
    "values",
    [
        np.array([], dtype=np.int64),
        np.array([7], dtype=np.int64),
        np.array([3, -1, 3], dtype=np.int64),  # negative: sorted instead
        np.array([2**40, 1, 2**40], dtype=np.int64),  # beyond the counted span
        np.array([2**63 - 1, 0], dtype=np.uint64),
        np.array([7, 3, 7], dtype=np.uint64),  # counted (NumPy before 2.2 refuses to count uint64 as it is)
        np.array([999_999], dtype=np.int64),  # one large id: sorted, no counts' array of a million
        np.array([1.5, 1.5, -0.0]),
        np.array(["b", "a", "b"]),
    ],
)
def test_edges(values: np.ndarray) -> None:
    expected = np.unique(values)
    found = distinct(values)
    assert found.dtype == expected.dtype
    np.testing.assert_array_equal(found, expected)


def test_a_million_ids() -> None:
    rng = np.random.default_rng(7)
    ids = rng.integers(1, 10_001, 1_000_000)
    np.testing.assert_array_equal(distinct(ids), np.unique(ids))
    assert distinct(ids[ids % 2 == 0]).tolist() == list(range(2, 10_001, 2))

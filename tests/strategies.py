"""Hypothesis strategies for the structured-clone value model."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

hashable_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
leaves = (
    hashable_leaves
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.just(-0.0)
    | st.binary(max_size=32)
    | st.binary(max_size=32).map(bytearray)
    | st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1))
)
clonable = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=6), inner, max_size=5)
        | st.sets(hashable_leaves, max_size=5)
    ),
    max_leaves=25,
)

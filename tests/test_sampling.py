"""Sampling helpers: reproducible, off the invariant lines, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrbias.errors import LrbiasError
from lrbias.gd.sampling import Range, knob_values, off_lines, starts_annulus, starts_box


def test_box_is_reproducible_and_off_lines():
    a = starts_box(1000, Range(0.5, 4), Range(0.5, 4), seed=7, random_signs=True)
    b = starts_box(1000, Range(0.5, 4), Range(0.5, 4), seed=7, random_signs=True)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert off_lines(*a, 1e-3).all()
    assert (a[0] < 0).any() and (a[1] > 0).any()
    c = starts_box(1000, Range(0.5, 4), Range(0.5, 4), seed=8)
    assert not np.array_equal(a[0], c[0])


def test_annulus_radii():
    x, y = starts_annulus(500, Range(1, 2), seed=1)
    r = np.hypot(x, y)
    assert r.min() >= 1 - 1e-12 and r.max() <= 2 + 1e-12 and off_lines(x, y, 1e-3).all()


def test_knob_values():
    v = knob_values(100, Range(2, 6), seed=0)
    assert v.min() >= 2 and v.max() <= 6
    assert np.array_equal(v, knob_values(100, Range(2, 6), seed=0)), "same seed, same values"
    assert not np.array_equal(v, knob_values(100, Range(2, 6), seed=1)), "the seed must matter"
    assert not np.array_equal(knob_values(100, Range(2, 6), seed=0, log=True),
                              knob_values(100, Range(2, 6), seed=1, log=True)), "log-uniform too"
    assert np.all(knob_values(3, Range(4, 4), seed=0) == 4)


@pytest.mark.parametrize(("text", "message"), [("3:2", "LO > HI"), ("a:b", "malformed"),
                                               ("1:2:3", "malformed"), ("0:1", "positive"),
                                               ("inf:5", "not finite")])
def test_bad_ranges(text, message):
    with pytest.raises(LrbiasError, match=message):
        Range.parse(text, "--C", positive=True)


def test_bad_n_and_seed():
    with pytest.raises(LrbiasError, match="n = 0"):
        starts_box(0, Range(1, 2), Range(1, 2), seed=0)
    with pytest.raises(LrbiasError, match="seed"):
        starts_box(5, Range(1, 2), Range(1, 2), seed=-1)
    with pytest.raises(LrbiasError, match="invariant line"):
        starts_box(5, Range(1, 1), Range(1, 1), seed=0)


def test_common_signs_keep_the_product_sign():
    x, y = starts_box(2000, Range(0.5, 4), Range(0.5, 4), seed=3, signs="common")
    assert (x * y > 0).all() and (x < 0).any() and (x > 0).any()
    again = starts_box(2000, Range(0.5, 4), Range(0.5, 4), seed=3, signs="common")
    assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])
    with pytest.raises(LrbiasError, match="signs = 'some'"):
        starts_box(5, Range(1, 2), Range(1, 2), seed=0, signs="some")


@given(st.integers(0, 2**32), st.floats(0.0, 0.1), st.integers(1, 300))
@settings(max_examples=30, deadline=None)
def test_every_sample_is_reproducible_and_in_range(seed, margin, n):
    box = starts_box(n, Range(-2, 3), Range(0.1, 5), seed=seed, margin=margin)
    assert np.array_equal(box[0], starts_box(n, Range(-2, 3), Range(0.1, 5), seed=seed, margin=margin)[0])
    assert box[0].shape == (n,) and off_lines(*box, margin).all()
    assert (box[0] >= -2).all() and (box[0] <= 3).all() and (box[1] >= 0.1).all() and (box[1] <= 5).all()
    ring = starts_annulus(n, Range(0.5, 2), seed=seed, margin=margin)
    assert np.array_equal(ring[0], starts_annulus(n, Range(0.5, 2), seed=seed, margin=margin)[0])
    knob = knob_values(n, Range(2, 6), seed=seed, log=True)
    assert np.array_equal(knob, knob_values(n, Range(2, 6), seed=seed, log=True))
    assert ((knob >= 2) & (knob <= 6)).all()

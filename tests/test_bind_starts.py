"""Binding tests of ``lrbias.claims.starts`` (issue 27): each built-in distribution pinned to its exact draw
(ranges, signs, the shell's q0, the off-line margin), the registry's name and clash rules at their boundaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrbias.claims.starts import (
    SHELL_Q0,
    STARTS,
    StartDistribution,
    _shell,
    get_starts,
    register_starts,
    start_imbalance,
)
from lrbias.errors import InvalidArgument
from lrbias.gd.sampling import Range, off_lines, starts_box


@pytest.fixture
def registry():
    """The registry restored after a test that registers."""
    saved = dict(STARTS)
    yield STARTS
    STARTS.clear()
    STARTS.update(saved)


def test_built_ins_and_their_descriptions():
    assert list(STARTS)[:3] == ["box", "unbalanced", "shell"]
    assert SHELL_Q0 == 4.0
    assert [STARTS[n].description for n in ("box", "unbalanced", "shell")] == [
        "x0, y0 uniform in [0.5, 4], independent random signs",
        "x0 uniform in [0.05, 1], y0 uniform in [3, 10], one common random sign",
        "x0² + y0² = 4, start angle uniform (isolates |d0|/q0)"]
    assert all(STARTS[n].name == n for n in STARTS)


def test_box_and_unbalanced_are_the_sampler_with_their_ranges_and_signs():
    x, y = get_starts("box")(50, 7)
    ex, ey = starts_box(50, Range(0.5, 4.0), Range(0.5, 4.0), 7, signs="independent")
    assert np.array_equal(x, ex) and np.array_equal(y, ey)
    x, y = get_starts("unbalanced")(50, 7)
    ex, ey = starts_box(50, Range(0.05, 1.0), Range(3.0, 10.0), 7, signs="common")
    assert np.array_equal(x, ex) and np.array_equal(y, ey)
    assert np.all(np.sign(x) == np.sign(y)) and np.all((np.abs(x) >= 0.05) & (np.abs(x) <= 1.0))


def test_shell_draw_is_pinned():
    """The shell's draw: 2(n − drawn) + 16 angles a round from default_rng(seed), uniform in [0, 2π), radius
    √q0, kept off the invariant lines by the relative margin 1e-3."""
    x, y = _shell(5, 3)
    rng = np.random.default_rng(3)
    theta = rng.uniform(0.0, 2 * math.pi, 2 * 5 + 16)
    a, b = 2.0 * np.cos(theta), 2.0 * np.sin(theta)
    keep = off_lines(a, b, 1e-3)
    assert np.array_equal(x, a[keep][:5]) and np.array_equal(y, b[keep][:5])
    assert np.allclose(x * x + y * y, SHELL_Q0, rtol=1e-15)
    x9, y9 = _shell(5, 3, q0=9.0)
    assert np.allclose(x9 * x9 + y9 * y9, 9.0, rtol=1e-15)
    assert np.array_equal(STARTS["shell"](5, 3)[0], x)


def test_shell_rejects_lines_and_keeps_drawing_until_n():
    """A start within the margin of y = ±x is redrawn: every start lies off both lines, n of them."""
    x, y = _shell(2000, 0)
    assert x.shape == y.shape == (2000,)
    assert np.all(off_lines(x, y, 1e-3))


@pytest.mark.parametrize("n", [0, -1, 2.0, "3", None])
def test_shell_size_is_checked(n):
    with pytest.raises(InvalidArgument, match=rf"n = {n!r} is invalid; accepted: an integer >= 1"):
        _shell(n, 0)


def test_shell_size_one_and_numpy_integers():
    assert _shell(1, 0)[0].shape == (1,)
    assert _shell(np.int64(2), 0)[0].shape == (2,)


def test_start_distribution_calls_its_sampler():
    seen = []

    def sample(n, seed):
        seen.append((n, seed))
        return np.zeros(n), np.ones(n)

    d = StartDistribution("d", "desc", sample)
    x, y = d(3, 9)
    assert seen == [(3, 9)] and x.tolist() == [0, 0, 0] and y.tolist() == [1, 1, 1]


@pytest.mark.parametrize("name", ["a-b_c9", "Z", "x-", "_1", "é"])
def test_register_accepts_letters_digits_dash_underscore(registry, name):
    def sample(n, seed):
        return np.ones(n), np.ones(n)

    d = register_starts(name, "mine", sample)
    assert d == StartDistribution(name, "mine", sample) and get_starts(name) is d


@pytest.mark.parametrize("name", ["", "-", "_", "a b", "a.b", "a/b", 3, None])
def test_register_refuses_malformed_names(registry, name):
    with pytest.raises(InvalidArgument, match=rf"start distribution name {re_escape(name)} is invalid; "
                                              r"accepted: letters, digits, - and _"):
        register_starts(name, "d", lambda n, s: (np.ones(n), np.ones(n)))


def re_escape(name):
    import re

    return re.escape(repr(name))


def test_register_again_with_the_same_sampler_is_allowed_another_is_refused(registry):
    def sample(n, seed):
        return np.ones(n), np.ones(n)

    first = register_starts("mine", "one", sample)
    again = register_starts("mine", "two", sample)
    assert again.description == "two" and first.description == "one"
    with pytest.raises(InvalidArgument, match=r"start distribution 'mine' is already registered; accepted: a new name"):
        register_starts("mine", "three", lambda n, s: sample(n, s))
    with pytest.raises(InvalidArgument, match=r"start distribution 'box' is already registered"):
        register_starts("box", "mine", sample)


def test_register_refuses_a_sampler_that_is_not_callable(registry):
    with pytest.raises(InvalidArgument, match=r"start distribution 'new': sample is not callable; accepted: "
                                              r"\(n, seed\) -> \(x0, y0\)"):
        register_starts("new", "d", 3)
    assert "new" not in STARTS


def test_get_starts_names_the_accepted_ones(registry):
    register_starts("zz", "d", lambda n, s: (np.ones(n), np.ones(n)))
    # built-ins first, then what other tests registered, the newest last
    with pytest.raises(InvalidArgument, match=r"unknown start distribution 'nope'; accepted: box, unbalanced, "
                                              r"shell(, [\w-]+)*, zz$"):
        get_starts("nope")


def test_start_imbalance_exact():
    x = np.array([1.0, 3.0, 0.0, -2.0])
    y = np.array([1.0, 1.0, 2.0, 1.0])
    assert start_imbalance(x, y).tolist() == [0.0, 0.8, 1.0, 0.6]

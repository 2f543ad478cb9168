"""minidl.validate: each validator's accepted and refused values, its exception types, its message form.

The expected results are written out by hand (MATLAB's rules: whole doubles are integers, options
match case-insensitively, logical 1/0 are flags); a sweep then calls public functions with bad
arguments and checks that each refusal has the one form ``[where: ]Arg must be ...; got ...``.
"""
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import validate
from minidl.layers import (additionLayer, batchNormalizationLayer, convolution2dLayer, dropoutLayer,
                           groupNormalizationLayer, imageInputLayer, leakyReluLayer, maxPooling2dLayer)

FORM = re.compile(r"^(?:[\w.]+: )?(?P<arg>\w+) must be (?P<expected>.+); got (?P<got>.+)$", re.S)


def refusal(call):
    """The exception ``call`` raises (it must raise TypeError or ValueError)."""
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    return info.value


ACCEPTS = [
    (lambda: validate.positive_int(3, "n"), 3),
    (lambda: validate.positive_int(np.int64(7), "n"), 7),
    (lambda: validate.positive_int(4.0, "n"), 4),  # MATLAB's double 4
    (lambda: validate.integer(0, "n", low=0), 0),
    (lambda: validate.integer(13, "n", 8, 21), 13),
    (lambda: validate.integer(-5, "n"), -5),
    (lambda: validate.real(0.5, "p", 0, 1), 0.5),
    (lambda: validate.real(0, "p", 0, 1), 0.0),
    (lambda: validate.real(1, "p", 0, 1), 1.0),
    (lambda: validate.real(np.float32(0.25), "p", 0, 1, high_open=True), 0.25),
    (lambda: validate.real(-1e300, "x"), -1e300),
    (lambda: validate.int_vector(3, "k", 2), (3, 3)),
    (lambda: validate.int_vector([2, 5], "k", 2), (2, 5)),
    (lambda: validate.int_vector(np.array([[1, 2, 3]]), "k", 3), (1, 2, 3)),
    (lambda: validate.int_vector((0, 0), "k", 2, minimum=0), (0, 0)),
    (lambda: validate.int_vector([2.0, 3.0], "k", 2), (2, 3)),
    (lambda: validate.padding("same"), ("same", None)),
    (lambda: validate.padding("SAME"), ("same", None)),
    (lambda: validate.padding(1), ("manual", (1, 1, 1, 1))),
    (lambda: validate.padding([1, 2]), ("manual", (1, 1, 2, 2))),
    (lambda: validate.padding([1, 2, 3, 4]), ("manual", (1, 2, 3, 4))),
    (lambda: validate.option("Every-Epoch", "Shuffle", ("once", "every-epoch")), "every-epoch"),
    (lambda: validate.option("once", "Shuffle", ("once", "every-epoch")), "once"),
    (lambda: validate.flag(True, "f"), True),
    (lambda: validate.flag(np.bool_(False), "f"), False),
    (lambda: validate.flag(1, "f"), True),
    (lambda: validate.flag(0, "f"), False),
    (lambda: validate.string("relu1", "Name"), "relu1"),
    (lambda: validate.numeric_type("Single", "OutputCast"), "single"),
    (lambda: validate.numeric_type("uint8", "OutputCast"), "uint8"),
]


@pytest.mark.parametrize("call, expected", ACCEPTS)
def test_accepted_values_come_back_normalised(call, expected):
    result = call()
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(result, tuple):
        assert all(type(r) is type(e) for r, e in zip(result, expected))


REFUSES = [
    # (call, exception, exact message)
    (lambda: validate.positive_int(0, "MaxEpochs"), ValueError, "MaxEpochs must be a positive integer; got 0"),
    (lambda: validate.positive_int(2.5, "n", where="f"), ValueError, "f: n must be a positive integer; got 2.5"),
    (lambda: validate.positive_int(math.inf, "n"), ValueError, "n must be a positive integer; got inf"),
    (lambda: validate.positive_int(math.nan, "n"), ValueError, "n must be a positive integer; got nan"),
    (lambda: validate.positive_int(True, "n"), TypeError, "n must be a positive integer; got True"),
    (lambda: validate.positive_int("3", "n"), TypeError, "n must be a positive integer; got '3'"),
    (lambda: validate.positive_int(None, "n"), TypeError, "n must be a positive integer; got None"),
    (lambda: validate.positive_int([3], "n"), TypeError, "n must be a positive integer; got [3]"),
    (lambda: validate.integer(-1, "n", low=0), ValueError, "n must be a non-negative integer; got -1"),
    (lambda: validate.integer(7, "OpsetVersion", 8, 21), ValueError,
     "OpsetVersion must be an integer from 8 to 21; got 7"),
    (lambda: validate.integer(1, "numInputs", low=2), ValueError, "numInputs must be an integer >= 2; got 1"),
    (lambda: validate.real(0, "learnRate", 0, low_open=True), ValueError, "learnRate must be in (0, inf); got 0"),
    (lambda: validate.real(1, "p", 0, 1, high_open=True), ValueError, "p must be in [0, 1); got 1"),
    (lambda: validate.real(-0.1, "p", 0, 1), ValueError, "p must be in [0, 1]; got -0.1"),
    (lambda: validate.real(math.nan, "p", 0, 1), ValueError, "p must be in [0, 1]; got nan"),
    (lambda: validate.real(math.inf, "x"), ValueError, "x must be a finite real number; got inf"),
    (lambda: validate.real(1e-6, "Epsilon", 1e-5, where="batchnorm"), ValueError,
     "batchnorm: Epsilon must be in [1e-05, inf); got 1e-06"),
    (lambda: validate.real("0.1", "x"), TypeError, "x must be a real number; got '0.1'"),
    (lambda: validate.real(False, "x"), TypeError, "x must be a real number; got False"),
    (lambda: validate.real(np.ones(2), "x"), TypeError, "x must be a real number; got ndarray of size 2"),
    (lambda: validate.int_vector([1, 2, 3], "Stride", 2), ValueError,
     "Stride must be a positive integer or a vector of 2 of them; got [1, 2, 3]"),
    (lambda: validate.int_vector(0, "Stride", 2), ValueError,
     "Stride must be a positive integer or a vector of 2 of them; got 0"),
    (lambda: validate.int_vector([1, 1.5], "DilationFactor", 2), ValueError,
     "DilationFactor must be a positive integer or a vector of 2 of them; got [1, 1.5]"),
    (lambda: validate.int_vector([-1, 0], "P", 2, minimum=0), ValueError,
     "P must be a non-negative integer or a vector of 2 of them; got [-1, 0]"),
    (lambda: validate.int_vector("3", "k", 2), TypeError, "k must be a positive integer or a vector of 2 of them; got '3'"),
    (lambda: validate.int_vector([1, None], "k", 2), TypeError,
     "k must be a positive integer or a vector of 2 of them; got [1, None]"),
    (lambda: validate.padding("valid"), ValueError,
     "Padding must be 'same', a non-negative integer, or a vector of 2 or 4 of them; got 'valid'"),
    (lambda: validate.padding([1, 1, 1]), ValueError,
     "Padding must be 'same', a non-negative integer, or a vector of 2 or 4 of them; got [1, 1, 1]"),
    (lambda: validate.padding(-1), ValueError,
     "Padding must be 'same', a non-negative integer, or a vector of 2 or 4 of them; got -1"),
    (lambda: validate.padding({}), TypeError,
     "Padding must be 'same', a non-negative integer, or a vector of 2 or 4 of them; got dict"),
    (lambda: validate.option("always", "Shuffle", ("once", "never")), ValueError,
     "Shuffle must be one of 'once', 'never'; got 'always'"),
    (lambda: validate.option(3, "Shuffle", ("once", "never")), TypeError,
     "Shuffle must be a string, one of 'once', 'never'; got 3"),
    (lambda: validate.flag("yes", "Verbose"), TypeError, "Verbose must be True or False; got 'yes'"),
    (lambda: validate.flag(2, "Verbose"), ValueError, "Verbose must be True or False (or 1 or 0); got 2"),
    (lambda: validate.string(3, "Name"), TypeError, "Name must be a string; got 3"),
    (lambda: validate.numeric_type("float", "DataType", ("single", "double")), ValueError,
     "DataType must be one of 'single', 'double'; got 'float'"),
    (lambda: validate.floating(np.zeros(2, np.int32), "X", where="relu"), TypeError,
     "relu: X must be single or double; got int32"),
]


@pytest.mark.parametrize("call, error, message", REFUSES)
def test_refusals_have_the_type_and_the_exact_message(call, error, message):
    err = refusal(call)
    assert type(err) is error
    assert str(err) == message
    assert FORM.match(str(err))


def test_what_came_is_shown_short():
    assert validate.shown("abc") == "'abc'"
    assert validate.shown(np.zeros((2, 3))) == "ndarray of size 2x3"
    assert validate.shown(object()) == "object"
    assert validate.shown(list(range(100))) == "list"  # a long value is named by its type, not printed


@settings(max_examples=60, deadline=None)
@given(st.integers(-10, 10), st.integers(-10, 10), st.booleans(), st.booleans(),
       st.floats(allow_nan=True, allow_infinity=True))
def test_real_accepts_exactly_the_interval(low, span, low_open, high_open, value):
    """real() against the interval's definition, written out independently."""
    high = low + abs(span)
    inside = (math.isfinite(value) and (value > low if low_open else value >= low)
              and (value < high if high_open else value <= high))
    if inside:
        assert validate.real(value, "x", low, high, low_open, high_open) == value
    else:
        err = refusal(lambda: validate.real(value, "x", low, high, low_open, high_open))
        assert type(err) is ValueError and FORM.match(str(err)).group("arg") == "x"


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False), st.lists(st.integers(-2, 6), max_size=5)),
       st.integers(0, 2))
def test_int_vector_matches_a_hand_rule(value, minimum):
    items = value if isinstance(value, list) else [value]
    items = items * 3 if len(items) == 1 else items
    ok = len(items) == 3 and all(float(v).is_integer() and v >= minimum for v in items)
    if ok:
        assert validate.int_vector(value, "k", 3, minimum) == tuple(int(v) for v in items)
    else:
        assert type(refusal(lambda: validate.int_vector(value, "k", 3, minimum))) is ValueError


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["once", "never", "every-epoch"]), st.lists(st.booleans(), min_size=11, max_size=11))
def test_option_matches_any_case_and_returns_the_canonical_spelling(choice, upper):
    spelled = "".join(c.upper() if u else c for c, u in zip(choice.ljust(11), upper)).rstrip()
    assert validate.option(spelled, "Shuffle", ("once", "never", "every-epoch")) == choice


X = minidl.dlarray(np.ones((4, 4, 2, 1), np.float32), "SSCB")
W = np.ones((3, 3, 2, 1), np.float32)
SWEEP = [
    (lambda: minidl.trainingOptions("sgdm", MaxEpochs=0), ValueError, "MaxEpochs"),
    (lambda: minidl.trainingOptions("sgdm", Verbose="yes"), TypeError, "Verbose"),
    (lambda: minidl.trainingOptions("nadam"), ValueError, "solverName"),
    (lambda: minidl.sgdmupdate(X, X, None, -1), ValueError, "learnRate"),
    (lambda: minidl.adamupdate(X, X, None, None, 0), ValueError, "iteration"),
    (lambda: minidl.relu(minidl.dlarray(np.ones(2, np.int32))), TypeError, "X"),
    (lambda: minidl.leakyrelu(X, "0.1"), TypeError, "scaleFactor"),
    (lambda: minidl.dlconv(X, W, 0, Stride=0), ValueError, "Stride"),
    (lambda: minidl.dlconv(X, W, 0, Padding="full"), ValueError, "Padding"),
    (lambda: minidl.maxpool(X, 0), ValueError, "poolsize"),
    (lambda: minidl.groupnorm(X, 3, np.zeros(2, np.float32), np.ones(2, np.float32)), ValueError, "numGroups"),
    (lambda: minidl.batchnorm(X, np.zeros(2, np.float32), np.ones(2, np.float32), Epsilon=0), ValueError,
     "Epsilon"),
    (lambda: convolution2dLayer(3, 0), ValueError, "numFilters"),
    (lambda: convolution2dLayer(3, 8, Padding="valid"), ValueError, "Padding"),
    (lambda: maxPooling2dLayer(2, Stride=[1, 2, 3]), ValueError, "Stride"),
    (lambda: dropoutLayer(1.0), ValueError, "probability"),
    (lambda: leakyReluLayer("x"), TypeError, "scale"),
    (lambda: batchNormalizationLayer(MeanDecay=2), ValueError, "MeanDecay"),
    (lambda: groupNormalizationLayer("some"), ValueError, "numGroups"),
    (lambda: imageInputLayer([28, 28, 1], Normalization="none2"), ValueError, "Normalization"),
    (lambda: additionLayer(1), ValueError, "numInputs"),
    (lambda: minidl.dlnetwork([imageInputLayer([4, 4, 2])], Initialize="no"), TypeError, "Initialize"),
    (lambda: minidl.onehotencode(minidl.categorical(["a"]), 0), ValueError, "featureDim"),
    (lambda: minidl.onehotencode(minidl.categorical(["a"]), 1, DataType="float"), ValueError, "DataType"),
    (lambda: minidl.reshape(minidl.dlarray(np.ones(4)), 2.5, 2), ValueError, "sz"),
    (lambda: minidl.sum(X, 0), ValueError, "dim"),
    (lambda: minidl.scores2label(np.ones((2, 3)), ["a", "b"], 3), ValueError, "dim"),
    (lambda: minidl.scores2label(np.ones((2, 3)), ["a", "b"], "first"), ValueError, "dim"),
]


@pytest.mark.parametrize("call, error, argname", SWEEP)
def test_public_functions_refuse_in_the_common_form(call, error, argname):
    err = refusal(call)
    assert type(err) is error
    found = FORM.match(str(err))
    assert found, str(err)
    assert found.group("arg") == argname

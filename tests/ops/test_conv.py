"""dlconv against a naive loop oracle, its gradients against finite differences, and its errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import dlarray, dlfeval, dlgradient, extractdata
from minidl.kernels import conv as conv_kernels
from minidl.kernels.im2col import Window, col2im, im2col
from minidl.ops.conv import dlconv
from minidl.ops.elementwise import tanh
from minidl.ops.reduce import sum as dlsum
from minidl.testing import gradcheck, gradgradcheck
from helpers.checks import assert_refused, on_real_gpu
from helpers.window_oracles import explicit_padding, windows
from helpers.device import assert_allclose, assert_array_equal, host

SETTINGS = settings(max_examples=40, deadline=None)


# -- oracles: plain loops over output positions -----------------------------------------------

def conv_oracle(x, w, b, stride, dilation, padding):
    patches = list(windows(x, w.shape[:2], stride, dilation, padding))
    out = np.zeros((patches[-1][0] + 1, patches[-1][1] + 1, w.shape[3], x.shape[3]))
    for ho, wo, patch in patches:
        out[ho, wo] = np.einsum("ijcn,ijcf->fn", patch, w) + np.ravel(b)[:, None]
    return out


# -- strategies ------------------------------------------------------------------------------

def pairs(lo, hi):
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi))


@st.composite
def geometries(draw, max_size=3, max_dilation=2):
    """Filter size, Stride, DilationFactor and Padding in MATLAB's spellings, plus an image size that fits."""
    size = draw(pairs(1, max_size))
    stride, dilation = draw(pairs(1, 3)), draw(pairs(1, max_dilation))
    kind = draw(st.sampled_from(["scalar", "pair", "four", "same"]))
    padding = {"scalar": st.integers(0, 2), "pair": pairs(0, 2).map(list),
               "four": st.tuples(*[st.integers(0, 2)] * 4).map(list), "same": st.just("same")}[kind]
    padding = draw(padding)
    pads = explicit_padding(padding, (9, 9), size, stride, dilation)  # only the explicit sums are used
    hw = []
    for k, (f, d) in enumerate(zip(size, dilation)):
        need = 1 if padding == "same" else max(1, d * (f - 1) + 1 - pads[2 * k] - pads[2 * k + 1])
        hw.append(draw(st.integers(need, need + 3)))
    as_matlab = (lambda p: p[0] if p[0] == p[1] and draw(st.booleans()) else list(p))
    return dict(size=size, hw=tuple(hw), Stride=as_matlab(stride), DilationFactor=as_matlab(dilation),
                Padding=padding, stride=stride, dilation=dilation)


@st.composite
def conv_cases(draw, dtype=np.float64):
    g = draw(geometries())
    C, N, F = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(g["hw"] + (C, N)).astype(dtype)
    w = rng.standard_normal(g["size"] + (C, F)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return x, w, b, g


def options(g):
    return dict(Stride=g["Stride"], Padding=g["Padding"], DilationFactor=g["DilationFactor"])


# -- forward --------------------------------------------------------------------------------

@SETTINGS
@given(conv_cases())
def test_forward_matches_loop_oracle(case):
    x, w, b, g = case
    y = dlconv(dlarray(x, "SSCB"), w, b, **options(g))
    padding = explicit_padding(g["Padding"], x.shape, g["size"], g["stride"], g["dilation"])
    assert y.fmt == "SSCB"
    assert_allclose(extractdata(y), conv_oracle(x, w, b, g["stride"], g["dilation"], padding),
                    rtol=1e-12, atol=1e-12)
    if g["Padding"] == "same":
        assert y.shape[:2] == tuple(-(-n // s) for n, s in zip(x.shape[:2], g["stride"]))


def test_same_padding_puts_the_extra_pixel_bottom_right():
    x = np.arange(16.0).reshape(4, 4, 1, 1)
    y = dlconv(dlarray(x, "SSCB"), np.ones((2, 2, 1, 1)), 0, Padding="same")
    # Total padding 1 per dimension, all of it after the image: y[i, j] sums x[i:i+2, j:j+2].
    assert extractdata(y)[0, 0, 0, 0] == x[0:2, 0:2].sum()
    assert extractdata(y)[3, 3, 0, 0] == x[3, 3, 0, 0]


def test_bias_forms_agree():
    rng = np.random.default_rng(1)
    x = dlarray(rng.standard_normal((5, 4, 2, 2)), "SSCB")
    w = rng.standard_normal((2, 2, 2, 3))
    b = rng.standard_normal(3)
    expected = extractdata(dlconv(x, w, b))
    for bias in (b.reshape(1, 1, 3), b.reshape(3, 1), dlarray(b), dlarray(b.reshape(1, 1, 3))):
        assert_array_equal(extractdata(dlconv(x, w, bias)), expected)
    assert_allclose(host(extractdata(dlconv(x, w, 0))) + b[:, None], expected, rtol=1e-12)
    assert_allclose(extractdata(dlconv(x, w, 2.5)), extractdata(dlconv(x, w, 0)) + 2.5, rtol=1e-12)


def test_ssc_input_and_data_format():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6, 2, 3))
    w, b = rng.standard_normal((3, 2, 2, 4)), rng.standard_normal(4)
    expected = extractdata(dlconv(dlarray(x, "SSCB"), w, b, Stride=[2, 1]))
    single = dlconv(dlarray(x[..., 0], "SSC"), w, b, Stride=[2, 1])
    assert single.fmt == "SSC" and single.shape == expected.shape[:3]
    assert_array_equal(extractdata(single), expected[..., 0])
    # Unformatted data in C x B x S x S order: the result is unformatted, in the same order.
    moved = dlconv(dlarray(x.transpose(2, 3, 0, 1)), w, b, Stride=[2, 1], DataFormat="CBSS")
    assert moved.fmt == ""
    assert_array_equal(extractdata(moved), expected.transpose(2, 3, 0, 1))


def test_float32_stays_float32_also_in_gradients():
    rng = np.random.default_rng(3)
    x = dlarray(rng.standard_normal((6, 6, 2, 2)).astype(np.float32), "SSCB")
    w = dlarray(rng.standard_normal((3, 3, 2, 4)).astype(np.float32))
    b = dlarray(np.zeros(4, np.float32))

    def loss(x, w, b):
        y = dlconv(x, w, b, Padding="same", Stride=2)
        return y, dlgradient(dlsum(y * y, "all"), x, w, b)

    y, grads = dlfeval(loss, x, w, b)
    assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    # Double weights with single data give single, as MATLAB's mixed arithmetic does; the
    # weights' gradient keeps their own type.
    assert dlconv(x, rng.standard_normal((3, 3, 2, 4)), 0).dtype == np.float32
    w64 = dlarray(rng.standard_normal((3, 3, 2, 4)))
    y, grads = dlfeval(loss, x, w64, b)
    assert y.dtype == np.float32 and [g.dtype for g in grads] == [np.float32, np.float64, np.float32]


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(4)
    x_data, w, b = rng.standard_normal((5, 5, 2, 2)), rng.standard_normal((3, 3, 2, 2)), rng.standard_normal(2)
    copies = [a.copy() for a in (x_data, w, b)]
    x = dlarray(x_data, "SSCB")

    def loss(x):
        return dlgradient(dlsum(dlconv(x, w, b, Padding=[1, 0, 2, 1], Stride=2), "all"), x)

    dlfeval(loss, x)
    for original, copy in zip((x_data, w, b), copies):
        assert_array_equal(original, copy)


# -- gradients ------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(conv_cases())
def test_gradients_match_finite_differences(case):
    x, w, b, g = case
    gradcheck(lambda x, w, b: dlconv(x, w, b, **options(g)), dlarray(x, "SSCB"), w, b)


def test_every_partial_derivative_on_a_tiny_case():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((4, 5, 2, 2)), rng.standard_normal((2, 2, 2, 2)), rng.standard_normal(2)
    gradcheck(lambda x, w, b: dlconv(x, w, b, Stride=[2, 1], DilationFactor=[1, 2], Padding=[1, 0, 0, 2]),
              dlarray(x, "SSCB"), w, b, elementwise=True)


@settings(max_examples=10, deadline=None)
@given(conv_cases())
def test_second_order_gradients(case):
    x, w, b, g = case
    gradgradcheck(lambda x, w, b: tanh(dlconv(x, w, b, **options(g))), dlarray(x, "SSCB"), w, b)


def test_gradient_of_a_gradient_penalty():
    """d/dw of ||d loss/dx||^2, the pattern EnableHigherDerivatives exists for."""
    rng = np.random.default_rng(6)
    x, w = dlarray(rng.standard_normal((5, 5, 2, 1)), "SSCB"), dlarray(rng.standard_normal((3, 3, 2, 2)))

    def penalty(x, w):
        gx = dlgradient(dlsum(tanh(dlconv(x, w, 0, Padding=1)), "all"), x, EnableHigherDerivatives=True)
        return dlsum(gx * gx, "all")

    def value_and_gradient(x, w):
        p = penalty(x, w)
        return p, dlgradient(p, w)

    _, gw = dlfeval(value_and_gradient, x, w)
    eps, direction = 1e-6, rng.standard_normal(w.shape)
    up = dlfeval(penalty, x, dlarray(host(extractdata(w)) + eps * direction))
    down = dlfeval(penalty, x, dlarray(host(extractdata(w)) - eps * direction))
    numeric = (float(up) - float(down)) / (2 * eps)
    assert np.isclose(numeric, np.sum(host(extractdata(gw)) * direction), rtol=1e-6, atol=1e-8)


# -- im2col and col2im are adjoint ------------------------------------------------------------

@SETTINGS
@given(geometries(), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_im2col_and_col2im_are_adjoint(g, C, N, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(g["hw"] + (C, N))
    padding = explicit_padding(g["Padding"], x.shape, g["size"], g["stride"], g["dilation"])
    window = Window(g["size"], g["stride"], g["dilation"], padding)
    cols = im2col(x, window)
    c = rng.standard_normal(cols.shape)
    assert np.isclose(np.sum(cols * c), np.sum(x * col2im(c, window, x.shape[:2])), rtol=1e-12)
    # im2col copies windows: each row (n, ho, wo) is the oracle's patch, ordered (i, j, c).
    for ho, wo, patch in windows(x, g["size"], g["stride"], g["dilation"], padding):
        assert_array_equal(cols[:, ho, wo], patch.transpose(3, 0, 1, 2))


# -- bad input ------------------------------------------------------------------------------

X = dlarray(np.zeros((5, 5, 3, 2)), "SSCB")
W = np.zeros((3, 3, 3, 4))


@pytest.mark.parametrize("call, error, words", [
    (lambda: dlconv(X, np.zeros((3, 3, 2, 4)), 0), ValueError, ["weights", "2", "3"]),
    (lambda: dlconv(dlarray(np.zeros((5, 3, 2))), W, 0), ValueError, ["X", "''"]),
    (lambda: dlconv(dlarray(np.zeros((5, 3, 2)), "SCB"), W, 0), ValueError, ["X", "'SCB'"]),
    (lambda: dlconv(dlarray(np.zeros((5, 5, 3, 2, 2)), "SSCBT"), W, 0), ValueError, ["X", "'SSCBT'"]),
    (lambda: dlconv(np.zeros((5, 5, 3, 2)), W, 0), TypeError, ["X", "DataFormat"]),
    (lambda: dlconv(X, W, 0, Stride=0), ValueError, ["Stride"]),
    (lambda: dlconv(X, W, 0, DilationFactor=[1, 2, 3]), ValueError, ["DilationFactor"]),
    (lambda: dlconv(X, W, 0, Padding=-1), ValueError, ["Padding"]),
    (lambda: dlconv(X, W, 0, Padding="valid"), ValueError, ["Padding", "same"]),
    (lambda: dlconv(X, np.zeros((7, 3, 3, 4)), 0), ValueError, ["weights", "larger"]),
    (lambda: dlconv(X, W, np.zeros(3)), ValueError, ["bias", "4"]),
    (lambda: dlconv(X, W, 0, Strides=2), TypeError, ["Strides"]),
    (lambda: dlconv(X, W.astype(np.int32), 0), TypeError, ["weights"]),
    (lambda: dlconv(dlarray(np.zeros((5, 5, 3, 2), bool), "SSCB"), W, 0), TypeError, ["X"]),
    (lambda: dlconv(np.zeros((5, 5, 3, 2), np.int64), W, 0, DataFormat="SSCB"), TypeError, ["X"]),
    (lambda: dlconv(dlarray(np.zeros((5, 5, 3, 0)), "SSCB"), W, 0), ValueError, ["empty batch"]),
    (lambda: dlconv(X, W, 0, DataFormat="SSCB"), ValueError, ["DataFormat"]),
])
def test_bad_input_is_refused_with_a_clear_message(call, error, words):
    assert_refused(call, error, words)


# -- GPU ------------------------------------------------------------------------------------

@on_real_gpu("dlconv")
def test_gpu_matches_numpy():
    import cupy
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((9, 8, 3, 2)), rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(4)
    kwargs = dict(Stride=[2, 1], DilationFactor=[1, 2], Padding="same")

    def run(x, w, b):
        y = dlconv(x, w, b, **kwargs)
        return y, dlgradient(dlsum(y * y, "all"), x, w, b)

    expected = dlfeval(run, dlarray(x, "SSCB"), dlarray(w), dlarray(b))
    got = dlfeval(run, dlarray(cupy.asarray(x), "SSCB"), dlarray(cupy.asarray(w)), dlarray(cupy.asarray(b)))
    for e, g in zip([expected[0], *expected[1]], [got[0], *got[1]]):
        assert_allclose(extractdata(g).get(), extractdata(e), rtol=1e-10, atol=1e-10)


def _one_blas_thread_reported(monkeypatch):
    """Make minidl.threads see OpenBLAS at one thread per call on two cores (its rule for two threads)."""
    from minidl import threads as policy
    monkeypatch.setattr(policy, "_openblas_get_num_threads", lambda: (lambda: 1))
    monkeypatch.setattr(policy, "_cores", lambda: 2)
    monkeypatch.setattr(policy, "_chosen", None)


@pytest.mark.parametrize("stride", [[2, 1], 1], ids=["scatter-input-gradient", "gather-input-gradient"])
def test_chunked_kernels_give_the_whole_batch_result(monkeypatch, stride):
    """Window rows made a few images at a time (kernels.conv) sum up to the one-chunk result;
    stride 1 takes the gather form of the input gradient, stride 2 the scatter-add form. The
    chunks on two worker threads give exactly the bits of the chunks in turn."""
    from minidl.kernels import conv as conv_kernels
    rng = np.random.default_rng(7)
    x = dlarray(rng.standard_normal((7, 6, 3, 5)), "SSCB")
    w, b = dlarray(rng.standard_normal((3, 2, 3, 4))), dlarray(rng.standard_normal(4))
    padding = [1, 0, 1, 1]

    def loss(x, w, b):
        y = dlconv(x, w, b, Padding=padding, Stride=stride)
        return y, dlgradient(dlsum(y * y, "all"), x, w, b)
    from minidl import threads as policy
    monkeypatch.setattr(policy, "_chosen", 1)
    whole = dlfeval(loss, x, w, b)
    window = Window((3, 2), (stride, 1) if stride == 1 else tuple(stride), (1, 1), tuple(padding))
    assert (conv_kernels._transposed(window) is None) == (stride != 1)
    Ho, Wo = window.output_size(7, 6)
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 2 * Ho * Wo * 3 * 2 * 3 * 8)  # two images' window rows
    chunks = conv_kernels._chunks(x.data, window)[0]
    assert chunks == [(0, 2), (2, 4), (4, 5)] and policy.threads() == 1
    chunked = dlfeval(loss, x, w, b)
    assert_allclose(extractdata(chunked[0]), conv_oracle(host(x.data), host(w.data), host(b.data), window.stride,
                                                          (1, 1), padding), rtol=1e-12, atol=1e-12)
    for got, expected in zip([chunked[0], *chunked[1]], [whole[0], *whole[1]]):
        assert_allclose(extractdata(got), extractdata(expected), rtol=1e-12, atol=1e-12)
    _one_blas_thread_reported(monkeypatch)
    assert policy.threads() == 2
    threaded = dlfeval(loss, x, w, b)
    for got, expected in zip([threaded[0], *threaded[1]], [chunked[0], *chunked[1]]):
        assert_array_equal(extractdata(got), extractdata(expected))


def test_rows_under_one_chunk_but_large_make_two_chunks(monkeypatch):
    """Window rows that fit one chunk but reach MIN_SPLIT_BYTES (digits conv1 at batch 32) are cut into two
    halves, so both threads get one; fewer bytes, or one image, stay one chunk. Fixed by the sizes alone."""
    from minidl.kernels import conv as conv_kernels
    window = Window((5, 5), (1, 1), (1, 1), (0, 0, 0, 0))
    per_image = 24 * 24 * 25 * 4  # float32 rows of a 28x28x1 image: 57,600 bytes
    x = np.zeros((28, 28, 1, 32), np.float32)
    assert 32 * per_image < conv_kernels.CHUNK_BYTES
    monkeypatch.setattr(conv_kernels, "MIN_SPLIT_BYTES", 32 * per_image)
    assert conv_kernels._chunks(x, window) == ([(0, 16), (16, 32)], 576)
    assert conv_kernels._chunks(x[..., :31], window)[0] == [(0, 31)]  # under MIN_SPLIT_BYTES
    monkeypatch.setattr(conv_kernels, "MIN_SPLIT_BYTES", 1)
    assert conv_kernels._chunks(x[..., :1], window)[0] == [(0, 1)]
    assert conv_kernels._chunks(x[..., :3], window)[0] == [(0, 2), (2, 3)]


def test_chunks_of_device_data_run_in_turn(monkeypatch):
    """Device data makes one launch per chunk on the calling thread, whatever the thread rule says."""
    import threading
    from minidl import testing_strict
    from minidl.kernels import conv as conv_kernels
    _one_blas_thread_reported(monkeypatch)
    seen = []
    chunks = [(k, k + 1) for k in range(5)]
    assert conv_kernels._map_chunks(testing_strict.xp, lambda a, b: seen.append(threading.get_ident()) or a,
                                    chunks) == [0, 1, 2, 3, 4]
    assert set(seen) == {threading.get_ident()}


def _conv_in_child(queue):
    queue.put(_small_conv())


def _small_conv():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((6, 6, 2, 6)), rng.standard_normal((3, 3, 2, 2))
    return host(extractdata(dlconv(dlarray(x, "SSCB"), w, 0, Padding=1)))


def test_worker_threads_in_a_forked_child(monkeypatch):
    """A child made by fork after the parent used its worker threads gets its own (the parent's do not
    exist there): the convolution finishes with the same result."""
    import multiprocessing
    from minidl.kernels import conv as conv_kernels
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform: a child imports minidl afresh")
    _one_blas_thread_reported(monkeypatch)
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 1)  # one image a chunk: 6 chunks
    expected = _small_conv()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_conv_in_child, args=(queue,))
    child.start()
    got = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert_array_equal(got, expected)


def test_weight_gradients_made_by_idle_workers_equal_those_made_at_once(monkeypatch):
    """With the pool on, a convolution's weight gradient is left for the idle workers while the walk goes on
    (autodiff.gradient.defer): weights used by two convolutions (their gradients added), read again by a
    later op (a rule that reads values), or handed back through reshapes get bit for bit the gradients made
    at once, and the float64 finite-difference check holds."""
    from minidl.kernels import conv as conv_kernels
    from minidl.ops.elementwise import times
    _one_blas_thread_reported(monkeypatch)
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 1)  # one image a chunk: several parts for the workers
    rng = np.random.default_rng(11)
    x = dlarray(rng.standard_normal((6, 5, 2, 4)), "SSCB")
    w = dlarray(rng.standard_normal((3, 3, 2, 2)))
    v = dlarray(rng.standard_normal((3, 3, 2, 3)))

    def loss(x, w, v):
        y = dlconv(x, w, 0, Padding=1)
        z = dlconv(x, w, 0, Padding="same") * 0.5 + dlconv(y, w, 0, Padding=1)  # w in three convolutions
        shared = dlsum(z * z, "all") + dlsum(tanh(times(w, w)), "all")  # and read again by a rule
        return dlgradient(shared + dlsum(dlconv(x, v, 0) ** 2, "all"), x, w, v)
    from minidl import threads as policy
    from minidl.kernels import parallel
    started = []
    monkeypatch.setattr(parallel, "later", lambda fn, parts, real=parallel.later: started.append(policy.threads())
                        or real(fn, parts))
    deferred = dlfeval(loss, x, w, v)
    if type(x.data) is np.ndarray:  # host data: each weight gradient was left for the workers (devices: no pool)
        assert len(started) == 4 and set(started) == {2}
    real = conv_kernels.backward
    monkeypatch.setattr(conv_kernels, "backward", lambda *a, **k: real(*a, **{**k, "later": False}))
    at_once = dlfeval(loss, x, w, v)
    for got, want in zip(deferred, at_once):
        assert_array_equal(extractdata(got), extractdata(want))
    monkeypatch.setattr(conv_kernels, "backward", real)
    assert gradcheck(lambda x, w: dlsum(dlconv(dlconv(x, w, 0, Padding=1), w, 0, Padding=1) ** 2, "all"), x, w)


# -- two outputs a window row (kernels.conv._Pairs) ------------------------------------------

def _one_output_rows(x, window, F, pairs=conv_kernels._Pairs):
    """kernels.conv._Pairs switched off: every window row gives one output."""
    off = pairs(x, window, F)
    off.window = None
    return off


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(2, 3), st.data(), st.integers(1, 2), st.integers(2, 3), st.integers(1, 3),
       st.integers(0, 2**32 - 1))
def test_widened_filters_hold_each_output_s_taps_where_its_window_sits(fh, fw, data, dh, C, F, seed):
    """The widened (FH*width*C, 2F) matrix: the first output's filters at the window's columns from 0, the
    second's from the stride on, zeros everywhere else (windows that overlap: a stride under the filter width)."""
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, fw - 1)))
    window = Window((fh, fw), stride, (dh, 1), (0, 0, 0, 0))
    W = stride[1] + fw  # an output width of 2
    pairs = conv_kernels._Pairs(np.zeros((dh * (fh - 1) + 1, W, C, 1)), window, F)
    assert window.output_size(dh * (fh - 1) + 1, W)[1] == 2 and pairs.window is not None
    assert pairs.window.size == (fh, W) and pairs.window.stride == (stride[0], 2 * stride[1])
    w = np.random.default_rng(seed).standard_normal((fh * fw * C, F))
    widened = pairs.weights(w).reshape(fh, W, C, 2, F)
    expected = np.zeros_like(widened)
    for s in (0, 1):
        expected[:, s * stride[1]:s * stride[1] + fw, :, s] = w.reshape(fh, fw, C, F)
    assert_array_equal(widened, expected)


def test_two_outputs_a_row_apply_to_host_data_of_several_channels_few_filters_and_an_even_output_width():
    from minidl import testing_strict
    window = Window((3, 3), (1, 1), (1, 1), (1, 1, 1, 1))
    most = conv_kernels.MAX_PAIRED_FILTERS
    assert conv_kernels._Pairs(np.zeros((6, 6, 2, 1)), window, most).window == Window((3, 4), (1, 2), (1, 1),
                                                                                      (1, 1, 1, 1))
    assert conv_kernels._Pairs(np.zeros((6, 6, 2, 1)), window, most + 1).window is None  # many filters
    for apart in (Window((3, 3), (1, 1), (1, 2), (2, 2, 2, 2)), Window((3, 3), (1, 3), (1, 1), (1, 1, 1, 1)),
                  Window((3, 1), (1, 1), (1, 1), (1, 1, 0, 0))):  # dilated, stride >= width, one column
        assert conv_kernels._Pairs(np.zeros((6, 6, 2, 1)), apart, 3).window is None  # windows that do not overlap
    assert conv_kernels._Pairs(np.zeros((6, 5, 2, 1)), window, 3).window is None  # odd output width
    assert conv_kernels._Pairs(np.zeros((6, 6, 1, 1)), window, 3).window is None  # one channel: tap-major rows
    assert conv_kernels._Pairs(testing_strict.xp.zeros((6, 6, 2, 1)), window, 3).window is None  # device data


@settings(max_examples=30, deadline=None)
@given(geometries(), st.integers(2, 3), st.integers(1, 2), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_two_outputs_a_row_give_the_one_output_results(g, C, N, F, seed):
    """Forward and input gradient of the kernels with two outputs a row equal those with one (float64), for every
    geometry of overlapping windows and an even output width; the weight gradient is made one output a row."""
    padding = explicit_padding(g["Padding"], g["hw"], g["size"], g["stride"], g["dilation"])
    window = Window(g["size"], g["stride"], g["dilation"], tuple(padding))
    Ho, Wo = window.output_size(*g["hw"])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, *g["hw"], C)).transpose(1, 2, 3, 0)
    w = rng.standard_normal((g["size"][0] * g["size"][1] * C, F))
    dy = rng.standard_normal((N * Ho * Wo, F))
    paired = conv_kernels._Pairs(x, window, F).window is not None
    overlapping = g["dilation"][1] == 1 and g["stride"][1] < g["size"][1]
    assert paired == (Wo % 2 == 0 and overlapping)
    both = conv_kernels.forward(x, w, None, window), *conv_kernels.backward(dy, x, w, window, True, True)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(conv_kernels, "_Pairs", _one_output_rows)
        one = conv_kernels.forward(x, w, None, window), *conv_kernels.backward(dy, x, w, window, True, True)
    for got, want in zip(both, one):
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul:RuntimeWarning")  # NaN in: NaN out
def test_a_non_finite_pixel_reaches_only_the_outputs_whose_windows_hold_it(monkeypatch):
    """The widened weights' zeros meet pixels outside an output's window (0 * Inf = NaN): a chunk whose outputs
    are not all finite is made again with one output a row, so Inf and NaN land exactly where they would."""
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 1)  # one image a chunk: the clean image keeps its pairs
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 8, 8, 2)).astype(np.float32)
    x[0, 3, 4, 1], x[1, 0, 7, 0] = np.inf, np.nan
    x = x.transpose(1, 2, 3, 0)
    window = Window((3, 3), (1, 1), (1, 1), (0, 0, 0, 0))
    w = rng.standard_normal((18, 4)).astype(np.float32)
    calls = []
    real_matmul = np.matmul
    monkeypatch.setattr(np, "matmul", lambda a, b, **k: calls.append(b.shape) or real_matmul(a, b, **k))
    y = conv_kernels.forward(x, w, None, window).reshape(3, 6, 6, 4)
    monkeypatch.setattr(np, "matmul", real_matmul)
    assert calls.count((24, 8)) == 3 and calls.count((18, 4)) == 2  # the two images with a bad pixel again
    with monkeypatch.context() as m:
        m.setattr(conv_kernels, "_Pairs", _one_output_rows)
        want = conv_kernels.forward(x, w, None, window).reshape(3, 6, 6, 4)
    assert_array_equal(y, want)
    assert np.isinf(y[0, 1:4, 2:5]).all() and np.isnan(y[1, 0, 5]).all()
    assert np.isfinite(np.delete(y[0].reshape(36, 4), [r * 6 + c for r in range(1, 4) for c in range(2, 5)], 0)).all()
    assert np.isfinite(y[2]).all()

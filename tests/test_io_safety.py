"""save is atomic and keeps exact types; load checks every layer against its hyperparameters and neighbours."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minidl
from minidl import dlarray, dlnetwork
from minidl.layers import convolution2dLayer, flattenLayer, fullyConnectedLayer, imageInputLayer, reluLayer
from helpers.device import assert_array_equal

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_a_failed_save_leaves_the_previous_file_byte_identical(tmp_path):
    target = tmp_path / "model.mat"
    minidl.save(target, x=np.arange(5.0))
    before = target.read_bytes()
    # A child process whose file-size limit the new file exceeds: the write fails half-way.
    child = textwrap.dedent(f"""
        import resource, signal, sys
        import numpy as np
        sys.path.insert(0, {os.path.abspath(ROOT)!r})
        import minidl
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write raises OSError instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) + 4096}, {len(before) + 4096}))
        try:
            minidl.save({str(target)!r}, x=np.random.default_rng(0).standard_normal(200_000))
        except OSError as err:
            print("failed:", err.errno)
            sys.exit(3)
    """)
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.mat"]  # no temporary file is left behind
    assert_array_equal(minidl.load(target).x, np.arange(5.0))


def test_save_replaces_a_file_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "model.mat"
    minidl.save(target, x=1.0)
    os.chmod(target, 0o640)
    minidl.save(target, x=2.0)
    assert minidl.load(target).x == 2.0 and (os.stat(target).st_mode & 0o777) == 0o640


def test_numpy_scalars_and_string_arrays_round_trip_with_exact_types(tmp_path):
    values = {"f32": np.float32(1.25), "f64": np.float64(-2.5), "i16": np.int16(-7), "u8": np.uint8(200),
              "flag": np.bool_(True), "word": np.str_("seven"), "classes": np.array(["0", "1", "10"]),
              "grid": np.array([["a", "bc"], ["d", "e"]]), "plain": 3.5, "count": 4, "yes": True}
    minidl.save(tmp_path / "s.mat", **values)
    loaded = minidl.load(tmp_path / "s.mat")
    for name, value in values.items():
        got = loaded[name]
        assert type(got) is type(value), name
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and np.array_equal(got, value), name
        else:
            assert got == value, name
    # A loaded single scalar keeps a single dlarray single (a Python float would not change it either,
    # but np.float64 would promote nothing and np.float32 must stay np.float32).
    assert (dlarray(np.ones(2, np.float32)) * loaded.f32).dtype == np.float32


def _tampered(layer, **values):
    """layer with values set behind the constructor's back, as an edited file would hold them."""
    for name, value in values.items():
        object.__setattr__(layer, name, dlarray(np.asarray(value, np.float32)))
    return layer


def _small_net():
    return dlnetwork([imageInputLayer([6, 6, 2], Normalization="none", Name="in"),
                      convolution2dLayer(3, 4, Name="conv1"), reluLayer(Name="relu"),
                      convolution2dLayer(3, 5, Name="conv2"), flattenLayer(Name="flat"),
                      fullyConnectedLayer(3, Name="fc")])


def _save_with(tmp_path, layer_name, **values):
    net = _small_net()
    _tampered(net.graph._by_name[layer_name], **values)  # the network's own layer object, edited in place
    path = tmp_path / "edited.mat"
    minidl.save(path, dlnet=net)
    return path


def test_load_checks_values_against_the_layer_hyperparameters(tmp_path):
    path = _save_with(tmp_path, "conv1", Bias=np.zeros((1, 1, 3)))  # 4 filters, 3 biases
    with pytest.raises(ValueError, match=r"layer 'conv1' \(Convolution2DLayer\) is inconsistent: .*Bias must be "
                                         r"of size 1x1x4; got 1x1x3"):
        minidl.load(path)


def test_load_checks_values_against_the_neighbouring_layers(tmp_path):
    path = _save_with(tmp_path, "conv2", Weights=np.zeros((3, 3, 3, 5)))  # conv1 gives 4 channels, not 3
    with pytest.raises(ValueError, match="Layer 'conv2'.*NumChannels is 3 but the input has 4 channels"):
        minidl.load(path)
    path = _save_with(tmp_path, "fc", Weights=np.zeros((3, 7)))  # flat gives 2x2x5 = 20 values
    with pytest.raises(ValueError, match="Layer 'fc'.*InputSize 7 but the input has 20"):
        minidl.load(path)


def test_the_digits_network_still_loads():
    s = minidl.load(os.path.join(ROOT, "data", "digitsCustom.mat"))
    assert s.dlnet.Initialized and len(s.dlnet.Layers) == 12

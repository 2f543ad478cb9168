"""minidl.save / minidl.load: bit-exact .mat round trips of networks and values, clear errors for other files."""
import numpy as np
import pytest
import scipy.io
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import seed
from helpers.network_nets import images, small_layers
from helpers.network_nets import residual_net

import minidl
from minidl import dlarray
from minidl.data import categorical
from minidl.network import dlnetwork, forward, initialize, predict
from minidl.table import Table
from helpers.device import assert_array_equal, host


def assert_same_network(a, b):
    assert repr(a) == repr(b)
    assert a.Connections.Source == b.Connections.Source and a.Connections.Destination == b.Connections.Destination
    assert a.InputNames == b.InputNames and a.OutputNames == b.OutputNames and a.Initialized == b.Initialized
    for table_a, table_b in ((a.Learnables, b.Learnables), (a.State, b.State)):
        assert table_a.Layer == table_b.Layer and table_a.Parameter == table_b.Parameter
        for x, y in zip(table_a.Value, table_b.Value):
            if x is None:
                assert y is None
                continue
            assert x.dtype == y.dtype and x.shape == y.shape and x.fmt == y.fmt
            assert_array_equal(x.data, y.data)
    for x, y in zip(a.Layers, b.Layers):
        assert type(x) is type(y) and x.description() == y.description()
        plain = {k: v for k, v in vars(x).items() if not isinstance(v, (dlarray, np.ndarray))}
        assert plain == {k: v for k, v in vars(y).items() if not isinstance(v, (dlarray, np.ndarray))}
        for k, v in vars(x).items():
            if isinstance(v, np.ndarray):
                assert_array_equal(v, getattr(y, k))


@pytest.fixture(scope="module")
def trained_digits():
    net = initialize(dlnetwork(seed.digits_layers(), Initialize=False), generator=np.random.default_rng(0))
    _, state = forward(net, images(size=28, n=4))
    net.State = state  # non-trivial state values
    return net


def test_digits_round_trip_with_categorical_classes(tmp_path, trained_digits):
    classes = categorical([str(d) for d in range(10)])
    path = tmp_path / "digitsCustom.mat"
    minidl.save(path, dlnet=trained_digits, classes=classes)
    s = minidl.load(path)
    assert sorted(s) == ["classes", "dlnet"] and s.dlnet is s["dlnet"]
    assert_same_network(trained_digits, s.dlnet)
    assert s.classes.categories == classes.categories and np.all(s.classes == classes)
    X = images(size=28, n=3)
    assert_array_equal(predict(s.dlnet, X).data, predict(trained_digits, X).data)
    with pytest.raises(AttributeError, match="no variable 'net'; it has \\['classes', 'dlnet'\\]"):
        s.net


def test_residual_graph_and_uninitialised_network_round_trip(tmp_path):
    net = residual_net()
    net.OutputNames = ["relu1", "softmax"]
    unset = dlnetwork(small_layers(), Initialize=False)
    path = tmp_path / "graph.mat"
    minidl.save(path, net=net, unset=unset, classes=["cat", "dog", "bird"])
    s = minidl.load(path)
    assert_same_network(net, s.net)
    assert "add/in2" in s.net.Connections.Destination and s.net.Layers[4].NumInputs == 2
    assert_same_network(unset, s.unset)
    assert s.classes == ["cat", "dog", "bird"]
    assert_array_equal(initialize(s.unset, generator=np.random.default_rng(1)).Learnables.Value[0].data,
                       initialize(unset, generator=np.random.default_rng(1)).Learnables.Value[0].data)


def test_values_round_trip(tmp_path):
    labels = categorical(np.array([["b", None], ["a", "b"]], dtype=object), categories=["a", "b", "c"])
    table = Table(Layer=["x"], Parameter=["p"], Value=[dlarray(np.arange(3.0), "CB")])
    values = {"labels": labels, "table": table, "nested": {"k": [(1, 2.5, "s"), [], None, True]},
              "x": dlarray(np.float32(2.5)), "empty": np.zeros((0, 3))}
    minidl.save(tmp_path / "v.mat", **values)
    s = minidl.load(tmp_path / "v.mat")
    assert s.labels.shape == (2, 2) and s.labels.categories == ["a", "b", "c"]
    assert np.array_equal(minidl.isundefined(s.labels), [[False, True], [False, False]])
    assert np.all((s.labels == "b") == (labels == "b"))
    assert s.table.Layer == ["x"] and s.table.Value[0].fmt == "CB"
    assert s.nested == {"k": [(1, 2.5, "s"), [], None, True]}
    assert s.x.shape == () and s.x.dtype == np.float32 and s.empty.shape == (0, 3)


def test_table_columns_keep_their_type_and_the_extension_is_added(tmp_path):
    counts = Table(Label=categorical(["a", "b"]).reshape(2, 1), Count=np.array([3, 4]))
    minidl.save(tmp_path / "counts", counts=counts)  # MATLAB's save adds .mat
    assert (tmp_path / "counts.mat").exists()
    loaded = minidl.load(tmp_path / "counts").counts
    assert isinstance(loaded.Label, categorical) and (loaded.Label == "b").tolist() == [[False], [True]]
    assert isinstance(loaded.Count, np.ndarray) and loaded.Count.tolist() == [3, 4]


def test_memory_layout_survives(tmp_path):
    # Kernels may sum in a different order for another layout, so the layout is kept for bit-equal results.
    base = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    arrays = {"c": base, "f": np.asfortranarray(base), "t": base.transpose(2, 0, 1), "w": dlarray(base.T)}
    minidl.save(tmp_path / "layout.mat", **arrays)
    s = minidl.load(tmp_path / "layout.mat")
    for name, original in arrays.items():
        original = original.data if isinstance(original, dlarray) else original
        loaded = s[name].data if isinstance(s[name], dlarray) else s[name]
        assert loaded.strides == original.strides
        assert_array_equal(loaded, original)


@settings(max_examples=30)
@given(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
       st.lists(st.integers(0, 3), max_size=4), st.integers(0, 2 ** 31))
def test_arrays_round_trip_bit_exact(tmp_path_factory, dtype, shape, seed):
    data = np.asarray(np.random.default_rng(seed).standard_normal(shape) * 100).astype(dtype)
    path = tmp_path_factory.mktemp("arrays") / "a.mat"
    minidl.save(path, a=data, d=dlarray(data.astype(np.float32)) if dtype != np.bool_ else data)
    s = minidl.load(path)
    assert s.a.dtype == data.dtype and s.a.shape == data.shape
    assert_array_equal(s.a, data)
    assert np.array_equal(host(s.d.data if isinstance(s.d, dlarray) else s.d), np.asarray(
        data.astype(np.float32) if dtype != np.bool_ else data))


def test_foreign_truncated_and_missing_files(tmp_path, trained_digits):
    foreign = tmp_path / "foreign.mat"
    scipy.io.savemat(foreign, {"W": np.ones((3, 3)), "name": "net"})
    with pytest.raises(ValueError, match=r"not written by minidl.save.*\['W', 'name'\]"):
        minidl.load(foreign)
    good = tmp_path / "good.mat"
    minidl.save(good, dlnet=trained_digits)
    data = good.read_bytes()
    for cut in (100, len(data) // 2, len(data) - 20):
        truncated = tmp_path / f"cut{cut}.mat"
        truncated.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated"):
            minidl.load(truncated)
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"not a mat file at all" * 20)
    with pytest.raises(ValueError, match="not a readable .mat file"):
        minidl.load(garbage)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        minidl.load(tmp_path / "missing.mat")
    with pytest.raises(TypeError, match="filename must be a path"):
        minidl.load(3)


def test_save_errors_write_nothing(tmp_path):
    path = tmp_path / "bad.mat"
    with pytest.raises(TypeError, match=r"cannot save stuff\[1\]: values of type object"):
        minidl.save(path, ok=1, stuff=[1, object()])
    with pytest.raises(ValueError, match="variable name '_x' is not a valid MATLAB name"):
        minidl.save(path, _x=1)
    with pytest.raises(TypeError, match="at least one variable"):
        minidl.save(path)
    with pytest.raises(TypeError, match="filename must be a path; got int"):
        minidl.save(5, x=1)
    with pytest.raises(TypeError, match="dict keys must be strings"):
        minidl.save(path, d={1: 2})
    with pytest.raises(TypeError, match="values of type function"):
        minidl.save(path, f=lambda x: x)  # only a layer's used-up initialiser may be dropped
    with pytest.raises(TypeError, match=r"TaylorPrunableNetwork are not supported; save dlnetwork\(prunableNet\)"):
        minidl.save(path, p=minidl.taylorPrunableNetwork(initialize(dlnetwork(small_layers(), Initialize=False))))
    assert not path.exists()


def test_every_stored_kind_round_trips_with_its_exact_type(tmp_path):
    """One value per row of io's (tag, encode, decode) table; a row added without a value here fails."""
    from minidl import io
    from minidl.layers import reluLayer
    samples = {"none": None, "dlarray": dlarray(np.ones((2, 3), np.float32), "CB"),
               "strings": np.array([["a", "bc"]]), "scalar": np.int16(-4), "bool": False, "int": 7, "float": 0.25,
               "str": "text", "ndarray": np.arange(6, dtype=np.uint8).reshape(2, 3),
               "categorical": categorical(["b", "a", "b"]), "dlnetwork": dlnetwork(small_layers(), Initialize=False),
               "layer": reluLayer(Name="r"), "table": Table(A=np.arange(2.0), B=categorical(["x", "y"]).T),
               "list": [1, "a"], "tuple": (2.0, None), "dict": {"k": (1,)}}
    assert set(samples) == {kind.tag for kind in io._kinds()}
    minidl.save(tmp_path / "kinds.mat", **{f"v_{tag}": value for tag, value in samples.items()})
    loaded = minidl.load(tmp_path / "kinds.mat")
    for tag, value in samples.items():
        back = loaded[f"v_{tag}"]
        assert type(back) is type(value), tag
        if isinstance(value, (np.ndarray, np.generic)):
            assert back.dtype == value.dtype and np.array_equal(back, value)
        elif isinstance(value, dlarray):
            assert back.fmt == value.fmt and np.array_equal(host(back.data), host(value.data)) and back.dtype == value.dtype
        elif isinstance(value, categorical):
            assert back.categories == value.categories and (back == value).all()
        elif isinstance(value, Table):
            assert back.VariableNames == value.VariableNames
            assert np.array_equal(back["A"], value["A"]) and (back["B"] == value["B"]).all()
        elif isinstance(value, dlnetwork):
            assert_same_network(back, value)
        elif tag == "layer":
            assert vars(back) == vars(value)
        else:
            assert back == value

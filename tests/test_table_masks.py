"""MATLAB's row selection by a logical mask: L(L.Layer == "conv1", :) is L[L.Layer == "conv1", :]."""
import numpy as np
import pytest

from minidl import Table, dlnetwork
from minidl.layers import convolution2dLayer, fullyConnectedLayer, imageInputLayer


@pytest.fixture(scope="module")
def learnables():
    net = dlnetwork([imageInputLayer([4, 4, 1], Normalization="none", Name="in"),
                     convolution2dLayer(3, 2, Name="conv1"), fullyConnectedLayer(3, Name="fc")])
    return net.Learnables


def test_comparing_a_column_with_one_value_gives_a_logical_vector(learnables):
    mask = learnables.Layer == "conv1"
    assert isinstance(mask, np.ndarray) and mask.dtype == bool and mask.tolist() == [True, True, False, False]
    assert (learnables.Parameter != "Bias").tolist() == [True, False, True, False]
    assert learnables.Layer == ["conv1", "conv1", "fc", "fc"]  # a whole list still compares as a list


def test_a_mask_selects_rows(learnables):
    conv = learnables[learnables.Layer == "conv1", :]
    assert isinstance(conv, Table) and conv.Parameter == ["Weights", "Bias"]
    assert conv.Value[0].shape == (3, 3, 1, 2)
    weights = learnables[learnables.Parameter == "Weights", ["Layer", "Value"]]
    assert weights.VariableNames == ["Layer", "Value"] and weights.Layer == ["conv1", "fc"]
    assert learnables[np.array([False, False, False, True])].Parameter == ["Bias"]
    assert learnables[[0, 2], :].Layer == ["conv1", "fc"]


def test_a_mask_of_the_wrong_length_is_a_clear_error(learnables):
    with pytest.raises(IndexError, match="one element per row: the table has 4 rows, the mask has 3"):
        learnables[np.array([True, False, True]), :]
    with pytest.raises(KeyError, match="no variables \\['Nope'\\]"):
        learnables[:, ["Nope"]]

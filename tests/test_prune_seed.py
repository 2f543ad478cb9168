"""MATLAB's taylorPrunableNetwork reference example, transcribed in examples/prune_digits_seed.py."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
import prune_digits_seed  # noqa: E402

PRUNABLE_1 = """\
prunableNet_1 = 
  TaylorPrunableNetwork with properties:

      Learnables: [14x3 table]
           State: [6x3 table]
      InputNames: {'input'}
     OutputNames: {'softmax'}
    NumPrunables: 48
"""

CONV_LAYERS_1 = """\
conv_layers_1 = 
  3x1 Convolution2DLayer array with layers:

     1   'conv1'   2-D Convolution   20 5x5x1 convolutions with stride [1  1] and padding [0  0  0  0]
     2   'conv2'   2-D Convolution   20 3x3x20 convolutions with stride [1  1] and padding [1  1  1  1]
     3   'conv3'   2-D Convolution   20 3x3x20 convolutions with stride [1  1] and padding [1  1  1  1]"""

CONV_ROW = (r"     (\d)   '(conv\d)'   2-D Convolution   (\d+) (\d)x(\d)x(\d+) convolutions with stride \[1  1\] "
            r"and padding \[([01])  \7  \7  \7\]")


@pytest.fixture(scope="module")
def seed_run():
    shown = []
    result = prune_digits_seed.main(show=shown.append)
    return shown, result


def test_displays_match_the_reference_page(seed_run):
    shown, _ = seed_run
    assert shown[1] == PRUNABLE_1
    assert shown[2] == PRUNABLE_1.replace("prunableNet_1", "prunableNet_2").replace("48", "40")
    assert shown[3].rstrip() == CONV_LAYERS_1


def test_one_update_prunes_eight_filters_across_the_three_convolutions(seed_run):
    shown, (dlnet_1, prunableNet_1, prunableNet_2, dlnet_2) = seed_run
    assert prunableNet_1.NumPrunables == 48 and prunableNet_2.NumPrunables == 40
    lines = shown[4].rstrip().split("\n")
    assert lines[:3] == ["conv_layers_2 = ", "  3x1 Convolution2DLayer array with layers:", ""]
    rows = [re.fullmatch(CONV_ROW, line) for line in lines[3:]]
    assert all(rows) and len(rows) == 3, lines
    filters = [int(r.group(3)) for r in rows]
    channels = [int(r.group(6)) for r in rows]
    assert sum(filters) == 52 and all(4 <= f <= 20 for f in filters)  # never below the 20% floor
    assert channels == [1, filters[0], filters[1]]  # each convolution reads what the previous one kept
    assert [layer.NumFilters for layer in dlnet_2.Layers[[1, 4, 7]]] == filters
    assert dlnet_2.Layers[10].InputSize == 24 * 24 * filters[2]

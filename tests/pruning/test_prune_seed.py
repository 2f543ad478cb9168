"""MATLAB's taylorPrunableNetwork reference example, transcribed in examples/prune_digits_seed.py."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
import prune_digits_seed  # noqa: E402
from helpers import seed  # noqa: E402

CONV_ROW = (r"     (\d)   '(conv\d)'   2-D Convolution   (\d+) (\d)x(\d)x(\d+) convolutions with stride \[1  1\] "
            r"and padding \[([01])  \7  \7  \7\]")


@pytest.fixture(scope="module")
def seed_run():
    shown = []
    result = prune_digits_seed.main(show=shown.append)
    return shown, result


def test_displays_match_the_reference_page(seed_run):
    shown, _ = seed_run
    assert shown[0].rstrip() == "layers_1 = \n" + seed.LAYERS
    assert shown[1] == "prunableNet_1 = \n" + seed.PRUNABLE
    assert shown[2] == "prunableNet_2 = \n" + seed.PRUNABLE.replace("48", "40")
    assert shown[3].rstrip() == "conv_layers_1 = \n" + seed.CONVS


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

"""Checks of the committed DigitDataset (data/DigitDataset), without regenerating it.

Set MINIDL_REGEN_DATASET=1 to also remake a sample of images with
tools/make_digit_dataset.py and compare them byte for byte (needs the Debian
font packages and the library versions named in data/DigitDataset/README.md).
"""

import csv
import hashlib
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "DigitDataset"
TOOL = REPO / "tools" / "make_digit_dataset.py"
PER_CLASS = 1000
SEED = 0


def expected_names(digit):
    """MATLAB's numbering: folder 0 holds image9001..10000, folder d holds (d-1)*1000+1..d*1000."""
    first = 9 * PER_CLASS + 1 if digit == 0 else (digit - 1) * PER_CLASS + 1
    return {f"image{n}.png" for n in range(first, first + PER_CLASS)}


@pytest.fixture(scope="module")
def images():
    """All images as a (10000, 28, 28) uint8 array, with their labels, in folder order."""
    arrays, labels = [], []
    for digit in range(10):
        for path in sorted((DATA / str(digit)).glob("*.png")):
            with Image.open(path) as im:
                assert im.size == (28, 28), path
                assert im.mode == "L", path
                arrays.append(np.asarray(im))
            labels.append(digit)
    return np.stack(arrays), np.array(labels)


@pytest.fixture(scope="module")
def label_rows():
    with open(DATA / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_ten_folders_of_1000_pngs_named_as_matlab():
    folders = sorted(p.name for p in DATA.iterdir() if p.is_dir())
    assert folders == [str(d) for d in range(10)]
    for digit in range(10):
        names = {p.name for p in (DATA / str(digit)).iterdir()}
        assert names == expected_names(digit), f"folder {digit}"


def test_images_are_28x28_uint8(images):
    arrays, labels = images
    assert arrays.shape == (10 * PER_CLASS, 28, 28)
    assert arrays.dtype == np.uint8
    assert np.bincount(labels).tolist() == [PER_CLASS] * 10


def test_images_are_not_blank(images):
    a = images[0].astype(np.float64) / 255
    peak = a.max(axis=(1, 2))
    mean = a.mean(axis=(1, 2))
    std = a.std(axis=(1, 2))
    assert peak.min() > 0.6, "every image has a bright stroke"
    assert mean.min() > 0.01 and mean.max() < 0.4
    assert std.min() > 0.05
    assert 0.05 < a.mean() < 0.2 and 0.15 < a.std() < 0.35  # MNIST-like overall statistics


def test_white_digit_on_black(images):
    a = images[0].astype(np.float64)
    border = np.ones((28, 28), bool)
    border[2:-2, 2:-2] = False
    border_mean = a[:, border].mean()
    centre_mean = a[:, 7:21, 7:21].mean()
    assert border_mean < 0.1 * centre_mean
    assert (a[:, border].mean(axis=1) < a[:, 7:21, 7:21].mean(axis=(1, 2))).mean() > 0.99


def test_labels_csv_matches_folders(label_rows):
    assert list(label_rows[0].keys()) == ["file", "label", "font", "angle_deg", "stroke_px"]
    assert len(label_rows) == 10 * PER_CLASS
    files = [r["file"] for r in label_rows]
    assert len(set(files)) == len(files)
    for r in label_rows:
        folder, name = r["file"].split("/")
        assert r["label"] == folder
        assert name in expected_names(int(folder))
        assert r["font"]
        assert -20.0 <= float(r["angle_deg"]) <= 20.0
        assert 1.5 <= float(r["stroke_px"]) <= 3.5
    assert len({r["font"] for r in label_rows}) > 20, "many fonts are used"


def test_sha256sums_verify_and_cover_everything():
    lines = (DATA / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    assert len(listed) == len(lines)
    on_disk = {p.relative_to(DATA).as_posix() for p in DATA.glob("*/*.png")} | {"labels.csv"}
    assert set(listed) == on_disk
    bad = [rel for rel, digest in listed.items() if hashlib.sha256((DATA / rel).read_bytes()).hexdigest() != digest]
    assert not bad, f"{len(bad)} files do not match SHA256SUMS, e.g. {bad[:3]}"


def load_tool():
    spec = importlib.util.spec_from_file_location("make_digit_dataset", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    os.environ.get("MINIDL_REGEN_DATASET") != "1",
    reason="set MINIDL_REGEN_DATASET=1 to regenerate sample digits and compare bytes "
    "(needs the Debian font packages and library versions in data/DigitDataset/README.md)",
)
def test_regenerated_images_match_committed(tmp_path, label_rows):
    tool = load_tool()
    fonts = tool.locate_fonts()
    rows = {r["file"]: r for r in label_rows}
    for digit in range(10):
        for k in (0, 499, 999):
            a, draw = tool.make_image(SEED, digit, k, fonts)
            rel = tool.relative_path(digit, k, PER_CLASS)
            out = tmp_path / rel.replace("/", "_")
            tool.save_png(a, out)
            assert out.read_bytes() == (DATA / rel).read_bytes(), rel
            assert rows[rel]["font"] == tool.FONTS[draw.font_index][1]

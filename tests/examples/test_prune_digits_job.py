"""Smoke test of the main job: examples/prune_digits.py --quick in a subprocess, its files and figures."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minidl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
import prune_digits  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("prune_digits_out")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = set((ROOT / "data").iterdir())
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "prune_digits.py"), "--quick", "--output-dir",
                           str(out)], capture_output=True, text=True, env=env, cwd=out, timeout=600)
    assert done.returncode == 0, done.stderr
    assert set((ROOT / "data").iterdir()) == before  # nothing written into the source tree's data folder
    return out, done.stdout, json.loads((out / "report.json").read_text())


def test_files_are_written(run):
    out, stdout, report = run
    assert sorted(p.name for p in out.iterdir()) == ["original.onnx", "pruned.onnx", "prunedDigits.mat", "pruning.png",
                                                     "report.json", "report.txt"]
    text = (out / "report.txt").read_text()
    for heading in ("Filters per convolution", "MACs per image", "Validation accuracy", "Real handwriting",
                    "Inference throughput", "ONNX", "BLAS configuration"):
        assert heading in text
    assert "\r" not in stdout and "\x1b" not in stdout  # stdout is not a terminal: no redrawing


def test_pruning_figures(run):
    _, stdout, r = run
    accuracies = list(r["accuracy"].values())[:4] + [r["sklearn_digits"]["original"], r["sklearn_digits"]["pruned"]]
    assert all(0 <= a <= 1 for a in accuracies)
    assert r["accuracy"]["original"] >= 0.95  # the committed network on its held-out images
    prunables = [row["NumPrunables"] for row in r["iterations"]]
    assert prunables == [max(48 - 8 * k, 0) for k in range(1, len(prunables) + 1)] and len(prunables) == 2
    assert r["learnables_after"] < r["learnables_before"] == 123090
    assert r["macs_after"] < r["macs_before"]
    assert r["accuracy"]["masked"] == r["accuracy"]["exported"]  # masking computes what the surgery leaves
    assert sum(r["filters_before"].values()) - sum(r["filters_after"].values()) == 16
    assert [row["learnables"] for row in r["iterations"]][-1] == r["learnables_after"]
    assert r["throughput"]["original"] > 0 and r["throughput"]["pruned"] > 0
    for check in r["onnx"].values():  # the exported files, run by onnxruntime, compute what predict computes
        assert check["max_abs_difference"] < 1e-4 and check["argmax_agreement"] == 1.0
    assert any("internal_api" in entry or "library" in entry for entry in r["blas"])
    table = [line for line in stdout.splitlines() if line.startswith("|") and "%" in line]
    assert len(table) == 2 and "40" in table[0] and "32" in table[1]


def test_saved_network_is_the_pruned_one(run):
    out, _, r = run
    s = minidl.load(out / "prunedDigits.mat")
    assert prune_digits.filters_per_conv(s.dlnet) == r["filters_after"]
    assert sum(minidl.numel(v) for v in s.dlnet.Learnables.Value) == r["learnables_after"]
    assert list(s.classes) == [str(d) for d in range(10)]


def test_figure_png_size(run):
    from PIL import Image
    with Image.open(run[0] / "pruning.png") as image:
        assert image.size == (1300, 400)


def test_without_matplotlib_the_job_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert prune_digits.figure({}, tmp_path / "pruning.png") is None
    assert 'pip install -e ".[plot]"' in capsys.readouterr().out
    assert not (tmp_path / "pruning.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--output-dir", str(ROOT / "data" / "out")], "must not be inside"),
    (["--max-to-prune", "0"], "--max-to-prune must be a positive integer"),
    (["--min-accuracy", "97"], "--min-accuracy must be a fraction"),
])
def test_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit):
        prune_digits.parse(argv)
    assert message in capsys.readouterr().err

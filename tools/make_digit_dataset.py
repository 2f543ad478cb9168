#!/usr/bin/env python3
"""Render minidl's stand-in for MATLAB's DigitDataset.

Writes 10 folders ``0`` ... ``9`` of 28x28 8-bit grayscale PNGs (white digit on
black) named like MATLAB's set, plus ``labels.csv`` and ``SHA256SUMS``.

Every image is drawn from its own random stream, seeded by (seed, digit, k), so
any single image can be remade without the others.

Usage:
    python tools/make_digit_dataset.py --seed 0 --out data/DigitDataset

Needs numpy, scipy, Pillow and the Debian font packages listed in FONTS.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

# (Debian package, font file name, style). Files are looked up by name, so the
# set does not depend on where a system keeps its fonts.
FONTS = [
    ("fonts-humor-sans", "Humor-Sans.ttf", "hand"),
    ("fonts-dkg-handwriting", "dkg.ttf", "hand"),
    ("fonts-dkg-handwriting", "dkgBd.ttf", "hand"),
    ("fonts-dkg-handwriting", "dkgIt.ttf", "hand"),
    ("fonts-breip", "Breip.ttf", "hand"),
    ("fonts-kristi", "Kristi.ttf", "hand"),
    ("fonts-rufscript", "Rufscript010.ttf", "hand"),
    ("fonts-sjfonts", "Delphine.ttf", "hand"),
    ("fonts-sjfonts", "SteveHand.ttf", "hand"),
    ("fonts-tomsontalks", "TomsonTalks.ttf", "hand"),
    ("fonts-bwht", "BecauseWeBuild-Regular.otf", "hand"),
    ("fonts-bwht", "BecauseWeConnect-Regular.otf", "hand"),
    ("fonts-bwht", "BecauseWeCreate-Regular.otf", "hand"),
    ("fonts-bwht", "BecauseWeLearn-Regular.otf", "hand"),
    ("fonts-bwht", "BecauseWeMentor-Regular.otf", "hand"),
    ("fonts-bwht", "BecauseWeOrganize-Regular.otf", "hand"),
    ("fonts-dancingscript", "DancingScript-Regular.otf", "hand"),
    ("fonts-dancingscript", "DancingScript-Bold.otf", "hand"),
    ("fonts-kaushanscript", "KaushanScript-Regular.otf", "hand"),
    ("fonts-ecolier-court", "Ecolier-court.ttf", "hand"),
    ("fonts-comic-neue", "ComicNeue-Regular.otf", "hand"),
    ("fonts-comic-neue", "ComicNeue-Bold.otf", "hand"),
    ("fonts-comic-neue", "ComicNeue-Italic.otf", "hand"),
    ("fonts-urw-base35", "Z003-MediumItalic.otf", "hand"),
    ("fonts-urw-base35", "C059-Roman.otf", "type"),
    ("fonts-urw-base35", "P052-Italic.otf", "type"),
    ("fonts-urw-base35", "URWBookman-Light.otf", "type"),
    ("fonts-urw-base35", "URWGothic-Book.otf", "type"),
    ("fonts-urw-base35", "NimbusSansNarrow-Regular.otf", "type"),
    ("fonts-urw-base35", "NimbusRoman-Italic.otf", "type"),
    ("fonts-dejavu-core", "DejaVuSans.ttf", "type"),
    ("fonts-dejavu-core", "DejaVuSans-Bold.ttf", "type"),
    ("fonts-dejavu-core", "DejaVuSerif.ttf", "type"),
    ("fonts-dejavu-core", "DejaVuSansMono.ttf", "type"),
    ("fonts-dejavu-extra", "DejaVuSans-Oblique.ttf", "type"),
    ("fonts-liberation", "LiberationSans-Regular.ttf", "type"),
    ("fonts-liberation", "LiberationSerif-Regular.ttf", "type"),
    ("fonts-liberation", "LiberationSerif-Italic.ttf", "type"),
    ("fonts-liberation", "LiberationMono-Regular.ttf", "type"),
    ("fonts-freefont-ttf", "FreeSans.ttf", "type"),
    ("fonts-freefont-ttf", "FreeSerifItalic.ttf", "type"),
    ("fonts-freefont-ttf", "FreeMono.ttf", "type"),
    ("fonts-gnutypewriter", "GNUTypewriter.ttf", "type"),
    ("fonts-open-sans", "OpenSans-Light.ttf", "type"),
    ("fonts-open-sans", "OpenSans-Semibold.ttf", "type"),
    ("fonts-crosextra-caladea", "Caladea-Regular.ttf", "type"),
    ("fonts-inconsolata", "Inconsolata.otf", "type"),
]

# Folders searched when fontconfig's fc-list is not available.
FALLBACK_FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts"]


@dataclass(frozen=True)
class Params:
    """Randomisation ranges; the defaults are the ones the committed set uses."""

    image_size: int = 28
    render_ink_px: int = 72  # longest side of a digit when first rendered
    render_margin_px: int = 16  # room around the ink for thickening strokes
    stroke_px: tuple = (1.5, 3.5)  # target stroke width in the 28x28 output
    min_half_width_px: float = 1.5  # thinning never goes below this (render px)
    x_scale: tuple = (0.85, 1.15)
    shear: tuple = (-0.15, 0.15)
    angle_deg: tuple = (-20.0, 20.0)  # positive = counter-clockwise, as imrotate
    max_lean_deg: float = 35.0  # italic glyph + shear + rotation beyond this lies too flat to read
    longest_side_px: tuple = (19.0, 22.0)
    shift_px: tuple = (-1.0, 1.0)
    blur_prob: float = 0.5
    blur_radius: tuple = (0.3, 0.8)
    peak: tuple = (200.0, 255.0)
    noise_sigma: float = 0.0  # off by default: MATLAB's digits are clean and noise bloats PNGs


@dataclass(frozen=True)
class Draw:
    """Everything random about one image, drawn up front in a fixed order."""

    font_index: int
    stroke_px: float
    x_scale: float
    shear: float
    angle_deg: float
    longest_side_px: float
    shift_x: float
    shift_y: float
    blur: bool
    blur_radius: float
    peak: float
    noise_seed: int


@dataclass(frozen=True)
class Glyph:
    """A digit rendered once per font: its signed distance field and measures."""

    sdf: np.ndarray  # > 0 inside the ink, < 0 outside, in render pixels
    half_width: float  # typical stroke half-width (90th percentile of the EDT)
    longest_side: float  # longest side of the ink bounding box
    slant_deg: float  # how far the glyph leans right of vertical (italic fonts: 10-40)


# ----------------------------------------------------------------------------
# Fonts


def installed_font_files() -> dict[str, str]:
    """Map font file name -> path for every font file on the system."""
    paths: list[str] = []
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, check=False)
        paths += out.stdout.splitlines()
    for folder in FALLBACK_FONT_DIRS:
        for root, _dirs, files in os.walk(os.path.expanduser(folder)):
            paths += [os.path.join(root, f) for f in files]
    found: dict[str, str] = {}
    for p in sorted(set(paths)):  # sorted: the same file wins on every run
        found.setdefault(os.path.basename(p), p)
    return found


def locate_fonts() -> list[str]:
    """Paths of all FONTS, in FONTS order; exit with an install hint if any is missing."""
    found = installed_font_files()
    missing = [(pkg, name) for pkg, name, _ in FONTS if name not in found]
    if missing:
        packages = sorted({pkg for pkg, _ in missing})
        lines = [f"  {name}  (Debian package {pkg})" for pkg, name in missing]
        sys.exit(
            "make_digit_dataset: missing font files:\n" + "\n".join(lines)
            + "\nInstall them with:\n  apt-get update && apt-get install -y --no-install-recommends "
            + " ".join(packages)
        )
    return [found[name] for _, name, _ in FONTS]


def crop_to_ink(a: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """Cut an image down to the bounding box of its ink."""
    rows = np.flatnonzero((a > threshold).any(axis=1))
    cols = np.flatnonzero((a > threshold).any(axis=0))
    return a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def rasterise(font_path: str, digit: int, em_px: int) -> np.ndarray:
    """Ink mask of one digit drawn white on black, cropped to its bounding box."""
    font = ImageFont.truetype(font_path, em_px)
    side = 3 * em_px  # roomy enough for any glyph drawn about the centre
    canvas = Image.new("L", (side, side), 0)
    ImageDraw.Draw(canvas).text((side / 2, side / 2), str(digit), fill=255, font=font, anchor="mm")
    ink = np.asarray(canvas) >= 128
    if not ink.any():
        raise RuntimeError(f"{font_path} renders no ink for digit {digit}")
    return crop_to_ink(ink)


@functools.lru_cache(maxsize=None)
def render_glyph(font_path: str, digit: int, ink_px: int, margin_px: int) -> Glyph:
    """Render one digit so its longest side is about ink_px, and measure its stroke.

    Fonts differ a lot in how large a digit is within the em (school cursive
    digits are small with hairline strokes), so the size is set from a probe
    render: every glyph then has the same resolution to work from.
    """
    probe = rasterise(font_path, digit, 100)
    em_px = max(8, round(100 * ink_px / max(probe.shape)))
    ink = np.pad(rasterise(font_path, digit, em_px), margin_px)
    inside = ndimage.distance_transform_edt(ink)
    outside = ndimage.distance_transform_edt(~ink)
    # Half a pixel moves the zero level onto the pixel edge between ink and background.
    sdf = np.where(ink, inside - 0.5, 0.5 - outside).astype(np.float32)
    return Glyph(
        sdf=sdf,
        half_width=float(np.percentile(inside[ink], 90)),
        longest_side=float(max(ink.shape) - 2 * margin_px),
        slant_deg=slant_of(ink),
    )


def slant_of(ink: np.ndarray) -> float:
    """Lean of the ink to the right of vertical, from a least-squares fit of x on height."""
    ys, xs = np.nonzero(ink)
    ys, xs = ys - ys.mean(), xs - xs.mean()
    return float(np.degrees(np.arctan(-(xs * ys).sum() / (ys * ys).sum())))  # rows grow downwards


# ----------------------------------------------------------------------------
# One image


def image_rng(seed: int, digit: int, k: int) -> np.random.Generator:
    """The random stream of image k (0-based) of a digit; independent of all others."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, digit, k])))


def draw_params(rng: np.random.Generator, p: Params, n_fonts: int) -> Draw:
    """Draw every random choice for one image (always all of them, so streams stay aligned)."""
    return Draw(
        font_index=int(rng.integers(n_fonts)),
        stroke_px=float(rng.uniform(*p.stroke_px)),
        x_scale=float(rng.uniform(*p.x_scale)),
        shear=float(rng.uniform(*p.shear)),
        angle_deg=float(rng.uniform(*p.angle_deg)),
        longest_side_px=float(rng.uniform(*p.longest_side_px)),
        shift_x=float(rng.uniform(*p.shift_px)),
        shift_y=float(rng.uniform(*p.shift_px)),
        blur=bool(rng.random() < p.blur_prob),
        blur_radius=float(rng.uniform(*p.blur_radius)),
        peak=float(rng.uniform(*p.peak)),
        noise_seed=int(rng.integers(2**32)),
    )


def limit_lean(d: Draw, glyph: Glyph, p: Params) -> Draw:
    """Mirror rotation and shear when, added to an italic glyph's own slant, they lay it too flat.

    Both transforms lean the top to the left for positive values (rows grow
    downwards), so the total lean is the glyph's slant minus theirs.
    """
    def lean(angle: float, shear: float) -> float:
        return glyph.slant_deg - angle - math.degrees(math.atan(shear))

    if abs(lean(d.angle_deg, d.shear)) <= p.max_lean_deg:
        return d
    if abs(lean(-d.angle_deg, -d.shear)) >= abs(lean(d.angle_deg, d.shear)):
        return d
    return replace(d, angle_deg=-d.angle_deg, shear=-d.shear)


def normalise_stroke(glyph: Glyph, d: Draw, p: Params) -> np.ndarray:
    """Grow or shrink the ink so that, after the final resize, strokes are d.stroke_px wide.

    Offsetting the outline by t render pixels makes the stroke 2t wider and the
    glyph 2t longer; solving (w + 2t) / (L + 2t) = target_w / target_L for t
    gives the offset.
    """
    w, L = 2.0 * glyph.half_width, glyph.longest_side
    t = (d.stroke_px * L - w * d.longest_side_px) / (2.0 * (d.longest_side_px - d.stroke_px))
    t = max(t, p.min_half_width_px - glyph.half_width)  # never thin a glyph away
    return np.clip(glyph.sdf + t + 0.5, 0.0, 1.0)


def random_affine(a: np.ndarray, d: Draw) -> np.ndarray:
    """Stretch x, shear and rotate about the centre, on a canvas big enough to keep all ink."""
    a = crop_to_ink(a)
    h, w = a.shape
    th = math.radians(d.angle_deg)
    # Forward map in image coordinates (y down): rotate(ccw) @ shear @ x-scale.
    rot = np.array([[math.cos(th), math.sin(th)], [-math.sin(th), math.cos(th)]])
    fwd = rot @ np.array([[1.0, d.shear], [0.0, 1.0]]) @ np.diag([d.x_scale, 1.0])
    inv = np.linalg.inv(fwd)
    size = int(math.ceil(math.hypot(h, w) * max(d.x_scale, 1.0) * (1.0 + abs(d.shear)))) + 4
    src_c = np.array([w / 2.0, h / 2.0])
    dst_c = np.array([size / 2.0, size / 2.0])
    offset = src_c - inv @ dst_c
    coeffs = (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])
    img = Image.fromarray(a.astype(np.float32))
    out = img.transform((size, size), Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BILINEAR)
    return np.asarray(out)


def fit_and_centre(a: np.ndarray, d: Draw, p: Params) -> np.ndarray:
    """Resize the ink box to the drawn longest side and place it, shifted a little, in the frame."""
    a = crop_to_ink(a)
    h, w = a.shape
    s = d.longest_side_px / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    small = np.asarray(Image.fromarray(a).resize((nw, nh), Image.Resampling.LANCZOS))
    n = p.image_size
    x0 = min(max(round((n - nw) / 2 + d.shift_x), 0), n - nw)
    y0 = min(max(round((n - nh) / 2 + d.shift_y), 0), n - nh)
    frame = np.zeros((n, n), np.float32)
    frame[y0 : y0 + nh, x0 : x0 + nw] = np.clip(small, 0.0, None)  # Lanczos rings below zero
    return frame


def finish(a: np.ndarray, d: Draw, p: Params) -> np.ndarray:
    """Blur (sometimes), set the peak brightness, add optional noise, quantise to uint8."""
    if d.blur:
        a = ndimage.gaussian_filter(a, sigma=d.blur_radius, mode="constant")
    a = a * (d.peak / a.max())
    if p.noise_sigma > 0:
        a = a + np.random.default_rng(d.noise_seed).normal(0.0, p.noise_sigma, a.shape)
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def make_image(seed: int, digit: int, k: int, fonts: list[str], p: Params = Params()) -> tuple[np.ndarray, Draw]:
    """Image k (0-based) of a digit, as a 28x28 uint8 array, with the choices that made it."""
    d = draw_params(image_rng(seed, digit, k), p, len(fonts))
    glyph = render_glyph(fonts[d.font_index], digit, p.render_ink_px, p.render_margin_px)
    d = limit_lean(d, glyph, p)
    a = normalise_stroke(glyph, d, p)
    a = random_affine(a, d)
    a = fit_and_centre(a, d, p)
    return finish(a, d, p), d


# ----------------------------------------------------------------------------
# The data set on disk


def file_number(digit: int, k: int, per_class: int) -> int:
    """MATLAB's numbering: folder 0 comes last (image9001..10000), folder d holds (d-1)*n+1..d*n."""
    block = 9 if digit == 0 else digit - 1
    return block * per_class + k + 1


def relative_path(digit: int, k: int, per_class: int) -> str:
    return f"{digit}/image{file_number(digit, k, per_class)}.png"


def save_png(a: np.ndarray, path: Path) -> None:
    """Plain 8-bit grayscale PNG (Pillow's defaults, no metadata), so bytes are reproducible."""
    Image.fromarray(a).save(path, format="PNG")


def write_sha256sums(out: Path, rel_paths: list[str]) -> None:
    """sha256sum-compatible list, so `sha256sum -c SHA256SUMS` works inside `out`."""
    lines = []
    for rel in sorted(rel_paths):
        digest = hashlib.sha256((out / rel).read_bytes()).hexdigest()
        lines.append(f"{digest}  {rel}\n")
    (out / "SHA256SUMS").write_text("".join(lines))


def clear_old_images(out: Path) -> None:
    """Remove PNGs of an earlier run so a smaller --per-class leaves no stale files."""
    for digit in range(10):
        for old in (out / str(digit)).glob("image*.png"):
            old.unlink()


def generate(seed: int, out: Path, per_class: int, p: Params) -> None:
    fonts = locate_fonts()
    font_names = [name for _, name, _ in FONTS]
    out.mkdir(parents=True, exist_ok=True)
    clear_old_images(out)
    rows, rel_paths = [], []
    for digit in range(10):
        (out / str(digit)).mkdir(exist_ok=True)
        for k in range(per_class):
            a, d = make_image(seed, digit, k, fonts, p)
            rel = relative_path(digit, k, per_class)
            save_png(a, out / rel)
            rel_paths.append(rel)
            rows.append([rel, digit, font_names[d.font_index], f"{d.angle_deg:.4f}", f"{d.stroke_px:.4f}"])
    with open(out / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "label", "font", "angle_deg", "stroke_px"])
        writer.writerows(rows)
    write_sha256sums(out, rel_paths + ["labels.csv"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("data/DigitDataset"))
    ap.add_argument("--per-class", type=int, default=1000)
    ap.add_argument("--noise", type=float, default=0.0, help="Gaussian noise sigma in 0-255 units (default 0)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    generate(args.seed, args.out, args.per_class, Params(noise_sigma=args.noise))
    print(f"wrote {10 * args.per_class} images to {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()

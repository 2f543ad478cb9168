"""imageDataAugmenter: random reflections, rotation, scaling and translation of images."""
import numpy as np
from scipy import ndimage

from .._namevalue import namevalue
from ..random import resolve
from ..validate import flag

_SWAP = np.array([[0.0, 1.0], [1.0, 0.0]])  # (x, y) <-> (row, col)


class imageDataAugmenter:
    """Random image transformations, drawn anew for every image.

    Ranges are ``[min, max]`` pairs drawn uniformly (or a callable returning
    the value, as MATLAB's function handles): ``RandRotation`` in degrees,
    counterclockwise as displayed; ``RandXTranslation``/``RandYTranslation`` in
    pixels (x right, y down); ``RandScale`` a factor for both axes. Reflections
    happen with probability 0.5 each when enabled. The transform is about the
    image centre, keeps the image size, and fills uncovered pixels with
    ``FillValue``.
    """

    @namevalue
    def __init__(self, *, RandRotation=(0, 0), RandXTranslation=(0, 0), RandYTranslation=(0, 0),
                 RandXReflection=False, RandYReflection=False, RandScale=(1, 1), FillValue=0):
        self.RandRotation = _range(RandRotation, "RandRotation")
        self.RandXTranslation = _range(RandXTranslation, "RandXTranslation")
        self.RandYTranslation = _range(RandYTranslation, "RandYTranslation")
        self.RandXReflection = flag(RandXReflection, "RandXReflection")
        self.RandYReflection = flag(RandYReflection, "RandYReflection")
        self.RandScale = _range(RandScale, "RandScale", positive=True)
        if not isinstance(FillValue, (int, float, np.integer, np.floating)) or isinstance(FillValue, bool):
            raise TypeError(f"FillValue must be a number; got {type(FillValue).__name__}")
        self.FillValue = float(FillValue)

    def augment(self, image, generator=None):
        """A randomly transformed copy of ``image`` (HxW or HxWxC array); ``image`` is not changed."""
        gen = resolve(generator)
        image = np.asarray(image)
        if image.ndim not in (2, 3):
            raise ValueError(f"image must be HxW or HxWxC; got shape {image.shape}")
        reflect_x = self.RandXReflection and gen.random() < 0.5
        reflect_y = self.RandYReflection and gen.random() < 0.5
        angle = np.deg2rad(_draw(self.RandRotation, gen))
        scale = _draw(self.RandScale, gen)
        shift = np.array([_draw(self.RandXTranslation, gen), _draw(self.RandYTranslation, gen)])
        rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
        linear = rotation @ np.diag([-scale if reflect_x else scale, -scale if reflect_y else scale])
        return _warp(image, linear, shift, self.FillValue)

    def __repr__(self):
        fields = ("RandRotation", "RandXTranslation", "RandYTranslation", "RandXReflection",
                  "RandYReflection", "RandScale", "FillValue")
        return "imageDataAugmenter with properties:\n\n" + "\n".join(
            f"    {name}: {getattr(self, name)!r}" for name in fields) + "\n"


def _warp(image, linear, shift, fill):
    """Resample so that pixel (x, y) moves to c + shift + linear @ ((x, y) - c), c the image centre."""
    height, width = image.shape[:2]
    matrix = _SWAP @ np.linalg.inv(linear) @ _SWAP  # output (row, col) -> input (row, col)
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    offset = centre - matrix @ (centre + shift[::-1])
    if np.allclose(matrix, np.eye(2)) and np.allclose(offset, 0):
        return image.copy()
    if image.ndim == 3:  # leave the channel axis untouched
        matrix = np.block([[matrix, np.zeros((2, 1))], [np.zeros((1, 2)), np.ones((1, 1))]])
        offset = np.append(offset, 0.0)
    warped = ndimage.affine_transform(image.astype(np.float64), matrix, offset, order=1, mode="constant",
                                      cval=fill)
    return cast_like(warped, image.dtype)


def cast_like(values, dtype):
    """Computed float pixel values back in an image's dtype: rounded and saturated for integers."""
    if dtype == bool:
        return values >= 0.5
    if dtype.kind in "iu":
        limits = np.iinfo(dtype)
        return np.clip(np.rint(values), limits.min, limits.max).astype(dtype)
    return values.astype(dtype)


def _range(value, name, positive=False):
    if callable(value):
        return value
    bounds = np.asarray(value, dtype=object).ravel()
    valid = (bounds.size == 2 and all(isinstance(b, (int, float, np.integer, np.floating))
                                       and not isinstance(b, bool) and np.isfinite(b) for b in bounds))
    if not valid or bounds[0] > bounds[1]:
        raise ValueError(f"{name} must be a [min, max] pair of finite numbers with min <= max, "
                         f"or a callable; got {value!r}")
    if positive and bounds[0] <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}")
    return (float(bounds[0]), float(bounds[1]))


def _draw(spec, gen):
    if callable(spec):
        return float(spec())
    low, high = spec
    return low if low == high else gen.uniform(low, high)

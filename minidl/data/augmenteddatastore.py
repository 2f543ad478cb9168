"""augmentedImageDatastore: images of an imageDatastore resized, recoloured and augmented on read."""
import numpy as np
from PIL import Image

from .._namevalue import namevalue
from ..random import resolve
from ..validate import option, positive_int
from .augment import cast_like, imageDataAugmenter
from .datastore import Datastore
from .imagedatastore import imageDatastore, read_image_file, same_class
from ..table import Table

_GRAY_WEIGHTS = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])  # MATLAB's rgb2gray


class augmentedImageDatastore(Datastore):
    """Mini-batches of preprocessed images with their labels.

    ``augmentedImageDatastore(outputSize, imds, DataAugmentation=None,
    ColorPreprocessing="none", OutputSizeMode="resize")``. ``outputSize`` is
    [h, w] or [h, w, c]. Each image is first recoloured ("gray2rgb",
    "rgb2gray"), then brought to h x w ("resize": bilinear, skipped when the
    size already matches; "centercrop"; "randcrop"), then augmented with a
    fresh random draw on every read (so translations are in output pixels; whether
    MATLAB augments before or after resizing is not documented, and for same-size
    images such as the digits it makes no difference). ``read()`` returns a Table of up to
    ``MiniBatchSize`` (default 128) rows: ``input`` (list of HxWxC arrays) and,
    when ``imds`` has labels, ``response`` (categorical).
    """

    @namevalue
    def __init__(self, outputSize, imds, *, DataAugmentation=None, ColorPreprocessing="none",
                 OutputSizeMode="resize"):
        if not isinstance(imds, imageDatastore):
            raise TypeError(f"imds must be an imageDatastore; got {type(imds).__name__}")
        if DataAugmentation is not None and not isinstance(DataAugmentation, imageDataAugmenter):
            raise TypeError(f"DataAugmentation must be an imageDataAugmenter or None; "
                            f"got {type(DataAugmentation).__name__}")
        self._output_size = _output_size(outputSize)
        self._color = option(ColorPreprocessing, "ColorPreprocessing", ("none", "gray2rgb", "rgb2gray"))
        self._size_mode = option(OutputSizeMode, "OutputSizeMode", ("resize", "centercrop", "randcrop"))
        self._augmenter = DataAugmentation
        self._imds = imds  # only its file list and labels are used, and those never change
        self._mini_batch_size = 128

    def _reordered(self, indices):
        out = self.copy()
        out._imds = self._imds._reordered(indices)
        out._position = 0
        return out

    @property
    def NumObservations(self):
        return self._imds.NumObservations

    @property
    def MiniBatchSize(self):
        return self._mini_batch_size

    @MiniBatchSize.setter
    def MiniBatchSize(self, value):
        self._mini_batch_size = positive_int(value, "MiniBatchSize")

    @property
    def OutputSize(self):
        return list(self._output_size)

    @property
    def DataAugmentation(self):
        return self._augmenter

    @property
    def ColorPreprocessing(self):
        return self._color

    @property
    def OutputSizeMode(self):
        return self._size_mode

    @property
    def Files(self):
        return self._imds.Files

    def _variables(self):
        return ("input", "response") if self._imds._labels is not None else ("input",)

    def _rows(self, indices, generator=None):
        gen = resolve(generator)
        paths = [self._imds._files[i] for i in indices]
        images = same_class([self._prepare(p, gen) for p in paths], paths)
        if self._imds._labels is None:
            return (images,)
        return images, self._imds._labels[indices]

    def read(self, generator=None):
        """The next mini-batch as a Table with ``input`` (and ``response``) columns."""
        return Table(**dict(zip(self._variables(), self._take(self._mini_batch_size, generator))))

    def _prepare(self, path, gen):
        image = read_image_file(path)
        image = image[:, :, None] if image.ndim == 2 else image
        image = _recolour(image, self._color)
        image = _fit(image, self._output_size[:2], self._size_mode, gen)
        if self._augmenter is not None:
            image = self._augmenter.augment(image, gen)
        if len(self._output_size) == 3 and image.shape[2] != self._output_size[2]:
            raise ValueError(f"{path!r} has {image.shape[2]} channels but outputSize asks for "
                             f"{self._output_size[2]}; set ColorPreprocessing to 'gray2rgb' or 'rgb2gray'")
        return image

    def __repr__(self):
        return (f"augmentedImageDatastore with properties:\n\n"
                f"    NumObservations: {self.NumObservations}\n    MiniBatchSize: {self._mini_batch_size}\n"
                f"    DataAugmentation: {'none' if self._augmenter is None else 'imageDataAugmenter'}\n"
                f"    ColorPreprocessing: {self._color!r}\n    OutputSize: {list(self._output_size)}\n"
                f"    OutputSizeMode: {self._size_mode!r}\n")


def _output_size(size):
    values = list(np.asarray(size, dtype=object).ravel())
    if len(values) not in (2, 3) or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                            and v > 0 for v in values):
        raise ValueError(f"outputSize must be [h, w] or [h, w, c] of positive integers; got {size!r}")
    if len(values) == 3 and values[2] not in (1, 3):
        raise ValueError(f"outputSize's channel count must be 1 or 3; got {values[2]}")
    return tuple(int(v) for v in values)


def _recolour(image, mode):
    """HxWxC image after ColorPreprocessing (only gray->RGB or RGB->gray images change)."""
    if mode == "gray2rgb" and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    if mode == "rgb2gray" and image.shape[2] == 3:
        return cast_like(image.astype(np.float64) @ _GRAY_WEIGHTS, image.dtype)[:, :, None]
    return image


def _fit(image, size, mode, gen):
    """HxWxC image brought to ``size`` = (h, w) by resizing or cropping."""
    height, width = image.shape[:2]
    if (height, width) == size:
        return image
    if mode == "resize":
        return np.stack([_resize_channel(image[:, :, c], size) for c in range(image.shape[2])], axis=2)
    if height < size[0] or width < size[1]:
        raise ValueError(f"cannot crop a {height}x{width} image to {size[0]}x{size[1]}; "
                         "use OutputSizeMode='resize'")
    if mode == "centercrop":
        top, left = (height - size[0]) // 2, (width - size[1]) // 2
    else:
        top, left = int(gen.integers(0, height - size[0] + 1)), int(gen.integers(0, width - size[1] + 1))
    return image[top:top + size[0], left:left + size[1]]


def _resize_channel(channel, size):
    # Pillow's float mode resizes any dtype with the same bilinear filter; convert back afterwards.
    resized = Image.fromarray(channel.astype(np.float32)).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return cast_like(np.asarray(resized), channel.dtype)

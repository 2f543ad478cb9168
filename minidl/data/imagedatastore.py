"""imageDatastore: a list of image files, optional labels, and reading them one batch at a time."""
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from .._namevalue import namevalue
from ..validate import flag, option, positive_int
from .categorical import categorical, countcats
from .datastore import Datastore
from .decodecache import cached_decode
from ..table import Table

# Formats MATLAB's imformats lists that Pillow also decodes.
DEFAULT_EXTENSIONS = (".bmp", ".cur", ".gif", ".ico", ".jpeg", ".jpg", ".pbm", ".pcx", ".pgm", ".png",
                      ".ppm", ".ras", ".tif", ".tiff")

# Pillow modes whose MATLAB imread result is a plain gray or RGB image.
_CONVERT = {"1": "L", "LA": "L", "La": "L", "P": "RGB", "PA": "RGB", "RGBA": "RGB", "RGBa": "RGB",
            "RGBX": "RGB", "CMYK": "RGB", "YCbCr": "RGB", "HSV": "RGB", "LAB": "RGB"}


class imageDatastore(Datastore):
    """Image files from folders, read in MATLAB's file order.

    ``imageDatastore(location, IncludeSubfolders=False, LabelSource="none",
    FileExtensions=DEFAULT_EXTENSIONS, ReadSize=1)``. ``location`` is a folder or
    file, or a list of them. ``Files`` are absolute paths sorted as plain text
    within each location (so image10000.png comes before image9001.png);
    extensions match case-insensitively. With ``LabelSource="foldernames"``,
    ``Labels`` is a categorical of each file's parent folder name.

    ``read()`` returns one image (HxW or HxWxC NumPy array, uint8 for 8-bit
    files), or a list of up to ReadSize images when ReadSize > 1; it returns
    images only, as MATLAB's ``read`` does without its info output.
    ``readimage(i)`` takes a 0-based index.
    """

    @namevalue
    def __init__(self, location, *, IncludeSubfolders=False, LabelSource="none",
                 FileExtensions=DEFAULT_EXTENSIONS, ReadSize=1):
        label_source = option(LabelSource, "LabelSource", ("none", "foldernames"))
        extensions = _extensions(FileExtensions)
        self._read_size = positive_int(ReadSize, "ReadSize")
        self._files = _list_files(location, flag(IncludeSubfolders, "IncludeSubfolders"), extensions)
        folders = [os.path.basename(os.path.dirname(f)) for f in self._files]
        self._labels = (categorical(np.array(folders, dtype=object).reshape(-1, 1)) if label_source == "foldernames"
                        else None)

    def _reordered(self, indices):
        out = object.__new__(imageDatastore)
        out._read_size = self._read_size
        out._files = tuple(self._files[i] for i in indices)
        out._labels = None if self._labels is None else self._labels[indices]
        return out

    @property
    def Files(self):
        """Absolute file paths in read order (a new list)."""
        return list(self._files)

    @property
    def Labels(self):
        """One label per file (an N x 1 categorical, as MATLAB's); 0 x 0 when the datastore has no labels."""
        return self._labels if self._labels is not None else categorical(np.empty((0, 0), dtype=object))

    @property
    def ReadSize(self):
        return self._read_size

    @ReadSize.setter
    def ReadSize(self, value):
        self._read_size = positive_int(value, "ReadSize")

    @property
    def NumObservations(self):
        return len(self._files)

    def _variables(self):
        return ("input",)

    def _rows(self, indices, generator=None):
        paths = [self._files[i] for i in indices]
        return (same_class([read_image_file(p) for p in paths], paths),)

    def read(self):
        """The next image, or a list of the next ReadSize images when ReadSize > 1."""
        images = self._take(self._read_size)[0]
        return images if self._read_size > 1 else images[0]

    def readimage(self, i):
        """The image of file ``i`` (0-based); the read position does not move."""
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"i must be an integer (0-based file index); got {type(i).__name__}")
        if not 0 <= i < len(self._files):
            raise IndexError(f"i must be a 0-based file index in 0..{len(self._files) - 1}; got {i}")
        return read_image_file(self._files[i])

    def readall(self):
        """All images as a list, in file order; the read position does not move."""
        return [read_image_file(f) for f in self._files]

    def countEachLabel(self):
        """A Table with one row per category: ``Label`` (categorical) and ``Count``."""
        if self._labels is None:
            raise ValueError("countEachLabel needs labels; create the datastore with LabelSource='foldernames'")
        names = self._labels.categories
        return Table(Label=categorical(names, names).reshape(-1, 1), Count=countcats(self._labels).ravel())

    def __repr__(self):
        files = _preview(self._files)
        labels = "(none)" if self._labels is None else _preview([str(x) for x in self._labels])
        return (f"imageDatastore with properties:\n\n"
                f"    Files: {files}\n    Labels: {labels}\n    ReadSize: {self._read_size}\n")


def read_image_file(path):
    """Decode one image with Pillow as MATLAB's imread would: gray HxW or RGB HxWx3, uint8 for 8-bit
    files and uint16 for 16-bit ones (decoded once per process while the file is unchanged, see decodecache.py)."""
    try:
        return cached_decode(path, _decode)
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"cannot read image file {path!r}: {error}") from error


def _decode(path):
    with Image.open(path) as image:
        if image.mode in _CONVERT:
            image = image.convert(_CONVERT[image.mode])
        data = np.array(image)
        # Pillow may hold 16-bit gray as 32-bit integers
        sixteen_bit = image.mode.startswith("I;16") or (image.mode == "I" and image.format == "PNG")
        return data.astype(np.uint16) if sixteen_bit else data


def same_class(images, paths):
    """``images`` unchanged when all have one class (uint8, uint16, ...); else a ValueError naming the first
    file that differs. Stacking would silently promote them: a 16-bit image among 8-bit ones would be
    257 times brighter than they are, with no error."""
    first = images[0].dtype if images else None
    for image, path in zip(images, paths):
        if image.dtype != first:
            raise ValueError(f"images in one batch must have one class (bit depth): {path!r} is {image.dtype} "
                             f"but {paths[0]!r} is {first}; convert the files to one bit depth, or "
                             "read them one at a time")
    return images


def _extensions(extensions):
    if isinstance(extensions, str):
        extensions = [extensions]
    result = []
    for ext in extensions:
        if not isinstance(ext, str) or not ext.startswith(".") or len(ext) < 2:
            raise ValueError(f"FileExtensions must be strings such as '.png'; got {ext!r}")
        result.append(ext.lower())
    if not result:
        raise ValueError("FileExtensions must name at least one extension; got none")
    return tuple(result)


def _list_files(location, include_subfolders, extensions):
    if isinstance(location, (str, os.PathLike)):
        locations = [location]
    elif isinstance(location, (list, tuple)):
        locations = list(location)
    else:
        raise TypeError(f"location must be a folder or file path, or a list of them; got {type(location).__name__}")
    files = []
    for place in locations:
        place = os.path.abspath(os.fspath(place))
        if os.path.isfile(place):
            found = [place]
        elif os.path.isdir(place):
            found = _files_under(place, include_subfolders)
        else:
            raise FileNotFoundError(f"imageDatastore location {place!r} does not exist")
        files.extend(sorted(f for f in found if os.path.splitext(f)[1].lower() in extensions))
    if not files:
        raise ValueError(f"no image files with extensions {list(extensions)} found in {locations!r}"
                         + ("" if include_subfolders else " (IncludeSubfolders=False)"))
    return tuple(files)


def _files_under(folder, include_subfolders):
    if not include_subfolders:
        return [entry.path for entry in os.scandir(folder) if entry.is_file()]
    return [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]


def _preview(items, shown=3):
    listed = "; ".join(repr(x) for x in items[:shown])
    more = f"; ... and {len(items) - shown} more" if len(items) > shown else ""
    return "{" + listed + more + "}"

"""What minidl's datastores share: a read position, and new datastores from reorderings."""
import copy

import numpy as np

from ..random import resolve
from ..validate import positive_int


class Datastore:
    """Base of imageDatastore and augmentedImageDatastore.

    Reading advances a position (``read``/``hasdata``/``reset`` change the
    datastore, as MATLAB's handle datastores do); ``shuffle``, ``subset``,
    ``partition`` and ``copy`` return new datastores and leave this one alone.
    Indices are 0-based. A subclass provides ``NumObservations``,
    ``_variables()`` (names of what one observation holds),
    ``_rows(indices, generator)`` (one list or categorical per variable) and
    ``_reordered(indices)`` (a new datastore over those observations, unread).
    """

    _position = 0

    def hasdata(self):
        """True while there are observations left to read."""
        return self._position < self.NumObservations

    def reset(self):
        """Rewind to the first observation."""
        self._position = 0

    def copy(self):
        """An independent copy, read position included."""
        return copy.copy(self)

    def shuffle(self, generator=None):
        """A new datastore with the observations in random order."""
        return self._reordered(resolve(generator).permutation(self.NumObservations))

    def subset(self, indices):
        """A new datastore of the observations at 0-based ``indices`` (integers or a bool mask)."""
        return self._reordered(_checked_indices(indices, self.NumObservations))

    def numpartitions(self):
        """The default number of partitions: one per observation."""
        return self.NumObservations

    def partition(self, n, index):
        """Part ``index`` (0-based) of ``n`` contiguous parts whose sizes differ by at most one."""
        n = positive_int(n, "n")
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an integer; got {type(index).__name__}")
        if not 0 <= index < n:
            raise IndexError(f"index must be in 0..{n - 1} for n={n} partitions (0-based); got {index}")
        total = self.NumObservations
        return self._reordered(np.arange(total * index // n, total * (index + 1) // n))

    def _take(self, count, generator=None):
        """The next ``count`` observations (fewer at the end), one list per variable; advances."""
        if not self.hasdata():
            raise RuntimeError(f"No more data to read from this {type(self).__name__}; "
                               "call reset() to read it again")
        stop = min(self._position + count, self.NumObservations)
        rows = self._rows(np.arange(self._position, stop), generator)
        self._position = stop  # only after reading succeeded
        return rows


def _checked_indices(indices, total):
    index = np.asarray(indices)
    if index.size == 0:
        return np.zeros(0, dtype=np.int64)
    if index.dtype == bool:
        if index.shape != (total,):
            raise ValueError(f"a logical indices mask must have one element per observation ({total}); "
                             f"got shape {index.shape}")
        return np.flatnonzero(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers or a bool mask; got {index.dtype}")
    index = index.ravel()
    bad = index[(index < 0) | (index >= total)]
    if bad.size:
        raise IndexError(f"indices must be 0-based, in 0..{total - 1}; got {bad[:5].tolist()}")
    return index

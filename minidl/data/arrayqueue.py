"""ArrayQueue: mini-batches of in-memory arrays, for trainnet and compressNetworkUsingTaylorPruning."""
import numpy as np

from ..dlarray import dlarray


class ArrayQueue:
    """Mini-batches of in-memory (X, T) dlarrays with the minibatchqueue protocol (hasdata, next, reset, shuffle)."""

    def __init__(self, X, T, size, generator):
        if not isinstance(X, dlarray) or "B" not in X.fmt:
            raise TypeError("data: X must be a formatted dlarray with a 'B' dimension (e.g. 'SSCB')")
        self.X, self.T, self.size, self.gen = X, T, size, generator
        self.n = X.shape[X.fmt.index("B")]
        t_axis = T.fmt.index("B") if isinstance(T, dlarray) and "B" in T.fmt else np.ndim(T) - 1
        if np.ndim(T) == 0 or np.shape(T)[t_axis] != self.n:
            raise ValueError(f"data: T must have {self.n} observations (as X has), along its 'B' or last "
                             f"dimension; got size {np.shape(T)}")
        self.order, self.pos = np.arange(self.n), 0

    def _take(self, A, idx):
        axis = A.fmt.index("B") if isinstance(A, dlarray) and "B" in A.fmt else A.ndim - 1
        index = [slice(None)] * A.ndim
        index[axis] = idx
        return A[tuple(index)]

    def hasdata(self):
        return self.pos < self.n

    def next(self):
        idx = self.order[self.pos:self.pos + self.size]
        self.pos += len(idx)
        return self._take(self.X, idx), self._take(self.T, idx)

    def reset(self):
        self.pos = 0

    def shuffle(self):
        self.order, self.pos = self.gen.permutation(self.n), 0

"""splitEachLabel: divide an imageDatastore label by label."""
import numpy as np

from .._namevalue import namevalue
from ..random import resolve
from ..validate import option
from .categorical import countcats
from .imagedatastore import imageDatastore


@namevalue
def splitEachLabel(imds, *splits, generator=None):
    """Split ``imds`` into ``len(splits) + 1`` new datastores, taking the same share of every label.

    ``splitEachLabel(imds, 750)`` puts 750 files of each label in the first
    datastore and the rest in the second; ``splitEachLabel(imds, 0.7)`` puts 70 %
    of each label (rounded down, as MATLAB) first. Several counts or proportions give
    more parts. A final ``"randomized"`` (or ``"randomize"``) draws the files of
    each label at random (from ``generator``, default the rng one); otherwise
    they are taken in file order. Each part keeps the original file order.
    """
    if not isinstance(imds, imageDatastore):
        raise TypeError(f"imds must be an imageDatastore; got {type(imds).__name__}")
    if imds._labels is None:
        raise ValueError("splitEachLabel needs labels; create the datastore with LabelSource='foldernames'")
    randomized = bool(splits) and isinstance(splits[-1], str)
    if randomized:
        option(splits[-1], "splitEachLabel's last argument", ("randomized", "randomize"))
        splits = splits[:-1]
    gen = resolve(generator)
    counts = countcats(imds._labels).ravel()
    boundaries = _boundaries(splits, min(counts[counts > 0], default=0))
    parts = [[] for _ in range(len(splits) + 1)]
    codes = imds._labels._codes
    for label in range(len(imds._labels.categories)):
        members = np.flatnonzero(codes == label)
        if randomized:
            members = gen.permutation(members)
        for part, piece in zip(parts, np.split(members, boundaries(len(members)))):
            part.append(piece)
    return tuple(imds._reordered(np.sort(np.concatenate(part))) for part in parts)


def _boundaries(splits, smallest_label):
    """Function of a label's file count giving where to cut its files."""
    if not splits:
        raise ValueError("splitEachLabel needs a count n or a proportion p after imds; got none")
    for value in splits:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"splitEachLabel counts/proportions must be numbers; got {type(value).__name__} "
                            f"{value!r}")
    if all(0 < value < 1 for value in splits):
        if sum(splits) > 1:
            raise ValueError(f"splitEachLabel proportions must sum to at most 1; got {list(splits)} "
                             f"(sum {sum(splits)})")
        shares = np.cumsum(splits)
        # Rounded to 9 decimals first so 0.7 * 10 counts as 7, not 7.000000000000001 or 6.999...
        return lambda count: np.floor(np.round(shares * count, 9)).astype(int)
    if all(value >= 1 and float(value).is_integer() for value in splits):
        cuts = np.cumsum([int(v) for v in splits])
        if cuts[-1] > smallest_label:
            raise ValueError(f"splitEachLabel counts {list(splits)} need {cuts[-1]} files per label, but the "
                             f"smallest label has {smallest_label}")
        return lambda count: cuts
    raise ValueError(f"splitEachLabel takes either counts (whole numbers >= 1) or proportions in (0, 1), "
                     f"not a mix; got {list(splits)}")

"""Data pipeline: labels, image datastores, augmentation and mini-batch queues (MATLAB names)."""
from .augment import imageDataAugmenter
from .augmenteddatastore import augmentedImageDatastore
from .categorical import categorical, categories, countcats, isundefined
from .concat import cat
from .functions import (augment, countEachLabel, hasdata, numpartitions, partition, read, readall, readimage,
                        reset, shuffle, subset)
from .imagedatastore import imageDatastore
from .minibatchqueue import minibatchqueue
from .onehot import onehotdecode, onehotencode
from .scores import scores2label
from .split import splitEachLabel

__all__ = ["augment", "augmentedImageDatastore", "cat", "categorical", "categories", "countEachLabel",
           "countcats", "hasdata", "imageDataAugmenter", "imageDatastore", "isundefined", "minibatchqueue",
           "numpartitions", "onehotdecode", "onehotencode", "partition", "read", "readall", "readimage", "reset",
           "scores2label", "shuffle", "splitEachLabel", "subset"]

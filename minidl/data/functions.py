"""MATLAB's function-call forms of the datastore methods: ``read(imds)`` is ``imds.read()``."""


def _function_form(method, summary):
    def call(ds, *args, **kwargs):
        bound = getattr(ds, method, None)
        if bound is None:
            raise TypeError(f"{method} needs a datastore or minibatchqueue with a {method} method; "
                            f"got {type(ds).__name__}")
        return bound(*args, **kwargs)
    call.__name__ = call.__qualname__ = method
    call.__doc__ = f"{summary} Same as ``ds.{method}(...)``."
    return call


read = _function_form("read", "The next data from a datastore.")
readimage = _function_form("readimage", "Image ``i`` (0-based) of an imageDatastore.")
readall = _function_form("readall", "All data of a datastore.")
hasdata = _function_form("hasdata", "Whether a datastore or minibatchqueue has data left.")
reset = _function_form("reset", "Rewind a datastore or minibatchqueue.")
shuffle = _function_form("shuffle", "Shuffled datastore (new object), or reshuffle a minibatchqueue in place.")
subset = _function_form("subset", "New datastore of the observations at 0-based indices.")
partition = _function_form("partition", "New datastore holding part ``index`` (0-based) of ``n``.")
numpartitions = _function_form("numpartitions", "Default number of partitions of a datastore.")
countEachLabel = _function_form("countEachLabel", "Files per label of an imageDatastore, as a Table.")
augment = _function_form("augment", "Randomly transformed copy of an image, from an imageDataAugmenter.")

"""Record: a dict whose keys also read as attributes, as the fields of a MATLAB struct do."""


class Record(dict):
    """``r["StopReason"]`` or ``r.StopReason``; a missing name is an AttributeError listing the names there are.

    ``missing`` starts that message ("the file has no variable" for what load returns).
    """

    _missing = "the record has no field"  # on the class, so copies made without __init__ have it too

    def __init__(self, *args, missing=_missing, **fields):
        super().__init__(*args, **fields)
        self._missing = missing

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{self._missing} {name!r}; it has {sorted(self)}") from None

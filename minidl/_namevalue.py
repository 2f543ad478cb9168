"""MATLAB's name-value pairs given positionally: ``f(x, "MaxToPrune", 4)`` is ``f(x, MaxToPrune=4)``.

``@namevalue`` makes a function (or a class's ``__init__``) accept its keyword-only
arguments also as trailing ``"Name", value`` pairs, the way MATLAB code writes them.
Names match case-insensitively, as in MATLAB, both as pairs and as Python keywords.
An odd number of trailing arguments, a name that is not a string, an unknown name or a
name given twice is an error naming the function and the argument.

This module is at the bottom of the import floors: every other module may use it.
"""
import functools
import inspect


def namevalue(fn):
    """Decorate ``fn`` so its keyword-only parameters can also be passed as trailing name-value pairs."""
    params = inspect.signature(fn).parameters.values()
    names = {p.name.lower(): p.name for p in params if p.kind is p.KEYWORD_ONLY}
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(1 for p in positional if p.default is p.empty)
    capacity = None if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional)
    title = fn.__qualname__.removesuffix(".__init__")

    def pairs_start(args):
        """Index of the first positional argument that is a name (None: there are no pairs)."""
        for i in range(required, len(args)):
            if isinstance(args[i], str) and args[i].lower() in names:
                return i
            if capacity is not None and i >= capacity:
                return i
        return None

    @functools.wraps(fn)
    def call(*args, **kwargs):
        keywords = {}
        for key, value in kwargs.items():
            _put(keywords, names.get(key.lower(), key), value, title)
        start = pairs_start(args)
        if start is not None:
            pairs = args[start:]
            if len(pairs) % 2:
                raise ValueError(f"{title}: name-value arguments must come in pairs; got {len(pairs)} trailing "
                                 f"arguments {_shown(pairs)}")
            for key, value in zip(pairs[::2], pairs[1::2]):
                if not isinstance(key, str):
                    raise TypeError(f"{title}: expected an argument name (a string) in a name-value pair; "
                                    f"got {type(key).__name__} {key!r}")
                if key.lower() not in names:
                    raise ValueError(f"{title}: unknown name-value argument {key!r}; the names are "
                                     f"{', '.join(sorted(names.values()))}")
                _put(keywords, names[key.lower()], value, title)
            args = args[:start]
        return fn(*args, **keywords)

    call.__namevalue__ = tuple(names.values())
    return call


def _put(keywords, name, value, title):
    if name in keywords:
        raise TypeError(f"{title}: name-value argument {name!r} is given more than once")
    keywords[name] = value


def _shown(items):
    return "(" + ", ".join(repr(v) if isinstance(v, str) else type(v).__name__ for v in items) + ")"

"""Dimension labels of formatted dlarrays: S spatial, C channel, B batch, T time, U unspecified.

Formatted data always sit in MATLAB's canonical order S..., C, B, T, U...
"""
_RANK = {"S": 0, "C": 1, "B": 2, "T": 3, "U": 4}


def parse_format(fmt, argname="fmt"):
    """Validate a format string; return it as str ("" for unformatted)."""
    if fmt is None:
        return ""
    if not isinstance(fmt, str):
        raise TypeError(f"{argname} must be a string of dimension labels such as 'SSCB'; got {type(fmt).__name__}")
    for label in fmt:
        if label not in _RANK:
            raise ValueError(f"{argname} {fmt!r} has invalid dimension label {label!r}; "
                             "valid labels are 'S', 'C', 'B', 'T' and 'U'")
    for label in "CBT":
        if fmt.count(label) > 1:
            raise ValueError(f"{argname} {fmt!r} has dimension label {label!r} more than once; "
                             "only 'S' and 'U' may repeat")
    return fmt


def canonical_permutation(fmt):
    """Axis order that puts ``fmt`` into canonical order (stable within repeated labels)."""
    return sorted(range(len(fmt)), key=lambda i: (_RANK[fmt[i]], i))


def labelled_shape(shape, fmt):
    """``shape`` with one entry per label of ``fmt``: missing trailing dims become 1, extra ones must be 1."""
    shape = tuple(shape)
    if any(n != 1 for n in shape[len(fmt):]):
        raise ValueError(f"fmt {fmt!r} has {len(fmt)} labels but X has size {shape}; give one label per "
                         "dimension (trailing singleton dimensions may be left out)")
    return shape[:len(fmt)] + (1,) * (len(fmt) - len(shape))


def canonical(fmt):
    return "".join(fmt[i] for i in canonical_permutation(fmt))


def find_dims(fmt, label):
    """0-based positions of ``label`` in a canonical format."""
    return [i for i, c in enumerate(fmt) if c == label]


def broadcast_formats(fmt_a, fmt_b):
    """The common format of two formatted operands, or ValueError.

    A label missing from one operand is treated as a singleton dimension there
    (so "CB" combines with "C"); repeated S/U labels must agree in number unless
    one side has none.
    """
    if fmt_a == fmt_b:
        return fmt_a
    merged = []
    for label in "SCBTU":
        na, nb = fmt_a.count(label), fmt_b.count(label)
        if na and nb and na != nb:
            raise ValueError(f"Incompatible dlarray formats {fmt_a!r} and {fmt_b!r}: "
                             f"{na} vs {nb} {label!r} dimensions")
        merged.append(label * max(na, nb))
    return "".join(merged)


def expanded_shape(shape, fmt, target_fmt):
    """Shape of data formatted ``fmt`` viewed in ``target_fmt`` (singletons for absent labels)."""
    out, k = [], 0
    for label in "SCBTU":
        have, need = fmt.count(label), target_fmt.count(label)
        out.extend(shape[k:k + have] if have else [1] * need)
        k += have
    return tuple(out)

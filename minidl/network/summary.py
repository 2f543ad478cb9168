"""summary(net): MATLAB's short text about an initialised network."""


def count_learnables(net):
    return sum(v.size for v in net.Learnables.Value if v is not None)


def _abbreviated(n):
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{n / limit:.3g}{suffix}"
    return str(n)


def summary(net):
    """Print (and return) Initialized, the number of learnables and the inputs."""
    by_name = net._by_name()
    lines = [f"   Initialized: {str(bool(net.Initialized)).lower()}", "",
             f"   Number of learnables: {_abbreviated(count_learnables(net))}", "", "   Inputs:"]
    for i, name in enumerate(net.InputNames, 1):
        layer = by_name.get(name.split("/")[0])
        lines.append(f"      {i}   '{name}'   {layer.description() if layer is not None else ''}")
    text = "\n".join(lines) + "\n"
    print(text)
    return text

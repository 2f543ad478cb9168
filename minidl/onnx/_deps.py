"""The optional onnx and onnxruntime packages, imported only when an ONNX function runs."""
import importlib

INSTALL = 'pip install "minidl[onnx]"'


def require(name):
    """The module ``name`` (onnx or onnxruntime), or ImportError saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(f"minidl's ONNX functions need the {name!r} package, which is not installed; "
                          f"install it with: {INSTALL}") from err

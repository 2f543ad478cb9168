"""ONNX interchange: exportONNXNetwork and importNetworkFromONNX (the optional ``onnx`` extra).

The onnx and onnxruntime packages are imported only when these functions run; without
them they raise ImportError saying ``pip install "minidl[onnx]"``.
"""
from .export import exportONNXNetwork

__all__ = ["exportONNXNetwork"]

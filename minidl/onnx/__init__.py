"""ONNX interchange: exportONNXNetwork and importNetworkFromONNX (the optional ``onnx`` extra).

The onnx and onnxruntime packages are imported only when these functions run; without
them they raise ImportError saying ``pip install "minidl[onnx]"``.
"""
from .check import check_with_onnxruntime
from .export import exportONNXNetwork
from .importer import importNetworkFromONNX

__all__ = ["exportONNXNetwork", "importNetworkFromONNX", "check_with_onnxruntime"]

"""minidl: MATLAB's Deep Learning Toolbox API on NumPy (CPU) and CuPy (GPU)."""
from .autodiff import dlfeval, dlgradient
from .dlarray import dims, dlarray, extractdata, finddim, size, stripdims
from .ops.activation import leakyrelu, relu, sigmoid, softmax
from .ops.elementwise import abs, exp, log, max, maximum, min, minimum, sqrt, tanh
from .ops.matmul import mtimes
from .ops.reduce import mean, sum
from .ops.shape import permute, reshape
from .ops.fc import fullyconnect
from .ops.loss import crossentropy, mse
from .ops.norm import batchnorm, batchnorm_running_update, groupnorm

__version__ = "0.1.0"

"""Padding and output-window helpers for the naive-loop conv and pooling oracles."""
import numpy as np


def same_padding(n, f, stride, dilation):
    """MATLAB's "same": output ceil(n/stride), the odd padding pixel at the bottom/right."""
    total = max((-(-n // stride) - 1) * stride + dilation * (f - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def explicit_padding(padding, x_shape, size, stride, dilation):
    """(top, bottom, left, right) for any MATLAB Padding value."""
    if isinstance(padding, str):
        return same_padding(x_shape[0], size[0], stride[0], dilation[0]) + \
            same_padding(x_shape[1], size[1], stride[1], dilation[1])
    p = np.ravel(padding).tolist()
    if len(p) == 1:
        return (p[0],) * 4
    return (p[0], p[0], p[1], p[1]) if len(p) == 2 else tuple(p)


def pad_image(x, padding, value=0.0):
    top, bottom, left, right = padding
    out = np.full((x.shape[0] + top + bottom, x.shape[1] + left + right) + x.shape[2:], value)
    out[top:top + x.shape[0], left:left + x.shape[1]] = x
    return out


def windows(x, size, stride, dilation, padding, value=0.0):
    """Yield (ho, wo, patch) with patch of size FH x FW x C x N, one output position at a time."""
    xp = pad_image(x, padding, value)
    Ho = (xp.shape[0] - dilation[0] * (size[0] - 1) - 1) // stride[0] + 1
    Wo = (xp.shape[1] - dilation[1] * (size[1] - 1) - 1) // stride[1] + 1
    for ho in range(Ho):
        for wo in range(Wo):
            h0, w0 = ho * stride[0], wo * stride[1]
            yield ho, wo, xp[h0:h0 + dilation[0] * (size[0] - 1) + 1:dilation[0],
                             w0:w0 + dilation[1] * (size[1] - 1) + 1:dilation[1]]

"""``img_to_array`` and ``array_to_img``: between PIL images and (height, width, channels) arrays.

``img_to_array`` needs nothing but numpy (anything ``numpy.asarray`` reads,
PIL images included). ``array_to_img`` makes a PIL image, so it needs Pillow
(``pip install pillow``), imported only when called.
"""

import numpy as np

from microkeras.config import floatx
from microkeras.utils.argument_checks import standardize_data_format


def img_to_array(img, data_format=None, dtype=None):
    """An image as a 3-D array: (height, width, channels), or (channels, height, width) for
    ``data_format='channels_first'``; a grayscale image gets a channel axis of 1. float32 by default."""
    data_format = standardize_data_format(data_format, where="img_to_array")
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 2:
        x = x[np.newaxis] if data_format == "channels_first" else x[..., np.newaxis]
    elif x.ndim == 3:
        x = x.transpose(2, 0, 1) if data_format == "channels_first" else x
    else:
        raise ValueError(f"img_to_array: an image must have 2 or 3 dimensions; received shape {x.shape}.")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a PIL image (RGBA, RGB or L/I for 4, 3 or 1 channels).

    With ``scale=True`` the values are stretched to span 0..255 first.
    """
    data_format = standardize_data_format(data_format, where="array_to_img")
    x = np.array(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img: the array must have 3 dimensions (one image); received shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    channels = x.shape[2]
    if channels not in (1, 3, 4):
        raise ValueError(f"array_to_img: images have 1, 3 or 4 channels; received {channels} (shape {x.shape}).")
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("array_to_img needs Pillow: `pip install pillow`.") from None
    if scale:
        x = x - np.min(x)
        if np.max(x) != 0:
            x = x / np.max(x)
        x = x * 255
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if np.max(x) > 255:
        return Image.fromarray(x[:, :, 0].astype("int32"), "I")
    return Image.fromarray(x[:, :, 0].astype("uint8"), "L")

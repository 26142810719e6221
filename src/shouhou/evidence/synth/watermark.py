"""Embeds Stable Diffusion's dwtDct invisible watermark, for test, demo and benchmark cases."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
import pywt
import scipy.fft

from shouhou.evidence.signals.watermark import BLOCK, SCALE, U_CHANNEL, KnownMark, block_dct, peak_ac


def embed_dwt_dct(rgb: npt.NDArray[np.uint8], mark: KnownMark | Sequence[int],
                  scale: float = SCALE) -> npt.NDArray[np.uint8]:
    """Return a copy of `rgb` carrying `mark` the way imwatermark's dwtDct encoder does.

    Differences from the reference, both deliberate: the U plane is rounded and clipped back to 8 bits
    (the reference truncates and can wrap), and there is no 256×256 minimum size. As in the reference,
    the horizontal and vertical detail bands are swapped on reconstruction (the LL band, which holds
    the mark, is unaffected), so the chroma texture changes the way SD's output does.
    """
    bits = np.asarray(mark.bits if isinstance(mark, KnownMark) else tuple(mark), dtype=np.float64)
    if bits.size == 0 or not np.isin(bits, (0.0, 1.0)).all():
        raise ValueError("a watermark is a non-empty sequence of 0/1 bits")
    h, w = rgb.shape[0] // 4 * 4, rgb.shape[1] // 4 * 4
    if h == 0 or w == 0:
        return np.array(rgb, dtype=np.uint8, copy=True)
    yuv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV)
    plane = yuv[:h, :w, U_CHANNEL].astype(np.float64)
    ll, (ch, cv, cd) = pywt.dwt2(plane, "haar")
    nr, nc = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    coef = block_dct(ll)
    if coef.shape[0]:
        rows = np.arange(coef.shape[0])
        peak = peak_ac(coef)
        value = coef[rows, peak]
        wanted = bits[rows % bits.size]
        magnitude = (np.floor(np.abs(value) / scale) + 0.25 + 0.5 * wanted) * scale
        # The reference treats 0 as positive: sign(0) would zero the coefficient instead.
        coef[rows, peak] = np.where(value >= 0, magnitude, -magnitude)
        blocks = coef.reshape(nr, nc, BLOCK, BLOCK).transpose(0, 2, 1, 3)
        ll[: nr * BLOCK, : nc * BLOCK] = scipy.fft.idctn(blocks, type=2, norm="ortho", axes=(1, 3)).reshape(
            nr * BLOCK, nc * BLOCK)
    marked = pywt.idwt2((ll, (cv, ch, cd)), "haar")
    yuv[:h, :w, U_CHANNEL] = np.clip(np.rint(marked), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB))

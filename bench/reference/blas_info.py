"""Which BLAS library a torch peer loaded, for the bench headers."""
import torch


def blas():
    """The BLAS library this process loaded. Debian's torch takes whatever libblas.so.3 points to,
    and python3-torch only recommends an optimised one: with the reference BLAS (libblas3) the
    ViT-S figure took 75 s per round against 2.4-4.2 s with OpenBLAS (libopenblas0-pthread), so
    the peer names it and a slow peer is visible in every bench's header."""
    (torch.ones(64, 64) @ torch.ones(64, 64)).sum()
    try:
        paths = sorted({l.split()[-1].rsplit('/', 1)[-1] for l in open('/proc/self/maps') if any(k in l for k in ('blas', 'mkl_rt', 'blis'))})
        return ', '.join(paths) or 'none loaded'
    except OSError:
        return 'unknown'

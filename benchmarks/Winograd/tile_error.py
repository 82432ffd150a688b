#!/usr/bin/env python3
"""Float32 error of Winograd F(2x2, 3x3) and F(4x4, 3x3) against float64, to choose the tile (issue 24).

The lesson's second convolution's shape: 64 channels, inputs in [0, 1) (after ReLU), Glorot-uniform weights; each
output's error is divided by its sum of |x * w| (the scale of any summation's rounding error). Every transform and
product is rounded to float32 as a float32 kernel would round it; channels are summed in float32 in order (what a
matrix product over the channels does). The direct convolution's error on the same data is printed alongside.
Run: /usr/bin/python3 benchmarks/Winograd/tile_error.py (Debian's python3-numpy). Measured here: F(2x2, 3x3)
7.30e-08 (direct 1.19e-07), F(4x4, 3x3) 9.43e-07.
"""
import numpy as np

rng = np.random.default_rng(11)
C, F, TILES = 64, 64, 200
limit = np.sqrt(6.0 / (9 * C + 9 * F))

# Lavin and Gray's matrices: F(2x2, 3x3) and F(4x4, 3x3) (points 0, +-1, +-2).
F23 = dict(
    BT=np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64),
    G=np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]], dtype=np.float64),
    AT=np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64))
F43 = dict(
    BT=np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], dtype=np.float64),
    G=np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], dtype=np.float64),
    AT=np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=np.float64))


def f32(a):
    return a.astype(np.float32)


def winograd(d, g, m):
    """d: (C, n, n) input tile, g: (C, F, 3, 3); float32 at every step."""
    BT, G, AT = f32(m["BT"]), f32(m["G"]), f32(m["AT"])
    U = f32(np.einsum("ij,cfjk,lk->cfil", G, f32(g), G))           # (C, F, n, n)
    V = f32(np.einsum("ij,cjk,lk->cil", BT, f32(d), BT))           # (C, n, n)
    M = np.zeros(U.shape[1:], dtype=np.float32)
    for c in range(C):                                             # the channel sum, in order, in float32
        M = f32(M + f32(U[c] * V[c]))
    return f32(np.einsum("ij,fjk,lk->fil", AT, M, AT))             # (F, m, m)


def exact(d, g, out):
    r = np.zeros((F, out, out))
    a = np.zeros((F, out, out))
    for y in range(out):
        for x in range(out):
            t = np.einsum("cij,cfij->cfij", d[:, y:y + 3, x:x + 3], g)
            r[:, y, x] = t.sum(axis=(0, 2, 3))
            a[:, y, x] = np.abs(t).sum(axis=(0, 2, 3))
    return r, a


def direct(d, g, out):
    r = np.zeros((F, out, out), dtype=np.float32)
    for y in range(out):
        for x in range(out):
            acc = np.zeros(F, dtype=np.float32)
            for ky in range(3):
                for kx in range(3):
                    for c in range(C):
                        acc = f32(acc + f32(d[c, y + ky, x + kx] * g[c, :, ky, kx]))
            r[:, y, x] = acc
    return r


for name, m, out in (("F(2x2, 3x3)", F23, 2), ("F(4x4, 3x3)", F43, 4)):
    worst, worst_direct = 0.0, 0.0
    for t in range(TILES if out == 2 else TILES // 2):
        d = f32(rng.random((C, out + 2, out + 2)))
        g = f32((rng.random((C, F, 3, 3)) * 2 - 1) * limit)
        want, scale = exact(d.astype(np.float64), g.astype(np.float64), out)
        worst = max(worst, float(np.max(np.abs(winograd(d, g, m) - want) / scale)))
        if t < 10:
            worst_direct = max(worst_direct, float(np.max(np.abs(direct(d, g, out) - want) / scale)))
    print(f"{name}: largest error / sum|x*w| {worst:.2e}   (direct convolution, same data: {worst_direct:.2e})")

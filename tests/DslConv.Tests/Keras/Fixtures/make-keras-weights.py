#!/usr/bin/env python3
"""Writes batch_norm_net.weights.h5 in Keras 3's weights layout (keras/src/saving/saving_lib.py: H5IOStore; layers are
addressed by class and position, "layers/conv2d/vars/0", not by name), for a Keras model equal to the test suite's
BatchNormNet:

    Input((7, 6, 2)), Conv2D(4, 3, padding="same"), BatchNormalization(), MaxPooling2D(2), Conv2D(5, 2, activation="relu"),
    Flatten(), Dense(6, activation="tanh"), BatchNormalization(momentum=0.9, epsilon=0.01), Dense(3, activation="softmax")

and batch_norm_net.expected.json: two images (N, H, W, C) and what a naive float64 numpy evaluation of that model gives
for them. Written with h5py, not with DslConv, so that DslConv's reader is checked against the layout, not against
itself. Run with Debian's python3-h5py: /usr/bin/python3 make-keras-weights.py
"""
import json
import h5py
import numpy as np

rng = np.random.default_rng(20261207)
f32 = np.float32
conv1 = (rng.normal(0, 0.4, (3, 3, 2, 4)).astype(f32), rng.normal(0, 0.1, 4).astype(f32))
bn1 = (rng.uniform(0.5, 1.5, 4).astype(f32), rng.normal(0, 0.1, 4).astype(f32), rng.normal(0, 0.2, 4).astype(f32), rng.uniform(0.5, 2, 4).astype(f32))
conv2 = (rng.normal(0, 0.3, (2, 2, 4, 5)).astype(f32), rng.normal(0, 0.1, 5).astype(f32))
dense1 = (rng.normal(0, 0.3, (20, 6)).astype(f32), rng.normal(0, 0.1, 6).astype(f32))
bn2 = (rng.uniform(0.5, 1.5, 6).astype(f32), rng.normal(0, 0.1, 6).astype(f32), rng.normal(0, 0.2, 6).astype(f32), rng.uniform(0.5, 2, 6).astype(f32))
dense2 = (rng.normal(0, 0.3, (6, 3)).astype(f32), rng.normal(0, 0.1, 3).astype(f32))

with h5py.File("batch_norm_net.weights.h5", "w") as f:
    f.create_group("vars")
    layers = f.create_group("layers")
    for name, variables in [("input_layer", ()), ("conv2d", conv1), ("batch_normalization", bn1), ("max_pooling2d", ()),
                            ("conv2d_1", conv2), ("flatten", ()), ("dense", dense1), ("batch_normalization_1", bn2), ("dense_1", dense2)]:
        group = layers.create_group(name).create_group("vars")
        for i, value in enumerate(variables):
            group[str(i)] = value
    f.create_group("optimizer").create_group("vars")


def conv(x, kernel, bias, pad):
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    kh, kw, _, filters = kernel.shape
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((x.shape[0], oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            y[:, i, j, :] = np.einsum("nhwc,hwcf->nf", x[:, i:i + kh, j:j + kw, :], kernel.astype(np.float64)) + bias
    return y


def batch_norm(x, gamma, beta, mean, variance, epsilon):
    return (x - mean) / np.sqrt(variance.astype(np.float64) + epsilon) * gamma + beta


x = rng.uniform(0, 1, (2, 7, 6, 2)).astype(f32).astype(np.float64)
y = batch_norm(conv(x, *conv1, pad=1), *bn1, 1e-3)
y = y[:, :6, :6, :].reshape(2, 3, 2, 3, 2, 4).max(axis=(2, 4))
y = np.maximum(conv(y, *conv2, pad=0), 0)
y = np.tanh(y.reshape(2, -1) @ dense1[0].astype(np.float64) + dense1[1])
y = batch_norm(y, *bn2, 0.01) @ dense2[0].astype(np.float64) + dense2[1]
y = np.exp(y - y.max(axis=1, keepdims=True))
y = y / y.sum(axis=1, keepdims=True)
with open("batch_norm_net.expected.json", "w") as out:
    json.dump({"images": x.astype(f32).ravel().tolist(), "outputs": y.ravel().tolist()}, out)

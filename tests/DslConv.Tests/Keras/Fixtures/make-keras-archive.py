#!/usr/bin/env python3
"""Writes Keras 3 model archives for dslconv import's tests, without Keras (not packaged for Debian): config.json in
the format keras.saving writes (model.get_config(): layers with class_name, config and, for a functional model,
inbound_nodes of __keras_tensor__ arguments), model.weights.h5 in saving_lib's layout (layers/{class}_{n}/vars/{i},
numbered per class in layer order) written with h5py, and metadata.json, zipped as a .keras file. Also the functional
model's architecture alone (residual.json, model.to_json()) and its weights alone (residual.weights.h5), and each
model's float64 numpy evaluation on a few images (*.expected.json).

Run: /usr/bin/python3 make-keras-archive.py   (Debian's python3-h5py; writes beside this script)
"""
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(23)
f32 = np.float32


def tensor(layer, shape):
    return {"class_name": "__keras_tensor__", "config": {"shape": [None] + shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}


def layer(class_name, config, inbound=None):
    entry = {"module": "keras.layers", "class_name": class_name, "config": dict(config, trainable=True, dtype="float32"), "registered_name": None}
    if inbound is not None:
        entry["name"] = config["name"]
        entry["inbound_nodes"] = [{"args": inbound, "kwargs": {}}] if inbound else []
    return entry


def conv_config(name, filters, kernel, padding, activation, use_bias=True, strides=1):
    return {"name": name, "filters": filters, "kernel_size": [kernel, kernel], "strides": [strides, strides], "padding": padding,
            "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": activation, "use_bias": use_bias}


def write_weights(path, groups):
    """saving_lib's layout: every layer of the model's _layers list gets layers/{group}/vars, weighted or not."""
    with h5py.File(path, "w") as f:
        layers = f.create_group("layers")
        for group, variables in groups:
            vars_group = layers.create_group(group).create_group("vars")
            for i, value in enumerate(variables):
                vars_group[str(i)] = value
        f.create_group("vars")


def write_archive(path, config, weights_path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-12-07@00:00:00"}))
        archive.writestr("config.json", json.dumps(config))
        archive.write(weights_path, "model.weights.h5")


def conv(x, kernel, bias, pad):
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    kh, kw, _, filters = kernel.shape
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((x.shape[0], oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            y[:, i, j, :] = np.einsum("nhwc,hwcf->nf", x[:, i:i + kh, j:j + kw, :], kernel.astype(np.float64))
    return y + (0 if bias is None else bias.astype(np.float64))


def softmax(y):
    y = np.exp(y - y.max(axis=1, keepdims=True))
    return y / y.sum(axis=1, keepdims=True)


def save_expected(name, x, y):
    with open(os.path.join(HERE, name + ".expected.json"), "w") as out:
        json.dump({"images": [float(v) for v in x.astype(f32).ravel()], "outputs": [float(v) for v in y.ravel()]}, out)


def residual():
    """Functional: conv2d (relu, same) -> batch_normalization -> branch_conv (no bias) -> skip_add(+conv2d) -> re_lu ->
    max_pooling2d -> flatten -> dense (softmax); Keras's names, two of them chosen by hand."""
    c1 = (rng.normal(0, 0.4, (3, 3, 2, 4)).astype(f32), rng.normal(0, 0.1, 4).astype(f32))
    bn = (rng.uniform(0.5, 1.5, 4).astype(f32), rng.normal(0, 0.2, 4).astype(f32), rng.normal(0, 0.3, 4).astype(f32), rng.uniform(0.5, 2, 4).astype(f32))
    c2 = rng.normal(0, 0.3, (3, 3, 4, 4)).astype(f32)
    dense = (rng.normal(0, 0.3, (64, 3)).astype(f32), rng.normal(0, 0.1, 3).astype(f32))
    layers = [
        layer("InputLayer", {"name": "input_layer", "batch_shape": [None, 8, 8, 2], "sparse": False}, []),
        layer("Conv2D", conv_config("conv2d", 4, 3, "same", "relu"), [tensor("input_layer", [8, 8, 2])]),
        layer("BatchNormalization", {"name": "batch_normalization", "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True},
              [tensor("conv2d", [8, 8, 4])]),
        layer("Conv2D", conv_config("branch_conv", 4, 3, "same", "linear", use_bias=False), [tensor("batch_normalization", [8, 8, 4])]),
        layer("Add", {"name": "skip_add"}, [[tensor("branch_conv", [8, 8, 4]), tensor("conv2d", [8, 8, 4])]]),
        layer("ReLU", {"name": "re_lu", "max_value": None, "negative_slope": 0.0, "threshold": 0.0}, [tensor("skip_add", [8, 8, 4])]),
        layer("MaxPooling2D", {"name": "max_pooling2d", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"},
              [tensor("re_lu", [8, 8, 4])]),
        layer("Flatten", {"name": "flatten", "data_format": "channels_last"}, [tensor("max_pooling2d", [4, 4, 4])]),
        layer("Dense", {"name": "dense", "units": 3, "activation": "softmax", "use_bias": True}, [tensor("flatten", [64])]),
    ]
    config = {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
              "config": {"name": "residual", "trainable": True, "layers": layers,
                         "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense", 0, 0]]},
              "build_config": {"input_shape": None},
              "compile_config": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}}
    weights = os.path.join(HERE, "residual.weights.h5")
    write_weights(weights, [("input_layer", ()), ("conv2d", c1), ("batch_normalization", bn), ("conv2d_1", (c2,)), ("add", ()),
                            ("re_lu", ()), ("max_pooling2d", ()), ("flatten", ()), ("dense", dense)])
    write_archive(os.path.join(HERE, "residual.keras"), config, weights)
    with open(os.path.join(HERE, "residual.json"), "w") as out:
        json.dump(config, out)

    x = rng.uniform(0, 1, (3, 8, 8, 2)).astype(f32).astype(np.float64)
    a = np.maximum(conv(x, c1[0], c1[1], 1), 0)
    gamma, beta, mean, variance = (v.astype(np.float64) for v in bn)
    b = (a - mean) / np.sqrt(variance + float(f32(0.001))) * gamma + beta
    y = np.maximum(conv(b, c2, None, 1) + a, 0)
    y = y.reshape(3, 4, 2, 4, 2, 4).max(axis=(2, 4))
    y = softmax(y.reshape(3, -1) @ dense[0].astype(np.float64) + dense[1])
    save_expected("residual", x, y)


def sequential():
    """Sequential: conv (valid, tanh, stride 2) -> average pool -> dropout -> flatten -> dense (relu) -> dense (softmax),
    compiled with categorical cross-entropy."""
    c1 = (rng.normal(0, 0.4, (3, 3, 1, 3)).astype(f32), rng.normal(0, 0.1, 3).astype(f32))
    d1 = (rng.normal(0, 0.3, (12, 5)).astype(f32), rng.normal(0, 0.1, 5).astype(f32))
    d2 = (rng.normal(0, 0.3, (5, 4)).astype(f32), rng.normal(0, 0.1, 4).astype(f32))
    layers = [
        layer("InputLayer", {"name": "input_layer", "batch_shape": [None, 9, 9, 1], "sparse": False}),
        layer("Conv2D", conv_config("conv2d", 3, 3, "valid", "tanh", strides=2)),
        layer("AveragePooling2D", {"name": "average_pooling2d", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}),
        layer("Dropout", {"name": "dropout", "rate": 0.25, "seed": None}),
        layer("Flatten", {"name": "flatten", "data_format": "channels_last"}),
        layer("Dense", {"name": "dense", "units": 5, "activation": "relu", "use_bias": True}),
        layer("Dense", {"name": "dense_1", "units": 4, "activation": "softmax", "use_bias": True}),
    ]
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "trainable": True, "layers": layers},
              "build_config": {"input_shape": [None, 9, 9, 1]},
              "compile_config": {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"]}}
    weights = os.path.join(HERE, "sequential.weights.h5")
    write_weights(weights, [("input_layer", ()), ("conv2d", c1), ("average_pooling2d", ()), ("dropout", ()), ("flatten", ()),
                            ("dense", d1), ("dense_1", d2)])
    write_archive(os.path.join(HERE, "sequential.keras"), config, weights)
    os.remove(weights)

    x = rng.uniform(0, 1, (2, 9, 9, 1)).astype(f32).astype(np.float64)
    y = np.tanh(conv(x, c1[0], c1[1], 0)[:, ::2, ::2, :])   # 7 x 7 valid, stride 2 -> 4 x 4
    y = y.reshape(2, 2, 2, 2, 2, 3).mean(axis=(2, 4))        # average pool 2 -> 2 x 2
    y = np.maximum(y.reshape(2, -1) @ d1[0].astype(np.float64) + d1[1], 0)
    y = softmax(y @ d2[0].astype(np.float64) + d2[1])
    save_expected("sequential", x, y)


if __name__ == "__main__":
    residual()
    sequential()

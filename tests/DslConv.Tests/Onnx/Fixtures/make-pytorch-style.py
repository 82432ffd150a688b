#!/usr/bin/env python3
"""Writes pytorch-style.onnx, a small CNN laid out as PyTorch's exporter writes one (NCHW input, Conv with symmetric
pads, BatchNormalization, MaxPool, a stride-2 Conv whose pads are not Keras's "same", Flatten over (C, H, W), Gemm with
transB = 1, Softmax), built with the onnx helper API and not with DslConv's exporter; and pytorch-style.expected.json:
two input images (NCHW) and the outputs a naive float64 numpy evaluation of the graph gives for them. Then the same for
pytorch-residual.onnx, a residual block (an Add that reads a tensor two layers back, a convolution without bias, global
average pooling).

Run with Debian's python3-onnx: /usr/bin/python3 make-pytorch-style.py
"""
import json
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20261207)
w1 = rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32)
b1 = rng.normal(0, 0.1, 4).astype(np.float32)
gamma = rng.uniform(0.5, 1.5, 4).astype(np.float32)
beta = rng.normal(0, 0.1, 4).astype(np.float32)
mean = rng.normal(0, 0.2, 4).astype(np.float32)
var = rng.uniform(0.5, 2.0, 4).astype(np.float32)
w2 = rng.normal(0, 0.3, (6, 4, 3, 3)).astype(np.float32)
b2 = rng.normal(0, 0.1, 6).astype(np.float32)
w3 = rng.normal(0, 0.3, (5, 24)).astype(np.float32)
b3 = rng.normal(0, 0.1, 5).astype(np.float32)

inits = [numpy_helper.from_array(a, n) for a, n in [
    (w1, "conv1.weight"), (b1, "conv1.bias"), (gamma, "bn1.weight"), (beta, "bn1.bias"), (mean, "bn1.running_mean"),
    (var, "bn1.running_var"), (w2, "conv2.weight"), (b2, "conv2.bias"), (w3, "fc.weight"), (b3, "fc.bias")]]
nodes = [
    helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["/conv1/Conv_output_0"], name="/conv1/Conv",
                     kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
    helper.make_node("BatchNormalization", ["/conv1/Conv_output_0", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"],
                     ["/bn1/BatchNormalization_output_0"], name="/bn1/BatchNormalization", epsilon=1e-5, momentum=0.9),
    helper.make_node("Relu", ["/bn1/BatchNormalization_output_0"], ["/relu/Relu_output_0"], name="/relu/Relu"),
    helper.make_node("MaxPool", ["/relu/Relu_output_0"], ["/pool/MaxPool_output_0"], name="/pool/MaxPool",
                     kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0]),
    helper.make_node("Conv", ["/pool/MaxPool_output_0", "conv2.weight", "conv2.bias"], ["/conv2/Conv_output_0"], name="/conv2/Conv",
                     kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("Relu", ["/conv2/Conv_output_0"], ["/relu_1/Relu_output_0"], name="/relu_1/Relu"),
    helper.make_node("Flatten", ["/relu_1/Relu_output_0"], ["/flatten/Flatten_output_0"], name="/flatten/Flatten", axis=1),
    helper.make_node("Gemm", ["/flatten/Flatten_output_0", "fc.weight", "fc.bias"], ["/fc/Gemm_output_0"], name="/fc/Gemm",
                     alpha=1.0, beta=1.0, transB=1),
    helper.make_node("Softmax", ["/fc/Gemm_output_0"], ["output"], name="/softmax/Softmax", axis=1),
]
graph = helper.make_graph(nodes, "PyTorchStyleNet",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, 8, 8])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 5])], inits)
model = helper.make_model(graph, producer_name="pytorch", producer_version="2.5.0", opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "pytorch-style.onnx")


def conv(x, w, b, stride, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    y = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w) + b
    return y


x = rng.uniform(0, 1, (2, 2, 8, 8)).astype(np.float32).astype(np.float64)
y = conv(x, w1.astype(np.float64), b1, 1, 1)
y = (y - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None].astype(np.float64) + 1e-5) * gamma[None, :, None, None] + beta[None, :, None, None]
y = np.maximum(y, 0)
y = y.reshape(2, 4, 4, 2, 4, 2).max(axis=(3, 5))
y = np.maximum(conv(y, w2.astype(np.float64), b2, 2, 1), 0)
y = y.reshape(2, -1) @ w3.T.astype(np.float64) + b3
y = np.exp(y - y.max(axis=1, keepdims=True))
y = y / y.sum(axis=1, keepdims=True)
with open("pytorch-style.expected.json", "w") as f:
    json.dump({"inputNchw": x.astype(np.float32).ravel().tolist(), "shape": [2, 2, 8, 8], "outputs": y.ravel().tolist()}, f)

# A residual block as PyTorch exports one: conv -> relu -> conv, plus the block's input, relu, global average pooling,
# flatten, linear. pytorch-residual.onnx and pytorch-residual.expected.json.
wa = rng.normal(0, 0.4, (4, 2, 3, 3)).astype(np.float32)
ba = rng.normal(0, 0.1, 4).astype(np.float32)
wb = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
bb = rng.normal(0, 0.1, 4).astype(np.float32)
wc = rng.normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)
fc = rng.normal(0, 0.3, (3, 4)).astype(np.float32)
fcb = rng.normal(0, 0.1, 3).astype(np.float32)
inits = [numpy_helper.from_array(a, n) for a, n in [
    (wa, "stem.weight"), (ba, "stem.bias"), (wb, "conv1.weight"), (bb, "conv1.bias"), (wc, "conv2.weight"),
    (fc, "fc.weight"), (fcb, "fc.bias")]]
nodes = [
    helper.make_node("Conv", ["input", "stem.weight", "stem.bias"], ["s"], name="/stem/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["s"], ["s_relu"], name="/stem_relu/Relu"),
    helper.make_node("Conv", ["s_relu", "conv1.weight", "conv1.bias"], ["c1"], name="/conv1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["c1_relu"], name="/relu1/Relu"),
    helper.make_node("Conv", ["c1_relu", "conv2.weight"], ["c2"], name="/conv2/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Add", ["c2", "s_relu"], ["sum"], name="/Add"),
    helper.make_node("Relu", ["sum"], ["sum_relu"], name="/relu2/Relu"),
    helper.make_node("GlobalAveragePool", ["sum_relu"], ["pooled"], name="/pool/GlobalAveragePool"),
    helper.make_node("Flatten", ["pooled"], ["flat"], name="/Flatten", axis=1),
    helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["output"], name="/fc/Gemm", transB=1),
]
graph = helper.make_graph(nodes, "PyTorchResidualNet",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, 6, 6])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])], inits)
model = helper.make_model(graph, producer_name="pytorch", producer_version="2.5.0", opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "pytorch-residual.onnx")

x = rng.uniform(0, 1, (2, 2, 6, 6)).astype(np.float32).astype(np.float64)
s = np.maximum(conv(x, wa.astype(np.float64), ba, 1, 1), 0)
c = np.maximum(conv(s, wb.astype(np.float64), bb, 1, 1), 0)
c = conv(c, wc.astype(np.float64), np.zeros(4), 1, 1)
y = np.maximum(c + s, 0).mean(axis=(2, 3)) @ fc.T.astype(np.float64) + fcb
with open("pytorch-residual.expected.json", "w") as f:
    json.dump({"inputNchw": x.astype(np.float32).ravel().tolist(), "shape": [2, 2, 6, 6], "outputs": y.ravel().tolist()}, f)

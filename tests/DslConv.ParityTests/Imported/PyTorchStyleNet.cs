// Imported by dslconv import from pytorch-style.onnx (ONNX opset 13, written by pytorch).
// Weights: PyTorchStyleNet.safetensors (439 values, Keras names and layouts); load them with model.LoadWeights(path).
using DslConv;

namespace DslConv.ParityTests.Imported;

[Input(8, 8, 2)]
[Conv2D(4, 3, 3, Padding = Padding.Same)]      // conv2d: Conv '/conv1/Conv'
[BatchNorm(Momentum = 0.9, Epsilon = 1E-05)]   // batch_normalization: BatchNormalization '/bn1/BatchNormalization'
[Activation(Activation.Relu)]                  // activation: Relu '/relu/Relu'
[MaxPool(2)]                                   // max_pooling2d: MaxPool '/pool/MaxPool'
[ZeroPadding2D(1, 1, 1, 1)]                    // zero_padding2d: the pads of Conv '/conv2/Conv'
[Conv2D(6, 3, 3, Activation.Relu, Stride = 2)] // conv2d_1: Conv '/conv2/Conv' + Relu '/relu_1/Relu'
[Flatten]                                      // flatten: Flatten '/flatten/Flatten'
[Dense(5, Activation.Softmax)]                 // dense: Gemm '/fc/Gemm' + Softmax '/softmax/Softmax'
public partial class PyTorchStyleNet;

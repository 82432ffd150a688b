// Imported by dslconv import from pytorch-residual.onnx (ONNX opset 13, written by pytorch).
// Weights: PyTorchResidualNet.safetensors (383 values, Keras names and layouts); load them with model.LoadWeights(path).
using DslConv;

namespace DslConv.ParityTests.Imported;

[Input(6, 6, 2)]
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same, Name = "conv2d")] // conv2d: Conv '/stem/Conv' + Relu '/stem_relu/Relu'
[Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]                  // conv2d_1: Conv '/conv1/Conv' + Relu '/relu1/Relu'
[Conv2D(4, 3, 3, Padding = Padding.Same, UseBias = false)]                  // conv2d_2: Conv '/conv2/Conv'
[Add("conv2d")]                                                             // add: Add '/Add'
[Activation(Activation.Relu)]                                               // activation: Relu '/relu2/Relu'
[GlobalAvgPool]                                                             // global_average_pooling2d: GlobalAveragePool '/pool/GlobalAveragePool'
[Dense(3)]                                                                  // dense: Gemm '/fc/Gemm'
public partial class PyTorchResidualNet;

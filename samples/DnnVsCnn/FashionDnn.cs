using DslConv;

namespace FashionMnistSample;

// The lesson's first, plain network:
//   Flatten(input_shape=(28, 28)), Dense(128, activation='relu'), Dense(10, activation='softmax')
[Input(28, 28, 1)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class FashionDnn;

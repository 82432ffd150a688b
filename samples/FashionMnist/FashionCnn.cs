using DslConv;

namespace FashionMnistSample;

// The Keras lesson's model ("convolutions and pooling in code"):
//   Conv2D(64, (3,3), activation='relu', input_shape=(28,28,1)), MaxPooling2D(2,2),
//   Conv2D(64, (3,3), activation='relu'), MaxPooling2D(2,2),
//   Flatten(), Dense(128, activation='relu'), Dense(10, activation='softmax')
[Input(28, 28, 1)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class FashionCnn;

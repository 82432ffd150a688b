using DslConv;

namespace DslConvCnn;

// The Keras lesson's model ("convolutions and pooling in code"):
//   Conv2D(64, (3,3), activation='relu', input_shape=(28,28,1)), MaxPooling2D(2,2),
//   Conv2D(64, (3,3), activation='relu'), MaxPooling2D(2,2),
//   Flatten(), Dense(128, activation='relu'), Dense(10, activation='softmax')
// DslConv generates the rest at compile time: shapes, parameters, forward and backward passes, a trainer, a summary.
// Change a layer and a shape that no longer fits is a compiler error on that attribute.
[Input(28, 28, 1)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class FashionCnn;

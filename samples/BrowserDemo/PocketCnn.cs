using DslConv;

namespace BrowserDemo;

// The network the page trains: the lesson's shape, narrower (8 and 16 filters, Dense 32), about 25x fewer FLOPs. The
// lesson's own network trains in the page too, but .NET's WebAssembly interpreter runs it at about 10 images a second,
// so a step of 32 images would hold the page's only thread for over 3 seconds; this one's steps are short enough to
// redraw the curve between them.
[Input(28, 28, 1)]
[Conv2D(8, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Conv2D(16, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(32, Activation.Relu)]
[Dense(10, Activation.Softmax)]
public partial class PocketCnn;

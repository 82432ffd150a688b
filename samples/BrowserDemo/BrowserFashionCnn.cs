using DslConv;

namespace FashionMnistSample;

// The lesson's model (its layers are in FashionCnn.cs) with its trained weights compiled into the app's assembly:
// FashionCnn.Pretrained() needs no download of its own, and the page classifies as soon as .NET has started.
[EmbedWeights("fashion-cnn.safetensors")]
public partial class FashionCnn;

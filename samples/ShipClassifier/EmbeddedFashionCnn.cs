using DslConv;

namespace FashionMnistSample;

// The lesson's model (its layers are in FashionCnn.cs) with its trained weights compiled in: FashionCnn.Pretrained().
[EmbedWeights("fashion-cnn.safetensors")]
public partial class FashionCnn;

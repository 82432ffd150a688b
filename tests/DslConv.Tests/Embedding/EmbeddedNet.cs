namespace DslConv.Tests.Embedding;

/// <summary>A model whose weights are compiled in from Fixtures/embedded-net.safetensors (written by make-embedded-net.py).</summary>
[EmbedWeights("Embedding/Fixtures/embedded-net.safetensors")]
[Input(6, 6, 1)]
[Conv2D(3, 3, 3, Activation.Relu)]
[BatchNorm]
[Flatten]
[Dense(4, Activation.Softmax)]
public partial class EmbeddedNet;

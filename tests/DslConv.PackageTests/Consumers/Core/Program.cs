using DslConv;
using DslConv.Training;

// Everything below but the attributes is generated: the constants, the constructor, the trainer, the summary.
var random = new Random(3);
float[] images = new float[16 * TinyCnn.InputSize];
for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
int[] labels = Enumerable.Range(0, 16).Select(i => i % TinyCnn.OutputSize).ToArray();

var model = new TinyCnn(seed: 1);
using var trainer = new TinyCnn.Trainer(model, batchSize: 16, new Adam(0.01f));
for (int step = 1; step <= 5; step++) Console.WriteLine($"step {step}: loss {trainer.TrainStep(images, labels):F4}");
Console.WriteLine(TinyCnn.Summary);
Console.WriteLine($"generated parameters: {TinyCnn.ParameterCount}");

[Input(8, 8, 1)]
[Conv2D(4, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class TinyCnn;

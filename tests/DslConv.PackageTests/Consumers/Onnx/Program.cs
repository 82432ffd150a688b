using DslConv;
using DslConv.Onnx;

var model = new TinyCnn(seed: 1);
float[] images = new float[2 * TinyCnn.InputSize];
for (int i = 0; i < images.Length; i++) images[i] = i % 7 / 7f;
float[] outputs = new float[2 * TinyCnn.OutputSize];
model.Predict(images, outputs);
string path = Path.Combine(AppContext.BaseDirectory, "tiny.onnx");
model.ExportOnnx(path);
Console.WriteLine($"outputs: {string.Join(' ', outputs.Select(o => o.ToString("F4")))}");
Console.WriteLine($"exported {new FileInfo(path).Length} bytes to {path}");

[Input(6, 6, 2)]
[Conv2D(3, 3, 3, Activation.Relu)]
[GlobalAvgPool]
[Dense(2, Activation.Softmax)]
public partial class TinyCnn;

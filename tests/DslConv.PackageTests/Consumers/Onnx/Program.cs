using DslConv;
using DslConv.Data;
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
using var int8 = TinyCnn.Int8.Calibrate(model, new LabeledImages(images, [0, 1], 6, 6, 2), count: 2);
float[] quantized = new float[2 * TinyCnn.OutputSize];
int8.Predict(images, quantized);
Console.WriteLine($"int8: {string.Join(' ', quantized.Select(o => o.ToString("F4")))}");

[Input(6, 6, 2)]
[Conv2D(3, 3, 3, Activation.Relu)]
[GlobalAvgPool]
[Dense(2, Activation.Softmax)]
public partial class TinyCnn;

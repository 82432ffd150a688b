// The lesson's network exported to ONNX (DslConv's ExportOnnx of samples/ShipClassifier/fashion-cnn.safetensors), run
// by ONNX Runtime: the shipping comparison's peer for inference.   OrtClassifier MODEL.onnx DATA_DIR
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ShipClassifier;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: OrtClassifier MODEL.onnx FASHION_MNIST_DIR");
    return 2;
}
using var session = new InferenceSession(args[0]);
string input = session.InputMetadata.Keys.First();
double ready = FirstPrediction.SinceStart();
double start = FirstPrediction.SinceStart();
var (images, labels) = FirstPrediction.TestSet(args[1]);
double reading = FirstPrediction.SinceStart() - start;

float[] Run(int from, int count)
{
    var tensor = new DenseTensor<float>(images.AsMemory(from * 784, count * 784), [count, 28, 28, 1]);
    using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
    return results.First().AsEnumerable<float>().ToArray();
}

FirstPrediction.Measure(Run, labels, ready, reading);
return 0;

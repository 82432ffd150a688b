// The lesson's network in TorchSharp with the weights of samples/ShipClassifier/fashion-cnn.safetensors (Keras layouts,
// converted as they load): the shipping comparison's peer for libtorch.   TorchClassifier WEIGHTS.safetensors DATA_DIR
using System.Buffers.Binary;
using System.Text.Json;
using ShipClassifier;
using TorchSharp;
using static TorchSharp.torch;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TorchClassifier WEIGHTS.safetensors FASHION_MNIST_DIR");
    return 2;
}
torch.set_grad_enabled(false);
var model = nn.Sequential(
    ("conv2d", nn.Conv2d(1, 64, 3)), ("relu", nn.ReLU()), ("max_pooling2d", nn.MaxPool2d(2)),
    ("conv2d_1", nn.Conv2d(64, 64, 3)), ("relu_1", nn.ReLU()), ("max_pooling2d_1", nn.MaxPool2d(2)),
    ("flatten", nn.Flatten()), ("dense", nn.Linear(1600, 128)), ("relu_2", nn.ReLU()),
    ("dense_1", nn.Linear(128, 10)), ("softmax", nn.Softmax(1)));
model.eval();
var weights = SafeTensors(args[0]);
var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
// Keras layouts to libtorch's: conv kernels (kh, kw, in, out) -> (out, in, kh, kw); dense kernels (in, out) -> (out, in),
// and the first dense's rows from Keras's (h, w, c) flatten order to libtorch's (c, h, w).
Copy("conv2d.weight", weights["conv2d/kernel"].reshape(3, 3, 1, 64).permute(3, 2, 0, 1));
Copy("conv2d.bias", weights["conv2d/bias"]);
Copy("conv2d_1.weight", weights["conv2d_1/kernel"].reshape(3, 3, 64, 64).permute(3, 2, 0, 1));
Copy("conv2d_1.bias", weights["conv2d_1/bias"]);
Copy("dense.weight", weights["dense/kernel"].reshape(5, 5, 64, 128).permute(2, 0, 1, 3).reshape(1600, 128).t());
Copy("dense.bias", weights["dense/bias"]);
Copy("dense_1.weight", weights["dense_1/kernel"].reshape(128, 10).t());
Copy("dense_1.bias", weights["dense_1/bias"]);
double ready = FirstPrediction.SinceStart();
double start = FirstPrediction.SinceStart();
var (images, labels) = FirstPrediction.TestSet(args[1]);
double reading = FirstPrediction.SinceStart() - start;

float[] Run(int from, int count) =>
    model.call(tensor(images.AsSpan(from * 784, count * 784).ToArray(), [count, 1, 28, 28])).data<float>().ToArray();

FirstPrediction.Measure(Run, labels, ready, reading);
return 0;

void Copy(string name, Tensor value) => parameters[name].copy_(value.contiguous());

// safetensors: 8-byte little-endian header length, a JSON header of name -> dtype, shape, data_offsets, then the data.
static Dictionary<string, Tensor> SafeTensors(string path)
{
    byte[] file = File.ReadAllBytes(path);
    int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
    using var header = JsonDocument.Parse(file.AsMemory(8, length));
    var tensors = new Dictionary<string, Tensor>();
    foreach (JsonProperty entry in header.RootElement.EnumerateObject())
    {
        if (entry.Name == "__metadata__") continue;
        JsonElement offsets = entry.Value.GetProperty("data_offsets");
        int begin = 8 + length + offsets[0].GetInt32(), end = 8 + length + offsets[1].GetInt32();
        float[] values = new float[(end - begin) / 4];
        Buffer.BlockCopy(file, begin, values, 0, end - begin);
        tensors[entry.Name] = tensor(values);
    }
    return tensors;
}

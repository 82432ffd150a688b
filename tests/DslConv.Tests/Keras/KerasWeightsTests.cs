using DslConv.Keras;
using DslConv.Models;
using DslConv.Tests.Numerics;
using PureHDF;

namespace DslConv.Tests.Keras;

/// <summary>
/// Keras 3 weights files: one written by h5py in Keras's layout (Fixtures/make-keras-weights.py) loads into the
/// matching model and predicts what the script's float64 evaluation of the Keras model gives; our own files have that
/// layout and load back; files that do not fit are refused, naming the dataset, with the model unchanged.
/// </summary>
public sealed class KerasWeightsTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Keras", "Fixtures");

    private static INetwork Model(string name, int seed) => (INetwork)NumericModels.Get(name).Create(seed);

    [Fact]
    public void AKerasWeightsFileLoadsAndPredictsWhatTheKerasModelComputes()
    {
        INetwork model = Model("BatchNormNet", 1);
        model.LoadKerasWeights(Path.Combine(Fixtures, "batch_norm_net.weights.h5"));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "batch_norm_net.expected.json")));
        float[] images = [.. json.RootElement.GetProperty("images").EnumerateArray().Select(v => v.GetSingle())];
        double[] expected = [.. json.RootElement.GetProperty("outputs").EnumerateArray().Select(v => v.GetDouble())];
        var outputs = new float[expected.Length];
        model.Predict(images, outputs);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], outputs[i], 1e-5);
    }

    [Fact]
    public void SavedWeightsHaveKerasLayoutAndLoadBack()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("dslconv-keras-").FullName, "net.weights.h5");
        try
        {
            INetwork source = Model("BatchNormNet", 3);
            source.SaveKerasWeights(path);
            using (var file = H5File.OpenRead(path))
            {
                Assert.Equal([3UL, 3, 2, 4], ((IH5Dataset)file.Get("layers/conv2d/vars/0")).Space.Dimensions);
                Assert.Equal([6UL], ((IH5Dataset)file.Get("layers/batch_normalization_1/vars/3")).Space.Dimensions);
                Assert.True(file.LinkExists("layers/max_pooling2d/vars"));
                Assert.Equal(source.Parameters.Slice(source.Architecture.Layers[1].Weights()[1].Offset, 4).ToArray(),
                    ((IH5Dataset)file.Get("layers/batch_normalization/vars/1")).Read<float[]>());
            }
            INetwork target = Model("BatchNormNet", 5);
            target.LoadKerasWeights(path);
            Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void AFileOfAnotherArchitectureIsRefusedNamingTheDatasetAndTheModelIsUnchanged()
    {
        string folder = Directory.CreateTempSubdirectory("dslconv-keras-").FullName;
        try
        {
            string other = Path.Combine(folder, "other.weights.h5");
            Model("ValidReluNet", 1).SaveKerasWeights(other); // conv2d (3, 3, 3, 4), dense (36, 8), dense_1 (8, 5)
            INetwork model = Model("BatchNormNet", 1);
            float[] before = model.Parameters.ToArray();
            var error = Assert.Throws<InvalidDataException>(() => model.LoadKerasWeights(other));
            Assert.Contains("layers/conv2d/vars/0 has shape (3, 3, 3, 4); layer 'conv2d's kernel is (3, 3, 2, 4)", error.Message);
            Assert.Equal(before, model.Parameters.ToArray());

            string text = Path.Combine(folder, "text.weights.h5");
            File.WriteAllText(text, "not HDF5");
            Assert.Contains("cannot be read as HDF5", Assert.Throws<InvalidDataException>(() => model.LoadKerasWeights(text)).Message);
            Assert.Throws<FileNotFoundException>(() => model.LoadKerasWeights(Path.Combine(folder, "missing.weights.h5")));
            Assert.Equal(before, model.Parameters.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Conv2D", "conv2d")]
    [InlineData("MaxPooling2D", "max_pooling2d")]
    [InlineData("BatchNormalization", "batch_normalization")]
    [InlineData("DepthwiseConv2D", "depthwise_conv2d")]
    [InlineData("GlobalAveragePooling2D", "global_average_pooling2d")]
    [InlineData("ZeroPadding2D", "zero_padding2d")]
    public void ClassNamesAreSnakeCasedAsKerasDoes(string keras, string snake) => Assert.Equal(snake, KerasWeights.SnakeCase(keras));
}

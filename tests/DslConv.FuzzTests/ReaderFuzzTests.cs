using DslConv.Data;
using DslConv.Tests.Data;
using DslConv.Serialization;
using DslConv.Training;

namespace DslConv.FuzzTests;

/// <summary>A small model for the weights and checkpoint cases: every layer kind, a few hundred parameters.</summary>
[Input(6, 6, 1)]
[Conv2D(2, 3, 3, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(3, Activation.Softmax)]
public partial class FuzzNet;

/// <summary>
/// Damaged files for every reader of untrusted bytes. The properties: a reader either returns a consistent result or
/// throws <see cref="InvalidDataException"/> naming the file; it never throws anything else, never allocates much more
/// than the file (a header's claim is not trusted), and a failed load leaves the model and optimizer as they were.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dslconv-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An IDX file of <paramref name="dimensions"/> with random data bytes.</summary>
    private static byte[] Idx(int[] dimensions, int dataLength, Random random) =>
        IdxFiles.Idx(dimensions, Enumerable.Range(0, dataLength).Select(_ => (byte)random.Next(256)).ToArray());

    [Fact]
    public void IdxReaderReturnsAConsistentArrayOrANamedError()
    {
        var budget = new FuzzBudget(cases: 3000);
        byte[] labels = IdxFiles.Gunzip(File.ReadAllBytes(Path.Combine(IdxFiles.SliceDirectory, "t10k-labels-idx1-ubyte.gz")));
        foreach (int index in budget.Cases())
        {
            Random random = budget.For(index);
            byte[] seed = random.Next(3) switch
            {
                0 => labels,
                1 => Idx([3, 4, 5], 60, random),
                _ => Idx([2, 7], 14, random),
            };
            // Damage the raw bytes, or the gzip file around them, or both.
            byte[] file = random.Next(3) switch
            {
                0 => Mutator.Mutate(seed, random),
                1 => IdxFiles.Gzip(Mutator.Mutate(seed, random)),
                _ => Mutator.Mutate(IdxFiles.Gzip(seed), random),
            };
            foreach (bool seekable in new[] { true, false })
            {
                string name = $"case-{budget.Seed}-{index}-{(seekable ? "file" : "pipe")}";
                using Stream stream = seekable ? new MemoryStream(file) : new NonSeekable(new MemoryStream(file));
                long before = GC.GetAllocatedBytesForCurrentThread();
                Exception? error = Record.Exception(() =>
                {
                    IdxArray array = IdxReader.Read(stream, name);
                    long size = array.Dimensions.Aggregate(1L, (product, d) => product * d);
                    Assert.Equal(size, array.Data.LongLength);
                    Assert.All(array.Dimensions, d => Assert.True(d > 0));
                });
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (error is not null)
                {
                    Assert.True(error is InvalidDataException, $"{name}: {error}");
                    Assert.Contains(name, error.Message);
                    Assert.Equal(name, error.Data[IdxReader.FileKey]);
                }
                // The largest honest file here decompresses to about 10 KB; a header may claim 2 GB.
                Assert.True(allocated < 16 << 20, $"{name}: {allocated} bytes allocated for a {file.Length}-byte file");
            }
        }
    }

    private static byte[] WeightsBytes(FuzzNet model) =>
        SafeTensors.Serialize(WeightsFile.ToTensors(model), WeightsFile.Metadata(FuzzNet.Architecture));

    [Fact]
    public void WeightsLoadWholeOrNotAtAll()
    {
        var budget = new FuzzBudget(cases: 1500);
        byte[] valid = WeightsBytes(new FuzzNet(3));
        var model = new FuzzNet(9);
        float[] original = model.Parameters.ToArray();
        string path = Path.Combine(_directory, "weights.safetensors");
        int loaded = 0, cases = 0;
        foreach (int index in budget.Cases())
        {
            cases++;
            Random random = budget.For(index);
            byte[] file = Mutator.Mutate(valid, random);
            Exception? parse = Record.Exception(() => SafeTensors.Deserialize(file, $"bytes-{index}"));
            Assert.True(parse is null or InvalidDataException, $"case {index}: {parse}");
            if (parse is not null) Assert.Contains($"bytes-{index}", parse.Message);

            File.WriteAllBytes(path, file);
            original.CopyTo(model.Parameters);
            Exception? load = Record.Exception(() => model.LoadWeights(path));
            Assert.True(load is null or InvalidDataException, $"case {index}: {load}");
            if (load is null)
            {
                loaded++;
                continue;
            }
            Assert.Contains(path, load.Message);
            Assert.Equal(original, model.Parameters.ToArray()); // a refused file changed nothing
        }
        Assert.True(loaded < cases, "every damaged file loaded: the mutations do not reach the reader's checks");
    }

    [Fact]
    public void DamagedCheckpointsAreRefusedBeforeAnythingChanges()
    {
        var budget = new FuzzBudget(cases: 300);
        var random0 = new Random(1);
        float[] images = Enumerable.Range(0, 24 * 36).Select(_ => (float)random0.NextDouble()).ToArray();
        var data = new LabeledImages(images, Enumerable.Range(0, 24).Select(i => i % 3).ToArray(), 6, 6, 1);
        string checkpoint = Path.Combine(_directory, "run.safetensors");
        var options = new FitOptions { Epochs = 1, Seed = 4, Checkpoint = new CheckpointOptions(checkpoint) };
        using (var trainer = new FuzzNet.Trainer(new FuzzNet(1), batchSize: 8, threads: 1))
            trainer.Fit(data, options);
        byte[] valid = File.ReadAllBytes(checkpoint);
        string damaged = Path.Combine(_directory, "damaged.safetensors");

        foreach (int index in budget.Cases())
        {
            Random random = budget.For(index);
            File.WriteAllBytes(damaged, Mutator.Mutate(valid, random));
            var model = new FuzzNet(2);
            var adam = new Adam();
            using var trainer = new FuzzNet.Trainer(model, batchSize: 8, adam, threads: 1);
            float[] weights = model.Parameters.ToArray();
            Exception? error = Record.Exception(() => trainer.Fit(data, options with
            {
                Epochs = 2, ResumeFrom = damaged, Checkpoint = new CheckpointOptions(Path.Combine(_directory, "next.safetensors")),
            }));
            // Accepted: the damage missed everything the run depends on, or changed a weight to another finite value;
            // a run from absurd weights may then diverge, which must be the clean stop that leaves the weights alone.
            if (error is null || error is TrainingDivergedException) continue;
            Assert.True(error is InvalidDataException, $"case {index}: {error}");
            Assert.Contains(damaged, error.Message);
            Assert.Equal(weights, model.Parameters.ToArray());
            Assert.Equal(0, adam.Iterations);
            Assert.All(adam.FirstMoments.ToArray(), m => Assert.Equal(0f, m));
        }
    }
}

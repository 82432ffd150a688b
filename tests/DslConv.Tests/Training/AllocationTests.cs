using DslConv.Tests.Models;

namespace DslConv.Tests.Training;

/// <summary>After the first step, training and inference allocate nothing (single-threaded; threads come later).</summary>
public sealed class AllocationTests
{
    private static (float[] Images, int[] Labels) Batch(int count)
    {
        var random = new Random(11);
        float[] images = Enumerable.Range(0, count * FashionCnn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, count).Select(i => i % 10).ToArray();
        return (images, labels);
    }

    [Fact]
    public void TrainStepAllocatesNothingAfterTheFirst()
    {
        var trainer = new FashionCnn.Trainer(new FashionCnn(1), batchSize: 32);
        var (images, labels) = Batch(32);
        trainer.TrainStep(images, labels); // warm-up: JIT and first-use allocations

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 20; step++)
        {
            trainer.TrainStep(images, labels);
            trainer.TrainStep(images.AsSpan(0, 7 * FashionCnn.InputSize), labels.AsSpan(0, 7)); // partial batches too
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void PredictAndComputeGradientsAllocateNothingAfterTheFirst()
    {
        var model = new FashionCnn(1);
        var (images, labels) = Batch(40);
        float[] outputs = new float[40 * FashionCnn.OutputSize];
        float[] gradients = new float[FashionCnn.ParameterCount];
        model.Predict(images, outputs);
        model.ComputeGradients(images, labels, gradients);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            model.Predict(images, outputs);
            model.ComputeGradients(images, labels, gradients);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

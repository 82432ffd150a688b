namespace DslConv.Models;

/// <summary>The argument checks a generated model's public calls make, before anything is pinned or split.</summary>
internal static class BatchChecks
{
    /// <summary>Images with one integer label each, at most <paramref name="capacity"/>, every label a class the model has.</summary>
    public static int Labels<TModel, TWorkspace>(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int capacity)
        where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
        where TWorkspace : class
    {
        int count = Images<TModel, TWorkspace>(images, capacity);
        if (labels.Length != count)
            throw new ArgumentException($"{labels.Length} labels for {count} images.", nameof(labels));
        GeneratedCode.CheckLabels(labels, TModel.Description.LabelClasses, nameof(labels)); // the whole batch, before any split: the caller's image index
        return count;
    }

    /// <summary>Images with a row of OutputSize float targets each, at most <paramref name="capacity"/>.</summary>
    public static int Targets<TModel, TWorkspace>(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, int capacity)
        where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
        where TWorkspace : class
    {
        int count = Images<TModel, TWorkspace>(images, capacity);
        if (targets.Length != (long)count * TModel.Description.OutputSize)
            throw new ArgumentException($"targets holds {targets.Length} floats; {count} images take {TModel.Description.OutputSize} each.", nameof(targets));
        return count;
    }

    private static int Images<TModel, TWorkspace>(ReadOnlySpan<float> images, int capacity)
        where TModel : class, IGeneratedNetwork<TModel, TWorkspace>
        where TWorkspace : class
    {
        int count = GeneratedCode.CountImages(images, TModel.Description.InputSize, TModel.Description.InputShape);
        if (count == 0) throw new ArgumentException("The batch is empty.", nameof(images));
        if (count > capacity)
            throw new ArgumentException($"{count} images exceed the batch size {capacity}.", nameof(images));
        return count;
    }

    /// <summary>That the loss takes integer labels.</summary>
    public static void RequireLabels(ModelDescription model)
    {
        if (!model.TakesLabels)
            throw new NotSupportedException($"{model.Name} trains with {model.Loss} on float targets, OutputSize per image: give TargetImages, " +
                                            "or call TrainStep(images, targets, ...).");
    }

    /// <summary>That the loss takes float targets.</summary>
    public static void RequireTargets(ModelDescription model)
    {
        if (!model.TakesTargets)
            throw new NotSupportedException($"{model.Name} trains with {model.Loss}, which takes integer labels, not float targets.");
    }
}

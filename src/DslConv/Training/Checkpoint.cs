using System.Globalization;
using System.Text;
using DslConv.Serialization;

namespace DslConv.Training;

/// <summary>
/// A fit checkpoint: one safetensors file holding the weights (named as in a weights file, so it also loads with
/// <see cref="WeightsFile.LoadWeights"/>), the optimizer's state vectors ("optimizer/m", "optimizer/v"), stateful
/// callbacks' vectors, and in its metadata the epoch, the step, the shuffle generator's state, the running sums of
/// the current epoch, the history so far and the settings a resume must share. Written atomically (temporary file,
/// flush to disk, rename), so a crash mid-write leaves the previous checkpoint whole.
/// </summary>
internal sealed class Checkpoint
{
    private const string Prefix = "dslconv.fit.";
    private const string Version = "1";

    private readonly SafeTensorsFile _file;
    private readonly IReadOnlyDictionary<string, string> _fit;

    private Checkpoint(SafeTensorsFile file, IReadOnlyDictionary<string, string> fit)
    {
        _file = file;
        _fit = fit;
    }

    /// <summary>Writes where <paramref name="context"/>'s fit stands to <paramref name="path"/>, replacing it atomically.</summary>
    public static void Write(string path, FitContext context)
    {
        var (trainer, options, run) = (context.Trainer, context.Options, context.Run);
        var network = trainer.Network;
        var tensors = new List<SafeTensor>(WeightsFile.ToTensors(network));
        int parameters = network.Architecture.ParameterCount;
        foreach (string name in trainer.Optimizer.StateNames)
            tensors.Add(new SafeTensor($"optimizer/{name}", [parameters], trainer.Optimizer.State(name).ToArray()));

        var metadata = new Dictionary<string, string>(WeightsFile.Metadata(network.Architecture));
        void Put(string key, string value) => metadata[Prefix + key] = value;
        Put("version", Version);
        Put("completed_epochs", Text(run.CompletedEpochs));
        Put("step", Text(run.Step));
        Put("epoch_start_random", FormatRandom(run.EpochStartRandom));
        Put("loss_sum", Text(run.LossSum));
        Put("metric_sum", Text(run.MetricSum));
        Put("seconds", Text(run.ElapsedSeconds));
        Put("history", FormatHistory(context.Epochs));
        if (context.StopReason is not null) Put("stop_reason", context.StopReason);
        Put("optimizer", trainer.Optimizer.Description);
        Put("optimizer_iterations", Text(trainer.Optimizer.Iterations));
        // The current rate, which a callback (ReduceLROnPlateau) may have moved from the configured one in the description.
        if (trainer.Optimizer.Schedule is null) Put("optimizer_learning_rate", trainer.Optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture));
        Put("batch_size", Text(trainer.BatchSize));
        Put("threads", Text(trainer.Threads));
        Put("gradient_shards", Text(trainer.GradientShards));
        Put("training_images", Text(context.TrainingImages));
        Put("shuffle", options.Shuffle ? "true" : "false");
        Put("seed", Text(options.Seed));
        if (options.Weighted) Put("weighting", options.WeightingDescription);
        if (trainer.Trainability is { } trainability) Put("frozen_layers", string.Join(",", trainability.FrozenLayers));

        foreach (ICheckpointedCallback callback in options.Callbacks.OfType<ICheckpointedCallback>())
        {
            var state = new Dictionary<string, string>();
            var vectors = new Dictionary<string, float[]>();
            callback.SaveState(state, vectors);
            Put($"callback.{callback.CheckpointName}", "present");
            foreach (var (key, value) in state) Put($"callback.{callback.CheckpointName}.{key}", value);
            foreach (var (key, vector) in vectors)
                tensors.Add(new SafeTensor($"callback/{callback.CheckpointName}/{key}", [vector.Length], (float[])vector.Clone()));
        }
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Reads <paramref name="path"/> and checks that it can continue this fit; changes nothing.</summary>
    public static Checkpoint Read(string path, FitContext context)
    {
        var (trainer, options, trainingImages) = (context.Trainer, context.Options, context.TrainingImages);
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint to resume from at {path}.", path);
        SafeTensorsFile file = SafeTensors.Read(path);
        var fit = file.Metadata.Where(p => p.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key[Prefix.Length..], p => p.Value);
        var checkpoint = new Checkpoint(file, fit);
        if (!fit.TryGetValue("version", out string? version))
            throw checkpoint.Error("is not a fit checkpoint (no dslconv.fit.version in its metadata; a weights file loads with LoadWeights instead)");
        if (version != Version) throw checkpoint.Error($"has checkpoint version {version}; this DslConv reads version {Version}");

        var architecture = trainer.Network.Architecture;
        WeightsFile.Check(trainer.Network, file); // the architecture and every kernel and bias, as LoadWeights checks them
        checkpoint.Require("optimizer", trainer.Optimizer.Description, "the optimizer");
        checkpoint.Require("batch_size", Text(trainer.BatchSize), "the batch size");
        checkpoint.Require("training_images", Text(trainingImages), "the number of training images (after the validation split)");
        checkpoint.Require("shuffle", options.Shuffle ? "true" : "false", "shuffle");
        string weighting = fit.TryGetValue("weighting", out string? saved) ? saved : "none";
        if (weighting != options.WeightingDescription)
            throw checkpoint.Error($"was written with weighting {weighting}, but this run has {options.WeightingDescription}; resume with the same class or sample weights");
        // The weights do not depend on the thread or process count, only on the micro-shards per batch (0 in checkpoints
        // of BatchNorm models before their shards exchanged statistics, which rounded by thread count).
        string shards = fit.TryGetValue("gradient_shards", out string? savedShards) ? savedShards : "0";
        if (shards != Text(trainer.GradientShards))
            throw checkpoint.Error($"was written by a trainer with {shards} gradient micro-shards per batch, but this one has {trainer.GradientShards}; " +
                "the run would not continue bit for bit: resume with the same DslConv version and model");
        foreach (string name in trainer.Optimizer.StateNames)
        {
            if (!file.TryGet($"optimizer/{name}", out SafeTensor? state))
                throw checkpoint.Error($"has no optimizer/{name} for {trainer.Optimizer.GetType().Name}");
            if (state.Data.Length != architecture.ParameterCount)
                throw checkpoint.Error($"has {state.Data.Length} values in optimizer/{name}; the model has {architecture.ParameterCount} parameters");
            if (WeightsFile.FirstNonFinite(state.Data) is int bad)
                throw checkpoint.Error($"holds {state.Data[bad]} at index {bad} of optimizer/{name}; optimizer state must be finite");
        }
        if (fit.TryGetValue("frozen_layers", out string? frozen))
            foreach (string layer in FrozenLayers(frozen))
                if (!architecture.Layers.Any(l => l.Name == layer))
                    throw checkpoint.Error($"freezes a layer called \"{layer}\", which {architecture.Name} does not have");
        int steps = (trainingImages + trainer.BatchSize - 1) / trainer.BatchSize;
        int step = checkpoint.Int("step");
        if (step < 0 || step >= Math.Max(steps, 1)) throw checkpoint.Error($"is at step {step} of an epoch of {steps} steps");
        if (checkpoint.Int("completed_epochs") < 0 || checkpoint.Long("optimizer_iterations") < 0 || !(checkpoint.Double(MetricSumKey(fit)) >= 0))
            throw checkpoint.Error("has a negative epoch, step or count");
        checkpoint.Double("loss_sum");
        if (fit.ContainsKey("optimizer_learning_rate") && !(checkpoint.Double("optimizer_learning_rate") is >= 0 and <= float.MaxValue))
            throw checkpoint.Error($"has learning rate {checkpoint.Get("optimizer_learning_rate")}; it must be a finite number of at least 0");
        checkpoint.Double("seconds");
        ParseRandom(checkpoint.Get("epoch_start_random"), checkpoint);
        int recorded = ParseHistory(checkpoint.Get("history"), checkpoint).Count;
        if (recorded != checkpoint.Int("completed_epochs"))
            throw checkpoint.Error($"records {checkpoint.Int("completed_epochs")} completed epochs but a history of {recorded}");
        return checkpoint;
    }

    /// <summary>
    /// Puts the checkpoint's callback state, weights, optimizer state, position and history in place (and the stop, if
    /// the saved run had stopped). Callbacks go first: their
    /// state is the only part <see cref="Read"/> could not check, and each callback checks all of it before keeping
    /// any, so a bad entry fails before the model or the optimizer has changed (the fit has checked it once already,
    /// with <see cref="RestoreCallbacks"/>, before any callback started).
    /// </summary>
    public void Apply(FitContext context)
    {
        var (trainer, run, history) = (context.Trainer, context.Run, context.Epochs);
        RestoreCallbacks(context.Options.Callbacks);
        WeightsFile.CopyInto(trainer.Network, _file);
        // Fine-tuning checkpoints: the layers frozen when it was written (absent in checkpoints from before freezing existed).
        if (_fit.TryGetValue("frozen_layers", out string? frozen) && trainer.Trainability is { } trainability)
            trainability.SetFrozenLayers(FrozenLayers(frozen));
        foreach (string name in trainer.Optimizer.StateNames) _file[$"optimizer/{name}"].Data.CopyTo(trainer.Optimizer.State(name));
        trainer.Optimizer.RestoreIterations(Long("optimizer_iterations"));
        if (_fit.ContainsKey("optimizer_learning_rate") && trainer.Optimizer.Schedule is null)
            trainer.Optimizer.LearningRate = (float)Double("optimizer_learning_rate");
        run.CompletedEpochs = Int("completed_epochs");
        run.Step = Int("step");
        run.Random.State = ParseRandom(Get("epoch_start_random"), this);
        run.EpochStartRandom = run.Random.State;
        run.LossSum = Double("loss_sum");
        run.MetricSum = Double(MetricSumKey(_fit));
        run.Seconds = Double("seconds");
        history.Clear();
        string metric = trainer.Network.Architecture.Metric;
        history.AddRange(ParseHistory(Get("history"), this).Select(epoch => epoch with { Metric = metric }));
        context.Result.ResumedAfterEpochs = run.CompletedEpochs;
        context.Result.ResumedAtStep = run.Step;
        if (_fit.GetValueOrDefault("stop_reason") is string stopped) context.Stop(stopped);
    }

    /// <summary>
    /// Gives each checkpointed callback its saved state. The fit calls this once before any callback starts, so that a
    /// checkpoint saved under other callback settings is refused before any callback acts (CsvLogger truncating a log),
    /// and <see cref="Apply"/> again after OnTrainBegin has reset them.
    /// </summary>
    public void RestoreCallbacks(IReadOnlyList<IFitCallback> callbacks)
    {
        foreach (ICheckpointedCallback callback in callbacks.OfType<ICheckpointedCallback>())
        {
            if (!_fit.ContainsKey($"callback.{callback.CheckpointName}")) continue; // not in the saved run: it starts fresh
            string prefix = $"callback.{callback.CheckpointName}.";
            var state = _fit.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);
            string tensorPrefix = $"callback/{callback.CheckpointName}/";
            var vectors = _file.Tensors.Where(t => t.Name.StartsWith(tensorPrefix, StringComparison.Ordinal))
                .ToDictionary(t => t.Name[tensorPrefix.Length..], t => t.Data);
            try
            {
                callback.RestoreState(state, vectors);
            }
            catch (Exception e) when (e is FormatException or KeyNotFoundException or OverflowException or InvalidDataException)
            {
                throw Error($"has unusable state for the {callback.CheckpointName} callback: {e.Message}");
            }
        }
    }

    /// <summary>The running metric's key: "correct_sum" in checkpoints from before float targets, which counted correct images.</summary>
    private static string[] FrozenLayers(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private static string MetricSumKey(IReadOnlyDictionary<string, string> fit) => fit.ContainsKey("correct_sum") ? "correct_sum" : "metric_sum";

    private InvalidDataException Error(string what) => new($"Checkpoint {_file.Source} {what}.");

    private string Get(string key) =>
        _fit.TryGetValue(key, out string? value) ? value : throw Error($"has no {Prefix}{key} in its metadata");

    private void Require(string key, string expected, string what)
    {
        string found = Get(key);
        if (found != expected)
            throw Error($"was written with {what} {found}, but this fit uses {expected}; resume with the same settings");
    }

    private int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
        ? value : throw Error($"has a malformed {Prefix}{key}");

    private long Long(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
        ? value : throw Error($"has a malformed {Prefix}{key}");

    private double Double(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
        ? value : throw Error($"has a malformed {Prefix}{key}");

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string FormatRandom((ulong, ulong, ulong, ulong) s) =>
        string.Join(' ', new[] { s.Item1, s.Item2, s.Item3, s.Item4 }.Select(w => w.ToString("x16", CultureInfo.InvariantCulture)));

    private static (ulong, ulong, ulong, ulong) ParseRandom(string text, Checkpoint checkpoint)
    {
        string[] words = text.Split(' ');
        var values = new ulong[4];
        if (words.Length != 4 || !words.Select((w, i) => ulong.TryParse(w, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out values[i])).All(ok => ok)
            || values.All(v => v == 0))
            throw checkpoint.Error($"has a malformed {Prefix}epoch_start_random");
        return (values[0], values[1], values[2], values[3]);
    }

    /// <summary>One line per epoch: epoch, epochs, loss, accuracy, seconds, images, val_loss, val_accuracy (R format, NaN when none).</summary>
    private static string FormatHistory(IReadOnlyList<EpochResult> history)
    {
        var text = new StringBuilder();
        foreach (EpochResult e in history)
            text.Append(CultureInfo.InvariantCulture,
                $"{e.Epoch} {e.Epochs} {Text(e.Loss)} {Text(e.Accuracy)} {Text(e.Seconds)} {e.Images} {Text(e.ValidationLoss)} {Text(e.ValidationAccuracy)}\n");
        return text.ToString();
    }

    private static List<EpochResult> ParseHistory(string text, Checkpoint checkpoint)
    {
        var history = new List<EpochResult>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ');
            if (f.Length != 8
                || !int.TryParse(f[0], CultureInfo.InvariantCulture, out int epoch) || !int.TryParse(f[1], CultureInfo.InvariantCulture, out int epochs)
                || !double.TryParse(f[2], CultureInfo.InvariantCulture, out double loss) || !double.TryParse(f[3], CultureInfo.InvariantCulture, out double accuracy)
                || !double.TryParse(f[4], CultureInfo.InvariantCulture, out double seconds) || !int.TryParse(f[5], CultureInfo.InvariantCulture, out int images)
                || !double.TryParse(f[6], CultureInfo.InvariantCulture, out double validationLoss)
                || !double.TryParse(f[7], CultureInfo.InvariantCulture, out double validationAccuracy))
                throw checkpoint.Error($"has a malformed history line \"{line}\"");
            history.Add(new EpochResult(epoch, epochs, loss, accuracy, seconds, images)
                { ValidationLoss = validationLoss, ValidationAccuracy = validationAccuracy });
        }
        return history;
    }
}

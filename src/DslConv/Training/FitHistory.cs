using System.Collections;

namespace DslConv.Training;

/// <summary>
/// What <see cref="Fitter.Fit(ITrainer, DslConv.Data.IImageSet, FitOptions, Action{EpochResult}?)"/> returns:
/// Keras's History (one <see cref="EpochResult"/> per epoch run, including epochs before a resume) and why it stopped.
/// </summary>
public sealed class FitHistory : IReadOnlyList<EpochResult>
{
    private readonly List<EpochResult> _epochs;

    internal FitHistory(List<EpochResult> epochs) => _epochs = epochs;

    /// <summary>Set when a callback stopped training before the last epoch; says which and why.</summary>
    public string? StopReason { get; internal set; }

    /// <summary>Whether a callback stopped training before the last epoch (see <see cref="StopReason"/>).</summary>
    public bool StoppedEarly => StopReason is not null;

    /// <summary>Epochs already done in the checkpoint this run resumed from (0 when it started afresh).</summary>
    public int ResumedAfterEpochs { get; internal set; }

    /// <summary>Steps of the next epoch already done in that checkpoint (0 when it was written at an epoch's end).</summary>
    public int ResumedAtStep { get; internal set; }

    /// <summary>The result of epoch <paramref name="index"/> + 1 of this run.</summary>
    public EpochResult this[int index] => _epochs[index];

    /// <summary>The number of epochs this run trained.</summary>
    public int Count => _epochs.Count;

    /// <inheritdoc/>
    public IEnumerator<EpochResult> GetEnumerator() => _epochs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

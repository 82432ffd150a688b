using System.Diagnostics;
using DslConv.Data;

namespace DslConv.Training;

/// <summary>
/// Assembles an epoch's batches for the fit loop in the epoch's order. From memory it copies each batch when asked;
/// from a set that reads ahead (an image folder streamed from disk) background decoder threads fill a ring of batch
/// buffers ahead of the trainer, at most <see cref="Ahead"/> batches, so memory stays bounded whatever the number of
/// files, and the trainer waits only when decoding falls behind (the time it waited is reported). The buffers are
/// allocated once; the decoders' own allocations (file bytes, decoded pixels) are per image and bounded.
/// </summary>
internal sealed class BatchReader : IDisposable
{
    private readonly IImageSet _data;
    private readonly int _batchSize, _imageSize;
    private readonly float[][] _images;
    private readonly int[][] _labels;
    private readonly float[][] _targets; // per slot, for sets of float targets (TargetSize > 0)
    private readonly int _targetSize;
    private readonly int[] _counts;
    private readonly Thread[] _decoders = [];
    private readonly object _gate = new();
    private int[] _order = [];
    private int _steps;
    private int _nextToFill;       // the next batch a decoder claims
    private int _nextToTake;       // the next batch the trainer takes
    private readonly int[] _filled; // per slot: the batch number it holds once complete, -1 while empty
    private int _working;          // decoders decoding a batch now
    private long _generation;      // bumped by each Start, so decoders drop work from a previous epoch
    private Exception? _failure;
    private bool _stopped;

    public BatchReader(IImageSet data, int batchSize, int decoders, int ahead)
    {
        _data = data;
        _batchSize = batchSize;
        _imageSize = data.ImageSize;
        int slots = data.ReadsAhead ? Math.Max(ahead, 1) : 1;
        if ((long)batchSize * data.ImageSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"A batch of {batchSize} images of {data.ImageSize} floats exceeds the largest .NET array ({Array.MaxLength:N0} elements).");
        // The ring is allocated here, whole: refused with the option to lower when it cannot fit, rather than failing
        // (or paging) part-way through the allocation.
        long bytes = (long)slots * batchSize * ((long)data.ImageSize + Math.Max(data.TargetSize, 1)) * sizeof(float);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (slots > 1 && bytes > available / 2)
            throw new ArgumentOutOfRangeException(nameof(FitOptions.PrefetchBatches), ahead,
                $"{slots} batches of {batchSize} images decoded ahead take {bytes:N0} bytes, more than half the {available:N0} bytes available; lower PrefetchBatches.");
        Ahead = slots;
        _images = Enumerable.Range(0, slots).Select(_ => new float[batchSize * _imageSize]).ToArray();
        _targetSize = data.TargetSize;
        _labels = Enumerable.Range(0, slots).Select(_ => _targetSize > 0 ? [] : new int[batchSize]).ToArray();
        _targets = Enumerable.Range(0, slots).Select(_ => new float[batchSize * _targetSize]).ToArray();
        _counts = new int[slots];
        _filled = Enumerable.Repeat(-1, slots).ToArray();
        if (!data.ReadsAhead) return;
        _decoders = Enumerable.Range(0, Math.Max(decoders, 1))
            .Select(i => new Thread(Decode) { IsBackground = true, Name = $"DslConv decoder {i}" }).ToArray();
        foreach (Thread decoder in _decoders) decoder.Start();
    }

    /// <summary>Batches read ahead of the trainer at most.</summary>
    public int Ahead { get; }

    /// <summary>Seconds the trainer waited for decoding in the current epoch.</summary>
    public double WaitSeconds { get; private set; }

    /// <summary>Images decoded so far (all epochs).</summary>
    public long ImagesDecoded => Interlocked.Read(ref _decoded);
    private long _decoded;

    /// <summary>Begins an epoch: batches <paramref name="firstStep"/>.. of <paramref name="order"/> (the training images' order).</summary>
    public void Start(int[] order, int firstStep)
    {
        lock (_gate)
        {
            while (_working > 0) System.Threading.Monitor.Wait(_gate); // a stopped epoch's last batches finish before the slots are reused
            _order = order;
            _steps = (order.Length + _batchSize - 1) / _batchSize;
            _nextToFill = _nextToTake = firstStep;
            Array.Fill(_filled, -1);
            _generation++;
            WaitSeconds = 0;
            System.Threading.Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Batch <paramref name="step"/>: its images and either labels or targets (the other empty), valid until the next
    /// call; filled now if nothing reads ahead.
    /// </summary>
    public (ReadOnlyMemory<float> Images, ReadOnlyMemory<int> Labels, ReadOnlyMemory<float> Targets) Take(int step)
    {
        int slot = step % _images.Length;
        int start = step * _batchSize, count = Math.Min(_batchSize, _order.Length - start);
        if (_decoders.Length == 0)
        {
            for (int b = 0; b < count; b++) Read(_order[start + b], slot, b);
            return Batch(slot, count);
        }
        long started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (step != _nextToTake) throw new InvalidOperationException($"Batch {step} taken out of order (expected {_nextToTake}).");
            while (_filled[slot] != step && _failure is null) System.Threading.Monitor.Wait(_gate);
            if (_failure is not null) throw new InvalidDataException(_failure.Message, _failure);
        }
        WaitSeconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Batch(slot, count);
    }

    private (ReadOnlyMemory<float>, ReadOnlyMemory<int>, ReadOnlyMemory<float>) Batch(int slot, int count) =>
        (_images[slot].AsMemory(0, count * _imageSize), _labels[slot].AsMemory(0, _targetSize > 0 ? 0 : count),
            _targets[slot].AsMemory(0, count * _targetSize));

    /// <summary>Image <paramref name="index"/> and its label or targets into place <paramref name="position"/> of slot <paramref name="slot"/>.</summary>
    private void Read(int index, int slot, int position)
    {
        _data.CopyImage(index, _images[slot].AsSpan(position * _imageSize, _imageSize));
        if (_targetSize > 0) _data.CopyTargets(index, _targets[slot].AsSpan(position * _targetSize, _targetSize));
        else _labels[slot][position] = _data.Label(index);
    }

    /// <summary>The trainer is done with batch <paramref name="step"/>: its slot may take the batch <see cref="Ahead"/> later.</summary>
    public void Release(int step)
    {
        if (_decoders.Length == 0) return;
        lock (_gate)
        {
            _filled[step % _images.Length] = -1;
            _nextToTake = step + 1;
            System.Threading.Monitor.PulseAll(_gate);
        }
    }

    /// <summary>A decoder thread: claims the next batch whose slot is free, decodes its images, marks it filled.</summary>
    private void Decode()
    {
        while (true)
        {
            int step, slot, start, count;
            long generation;
            int[] order;
            lock (_gate)
            {
                while (!_stopped && (_nextToFill >= _steps || _nextToFill >= _nextToTake + _images.Length || _failure is not null))
                    System.Threading.Monitor.Wait(_gate);
                if (_stopped) return;
                step = _nextToFill++;
                slot = step % _images.Length;
                start = step * _batchSize;
                count = Math.Min(_batchSize, _order.Length - start);
                generation = _generation;
                order = _order;
                _working++;
            }
            try
            {
                for (int b = 0; b < count; b++)
                {
                    Read(order[start + b], slot, b);
                    Interlocked.Increment(ref _decoded);
                }
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _failure ??= e;
                    _working--;
                    System.Threading.Monitor.PulseAll(_gate);
                }
                continue;
            }
            lock (_gate)
            {
                _working--;
                if (generation == _generation) _filled[slot] = step; // else an epoch restarted meanwhile: the batch is stale
                System.Threading.Monitor.PulseAll(_gate);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            System.Threading.Monitor.PulseAll(_gate);
        }
    }
}

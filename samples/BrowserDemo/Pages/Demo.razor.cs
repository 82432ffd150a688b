using System.Globalization;
using DslConv.Images;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;

namespace BrowserDemo.Pages;

public partial class Demo
{
    // Training runs this many steps when started (two epochs of the slice), unless stopped; ?train=N asks for N.
    private const int DefaultTrainingSteps = 125;

    [Inject] private IJSRuntime Js { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private SliceData Slice { get; set; } = default!;

    private readonly Classifier _classifier = new();
    private readonly float[] _image = new float[784];
    private ElementReference _pad;
    private DotNetObjectReference<Demo>? _self;
    private IReadOnlyList<(string Name, float Probability)>? _ranking;
    private string? _label, _error;
    private string _source = "";
    private double _inferenceRate;
    private BrowserTraining? _training;
    private bool _running;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        _self = DotNetObjectReference.Create(this);
        await Js.InvokeVoidAsync("dslconvDrawing.attach", _pad, _self);
        var query = QueryOf(Navigation.Uri);
        if (query.TryGetValue("image", out string? image)) await ShowTestImageAsync(image);
        // After the first prediction, not before it: 20 images hold the page's thread for most of a second here. What
        // the image shows does not change the time.
        _inferenceRate = _classifier.ImagesPerSecond(_image, 20);
        StateHasChanged();
        if (query.TryGetValue("train", out string? steps)) await TrainAsync(steps);
    }

    /// <summary>Called by drawing.js after a stroke: the pad shrunk to 28 x 28 grey bytes.</summary>
    [JSInvokable]
    public void Drawn(byte[] grey)
    {
        for (int i = 0; i < _image.Length; i++) _image[i] = grey[i] / 255f;
        _source = "your drawing";
        _label = null;
        Classify();
    }

    private async Task ClearAsync()
    {
        await Js.InvokeVoidAsync("dslconvDrawing.clear", _pad);
        Array.Clear(_image);
        _ranking = null;
        _label = null;
        _source = "";
    }

    private async Task ShowTestImageAsync(string text)
    {
        try
        {
            var test = await Slice.Test();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= test.Count)
                throw new ArgumentException($"?image={text}: the test slice has images 0 to {test.Count - 1}.");
            test.Images.AsSpan(index * test.ImageSize, test.ImageSize).CopyTo(_image);
            await ShowAsync($"test image {index}");
            _label = DslConv.Data.FashionMnist.ClassNames[test.Labels[index]];
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or HttpRequestException)
        {
            _error = e.Message;
        }
    }

    private async Task DroppedAsync(InputFileChangeEventArgs change)
    {
        // Decoded and resized by DslConv.Images as an image folder's files are (grayscale, bilinear to 28 x 28), from a
        // file in the browser's in-memory file system.
        string path = Path.Combine(Path.GetTempPath(), "dropped" + Path.GetExtension(change.File.Name));
        try
        {
            await using (var file = File.Create(path))
                await change.File.OpenReadStream(maxAllowedSize: 16 << 20).CopyToAsync(file);
            float[] pixels = ImageFile.Load(path, 28, 28, ColorMode.Grayscale);
            for (int i = 0; i < _image.Length; i++) _image[i] = pixels[i] / 255f;
            _label = null;
            await ShowAsync(change.File.Name);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _error = $"{change.File.Name}: {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task ShowAsync(string source)
    {
        var grey = new byte[_image.Length];
        for (int i = 0; i < grey.Length; i++) grey[i] = (byte)Math.Clamp(MathF.Round(_image[i] * 255), 0, 255);
        await Js.InvokeVoidAsync("dslconvDrawing.show", _pad, grey);
        _source = source;
        _error = null;
        Classify();
    }

    private void Classify()
    {
        _ranking = _classifier.Classify(_image);
        StateHasChanged();
    }

    private Task TrainAsync() => TrainAsync(null);

    private async Task TrainAsync(string? stepsText)
    {
        int steps = int.TryParse(stepsText, NumberStyles.None, CultureInfo.InvariantCulture, out int asked) && asked > 0 ? asked : DefaultTrainingSteps;
        _running = true;
        try
        {
            _training?.Dispose();
            _training = new BrowserTraining(await Slice.Training(), seed: 1);
            for (int step = 0; step < steps && _running; step++)
            {
                _training.Step();
                StateHasChanged();
                await Task.Delay(1); // back to the browser: it renders the step and handles input before the next one
            }
            _classifier.Use(_training.Model, $"trained here ({_training.History.Count} steps)");
            if (_ranking is not null) Classify();
        }
        catch (Exception e) when (e is InvalidDataException or HttpRequestException or ArithmeticException)
        {
            _error = e.Message;
        }
        finally
        {
            _running = false;
            StateHasChanged();
        }
    }

    private static Dictionary<string, string> QueryOf(string uri)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        int start = uri.IndexOf('?');
        if (start < 0) return query;
        foreach (string pair in uri[(start + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            if (equals > 0) query[Uri.UnescapeDataString(pair[..equals])] = Uri.UnescapeDataString(pair[(equals + 1)..]);
        }
        return query;
    }

    private static string Percent(float probability) => (100 * probability).ToString("F1", CultureInfo.InvariantCulture) + " %";

    private static string Width(float probability) => (100 * probability).ToString("F1", CultureInfo.InvariantCulture) + "%";

    // No figure where the clock did not move (a headless browser's virtual time stands still while .NET computes).
    private static string Rate(double rate) => rate <= 0 || !double.IsFinite(rate) ? "-" : rate.ToString(rate < 10 ? "F1" : "N0", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _running = false;
        _training?.Dispose();
        _self?.Dispose();
    }
}

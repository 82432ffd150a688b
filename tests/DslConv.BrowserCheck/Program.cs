// The BrowserDemo sample checked in headless Chromium, as a person would use it: open a test image by its number, drop
// an image file, draw on the pad, train in the page, and look at it. Each answer the page gives is compared with the
// same network run natively. Prints one line per check, the figures README quotes, and "Browser check: P passed,
// F failed".
//   DslConv.BrowserCheck --site PUBLISHED_WWWROOT --chromium PATH [--screenshot FILE]
using System.Diagnostics;
using System.Globalization;
using DslConv.BrowserCheck;
using DslConv.Data;
using DslConv.Images;
using FashionMnistSample;
using StbImageSharp;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? site = null, chromiumPath = null, screenshot = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--site": site = args[i + 1]; break;
        case "--chromium": chromiumPath = args[i + 1]; break;
        case "--screenshot": screenshot = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (site is null || chromiumPath is null || !File.Exists(Path.Combine(site, "index.html")))
{
    Console.Error.WriteLine("usage: DslConv.BrowserCheck --site PUBLISHED_WWWROOT --chromium PATH [--screenshot FILE]");
    return 2;
}
string repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
LabeledImages test = FashionMnist.LoadTest(Path.Combine(repository, "tests/DslConv.Tests/Data/fashion-mnist-slice"));
string droppedFile = Path.Combine(repository, "tests/DslConv.BrowserCheck/test-image-2.png");
FashionCnn native = FashionCnn.Pretrained();

int passed = 0, failed = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"Browser check {(ok ? "passed" : "FAILED")}: {what}");
    if (ok) passed++; else failed++;
}
(string Name, float Probability) Native(ReadOnlySpan<float> image)
{
    var scores = new float[FashionCnn.OutputSize];
    native.Predict(image, scores);
    int best = 0;
    for (int c = 1; c < scores.Length; c++) if (scores[c] > scores[best]) best = c;
    return (FashionMnist.ClassNames[best], scores[best]);
}
const string Prediction = "document.getElementById('prediction')?.textContent";
const string Probability = "document.getElementById('probability')?.textContent";
static float Percent(string? text) => float.Parse(text!.Replace("%", "").Trim(), CultureInfo.InvariantCulture) / 100;

using var server = new StaticSite(site);
await using var browser = await Chromium.StartAsync(chromiumPath, 1280, 800);
await browser.SendAsync("Page.enable");

// 1. ?image=N: the class the page writes is the native network's, and how long the first prediction took.
foreach (int index in new[] { 0, 7 })
{
    var clock = Stopwatch.StartNew();
    await browser.SendAsync("Page.navigate", new { url = server.Url($"?image={index}") });
    await browser.WaitForAsync("document.readyState === 'complete' ? 'yes' : ''", TimeSpan.FromSeconds(30));
    string? shown = await browser.WaitForAsync(Prediction, TimeSpan.FromSeconds(120));
    double seconds = clock.Elapsed.TotalSeconds;
    var expected = Native(test.Images.AsSpan(index * test.ImageSize, test.ImageSize));
    float probability = shown is null ? float.NaN : Percent((await browser.EvaluateAsync(Probability))?.ToString());
    Check(shown == expected.Name && Math.Abs(probability - expected.Probability) <= 0.002,
        $"?image={index} shows '{shown}' at {probability:P1} (natively '{expected.Name}' at {expected.Probability:P1}; label " +
        $"'{FashionMnist.ClassNames[test.Labels[index]]}'), {seconds:F1} s from navigation to prediction");
}

// 2. A dropped file, decoded and resized by DslConv.Images in the page as natively.
var document = await browser.SendAsync("DOM.getDocument");
var input = await browser.SendAsync("DOM.querySelector", new { nodeId = (int)document["root"]!["nodeId"]!, selector = "#file" });
await browser.SendAsync("DOM.setFileInputFiles", new { files = new[] { droppedFile }, nodeId = (int)input["nodeId"]! });
string? source = await browser.WaitForAsync("document.getElementById('source')?.textContent === 'test-image-2.png' ? 'yes' : ''", TimeSpan.FromSeconds(30));
var droppedExpected = Native(ImageFile.Load(droppedFile, 28, 28, ColorMode.Grayscale).Select(v => v / 255f).ToArray());
string? droppedShown = await browser.EvaluateAsync(Prediction) is { } p ? p.ToString() : null;
Check(source is not null && droppedShown == droppedExpected.Name,
    $"dropping {Path.GetFileName(droppedFile)} (84 x 84) shows '{droppedShown}' (natively '{droppedExpected.Name}' at {droppedExpected.Probability:P1})");

// 3. Drawing with the mouse: two strokes down the pad (a pair of trouser legs), classified as they are drawn.
await browser.EvaluateAsync("document.getElementById('clear').click()");
var pad = (await browser.EvaluateAsync("(() => { const r = document.getElementById('pad').getBoundingClientRect(); return [r.left, r.top]; })()"))!.AsArray();
double left = (double)pad[0]!, top = (double)pad[1]!;
foreach (double x in new[] { 105.0, 175.0 })
{
    await browser.SendAsync("Input.dispatchMouseEvent", new { type = "mousePressed", x = left + x, y = top + 40, button = "left", clickCount = 1 });
    for (int y = 40; y <= 250; y += 15)
        await browser.SendAsync("Input.dispatchMouseEvent", new { type = "mouseMoved", x = left + x, y = top + y, button = "left", buttons = 1 });
    await browser.SendAsync("Input.dispatchMouseEvent", new { type = "mouseReleased", x = left + x, y = top + 250, button = "left", clickCount = 1 });
}
string? drawn = await browser.WaitForAsync("document.getElementById('source')?.textContent === 'your drawing' ? document.getElementById('prediction')?.textContent : ''", TimeSpan.FromSeconds(30));
int bars = (int?)await browser.EvaluateAsync("document.querySelectorAll('.bar').length") ?? 0;
Check(drawn is not null && bars == 5, $"drawing two strokes with the mouse shows '{drawn}' and the top {bars} classes as bars");

// 4. Training in the page, all of it (two epochs of the slice): the loss falls while the page keeps rendering, and the
// page then classifies the drawing with the new weights.
await browser.EvaluateAsync("document.getElementById('train').click()");
string? steps = await browser.WaitForAsync("document.getElementById('weights')?.textContent.startsWith('trained here') ? document.getElementById('train-steps').textContent : ''", TimeSpan.FromSeconds(300));
string? losses = (await browser.EvaluateAsync("document.getElementById('curve')?.dataset.losses"))?.ToString();
float[] loss = (losses ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
bool falls = loss.Length >= 12 && loss[^10..].Average() < 0.8 * loss[..10].Average();
string trainingRate = (await browser.EvaluateAsync("document.getElementById('training-rate')?.textContent"))?.ToString() ?? "?";
Check(steps is not null && falls,
    $"training in the page: {loss.Length} steps, loss {(loss.Length >= 10 ? $"{loss[..10].Average():F3} over the first 10 to {loss[^10..].Average():F3} over the last 10" : "missing")}, {trainingRate} images/s");

// 5. The page as `chromium --headless --dump-dom --virtual-time-budget=60000 URL` prints it, from a fresh browser.
{
    var dump = new ProcessStartInfo(chromiumPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "--virtual-time-budget=60000", server.Url("?image=3") })
        dump.ArgumentList.Add(arg);
    using var process = Process.Start(dump)!;
    process.ErrorDataReceived += (_, _) => { };
    process.BeginErrorReadLine();
    string dom = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    var found = System.Text.RegularExpressions.Regex.Match(dom, "id=\"prediction\">([^<]*)<");
    var foundProbability = System.Text.RegularExpressions.Regex.Match(dom, "id=\"probability\">([^<]*)<");
    var expected = Native(test.Images.AsSpan(3 * test.ImageSize, test.ImageSize));
    Check(found.Success && found.Groups[1].Value == expected.Name && foundProbability.Success,
        $"--dump-dom of ?image=3 holds prediction '{(found.Success ? found.Groups[1].Value : "none")}' and probability " +
        $"'{(foundProbability.Success ? foundProbability.Groups[1].Value : "none")}' (natively '{expected.Name}' at {expected.Probability:P1})");
}

// 6. What the page reports about the runtime, and a screenshot that shows something.
string simd = (await browser.EvaluateAsync("document.getElementById('simd')?.textContent"))?.ToString() ?? "?";
string inferenceRate = (await browser.EvaluateAsync("document.getElementById('inference-rate')?.textContent"))?.ToString() ?? "?";
Check(simd.Contains("128-bit", StringComparison.Ordinal), $"the page reports {simd}, and classifies {inferenceRate} images/s one at a time");
var shot = await browser.SendAsync("Page.captureScreenshot", new { format = "png" });
byte[] png = Convert.FromBase64String(shot["data"]!.GetValue<string>());
if (screenshot is not null) await File.WriteAllBytesAsync(screenshot, png);
ImageResult picture = ImageResult.FromMemory(png, ColorComponents.RedGreenBlue);
int pixels = picture.Width * picture.Height, differing = 0;
var colours = new HashSet<int>();
for (int i = 0; i < pixels; i++)
{
    int r = picture.Data[3 * i], g = picture.Data[3 * i + 1], b = picture.Data[3 * i + 2];
    colours.Add(r << 16 | g << 8 | b);
    if (Math.Abs(r - picture.Data[0]) + Math.Abs(g - picture.Data[1]) + Math.Abs(b - picture.Data[2]) > 30) differing++;
}
Check(colours.Count >= 16 && differing >= pixels / 20,
    $"the screenshot ({picture.Width} x {picture.Height}) has {colours.Count} colours and {100.0 * differing / pixels:F0} % of its pixels away from the background");

// 7. The figures README quotes beside the page's own: what is downloaded, and the same work natively on one thread.
long app = 0, data = 0;
foreach (string file in Directory.EnumerateFiles(site, "*", SearchOption.AllDirectories))
{
    if (file.EndsWith(".br", StringComparison.Ordinal) || file.EndsWith(".gz", StringComparison.Ordinal) && !file.Contains("/data/", StringComparison.Ordinal)) continue;
    long size = File.Exists(file + ".br") ? new FileInfo(file + ".br").Length : new FileInfo(file).Length; // what a server with Brotli sends
    if (file.Contains("/data/", StringComparison.Ordinal)) data += size; else app += size;
}
Console.WriteLine($"Figures: the app is {app / 1e6:F1} MB compressed (Brotli, as published), plus {data / 1e6:F1} MB of slice fetched when needed");
native.InferenceThreads = 1;
var nativeScores = new float[FashionCnn.OutputSize];
var nativeClock = Stopwatch.StartNew();
int nativeImages = 0;
for (; nativeClock.Elapsed < TimeSpan.FromSeconds(1); nativeImages++)
    native.Predict(test.Images.AsSpan(nativeImages % test.Count * test.ImageSize, test.ImageSize), nativeScores);
Console.WriteLine($"Figures: natively on one thread the lesson's network classifies {nativeImages / nativeClock.Elapsed.TotalSeconds:N0} images/s one at a time (the page: {inferenceRate})");
LabeledImages training = FashionMnist.LoadTraining(Path.Combine(repository, "tests/DslConv.Tests/Data/fashion-mnist-slice"));
using (var trainer = new BrowserDemo.PocketCnn.Trainer(new BrowserDemo.PocketCnn(1), 32, threads: 1))
{
    nativeClock.Restart();
    int batches = 0;
    for (; nativeClock.Elapsed < TimeSpan.FromSeconds(1); batches++)
    {
        int start = batches % (training.Count / 32) * 32;
        trainer.TrainStep(training.Images.AsSpan(start * training.ImageSize, 32 * training.ImageSize), training.Labels.AsSpan(start, 32));
    }
    Console.WriteLine($"Figures: natively on one thread the page's training network trains {batches * 32 / nativeClock.Elapsed.TotalSeconds:N0} images/s (the page: {trainingRate})");
}

Console.WriteLine($"Browser check: {passed} passed, {failed} failed");
return failed == 0 ? 0 : 1;

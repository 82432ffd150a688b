using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DslConv.BrowserCheck;

/// <summary>
/// Headless Chromium driven over the Chrome DevTools Protocol: one page, commands sent as JSON over its WebSocket and
/// answered by id (events are read and dropped). Started with a throw-away profile and port 0; the port it chose is
/// read from the profile's DevToolsActivePort file.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private Chromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<Chromium> StartAsync(string executable, int width, int height)
    {
        string profile = Directory.CreateTempSubdirectory("dslconv-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            // Root (CI runs as root) cannot use Chromium's sandbox; the page is our own app from the loopback address.
            "--no-sandbox", $"--user-data-dir={profile}", "--remote-debugging-port=0", $"--window-size={width},{height}",
            "about:blank",
        })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var chromium = new Chromium(process, profile);
        string portFile = Path.Combine(profile, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(portFile) || File.ReadAllLines(portFile).Length < 2)
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"{executable} did not open its DevTools port (exit: {(process.HasExited ? process.ExitCode : "still running")}).");
            await Task.Delay(100);
        }
        int port = int.Parse(File.ReadAllLines(portFile)[0]);
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
        string page = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        await chromium._socket.ConnectAsync(new Uri(page), CancellationToken.None);
        return chromium;
    }

    /// <summary>Sends <paramref name="method"/> and returns its result (throws on a protocol error).</summary>
    public async Task<JsonNode> SendAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        int id = ++_nextId;
        string message = JsonSerializer.Serialize(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            JsonNode reply = await ReceiveAsync(cancel.Token);
            if ((int?)reply["id"] != id) continue; // an event, or a late answer
            if (reply["error"] is JsonNode error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    private async Task<JsonNode> ReceiveAsync(CancellationToken cancel)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer, cancel);
            message.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return JsonNode.Parse(message.ToArray())!;
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON), awaiting a promise.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        JsonNode result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result["exceptionDetails"] is JsonNode exception) throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
        return result["result"]!["value"];
    }

    /// <summary>Polls <paramref name="expression"/> until it gives a non-null, non-empty value or the time is up.</summary>
    public async Task<string?> WaitForAsync(string expression, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            JsonNode? value = await EvaluateAsync(expression);
            if (value is not null && value.ToString() is { Length: > 0 } text) return text;
            await Task.Delay(100);
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open) await SendAsync("Browser.close", timeout: TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is InvalidOperationException or WebSocketException or OperationCanceledException) { }
        _socket.Dispose();
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } // a child may still hold a file
    }
}

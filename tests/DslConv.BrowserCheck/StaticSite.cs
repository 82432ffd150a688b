using System.Net;

namespace DslConv.BrowserCheck;

/// <summary>
/// A plain static file server for the published app on 127.0.0.1: files and their content types, nothing else (no
/// COOP/COEP headers, no compression negotiation), as any static host would serve it.
/// </summary>
internal sealed class StaticSite : IDisposable
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript", [".mjs"] = "text/javascript",
        [".css"] = "text/css", [".json"] = "application/json", [".wasm"] = "application/wasm",
        [".png"] = "image/png", [".ico"] = "image/x-icon", [".gz"] = "application/gzip", [".br"] = "application/x-brotli",
    };

    private readonly string _root;
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public StaticSite(string root)
    {
        _root = Path.GetFullPath(root);
        for (int attempt = 0; ; attempt++)
        {
            Port = Random.Shared.Next(20_000, 60_000);
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 20) { } // the port was taken: another one
        }
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Url(string pathAndQuery) => $"http://127.0.0.1:{Port}/{pathAndQuery}";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            _ = Task.Run(() => Serve(context));
        }
    }

    private void Serve(HttpListenerContext context)
    {
        using HttpListenerResponse response = context.Response;
        string relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
        string path = Path.GetFullPath(Path.Combine(_root, relative.Length == 0 ? "index.html" : relative));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            response.StatusCode = 404;
            return;
        }
        byte[] body = File.ReadAllBytes(path);
        response.ContentType = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
        response.ContentLength64 = body.Length;
        try { response.OutputStream.Write(body); }
        catch (HttpListenerException) { } // the browser went away mid-file
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}

// The lesson's network in a web page: draw or drop a garment and see what it is, or train the network in the page.
using BrowserDemo;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;

var builder = WebAssemblyHostBuilder.CreateDefault(args);
builder.RootComponents.Add<BrowserDemo.Pages.Demo>("#app");
builder.Services.AddScoped(_ => new HttpClient { BaseAddress = new Uri(builder.HostEnvironment.BaseAddress) });
builder.Services.AddScoped<SliceData>();
await builder.Build().RunAsync();

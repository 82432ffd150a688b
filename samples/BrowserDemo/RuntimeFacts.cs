using System.Runtime.Intrinsics;

namespace BrowserDemo;

/// <summary>What the .NET runtime running the page reports about its vectors (DslConv's kernels take the widest).</summary>
public static class RuntimeFacts
{
    public static string Simd =>
        Vector512.IsHardwareAccelerated ? "512-bit vectors" :
        Vector256.IsHardwareAccelerated ? "256-bit vectors" :
        Vector128.IsHardwareAccelerated ? "128-bit vectors (WebAssembly SIMD)" : "no SIMD (scalar code)";
}

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits a public call's body inside the model's one-call-at-a-time guard (GeneratedCode.Enter / Exit on the model's
/// <c>_busy</c> field), so that a second thread gets InvalidOperationException instead of sharing the buffers.
/// </summary>
internal static class CallGuard
{
    /// <param name="busy">The guard field as the emitting scope reaches it: "_busy" in the model, "_model._busy" in the trainer.</param>
    public static void Emit(SourceWriter w, string model, string operation, string busy, System.Action body)
    {
        w.Line($"{Names.GeneratedCode}.Enter(ref {busy}, nameof({model}), nameof({operation}));");
        w.OpenBrace("try");
        body();
        w.CloseBrace();
        w.Line($"finally {{ {Names.GeneratedCode}.Exit(ref {busy}); }}");
    }
}

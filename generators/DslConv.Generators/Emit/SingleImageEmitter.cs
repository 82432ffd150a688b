using System.Linq;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>
/// Emits Predict's path for a single image on several threads, one barrier per layer; the last layer runs on the
/// calling thread. Each fused Conv2D + MaxPool splits its pooled rows over the workers, except the last convolution:
/// its few pooled rows (5 in the lesson's CNN) would split unevenly, so it splits its pixels evenly and every worker
/// then pools the small result itself at the start of the next layer. Each wide Dense layer splits its units.
/// Every output element is computed by one thread exactly as the serial path computes it, so results are identical.
/// Only models whose convolutions are all fused with non-overlapping pools (so the row ranges are disjoint) and take the
/// im2col-free path get it.
/// </summary>
internal static class SingleImageEmitter
{
    private const string K = Names.Kernels;
    private const string Rs = Names.ReadOnlySpan;
    private const string S = Names.Span;

    public static bool Applies(ModelPlan plan, BufferLayout buffers)
    {
        if (!plan.IsChain) return false; // the stages hand one buffer on from layer to layer
        // Something to split: a convolution, or a dense layer before the last.
        if (!plan.Layers.Where((layer, i) => layer.Definition.SingleImage == SingleImageSplit.Convolution || (layer.Definition.SingleImage == SingleImageSplit.Units && i < plan.Layers.Count - 1)).Any())
            return false;
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.SingleImage == SingleImageSplit.Unsupported) return false;
            if (layer.Definition.SingleImage == SingleImageSplit.Convolution)
            {
                if (!buffers.FusedWithNextPool(i) || !Conv2DLayer.DirectInPlace(layer)) return false;
                LayerPlan pool = plan.Layers[i + 1];
                if (pool.StrideHeight < pool.WindowHeight) return false;
                if (Conv2DLayer.Winograd(layer))
                {
                    // The stage before transforms its kernel; a row range's 2x2 tiles must be the pooled rows' own.
                    // Its activation must be stored with the product: tiles are not the contiguous pixel ranges it would run on.
                    if (i == FirstStageLayer(plan) || Names.AppliedAfterProduct(layer.Activation)) return false;
                    if (i != LastConv(plan) && (pool.WindowHeight != 2 || pool.StrideHeight != 2)) return false;
                }
            }
            else if (layer.Definition.SingleImage == SingleImageSplit.InsideConvolution && !buffers.IsFusedPool(i)) return false;
        }
        return true;
    }

    /// <summary>Row-range forward methods on the model, for image 0 of a workspace.</summary>
    public static void EmitRangeMethods(SourceWriter w, ModelPlan plan, BufferLayout buffers)
    {
        int lastConv = LastConv(plan);
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (layer.Definition.SingleImage == SingleImageSplit.Convolution && i == lastConv) EmitConvPixels(w, plan, buffers, i);
            else if (layer.Definition.SingleImage == SingleImageSplit.Convolution) EmitConvRows(w, plan, buffers, i);
            else if (layer.Definition.SingleImage == SingleImageSplit.Units && i < plan.Layers.Count - 1) EmitDenseUnits(w, plan, buffers, i);
        }
    }

    /// <summary>In the stage before a Winograd convolution's: this worker's share of its kernel's transform, in 16-filter groups.</summary>
    private static void TransformNextKernel(SourceWriter w, LayerPlan conv)
    {
        int filters = conv.Output.Channels;
        w.OpenBrace($"if ({K}.WinogradConvolution.Supports({conv.Identifier}Geometry, {filters}))");
        w.Line($"// {conv.Name}'s kernel in Winograd's domain (again if it changed), for the next stage: whole 16-filter groups per worker");
        w.Line($"(int firstGroup, int groups) = {Names.Parallel}.Shares.Of({filters / 16}, workers, worker);");
        w.Line($"{K}.WinogradConvolution.UpdateKernel(_parameters.AsSpan({conv.Identifier}KernelOffset, {conv.KernelSize}), {conv.Identifier}Geometry, {filters},");
        w.Line($"    workspace.{conv.Identifier}WinogradKernel, workspace.{conv.Identifier}WinogradKernelFrom, firstGroup * 16, groups * 16);");
        w.CloseBrace();
    }

    private static int FirstStageLayer(ModelPlan plan)
    {
        for (int i = 0; i < plan.Layers.Count - 1; i++)
            if (plan.Layers[i].Definition.SingleImage is SingleImageSplit.Convolution or SingleImageSplit.Units) return i;
        return -1;
    }

    private static int LastConv(ModelPlan plan)
    {
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
            if (plan.Layers[i].Definition.SingleImage == SingleImageSplit.Convolution) return i;
        return -1;
    }

    private static void EmitConvPixels(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan conv = plan.Layers[index], pool = plan.Layers[index + 1];
        var (usedHeight, usedWidth) = buffers.UsedOutput(index);
        int convolvedSize = usedHeight * usedWidth * conv.Output.Channels;
        w.Line($"/// <summary>{conv.Name} forward for pixels [firstPixel, firstPixel + pixels) of the {usedHeight}x{usedWidth} that {pool.Name} reads, of one image.</summary>");
        w.OpenBrace($"private void {conv.Identifier}ForwardPixels(Workspace workspace, {Rs} image, int firstPixel, int pixels)");
        string input = EmitConvLocals(w, buffers, conv, index, "pixels", convolvedSize);
        w.Line($"{K}.DirectConvolution.ForwardPixels({input}, {conv.Identifier}Geometry, kernel, bias, convolved, Filters, " +
               $"relu: {(conv.Activation == ActivationKind.Relu ? "true" : "false")}, firstPixel, pixels);");
        if (Names.AppliedAfterProduct(conv.Activation))
            w.Line($"{K}.Activations.Forward({Names.Activation(conv.Activation)}, convolved.Slice(firstPixel * Filters, pixels * Filters), Filters);");
        w.CloseBrace();
        w.Line();
        if (Conv2DLayer.Winograd(conv))
        {
            w.Line($"/// <summary>{conv.Name} forward as Winograd F(2x2, 3x3) for filters [firstFilter, firstFilter + filters) of the {usedHeight}x{usedWidth} that {pool.Name} reads, of one image.</summary>");
            w.OpenBrace($"private void {conv.Identifier}ForwardFilters(Workspace workspace, {Rs} image, int firstFilter, int filters, {S} scratch)");
            string filtersInput = EmitConvLocals(w, buffers, conv, index, "filters", convolvedSize, kernel: false);
            int tiles = ((usedHeight + 1) / 2) * ((usedWidth + 1) / 2);
            w.Line($"{K}.WinogradConvolution.ForwardTiles({filtersInput}, {conv.Identifier}Geometry, workspace.{conv.Identifier}WinogradKernel, bias, convolved, Filters, " +
                   $"relu: {(conv.Activation == ActivationKind.Relu ? "true" : "false")}, scratch, 0, {tiles}, firstFilter, filters);");
            w.CloseBrace();
            w.Line();
        }
        w.Line($"/// <summary>{pool.Name} forward over the whole of {conv.Name}'s pixels, into the given buffers.</summary>");
        w.OpenBrace($"private void {pool.Identifier}ForwardWhole(Workspace workspace, {S} pooled, global::System.Span<int> argmax)");
        w.Line($"{K}.Pooling.MaxForward(workspace.ConvolutionScratch.AsSpan(0, {convolvedSize}), {pool.Identifier}Geometry, pooled, argmax);");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>The opening both range methods share: nothing to do for an empty range, the layer's kernel, bias and scratch; returns the input expression.</summary>
    private static string EmitConvLocals(SourceWriter w, BufferLayout buffers, LayerPlan conv, int index, string rangeLength, int convolvedSize, bool kernel = true)
    {
        w.Line($"if ({rangeLength} == 0) return;");
        w.Line($"const int Filters = {conv.Output.Channels};");
        if (kernel) w.Line($"{Rs} kernel = _parameters.AsSpan({conv.Identifier}KernelOffset, {conv.KernelSize});");
        w.Line($"{Rs} bias = {Passes.Bias(conv, "Filters")};");
        w.Line($"{S} convolved = workspace.ConvolutionScratch.AsSpan(0, {convolvedSize});");
        return index == 0 ? "image" : $"{buffers.Output(index - 1)}.AsSpan(0, {conv.Input.Size})";
    }

    private static void EmitConvRows(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan conv = plan.Layers[index], pool = plan.Layers[index + 1];
        var (usedHeight, usedWidth) = buffers.UsedOutput(index);
        w.Line($"/// <summary>{conv.Name} + {pool.Name} forward for pooled rows [firstRow, firstRow + rows) of one image.</summary>");
        bool winograd = Conv2DLayer.Winograd(conv);
        w.OpenBrace($"private void {conv.Identifier}ForwardRows(Workspace workspace, {Rs} image, int firstRow, int rows{(winograd ? $", {S} scratch" : "")})");
        string input = EmitConvLocals(w, buffers, conv, index, "rows", usedHeight * usedWidth * conv.Output.Channels);
        string relu = conv.Activation == ActivationKind.Relu ? "true" : "false";
        w.Line($"// pooled rows [firstRow, firstRow + rows) read convolution rows [firstRow * {pool.StrideHeight}, (firstRow + rows - 1) * {pool.StrideHeight} + {pool.WindowHeight})");
        if (winograd)
        {
            w.Line($"// as Winograd F(2x2, 3x3) where this CPU runs it: those rows are the 2x2 tiles of rows [firstRow, firstRow + rows)");
            w.Line($"if ({K}.WinogradConvolution.Supports({conv.Identifier}Geometry, Filters))");
            w.Line($"    {K}.WinogradConvolution.ForwardTiles({input}, {conv.Identifier}Geometry, workspace.{conv.Identifier}WinogradKernel, bias, convolved, Filters, relu: {relu}, scratch, firstRow * {(usedWidth + 1) / 2}, rows * {(usedWidth + 1) / 2});");
            w.Line("else");
            w.Indent();
        }
        w.Line($"{K}.DirectConvolution.Forward({input}, {conv.Identifier}Geometry, kernel, bias, convolved, Filters, " +
               $"relu: {relu}, firstRow * {pool.StrideHeight}, (rows - 1) * {pool.StrideHeight} + {pool.WindowHeight});");
        if (winograd) w.Unindent();
        if (Names.AppliedAfterProduct(conv.Activation))
        {
            w.Line($"int start = firstRow * {pool.StrideHeight * usedWidth * conv.Output.Channels}, length = ((rows - 1) * {pool.StrideHeight} + {pool.WindowHeight}) * {usedWidth * conv.Output.Channels};");
            w.Line($"{K}.Activations.Forward({Names.Activation(conv.Activation)}, convolved.Slice(start, length), Filters);");
        }
        w.Line($"{K}.Pooling.MaxForward(convolved, {pool.Identifier}Geometry, {buffers.Output(index + 1)}.AsSpan(0, {pool.Output.Size}),");
        w.Line($"    workspace.{pool.Identifier}Argmax.AsSpan(0, {pool.Output.Size}), firstRow, rows);");
        w.CloseBrace();
        w.Line();
    }

    private static void EmitDenseUnits(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index)
    {
        LayerPlan layer = plan.Layers[index];
        w.Line($"/// <summary>{layer.Name} forward for units [firstUnit, firstUnit + units) of one image whose flattened input is given.</summary>");
        w.OpenBrace($"private void {layer.Identifier}ForwardUnits(Workspace workspace, {Rs} input, int firstUnit, int units)");
        w.Line("if (units == 0) return;");
        w.Line($"const int Inputs = {layer.Input.Size};");
        w.Line($"const int Units = {layer.Output.Size};");
        w.Line("input = input.Slice(0, Inputs);");
        w.Line($"{Rs} kernel = _parameters.AsSpan({layer.Identifier}KernelOffset + firstUnit, Inputs * Units - firstUnit); // columns from firstUnit on");
        w.Line($"{Rs} bias = {Passes.Bias(layer, "units", " + firstUnit")};");
        w.Line($"{S} output = {buffers.Output(index)}.AsSpan(firstUnit, units);");
        w.Line($"{K}.Gemm.Multiply(1, units, Inputs, input, Inputs, 1, kernel, Units, output, Units, {K}.GemmStart.Bias, bias, relu: {(layer.Activation == ActivationKind.Relu ? "true" : "false")});");
        if (Names.AppliedAfterProduct(layer.Activation))
            w.Line($"{K}.Activations.Forward({Names.Activation(layer.Activation)}, output, Units);");
        w.CloseBrace();
        w.Line();
    }

    /// <summary>
    /// The split's stages as the runtime's SingleImageSplit runs them: how many (0 where this CPU lacks the kernels), the
    /// buffers each worker keeps to itself, each worker's share of a stage, and what the calling thread does last.
    /// </summary>
    public static void EmitStages(SourceWriter w, ModelPlan plan, BufferLayout buffers, string inference)
    {
        var stages = Enumerable.Range(0, plan.Layers.Count - 1)
            .Where(i => plan.Layers[i].Definition.SingleImage == SingleImageSplit.Convolution || plan.Layers[i].Definition.SingleImage == SingleImageSplit.Units).ToList();
        var convs = plan.Layers.Where(l => l.Definition.SingleImage == SingleImageSplit.Convolution).ToList();
        int lastConv = LastConv(plan);
        LayerPlan? lastPool = lastConv >= 0 ? plan.Layers[lastConv + 1] : null;
        // The stage after the last convolution pools it first, on every worker; with no such stage the caller does.
        int poolingStage = lastConv >= 0 ? stages.IndexOf(lastConv) + 1 : -1;
        bool workersPool = poolingStage > 0 && poolingStage < stages.Count;

        w.Line("/// <summary>Whether this CPU runs the kernels the single-image split needs (the im2col-free convolution).</summary>");
        w.Line("private static readonly bool SingleImageSplitAvailable =" + (convs.Count == 0 ? " true;" : ""));
        for (int c = 0; c < convs.Count; c++)
            w.Line($"    {K}.DirectConvolution.Supports({convs[c].Identifier}Geometry, {convs[c].Output.Channels}){(c == convs.Count - 1 ? ";" : " &&")}");
        w.Line();
        w.Line($"static int {inference}.SingleImageStages => SingleImageSplitAvailable ? {stages.Count} : 0;");
        var winogradScratch = convs.Where(Conv2DLayer.Winograd).Select(c => $"{K}.WinogradConvolution.ScratchSize({c.Input.Channels}, {c.Output.Channels})").ToList();
        if (workersPool || winogradScratch.Count > 0)
        {
            var sizes = (workersPool ? new[] { $"{lastPool!.Output.Size}" } : []).Concat(winogradScratch).ToList();
            string what = (workersPool ? $"each worker's own copy of {lastPool!.Name}'s output" : "") + (workersPool && winogradScratch.Count > 0 ? ", and before that " : "") +
                          (winogradScratch.Count > 0 ? "its Winograd scratch in a convolution's stage" : "");
            string size = sizes.Count == 1 ? sizes[0] : sizes.Skip(1).Aggregate(sizes[0], (max, next) => $"global::System.Math.Max({max}, {next})");
            w.Line($"static int {inference}.SingleImageWorkerBuffer => {size}; // {what}");
        }
        w.Line();
        w.Line("/// <summary>Predict for one image, split over threads: this worker's share of one stage (a barrier follows each).</summary>");
        w.OpenBrace($"void {inference}.RunSingleImageStage(Workspace workspace, {Rs} image, int stage, int worker, int workers, {S} pooled, global::System.Span<int> argmax)");
        w.OpenBrace("switch (stage)");
        for (int s = 0; s < stages.Count; s++)
        {
            int index = stages[s];
            LayerPlan layer = plan.Layers[index];
            w.OpenBrace($"case {s}:");
            if (layer.Definition.SingleImage == SingleImageSplit.Convolution && index == lastConv)
            {
                var (usedHeight, usedWidth) = buffers.UsedOutput(index);
                int pixels = usedHeight * usedWidth;
                if (Conv2DLayer.Winograd(layer))
                {
                    w.OpenBrace($"if ({K}.WinogradConvolution.Supports({layer.Identifier}Geometry, {layer.Output.Channels}))");
                    w.Line($"// Winograd: the 16-filter groups whose kernel this worker transformed in the stage before (still in its cache),");
                    w.Line($"// over all {pixels} pixels {plan.Layers[index + 1].Name} reads; the worker's buffer is its scratch");
                    w.Line($"(int firstGroup, int groups) = {Names.Parallel}.Shares.Of({layer.Output.Channels / 16}, workers, worker);");
                    w.Line($"{layer.Identifier}ForwardFilters(workspace, image, firstGroup * 16, groups * 16, pooled);");
                    w.Line("break;");
                    w.CloseBrace();
                }
                w.Line($"// whole 4-pixel tiles per worker, of the {pixels} pixels {plan.Layers[index + 1].Name} reads");
                w.Line($"(int firstTile, int tiles) = {Names.Parallel}.Shares.Of({(pixels + 3) / 4}, workers, worker);");
                w.Line($"int firstPixel = firstTile * 4, pixels = global::System.Math.Min(tiles * 4, {pixels} - firstPixel);");
                w.Line($"{layer.Identifier}ForwardPixels(workspace, image, firstPixel, global::System.Math.Max(pixels, 0));");
            }
            else if (layer.Definition.SingleImage == SingleImageSplit.Convolution)
            {
                LayerPlan pool = plan.Layers[index + 1];
                w.Line($"(int firstRow, int rows) = {Names.Parallel}.Shares.Of({pool.Output.Height}, workers, worker);");
                w.Line($"{layer.Identifier}ForwardRows(workspace, image, firstRow, rows{(Conv2DLayer.Winograd(layer) ? ", pooled" : "")});");
            }
            else
            {
                string input;
                if (s == poolingStage)
                {
                    w.Line($"{lastPool!.Identifier}ForwardWhole(workspace, pooled, argmax); // small: cheaper than another barrier");
                    input = "pooled";
                }
                else input = buffers.Input(index) == "images" ? "image" : BufferLayout.Through(buffers.Input(index), "workspace");
                int units = (int)layer.Output.Size;
                w.Line("// whole 16-unit blocks per worker" + (units % 16 == 0 ? "" : $"; the last worker also takes the {units % 16} units left over"));
                w.Line($"(int firstBlock, int blocks) = {Names.Parallel}.Shares.Of({units / 16}, workers, worker);");
                w.Line(units % 16 == 0 ? "int units = blocks * 16;" : $"int units = blocks * 16 + (worker == workers - 1 ? {units % 16} : 0);");
                w.Line($"{layer.Identifier}ForwardUnits(workspace, {input}, firstBlock * 16, units);");
            }
            if (s + 1 < stages.Count && Conv2DLayer.Winograd(plan.Layers[stages[s + 1]])) TransformNextKernel(w, plan.Layers[stages[s + 1]]);
            w.Line("break;");
            w.CloseBrace();
        }
        w.CloseBrace();
        w.CloseBrace();
        w.Line();
        w.OpenBrace($"void {inference}.FinishSingleImage(Workspace workspace, {Rs} image, {S} outputs)");
        if (lastPool is not null && !workersPool)
            w.Line($"{lastPool.Identifier}ForwardWhole(workspace, {BufferLayout.Through(buffers.Output(lastConv + 1), "workspace")}.AsSpan(0, {lastPool.Output.Size}), " +
                   $"workspace.{lastPool.Identifier}Argmax.AsSpan(0, {lastPool.Output.Size}));");
        LayerPlan last = plan.Last;
        w.Line($"{last.Identifier}Forward(workspace, image, 1); // the last layer is small: the calling thread does it");
        w.Line($"workspace.{last.Identifier}Output.AsSpan(0, OutputSize).CopyTo(outputs);");
        w.CloseBrace();
    }
}

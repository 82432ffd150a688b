using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DslConv.Generators.Embedding;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Parsing;
using DslConv.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslConv.Generators;

/// <summary>
/// The pipeline only: classes carrying any DslConv attribute -> <see cref="ModelSpec"/> (parse) ->
/// <see cref="ValidationResult"/> (validate) -> diagnostics, and <see cref="GeneratedSource"/> from the plan alone (emit,
/// with the clash check against the user's members). No step throws on user code: a failure is a diagnostic on its model.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked steps, for the caching tests.</summary>
    public static class StepNames
    {
        public const string Specs = nameof(Specs);
        public const string Validated = nameof(Validated);
        public const string Plans = nameof(Plans);
        public const string Sources = nameof(Sources);
        public const string Embedded = nameof(Embedded);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // One listener per attribute, because a model must be found even when its [Input] is missing (DSLC002).
        IncrementalValueProvider<ImmutableArray<ModelSpec>> specs = ModelParser.TriggerAttributes
            .Select(attribute => context.SyntaxProvider
                .ForAttributeWithMetadataName(attribute,
                    static (node, _) => node is TypeDeclarationSyntax, // records and structs too, to be refused with DSLC015
                    static (syntaxContext, cancellationToken) => ModelParser.Parse(syntaxContext.TargetSymbol,
                        syntaxContext.SemanticModel, syntaxContext.TargetNode.SpanStart, cancellationToken))
                .Where(static spec => spec is not null)
                .Select(static (spec, _) => spec!)
                .Collect())
            .Aggregate((left, right) => left.Combine(right).Select(static (pair, _) => pair.Left.AddRange(pair.Right)));

        // A class with several of the attributes (or several partial declarations) is seen more than once: keep one.
        IncrementalValuesProvider<ModelSpec> distinct = specs
            .SelectMany(static (all, _) => Distinct(all))
            .WithTrackingName(StepNames.Specs);

        IncrementalValuesProvider<ValidationResult> validated = distinct
            .Select(static (spec, _) => ModelValidator.Validate(spec))
            .WithTrackingName(StepNames.Validated);

        context.RegisterSourceOutput(validated.Select(static (result, _) => result.Diagnostics), static (production, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics) production.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        IncrementalValuesProvider<ModelPlan> plans = validated
            .Where(static result => result.Plan is not null)
            .Select(static (result, _) => result.Plan!)
            .WithTrackingName(StepNames.Plans);

        // Project switches, read through <CompilerVisibleProperty> (the package's targets declare them):
        // <DslConvProfileLayers>true</DslConvProfileLayers> adds LayerProfiler timing around every layer pass (without it
        // the passes carry no profiling code at all); <DslConvInt8>true</DslConvInt8> adds the nested Int8 class (int8
        // inference) to every model that has an int8 form, in a file of its own.
        IncrementalValueProvider<GeneratorOptions> options = context.AnalyzerConfigOptionsProvider.Select(static (provider, _) =>
            new GeneratorOptions(IsTrue(provider, "DslConvProfileLayers"), IsTrue(provider, "DslConvInt8")));

        // The emit step sees the plan without locations, so typing above a model or elsewhere in its file (which moves
        // every location) leaves its input equal and the emitted file cached; its problems are placed afterwards.
        IncrementalValuesProvider<GeneratedSource> sources = plans
            .Select(static (plan, _) => plan.WithoutLocations())
            .Combine(options)
            .Select(static (pair, _) => GeneratedSource.Create(pair.Left, pair.Right))
            .WithTrackingName(StepNames.Sources);

        context.RegisterSourceOutput(sources, static (production, generated) =>
        {
            if (generated.Source is null) return;
            production.AddSource(generated.HintName, generated.Source);
            if (generated.Int8Source is not null) production.AddSource(generated.Int8HintName, generated.Int8Source);
        });

        // [EmbedWeights]: the project's .safetensors AdditionalFiles, checked against each model that asks and compiled in.
        IncrementalValueProvider<ImmutableArray<WeightsFileData>> weightsFiles = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".safetensors", System.StringComparison.OrdinalIgnoreCase))
            .Select(static (text, cancellationToken) => EmbeddedWeights.Read(text, cancellationToken))
            .Collect();
        // As for the model's file: the embedding sees the plan without locations (an edit elsewhere in the file leaves the
        // megabyte of weights cached), and its problems are placed on the [EmbedWeights] attribute afterwards.
        IncrementalValuesProvider<EmbeddedWeightsSource> embedded = plans
            .Where(static plan => plan.EmbedWeights is not null)
            .Select(static (plan, _) => plan.WithoutLocations())
            .Combine(weightsFiles)
            .Select(static (pair, _) => EmbeddedWeights.Create(pair.Left, pair.Right))
            .WithTrackingName(StepNames.Embedded);
        context.RegisterSourceOutput(embedded, static (production, generated) =>
        {
            if (generated.Source is not null) production.AddSource(generated.HintName, generated.Source);
        });
        context.RegisterSourceOutput(embedded.Where(static generated => generated.Diagnostics.Count > 0).Collect().Combine(plans.Collect()), static (production, pair) =>
        {
            foreach (EmbeddedWeightsSource generated in pair.Left)
            {
                LocationInfo? attribute = pair.Right.FirstOrDefault(plan => EmbeddedWeights.HintNameOf(plan) == generated.HintName)?.EmbedWeightsLocation;
                foreach (DiagnosticInfo diagnostic in generated.Diagnostics) production.ReportDiagnostic((diagnostic with { Location = attribute }).ToDiagnostic());
            }
        });

        IncrementalValueProvider<(ImmutableArray<GeneratedSource> Left, ImmutableArray<ModelPlan> Right)> problems = sources
            .Where(static generated => generated.Problems.Count > 0)
            .Collect()
            .Combine(plans.Collect());
        context.RegisterSourceOutput(problems, static (production, pair) =>
        {
            foreach (GeneratedSource generated in pair.Left)
            {
                ModelPlan? located = pair.Right.FirstOrDefault(plan => GeneratedSource.HintNameOf(plan) == generated.HintName);
                if (located is null) continue;
                foreach (DiagnosticInfo diagnostic in generated.Locate(located)) production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
    }

    private static bool IsTrue(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider provider, string property) =>
        provider.GlobalOptions.TryGetValue("build_property." + property, out string? value)
        && string.Equals(value, "true", System.StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<ModelSpec> Distinct(ImmutableArray<ModelSpec> all)
    {
        var seen = new HashSet<string>();
        foreach (ModelSpec spec in all.OrderBy(spec => spec.FullName, System.StringComparer.Ordinal))
            if (seen.Add(spec.FullName)) yield return spec;
    }

}

using System.Collections.Generic;
using System.Linq;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslConv.Generators.Emit;

/// <summary>
/// What the emit step produces for one model: its file, or the problems that stop it. The emit step sees the plan
/// without locations (<see cref="ModelPlan.WithoutLocations"/>), so each problem names what it is about (a user's
/// member, or the class itself) and <see cref="Locate"/> places it once the located plan is at hand.
/// </summary>
internal sealed record GeneratedSource(string HintName, string? Source, EquatableArray<EmitProblem> Problems, string? Int8Source = null)
{
    /// <summary>The int8 part's file name: the model's with ".Int8" before ".g.cs".</summary>
    public string Int8HintName => HintName.Substring(0, HintName.Length - ".g.cs".Length) + ".Int8.g.cs";

    /// <summary>
    /// Emits the model, then checks the emitted members against the names the user's class already uses: a clash
    /// would be a compile error inside the generated file, so it is reported on the user's member instead (DSLC017)
    /// and nothing is added. Never throws: an emitter bug becomes DSLC018 on this model, and the others still generate.
    /// </summary>
    public static GeneratedSource Create(ModelPlan plan, GeneratorOptions options = default)
    {
        string hintName = HintNameOf(plan);
        try
        {
            string source = ShortNames.Shorten(ModelEmitter.Emit(plan, options.ProfileLayers), plan.TakenShortNames);
            string? int8 = options.Int8 && Int8Emitter.Unsupported(plan) is null
                ? ShortNames.Shorten(ModelEmitter.EmitInt8(plan), plan.TakenShortNames)
                : null;
            HashSet<string> declared = DeclaredMembers(source, plan.ClassName);
            if (int8 is not null) declared.UnionWith(DeclaredMembers(int8, plan.ClassName));
            List<EmitProblem> clashes = Clashes(plan, declared);
            return clashes.Count == 0
                ? new GeneratedSource(hintName, source, EquatableArray<EmitProblem>.Empty, int8)
                : new GeneratedSource(hintName, null, clashes.ToEquatableArray());
        }
        catch (System.Exception e)
        {
            var failure = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, plan.ClassLocation, plan.ClassName, $"{e.GetType().Name}: {e.Message}");
            return new GeneratedSource(hintName, null, new[] { new EmitProblem(failure, null) }.ToEquatableArray());
        }
    }

    /// <summary>The problems as diagnostics, each on its place in <paramref name="located"/> (the same model, with its locations).</summary>
    public IEnumerable<DiagnosticInfo> Locate(ModelPlan located) => Problems.Select(problem => problem.Diagnostic with
    {
        Location = (problem.Member is null ? null : located.UserMembers.FirstOrDefault(member => member.Name == problem.Member)?.Location)
                   ?? located.ClassLocation,
    });

    /// <summary>The file name: namespace and class, without the '@' of escaped keywords.</summary>
    public static string HintNameOf(ModelPlan plan) =>
        ((plan.Namespace is null ? "" : plan.Namespace + ".") + plan.ClassName).Replace("@", "") + ".g.cs";

    /// <summary>
    /// Names the generated partial class declares directly (fields, constants, properties, methods, nested types,
    /// events; a constructor taking one int as ".ctor(int)"), read back from the emitted text so that the list can
    /// never drift from what the emitters write.
    /// </summary>
    internal static HashSet<string> DeclaredMembers(string source, string className)
    {
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        ClassDeclarationSyntax? model = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes()
            .OfType<ClassDeclarationSyntax>()
            .FirstOrDefault(declaration => declaration.Identifier.ValueText == className);
        if (model is null) return names;
        foreach (MemberDeclarationSyntax member in model.Members)
        {
            switch (member)
            {
                case BaseFieldDeclarationSyntax field:
                    foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables) names.Add(variable.Identifier.ValueText);
                    break;
                case PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property:
                    names.Add(property.Identifier.ValueText);
                    break;
                case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method:
                    names.Add(method.Identifier.ValueText);
                    break;
                case EventDeclarationSyntax { ExplicitInterfaceSpecifier: null } @event:
                    names.Add(@event.Identifier.ValueText);
                    break;
                case BaseTypeDeclarationSyntax type:
                    names.Add(type.Identifier.ValueText);
                    break;
                case DelegateDeclarationSyntax @delegate:
                    names.Add(@delegate.Identifier.ValueText);
                    break;
                case ConstructorDeclarationSyntax constructor when constructor.ParameterList.Parameters.Count == 1
                    && constructor.ParameterList.Parameters[0].Type is PredefinedTypeSyntax { Keyword.ValueText: "int" }:
                    names.Add(".ctor(int)");
                    break;
            }
        }
        return names;
    }

    private static List<EmitProblem> Clashes(ModelPlan plan, HashSet<string> generated)
    {
        var clashes = new List<EmitProblem>();
        if (generated.Contains(plan.ClassName))
            clashes.Add(new EmitProblem(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNameTaken, plan.ClassLocation,
                $"The model's own name '{plan.ClassName}' is also a member it would contain", $"a member named '{plan.ClassName}'", plan.ClassName), null));
        foreach (UserMember member in plan.UserMembers)
        {
            if (!generated.Contains(member.Name)) continue;
            bool constructor = member.Name == ".ctor(int)";
            string what = constructor
                ? $"'{plan.ClassName}' declares a constructor taking one int"
                : member.Inherited
                    ? $"'{plan.ClassName}' inherits the {member.Kind.Replace(" inherited from ", " '" + member.Name + "' from ")}"
                    : $"'{plan.ClassName}' declares the {member.Kind} '{member.Name}'";
            string generatedWhat = constructor ? $"the constructor '{plan.ClassName}(int seed)'" : $"a member named '{member.Name}'";
            clashes.Add(new EmitProblem(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNameTaken, member.Location ?? plan.ClassLocation,
                what, generatedWhat, plan.ClassName), member.Name));
        }
        return clashes;
    }
}

/// <summary>The project's switches for the generated code (MSBuild properties the generator reads).</summary>
internal readonly record struct GeneratorOptions(bool ProfileLayers, bool Int8);

/// <summary>A diagnostic from the emit step and what it is about: the user's member named <see cref="Member"/>, or (null) the class.</summary>
internal sealed record EmitProblem(DiagnosticInfo Diagnostic, string? Member);

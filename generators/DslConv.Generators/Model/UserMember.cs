namespace DslConv.Generators.Model;

/// <summary>
/// A name the user's class already uses, declared in it or inherited (non-private) from a base class, with where to
/// point a collision diagnostic. <see cref="Kind"/> is how messages describe it ("method", "nested type", ...).
/// </summary>
internal sealed record UserMember(string Name, string Kind, bool Inherited, LocationInfo? Location);

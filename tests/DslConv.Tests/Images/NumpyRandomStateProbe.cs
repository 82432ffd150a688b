using System.Reflection;

namespace DslConv.Tests.Images;

/// <summary>Reaches the internal NumPy-compatible generator of DslConv.Images for its reference-value test.</summary>
internal sealed class NumpyRandomStateProbe(long seed)
{
    private static readonly Type StateType = typeof(DslConv.Images.ImageDataset).Assembly.GetType("DslConv.Images.NumpyRandomState", throwOnError: true)!;
    private readonly object _state = Activator.CreateInstance(StateType, BindingFlags.Public | BindingFlags.Instance, null, [seed], null)!;

    public uint First() => (uint)StateType.GetMethod("NextUInt32")!.Invoke(_state, null)!;

    public static int[] Permutation(long seed, int count)
    {
        var items = Enumerable.Range(0, count).ToList();
        object state = new NumpyRandomStateProbe(seed)._state;
        StateType.GetMethod("Shuffle")!.MakeGenericMethod(typeof(int)).Invoke(state, [items]);
        return [.. items];
    }
}

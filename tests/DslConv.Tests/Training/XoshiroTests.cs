using DslConv.Training;

namespace DslConv.Tests.Training;

public sealed class XoshiroTests
{
    [Fact]
    public void SameSeedSameSequenceAndStateRoundTrips()
    {
        var a = new Xoshiro256(42);
        var b = new Xoshiro256(42);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        var saved = a.State;
        ulong next = a.NextUInt64();
        var c = new Xoshiro256(0) { State = saved };
        Assert.Equal(next, c.NextUInt64());
        Assert.NotEqual(new Xoshiro256(1).NextUInt64(), new Xoshiro256(2).NextUInt64());
    }

    [Fact]
    public void NextIntIsInRangeAndRoughlyUniform()
    {
        var random = new Xoshiro256(3);
        int[] counts = new int[10];
        const int draws = 100_000;
        for (int i = 0; i < draws; i++) counts[random.NextInt(10)]++;
        // Each count is Binomial(100000, 0.1): standard deviation ~95; allow 6 of them.
        Assert.All(counts, count => Assert.InRange(count, draws / 10 - 570, draws / 10 + 570));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(0));
    }

    [Fact]
    public void NextSingleIsInUnitInterval()
    {
        var random = new Xoshiro256(4);
        for (int i = 0; i < 10_000; i++) Assert.InRange(random.NextSingle(), 0f, 0.99999994f);
    }

    [Fact]
    public void ShuffleIsAPermutationAndDependsOnTheSeed()
    {
        int[] Shuffled(long seed)
        {
            var random = new Xoshiro256(seed);
            int[] values = Enumerable.Range(0, 1000).ToArray();
            random.Shuffle(values);
            return values;
        }
        Assert.Equal(Enumerable.Range(0, 1000), Shuffled(1).Order());
        Assert.Equal(Shuffled(1), Shuffled(1));
        Assert.NotEqual(Shuffled(1), Shuffled(2));
        Assert.NotEqual(Enumerable.Range(0, 1000), Shuffled(1));
    }
}

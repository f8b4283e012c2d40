using OrleansFlow.Actors;
using OrleansFlow.Ids;
using OrleansFlow.Models;
using OrleansFlow.Testing;

namespace OrleansFlow.Grains.Tests.Actors;

public class SamplerDirectoryTests
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<string> _loads = [];

    [Fact]
    public async Task Get_ConcurrentFirstUsers_OneActivationShared()
    {
        var directory = Directory();

        var actors = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => directory.Get("a"))));

        Assert.Single(actors.Distinct());
        Assert.Equal(["a"], _loads);
        Assert.Equal([new SamplerKey("a", new Resolution(1, 1, 4))], directory.WarmKeys);
    }

    [Fact]
    public void DeactivateIdle_UnusedPastTheTimeout_ReloadedOnNextUse()
    {
        var directory = Directory(idle: TimeSpan.FromMinutes(10));
        directory.Get("a");
        using (directory.Get("b").Use())
        {
            _clock.Advance(TimeSpan.FromMinutes(11));

            Assert.Equal(1, directory.DeactivateIdle());
            Assert.Equal(["b"], directory.WarmKeys.Select(k => k.Model));
        }

        directory.Get("a");
        Assert.Equal(["a", "b", "a"], _loads);
    }

    [Fact]
    public void Get_OverTheMemoryBudget_EvictsTheLeastRecentlyUsedIdleActor()
    {
        // Each model weighs 4 doubles = 32 bytes; the budget holds two.
        var directory = Directory(budget: 64);
        directory.Get("a");
        _clock.Advance(TimeSpan.FromSeconds(1));
        directory.Get("b");
        _clock.Advance(TimeSpan.FromSeconds(1));
        directory.Get("a");
        _clock.Advance(TimeSpan.FromSeconds(1));

        directory.Get("c");

        Assert.Equal(["a", "c"], directory.WarmKeys.Select(k => k.Model).Order());
    }

    [Fact]
    public void Get_OverTheBudgetButEveryOtherActorBusy_KeepsThemAll()
    {
        var directory = Directory(budget: 32);
        using var a = directory.Get("a").Use();

        directory.Get("b");

        Assert.Equal(["a", "b"], directory.WarmKeys.Select(k => k.Model).Order());
    }

    [Fact]
    public void Get_ActivationFails_NotCachedSoTheNextUseRetries()
    {
        var fail = true;
        var directory = new SamplerDirectory(new SamplerDirectoryOptions(), _clock, name =>
            fail ? throw new SpecException("model", "not yet") : Load(name));

        Assert.Throws<SpecException>(() => directory.Get("a"));
        fail = false;

        Assert.Equal("a", directory.Get("a").Key.Model);
    }

    private SamplerDirectory Directory(TimeSpan? idle = null, long budget = 1L << 30) =>
        new(new SamplerDirectoryOptions { IdleTimeout = idle ?? TimeSpan.FromMinutes(10), MemoryBudgetBytes = budget }, _clock, Load);

    private GaussianMixtureFlow Load(string name)
    {
        lock (_loads)
        {
            _loads.Add(name);
        }

        return GaussianMixtureJson.Parse("""{"shape":[1,1,4], "weights":[1], "means":[[0,0,0,0]], "stds":[1]}""", name);
    }
}

using OrleansFlow.Sampling;

namespace OrleansFlow.Grains.Tests.Sampling;

public class SamplerSpecTests
{
    [Theory]
    [InlineData("euler:steps=8", "euler:steps=8")]
    [InlineData("HEUN:steps=4", "heun:steps=4")]
    [InlineData("flowturbo:r=3,h=1,p=2", "flowturbo:h=1,p=2,r=3")]
    [InlineData("onestep", "onestep")]
    public void Parse_ValidText_CanonicalForm(string text, string canonical)
    {
        Assert.Equal(canonical, SamplerSpec.Parse(text).ToString());
    }

    [Theory]
    [InlineData("rk4:steps=3", "unknown sampler")]
    [InlineData("euler", "lacks 'steps='")]
    [InlineData("euler:steps=0", "out of range")]
    [InlineData("euler:steps=x", "malformed")]
    [InlineData("heun:steps=2,stpes=3", "unknown parameter 'stpes'")]
    [InlineData("flowturbo:h=0,p=0,r=0", "h + p + r >= 1")]
    [InlineData("flowturbo:h=1,p=-1,r=0", "out of range")]
    public void Parse_BadText_OneLineErrorNamingTheField(string text, string fragment)
    {
        var error = Assert.Throws<SpecException>(() => SamplerSpec.Parse(text));

        Assert.Equal("sampler", error.Field);
        Assert.Contains(fragment, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}

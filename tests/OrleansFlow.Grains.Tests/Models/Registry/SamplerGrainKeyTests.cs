using OrleansFlow.Cluster;

namespace OrleansFlow.Grains.Tests.Models.Registry;

/// <summary>Registry names carry <c>@version</c> and silo addresses carry <c>@generation</c>: the grain key must keep both whole.</summary>
public class SamplerGrainKeyTests
{
    [Theory]
    [InlineData("S127.0.0.1:11111:123456789", "digits-rf@2")]
    [InlineData("127.0.0.1:11111@123456789", "digits-rf@2")]
    [InlineData("127.0.0.1:11111@123456789", "gmm-demo")]
    public void Parse_KeyOfVersionedName_GivesBackSiloAndModel(string silo, string model)
    {
        var key = new SamplerGrainKey(silo, model);

        Assert.Equal(key, SamplerGrainKey.Parse(key.ToGrainKey()));
    }

    [Fact]
    public void Parse_KeyWithoutModel_RefusedNamingTheField()
    {
        var error = Assert.Throws<SpecException>(() => SamplerGrainKey.Parse("127.0.0.1:11111@1|"));

        Assert.Equal("samplerKey", error.Field);
    }
}

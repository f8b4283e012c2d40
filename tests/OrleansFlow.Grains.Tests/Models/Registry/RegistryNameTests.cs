using OrleansFlow.Models.Registry;

namespace OrleansFlow.Grains.Tests.Models.Registry;

public class RegistryNameTests
{
    [Theory]
    [InlineData("digits-rf")]
    [InlineData("digits-rf@2")]
    [InlineData("gmm_demo.v1@2024-01")]
    [InlineData("Inception3")]
    public void Parse_Name_Accepted(string text) => Assert.Equal(text, RegistryName.Parse(text, "model").Value);

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("models/digits-rf")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a..b")]
    [InlineData("..\\x")]
    [InlineData("C:x")]
    [InlineData("c:\\models")]
    [InlineData("gmm:/tmp/m.json")]
    [InlineData("~/model")]
    [InlineData(".hidden")]
    [InlineData("ends.")]
    [InlineData("a@b@c")]
    [InlineData("a@")]
    [InlineData("")]
    [InlineData("with space")]
    public void Parse_PathOrJunk_SpecExceptionNamingTheField(string text)
    {
        var error = Assert.Throws<SpecException>(() => RegistryName.Parse(text, "features"));

        Assert.Equal("features", error.Field);
        // The same words whatever was sent: a refusal never echoes or judges what the value points at.
        Assert.Equal($"features: must be {RegistryName.Allowed}", error.Message);
    }

    [Fact]
    public void Parse_TooLong_Refused() =>
        Assert.False(RegistryName.TryParse(new string('a', RegistryName.MaxLength + 1), out _));
}

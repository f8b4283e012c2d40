using OrleansFlow.Cluster;

namespace OrleansFlow.Grains.Tests.Cluster;

public class SpecErrorTests
{
    [Theory]
    [InlineData("samples", "must be between 1 and 10000000, got 0")]
    // A detail that itself opens with the field and a colon is kept whole: the field is prefixed once, never stripped.
    [InlineData("model", "model: 'digits' is not in the registry")]
    public void OfThenToException_GivesBackTheSameFieldDetailAndMessage(string field, string detail)
    {
        var original = new SpecException(field, detail);

        var error = SpecError.Of(original);
        var back = error.ToException();

        Assert.Equal(field, back.Field);
        Assert.Equal(detail, back.Detail);
        Assert.Equal(original.Message, back.Message);
        Assert.Equal(original.Message, error.Message);
    }

    [Fact]
    public void Made_WithoutAnException_ReadsAsTheExceptionWould()
    {
        var error = new SpecError("Idempotency-Key", "'k' was used before with a different job spec");

        Assert.Equal("Idempotency-Key: 'k' was used before with a different job spec", error.ToException().Message);
        Assert.Equal(error.ToException().Message, error.Message);
    }
}

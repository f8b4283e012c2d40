using Azure.Core;
using Azure.Core.Pipeline;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// How many times the SDK's retry policy sent one operation. A create-only commit that gets 409 after
/// an earlier, unanswered attempt may be looking at its own write (azure-sdk-for-net #16625): the SDK
/// cannot tell, so the store counts attempts and compares the blob's MD5 itself.
/// </summary>
internal sealed class AttemptCounter
{
    private const string PropertyName = "OrleansFlow.AttemptCounter";

    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Counts the attempts of every request the SDK sends until the returned scope is disposed.</summary>
    public IDisposable Track() =>
        HttpPipeline.CreateHttpMessagePropertiesScope(new Dictionary<string, object?> { [PropertyName] = this });

    /// <summary>Per-retry policy that increments the counter of the operation's scope, if any.</summary>
    internal sealed class Policy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.TryGetProperty(PropertyName, out var value) && value is AttemptCounter counter)
            {
                Interlocked.Increment(ref counter._attempts);
            }
        }
    }
}

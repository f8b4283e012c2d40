using System.Collections.Concurrent;
using System.Web;

namespace OrleansFlow.Storage.Tests.Azure;

/// <summary>The Blob REST operation of a request, as the fault rules and the request log name it.</summary>
public enum BlobOperation
{
    PutBlob,
    PutBlock,
    PutBlockList,
    GetProperties,
    GetBlob,
    ListBlobs,
    CreateContainer,
    Other,
}

/// <summary>What the handler does to one request.</summary>
public enum Fault
{
    None,

    /// <summary>Forward the request, let the service act on it, then throw instead of returning the response (a lost response).</summary>
    LoseResponse,

    /// <summary>Throw without sending (the network is gone).</summary>
    FailBeforeSending,
}

/// <summary>
/// An HTTP handler between the store's pipeline and the socket: logs every request by operation and
/// injects faults chosen by <see cref="Rule"/> (given the operation and how many of that operation
/// came before it).
/// </summary>
public sealed class FaultInjectingHandler : DelegatingHandler
{
    private static readonly string[] ChecksumHeaderNames = ["Content-MD5", "x-ms-content-crc64", "x-ms-structured-body"];

    private readonly ConcurrentDictionary<BlobOperation, int> _counts = new();

    public FaultInjectingHandler()
        : base(new SocketsHttpHandler())
    {
    }

    public Func<BlobOperation, int, Fault> Rule { get; set; } = (_, _) => Fault.None;

    public ConcurrentQueue<(BlobOperation Operation, string Path)> Requests { get; } = new();

    /// <summary>Which transactional checksum headers each request carried (MD5 expected; CRC64 corrupts blobs on Azurite).</summary>
    public ConcurrentQueue<(BlobOperation Operation, string[] Headers)> Checksums { get; } = new();

    /// <summary>Awaited before a request is forwarded: lets a test make something happen at an exact point.</summary>
    public Func<BlobOperation, Task>? BeforeForward { get; set; }

    public int Count(BlobOperation operation) => _counts.GetValueOrDefault(operation);

    public static BlobOperation OperationOf(HttpRequestMessage request)
    {
        var query = HttpUtility.ParseQueryString(request.RequestUri!.Query);
        return (request.Method.Method, query["restype"], query["comp"]) switch
        {
            ("PUT", null, null) => BlobOperation.PutBlob,
            ("PUT", null, "block") => BlobOperation.PutBlock,
            ("PUT", null, "blocklist") => BlobOperation.PutBlockList,
            ("HEAD", null, null) => BlobOperation.GetProperties,
            ("GET", null, null) => BlobOperation.GetBlob,
            ("GET", "container", "list") => BlobOperation.ListBlobs,
            ("PUT", "container", null) => BlobOperation.CreateContainer,
            _ => BlobOperation.Other,
        };
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (operation, fault) = Decide(request);
        if (BeforeForward is { } hook)
        {
            await hook(operation);
        }

        switch (fault)
        {
            case Fault.LoseResponse:
                using (await base.SendAsync(request, cancellationToken))
                {
                    throw Lost(operation);
                }

            case Fault.FailBeforeSending:
                throw NotSent(operation);

            default:
                return await base.SendAsync(request, cancellationToken);
        }
    }

    // The pipeline's synchronous path (a writer calling Stream.Write) comes through here.
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (operation, fault) = Decide(request);
        BeforeForward?.Invoke(operation).GetAwaiter().GetResult();
        switch (fault)
        {
            case Fault.LoseResponse:
                using (base.Send(request, cancellationToken))
                {
                    throw Lost(operation);
                }

            case Fault.FailBeforeSending:
                throw NotSent(operation);

            default:
                return base.Send(request, cancellationToken);
        }
    }

    private static HttpRequestException Lost(BlobOperation operation) => new($"injected: response to {operation} lost");

    private static HttpRequestException NotSent(BlobOperation operation) => new($"injected: {operation} failed before sending");

    private (BlobOperation Operation, Fault Fault) Decide(HttpRequestMessage request)
    {
        var operation = OperationOf(request);
        var before = _counts.AddOrUpdate(operation, 1, (_, n) => n + 1) - 1;
        Requests.Enqueue((operation, request.RequestUri!.AbsolutePath));
        var checksums = ChecksumHeaderNames.Where(name => request.Headers.NonValidated.Contains(name) || request.Content?.Headers.NonValidated.Contains(name) == true);
        Checksums.Enqueue((operation, [.. checksums]));
        return (operation, Rule(operation, before));
    }
}

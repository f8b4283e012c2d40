namespace OrleansFlow.Cluster;

/// <summary>
/// The store could not complete a call for a transient reason: the connection was lost, the database
/// is restarting or recovering, or the call lost a deadlock or serialization conflict. Retry it later;
/// the store reconnects on its own. The call may or may not have taken effect. Either way the store
/// stays consistent: a claim whose reply was lost is a lease nobody holds, which expires and is
/// reclaimed (with its attempt counted); a lost completion leaves a lease that expires the same way.
/// </summary>
public sealed class ClusterStoreUnavailableException : Exception
{
    public ClusterStoreUnavailableException()
    {
    }

    public ClusterStoreUnavailableException(string message)
        : base(message)
    {
    }

    public ClusterStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

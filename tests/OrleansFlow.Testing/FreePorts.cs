using System.Net;
using System.Net.Sockets;

namespace OrleansFlow.Testing;

/// <summary>
/// Loopback ports for the servers a test starts (silos, PostgreSQL). Each comes from the OS (a listener on port 0,
/// closed at once), and none is handed out twice in one test process: the OS may give a port it just released
/// again, and once a silo's HTTP port came back equal to its gateway port, so that silo failed to start ("address
/// already in use") and its test with it. Another process can still take a port between this call and the
/// server's bind; within the suite's processes that needs two to draw the same port at once.
/// </summary>
public static class FreePorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];

    public static int Next()
    {
        lock (Gate)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}

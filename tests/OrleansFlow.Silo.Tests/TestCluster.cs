using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OrleansFlow.Client.Cluster;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;
using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// A cluster of real Orleans silo processes sharing one PostgreSQL schema (Orleans' membership, grain
/// storage, reminders and the job catalog) and one local blob store, as Orleans' TestingHost does with
/// StandaloneSiloHandle: start, kill (SIGKILL), stop (SIGTERM), pause/resume (SIGSTOP/SIGCONT), add silos.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Token = "test-token";

    private readonly PostgresServer _postgres;
    private readonly Dictionary<string, string> _settings;
    private readonly List<SiloProcess> _silos = [];
    private int _next;

    private TestCluster(PostgresServer postgres, string root, Dictionary<string, string> settings)
    {
        _postgres = postgres;
        Root = root;
        _settings = settings;
    }

    /// <summary>The PostgreSQL schema of this cluster's tables.</summary>
    public string Schema { get; private init; } = string.Empty;

    /// <summary>Blob store, silo logs and scratch files of this cluster.</summary>
    public string Root { get; }

    public string StorePath => Path.Combine(Root, "store");

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public static async Task<TestCluster> StartAsync(PostgresServer postgres, int silos, ClusterSettings? settings = null)
    {
        settings ??= new ClusterSettings();
        var root = Path.Combine(Path.GetTempPath(), "orleansflow-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var schema = postgres.NewSchemaName("cluster");
        var values = new Dictionary<string, string>
        {
            ["OrleansFlow__Postgres"] = OrleansPostgres.ConnectionString(postgres.ConnectionString, schema),
            ["OrleansFlow__ClusterId"] = schema,
            ["OrleansFlow__AdvertisedAddress"] = "127.0.0.1",
            ["OrleansFlow__Token"] = Token,
            ["OrleansFlow__Store"] = Path.Combine(root, "store"),
            ["OrleansFlow__ModelCache"] = Path.Combine(root, "model-cache"),
            ["OrleansFlow__Workers"] = settings.WorkersPerSilo.ToString(CultureInfo.InvariantCulture),
            ["OrleansFlow__MaxAttempts"] = settings.MaxAttempts.ToString(CultureInfo.InvariantCulture),
            ["OrleansFlow__MaxRequestBodyBytes"] = settings.MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["OrleansFlow__ShardDelayMilliseconds"] = settings.ShardDelay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
            ["OrleansFlow__MaxQueueWaitSeconds"] = settings.MaxQueueWait.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        };
        if (settings.DrainDelay is { } drain)
        {
            values["OrleansFlow__DrainDelaySeconds"] = drain.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        }

        if (settings.PoisonShard is { } poison)
        {
            values["OrleansFlow__PoisonShard"] = poison;
        }

        foreach (var (key, value) in settings.Environment)
        {
            values[key] = value;
        }

        var cluster = new TestCluster(postgres, root, values) { Schema = schema };
        try
        {
            for (var i = 0; i < silos; i++)
            {
                await cluster.StartAdditionalSiloAsync();
            }
        }
        catch
        {
            // A silo that never became ready must not outlive the test (it would load the machine for the next ones).
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public async Task<SiloProcess> StartAdditionalSiloAsync()
    {
        var siloPort = FreePorts.Next();
        var settings = new Dictionary<string, string>(_settings)
        {
            ["OrleansFlow__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["OrleansFlow__GatewayPort"] = FreePorts.Next().ToString(CultureInfo.InvariantCulture),
        };
        var silo = SiloProcess.Start($"silo-{_next++}", FreePorts.Next(), siloPort, settings, Root);
        _silos.Add(silo);
        await WaitReadyAsync(silo);
        return silo;
    }

    public Task KillSiloAsync(SiloProcess silo) => silo.KillAsync();

    public Task StopSiloAsync(SiloProcess silo) => silo.StopAsync(TimeSpan.FromSeconds(30));

    /// <summary>An API client on a silo that is running.</summary>
    public ClusterClient Client(SiloProcess? silo = null) => new((silo ?? _silos.First(s => !s.HasExited)).Address, Token);

    public HttpClient Http(SiloProcess? silo = null, string? token = Token)
    {
        var http = new HttpClient { BaseAddress = (silo ?? _silos.First(s => !s.HasExited)).Address };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <summary>Polls the job until it is finished.</summary>
    public async Task<ClusterJob> WaitAsync(string jobId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var errors = 0;
        while (true)
        {
            try
            {
                using var client = Client();
                var job = await client.GetAsync(jobId, deadline.Token);
                if (job.IsFinished)
                {
                    return job;
                }
            }
            catch (HttpRequestException)
            {
                // The silo asked may be the one being killed; the next poll picks another.
            }
            catch (ClusterRequestException e) when (e.Status == HttpStatusCode.InternalServerError)
            {
                // The scheduler's silo just died and Orleans has not declared it dead yet; one that stays
                // unreadable fails the wait with the silos' logs.
                if (++errors >= 50)
                {
                    throw new InvalidOperationException($"job {jobId} unreadable 50 times in a row\n{Logs()}", e);
                }

                await Task.Delay(200, deadline.Token);
                continue;
            }

            errors = 0;
            await Task.Delay(200, deadline.Token);
        }
    }

    /// <summary>Waits until the job has at least <paramref name="shards"/> shards done.</summary>
    public async Task<ClusterJob> WaitForShardsAsync(string jobId, int shards, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            using var client = Client();
            var job = await client.GetAsync(jobId, deadline.Token);
            if (job.ShardsDone >= shards || job.IsFinished)
            {
                return job;
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>The silo process hosting a scheduler, from the silo address the job reports.</summary>
    public SiloProcess? SiloOf(string? siloAddress) =>
        siloAddress is null ? null : _silos.FirstOrDefault(s => siloAddress.Contains($":{s.SiloPort}@", StringComparison.Ordinal));

    /// <summary>Shards the job's scheduler has dispatched to <paramref name="silo"/> and not yet seen come back.</summary>
    public async Task<int> InFlightAsync(string jobId, SiloProcess silo)
    {
        using var client = Client(_silos.First(s => s != silo && !s.HasExited));
        var job = await client.GetAsync(jobId, default);
        return job.InFlight?.Where(p => p.Key.Contains($":{silo.SiloPort}@", StringComparison.Ordinal)).Sum(p => p.Value) ?? 0;
    }

    /// <summary>The Active silos' gateway endpoints, read from Orleans' membership table as the ADO.NET gateway provider does.</summary>
    public async Task<List<string>> ActiveGatewaysAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT address, proxyport FROM \"{Schema}\".orleansmembershiptable WHERE status = 3 ORDER BY proxyport", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var gateways = new List<string>();
        while (await reader.ReadAsync())
        {
            gateways.Add($"{reader.GetString(0)}:{reader.GetInt32(1)}");
        }

        return gateways;
    }

    /// <summary>Runs <paramref name="sql"/> on the cluster's database (unqualified names resolve to its schema); the first column of the first row.</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(OrleansPostgres.ConnectionString(_postgres.ConnectionString, Schema));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>The silo's latest status in Orleans' membership table (3 Active, 5 ShuttingDown, 6 Dead), null when absent.</summary>
    public async Task<int?> MembershipStatusAsync(SiloProcess silo)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT status FROM \"{Schema}\".orleansmembershiptable WHERE port = @port ORDER BY generation DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("port", silo.SiloPort);
        return await command.ExecuteScalarAsync() is int status ? status : null;
    }

    /// <summary>Every row of this cluster's membership table: the silo port, its status and its suspicion votes ('' when none).</summary>
    public async Task<IReadOnlyList<(int Port, int Status, string SuspectTimes)>> MembershipRowsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT port, status, coalesce(suspecttimes, '') FROM \"{Schema}\".orleansmembershiptable", connection);
        var rows = new List<(int, int, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>Waits until Orleans' membership declares the silo dead; how long that took.</summary>
    public async Task<TimeSpan> WaitDeclaredDeadAsync(SiloProcess silo, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await MembershipStatusAsync(silo) != 6)
        {
            Assert.True(clock.Elapsed < timeout, $"{silo.NodeId} not declared dead within {timeout.TotalSeconds} s");
            await Task.Delay(50);
        }

        return clock.Elapsed;
    }

    /// <summary>The silo's <c>/metrics</c> text, fetched without a token as a scraper would.</summary>
    public async Task<string> ScrapeAsync(SiloProcess silo)
    {
        using var http = Http(silo, token: null);
        using var response = await http.GetAsync("metrics");
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    public string Logs() => string.Join("\n", _silos.Select(s => $"--- {s.NodeId}\n{s.ReadLog()}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task WaitReadyAsync(SiloProcess silo)
    {
        using var http = new HttpClient { BaseAddress = silo.Address, Timeout = TimeSpan.FromSeconds(2) };
        // A silo starts in ~5 s idle but took 76 s at load average 190 (2 cores, issue 16): start-up is not what these tests measure.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        while (true)
        {
            if (silo.HasExited)
            {
                throw new InvalidOperationException($"silo {silo.NodeId} exited during start:\n{silo.ReadLog()}");
            }

            try
            {
                using var response = await http.GetAsync("readyz", deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
            {
                // One slow probe.
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}

/// <summary>Settings every silo of a <see cref="TestCluster"/> gets.</summary>
public sealed record ClusterSettings
{
    public int WorkersPerSilo { get; init; } = 1;

    /// <summary>A pause before each shard (test device), so that faults land mid-job on small jobs.</summary>
    public TimeSpan ShardDelay { get; init; }

    public int MaxAttempts { get; init; } = 3;

    /// <summary>The longest a shard waits for a silo slot before it is handed back unstarted (OrleansFlow:MaxQueueWaitSeconds).</summary>
    public TimeSpan MaxQueueWait { get; init; } = TimeSpan.FromSeconds(60);

    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>After SIGTERM handed back the shards: serve this long with /readyz 503 (OrleansFlow:DrainDelaySeconds).</summary>
    public TimeSpan? DrainDelay { get; init; }

    /// <summary>"SEED/INDEX": that shard of every job with that seed always throws.</summary>
    public string? PoisonShard { get; init; }

    /// <summary>More environment variables for every silo (settings such as <c>OrleansFlow__Limits__MaxSamples</c>, LD_PRELOAD).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

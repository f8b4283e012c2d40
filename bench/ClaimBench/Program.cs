// Shard claim latency of the PostgreSQL cluster store: N concurrent claimers (each as a silo's worker
// would: claim, then complete) drain M shards. Reports p50/p99 claim latency, shards/s and duplicate
// live claims (must be 0), checked twice: in memory, and from the shards table (every token = 1).
//
//   dotnet run -c Release --project bench/ClaimBench [-- --shards 10000 --claimers 16 --jobs 4 --connection "Host=..."]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using OrleansFlow.Cluster;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

var shards = Option("--shards", 10_000);
var claimers = Option("--claimers", 16);
var jobs = Option("--jobs", 4);
var connection = OptionText("--connection");

await using var server = connection is null ? await PostgresServer.StartAsync() : null;
connection ??= server!.ConnectionString;
Console.WriteLine($"PostgreSQL {(server is null ? "at the given connection" : $"15, throw-away server on port {server.Port} (fsync=off)")}; " +
    $"{claimers} claimers, {shards:N0} shards in {jobs} jobs, claim then complete, TTL 5 min");
Console.WriteLine();
Console.WriteLine("| warm keys | p50 claim | p90 claim | p99 claim | max claim | complete p50 / p99 | shards/s | duplicate live claims | tokens ≠ 1 |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (var warm in (bool[])[false, true])
{
    await RunAsync(warm);
}

async Task RunAsync(bool warm)
{
    var schema = $"claimbench_{(warm ? "warm" : "cold")}_{Environment.ProcessId}";
    await using var store = new PostgresClusterStore(new PostgresClusterStoreOptions { ConnectionString = connection, Schema = schema });
    await store.MigrateAsync(default);
    SamplerKey[] keys = [new("gmm-demo", new Resolution(3, 32, 32)), new("gmm:other.json", new Resolution(3, 64, 64))];
    for (var j = 0; j < jobs; j++)
    {
        var spec = new JobSpec { Kind = JobKind.Fid, Model = "gmm-demo", Sampler = SamplerSpec.Euler(8), Samples = shards / jobs, ShardSize = 1 };
        await store.SubmitAsync(new JobSubmission(JobId.Parse($"bench-{j}"), spec, keys[j % keys.Length], null), default);
    }

    // Warm the connection pool and the prepared statements outside the measurement.
    await Task.WhenAll(Enumerable.Range(0, claimers).Select(_ => store.ListNodesAsync(TimeSpan.FromSeconds(1), default)));

    var latencies = new ConcurrentBag<double>();
    var completions = new ConcurrentBag<double>();
    var live = new ConcurrentDictionary<ShardId, long>();
    var duplicates = 0;
    var lostCompletions = 0;
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, claimers).Select(worker => Task.Run(async () =>
    {
        SamplerKey[] warmKeys = warm ? [keys[worker % keys.Length]] : [];
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var lease = await store.ClaimShardAsync($"node-{worker}", warmKeys, TimeSpan.FromMinutes(5), default);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (lease is null)
            {
                return;
            }

            // Shards are never released here, so any second claim of one is a duplicate live claim.
            if (!live.TryAdd(lease.Shard, lease.Token))
            {
                Interlocked.Increment(ref duplicates);
            }

            started = Stopwatch.GetTimestamp();
            if (!await store.CompleteShardAsync(lease, default))
            {
                Interlocked.Increment(ref lostCompletions);
            }

            completions.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    })));
    wall.Stop();

    await using var check = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connection) { SearchPath = schema }.ConnectionString);
    await check.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT count(*) FILTER (WHERE lease_token <> 1), count(*) FILTER (WHERE state <> 'done') FROM shards", check);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    var reclaimed = reader.GetInt64(0);
    var notDone = reader.GetInt64(1);
    if (notDone != 0 || lostCompletions != 0 || live.Count != shards / jobs * jobs)
    {
        throw new InvalidOperationException($"{notDone} shards not done, {lostCompletions} completions rejected, {live.Count} claimed");
    }

    var sorted = latencies.Order().ToArray();
    var completeSorted = completions.Order().ToArray();
    double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    double CompletePercentile(double p) => completeSorted[Math.Min(completeSorted.Length - 1, (int)Math.Ceiling(p * completeSorted.Length) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {(warm ? "yes" : "no")} | {Percentile(0.50):F2} ms | {Percentile(0.90):F2} ms | {Percentile(0.99):F2} ms | {sorted[^1]:F1} ms | {CompletePercentile(0.50):F2} / {CompletePercentile(0.99):F2} ms | {live.Count / wall.Elapsed.TotalSeconds:F0} | {duplicates} | {reclaimed} |"));
}

int Option(string name, int fallback) => OptionText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? OptionText(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

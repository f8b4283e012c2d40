using System.Collections.Frozen;
using System.Globalization;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>The store's SQL, embedded from <c>Sql/*.sql</c>, and its migrations <c>Sql/Migrations/NNN_name.sql</c>.</summary>
internal static class PostgresSql
{
    private const string Prefix = "sql/";
    private const string MigrationPrefix = Prefix + "Migrations/";

    private static readonly FrozenDictionary<string, string> Statements = Load();

    public static IReadOnlyList<Migration> Migrations { get; } = [.. Statements
        .Where(s => s.Key.StartsWith(MigrationPrefix, StringComparison.Ordinal))
        .Select(s => Migration.Parse(s.Key[MigrationPrefix.Length..], s.Value))
        .OrderBy(m => m.Version)];

    public static int LatestVersion => Migrations[^1].Version;

    public static string Get(string name) =>
        Statements.TryGetValue(Prefix + name + ".sql", out var sql) ? sql : throw new InvalidOperationException($"no embedded SQL '{name}'");

    private static FrozenDictionary<string, string> Load()
    {
        var assembly = typeof(PostgresSql).Assembly;
        var statements = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            statements[name] = reader.ReadToEnd();
        }

        return statements.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public sealed record Migration(int Version, string Name, string Sql)
    {
        public static Migration Parse(string fileName, string sql)
        {
            var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(fileName.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"migration '{fileName}' is not named NNN_name.sql");
            }

            return new Migration(version, Path.GetFileNameWithoutExtension(fileName)[(underscore + 1)..], sql);
        }
    }
}

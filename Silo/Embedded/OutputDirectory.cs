using System.Text.Json;

using OrleansFlow.Jobs;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Embedded;

/// <summary>
/// Guards an embedded run's output directory: a new run needs an empty or missing directory,
/// <c>--resume</c> needs the same spec, <c>--force</c> starts over. Errors name <c>out</c>.
/// </summary>
public static class OutputDirectory
{
    public const string JobFile = "job.json";

    /// <summary>Checks and creates the directory and its <c>job.json</c>; throws <see cref="SpecException"/>.</summary>
    public static void Prepare(string path, JobSpec spec, RunOptions options)
    {
        if (options.Resume && options.Force)
        {
            throw new SpecException("resume", "cannot be combined with --force");
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw new SpecException("out", "must not be empty");
        }

        if (File.Exists(path))
        {
            throw new SpecException("out", $"'{path}' is a file, not a directory");
        }

        var exists = Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any();
        if (exists && options.Resume)
        {
            RequireSameSpec(path, spec);
            RemoveStaleTemporaries(path);
            return;
        }

        if (exists && !options.Force)
        {
            throw new SpecException("out", $"'{path}' already exists: pass --resume to continue it or --force to replace it");
        }

        try
        {
            if (exists)
            {
                Directory.Delete(path, recursive: true);
            }

            Directory.CreateDirectory(path);
            File.WriteAllBytes(Path.Combine(path, JobFile), JobJson.Serialize(spec));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SpecException("out", $"'{path}' is not writable: {e.Message}");
        }
    }

    /// <summary>Removes the (empty) temporary folder of a finished run, so the directory holds only outputs.</summary>
    public static void Tidy(string path)
    {
        var temporary = Path.Combine(path, LocalDirectoryBlobStore.TemporaryFolder);
        if (Directory.Exists(temporary) && !Directory.EnumerateFileSystemEntries(temporary).Any())
        {
            Directory.Delete(temporary);
        }
    }

    /// <summary>
    /// A killed run can leave half-written blobs in the temporary folder; they were never moved into place,
    /// so nothing refers to them. One embedded run owns the directory, so they can go.
    /// </summary>
    private static void RemoveStaleTemporaries(string path)
    {
        var temporary = Path.Combine(path, LocalDirectoryBlobStore.TemporaryFolder);
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }
    }

    private static void RequireSameSpec(string path, JobSpec spec)
    {
        var file = Path.Combine(path, JobFile);
        JobSpec existing;
        try
        {
            existing = JobJson.Deserialize<JobSpec>(File.ReadAllBytes(file));
        }
        catch (Exception e) when (e is IOException or JsonException or SpecException)
        {
            throw new SpecException("resume", $"'{file}' does not hold a readable job spec ({e.Message.Split('\n')[0]})");
        }

        if (!JobJson.Serialize(existing).AsSpan().SequenceEqual(JobJson.Serialize(spec)))
        {
            throw new SpecException("resume", $"'{path}' holds a different job ({existing.Kind} {existing.Model} {existing.Sampler}, {existing.Samples} samples): resume with the same options or use --force");
        }
    }
}

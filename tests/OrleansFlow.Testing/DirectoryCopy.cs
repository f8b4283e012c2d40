namespace OrleansFlow.Testing;

/// <summary>Copies a directory tree, for tests that change a copy of shipped files (manifests, model packages).</summary>
public static class DirectoryCopy
{
    public static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

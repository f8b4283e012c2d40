namespace OrleansFlow.Client.Benchmarks;

/// <summary>What the bench is measuring now, on stderr: one line redrawn on a terminal, a line each otherwise.</summary>
internal sealed class StatusLine(TextWriter writer) : IProgress<string>
{
    private readonly bool _interactive = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    private int _width;

    public void Report(string value)
    {
        var line = $"bench: {value}";
        if (_interactive)
        {
            // Pad over the end of a longer previous line.
            writer.Write($"\r{line.PadRight(_width)}");
            _width = line.Length;
        }
        else
        {
            writer.WriteLine(line);
        }

        writer.Flush();
    }

    /// <summary>Clears the redrawn line so that the tables start on a clean one.</summary>
    public void Clear()
    {
        if (_interactive && _width > 0)
        {
            writer.Write($"\r{new string(' ', _width)}\r");
            writer.Flush();
            _width = 0;
        }
    }
}

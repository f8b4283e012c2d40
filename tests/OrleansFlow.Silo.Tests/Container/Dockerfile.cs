using System.Text.Json;

namespace OrleansFlow.Silo.Tests.Container;

/// <summary>One Dockerfile instruction: its keyword (upper-case) and arguments, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments)
{
    /// <summary>The arguments as words: a JSON array (exec form) or split on white space (shell form).</summary>
    public IReadOnlyList<string> Words =>
        Arguments.StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(Arguments) ?? []
            : Arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A <c>FROM</c> and the instructions up to the next one.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
}

/// <summary>
/// The repository's Dockerfile read the way the Dockerfile reference defines it: comments and blank
/// lines dropped, a trailing backslash continues the instruction, <c>FROM image [AS name]</c> starts a stage;
/// <c>${ARG}</c> in a <c>FROM</c> is replaced by the default of an <c>ARG</c> declared before the first stage.
/// </summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public static Dockerfile Load(string path)
    {
        var instructions = new List<DockerInstruction>();
        var pending = string.Empty;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1].TrimEnd() + " ";
                continue;
            }

            var text = pending + line;
            pending = string.Empty;
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(space < 0
                ? new DockerInstruction(text.ToUpperInvariant(), string.Empty)
                : new DockerInstruction(text[..space].ToUpperInvariant(), text[(space + 1)..].Trim()));
        }

        var stages = new List<DockerStage>();
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "ARG" && stages.Count == 0 && instruction.Arguments.Split('=', 2) is [var key, var value])
            {
                arguments[key] = Substitute(value, arguments);
            }
            else if (instruction.Keyword == "FROM")
            {
                var words = instruction.Words;
                var name = words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new DockerStage(Substitute(words[0], arguments), name, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1] = stages[^1] with { Instructions = [.. stages[^1].Instructions, instruction] };
            }
        }

        return new Dockerfile(stages);
    }

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    private static string Substitute(string text, Dictionary<string, string> arguments)
    {
        foreach (var (key, value) in arguments)
        {
            text = text.Replace("${" + key + "}", value, StringComparison.Ordinal);
        }

        return text;
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansFlow.Ids;

/// <summary>Writes a job id as its string.</summary>
public sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JobId.Parse(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

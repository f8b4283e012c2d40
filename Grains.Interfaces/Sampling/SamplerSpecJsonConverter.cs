using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansFlow.Sampling;

/// <summary>Stores a sampler as its canonical string, e.g. <c>"flowturbo:h=1,p=2,r=3"</c>.</summary>
public sealed class SamplerSpecJsonConverter : JsonConverter<SamplerSpec>
{
    public override SamplerSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SamplerSpec.Parse(reader.GetString() ?? throw new SpecException(SamplerSpec.Field, "must be a string"));

    public override void Write(Utf8JsonWriter writer, SamplerSpec value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// Reads a request body strictly, so that a mistyped or missing field is a 400 naming it instead of a
/// silently applied default: the body must be one JSON object whose every member is a settable field of
/// the request type, given once, of the right JSON kind (enums as their names, never integers), null
/// only where the field is nullable, and every required field present. The messages name the field and
/// what it takes — never a .NET type or a server detail.
/// </summary>
public static class RequestJson
{
    /// <summary><see cref="JobJson.Options"/> with the same checks made by the serializer too, behind the walk below.</summary>
    private static readonly JsonSerializerOptions Strict = StrictOptions();

    /// <summary>The body as <typeparamref name="T"/>; throws <see cref="SpecException"/> naming the field at fault.</summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new SpecException("body", $"is not JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
        }

        using (document)
        {
            return Read<T>(document.RootElement);
        }
    }

    /// <summary>The same on an element already parsed.</summary>
    public static T Read<T>(JsonElement body)
    {
        var type = Strict.GetTypeInfo(typeof(T));
        Check(body, type);
        try
        {
            return body.Deserialize<T>(Strict) ?? throw new SpecException("body", "must be a JSON object");
        }
        catch (JsonException e)
        {
            // The walk above should have named it; keep the serializer's own message (type names) out of the answer.
            throw new SpecException(FieldOf(e.Path), "has a value this field does not take");
        }
    }

    private static void Check(JsonElement body, JsonTypeInfo type)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new SpecException("body", "must be a JSON object");
        }

        var fields = type.Properties.Where(p => p.Set is not null).ToList();
        var seen = new HashSet<JsonPropertyInfo>();
        foreach (var member in body.EnumerateObject())
        {
            var field = fields.Find(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase))
                ?? throw new SpecException(member.Name, $"is not a field of this request: allowed {string.Join(", ", fields.Select(f => f.Name))}");
            if (!seen.Add(field))
            {
                throw new SpecException(field.Name, "is given twice");
            }

            CheckValue(field, member.Value);
        }

        if (fields.Find(f => f.IsRequired && !seen.Contains(f)) is { } missing)
        {
            throw new SpecException(missing.Name, "is required");
        }
    }

    private static void CheckValue(JsonPropertyInfo field, JsonElement value)
    {
        var nullable = Nullable.GetUnderlyingType(field.PropertyType);
        var type = nullable ?? field.PropertyType;
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (nullable is null && (type.IsValueType || !field.IsSetNullable))
            {
                throw new SpecException(field.Name, field.IsRequired ? "is required and must not be null" : "must not be null (leave it out for the default)");
            }

            return;
        }

        if (type.IsEnum)
        {
            var names = string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName));
            if (value.ValueKind != JsonValueKind.String)
            {
                throw new SpecException(field.Name, $"must be a string: one of {names}");
            }

            if (!Enum.GetNames(type).Any(n => string.Equals(n, value.GetString(), StringComparison.OrdinalIgnoreCase)))
            {
                throw new SpecException(field.Name, $"'{value.GetString()}' is not allowed: use one of {names}");
            }

            return;
        }

        var (kind, what) = Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => (value.ValueKind is JsonValueKind.True or JsonValueKind.False, "true or false"),
            TypeCode.Int32 => (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _), $"an integer in {int.MinValue}..{int.MaxValue}"),
            TypeCode.Int64 => (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _), $"an integer in {long.MinValue}..{long.MaxValue}"),
            TypeCode.Double => (value.ValueKind == JsonValueKind.Number, "a number"),
            TypeCode.String => (value.ValueKind == JsonValueKind.String, "a string"),
            _ when type == typeof(SamplerSpec) => (value.ValueKind == JsonValueKind.String, $"a string: {SamplerSpec.Allowed}"),
            _ => (true, string.Empty),
        };
        if (!kind)
        {
            throw new SpecException(field.Name, $"must be {what}");
        }
    }

    private static string FieldOf(string? path) => path is { Length: > 2 } ? path.TrimStart('$', '.') : "body";

    private static JsonSerializerOptions StrictOptions()
    {
        var options = new JsonSerializerOptions(JobJson.Options)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            AllowDuplicateProperties = false,
        };
        options.Converters.Clear();
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

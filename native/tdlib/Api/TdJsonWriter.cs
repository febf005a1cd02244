using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TgFleet.Tdlib.Api;

/// <summary>The hand-written half of the generated writers: TDLib's JSON rules for int64, objects and vectors.</summary>
public static class TdJsonWriter
{
    /// <summary>Writer options for TDLib requests: compact, minimal escaping (TDLib reads any valid JSON), no validation.</summary>
    public static JsonWriterOptions Options { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
        Indented = false,
    };

    /// <summary>Writes an int64 as TDLib wants it: a JSON string.</summary>
    public static void WriteInt64Value(Utf8JsonWriter writer, long value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> digits = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, digits, out var written);
        writer.WriteStringValue(digits[..written]);
    }

    /// <summary>Writes a nested object, or null.</summary>
    public static void WriteObject(Utf8JsonWriter writer, TdObject? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    /// <summary>Writes a vector.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    public static void WriteArray<T>(Utf8JsonWriter writer, T[]? values, Action<Utf8JsonWriter, T> element)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(element);
        writer.WriteStartArray();
        if (values is not null)
        {
            foreach (var value in values)
            {
                element(writer, value);
            }
        }

        writer.WriteEndArray();
    }
}

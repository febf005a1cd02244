using System.Buffers.Text;
using System.Collections.Frozen;
using System.Text.Json;

namespace TgFleet.Tdlib.Api;

/// <summary>
/// The hand-written half of the generated readers: TDLib's JSON rules for each TL type (int64 as
/// strings, bytes as base64, null for absent objects), <c>@type</c> dispatch, unknown types.
/// Every Read* reads the reader's current token.
/// </summary>
public static class TdJsonReader
{
    private const int MaxTypeLength = 128;

    private static readonly FrozenDictionary<string, ObjectReader> Readers = TdApi.CreateReaders().ToFrozenDictionary(StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, ObjectReader>.AlternateLookup<ReadOnlySpan<char>> ReadersBySpan =
        Readers.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Reads one object's properties, positioned just inside it (after <c>{</c> or after <c>@type</c>'s value).</summary>
    public delegate TdObject ObjectReader(ref Utf8JsonReader reader);

    /// <summary>Reads one array element at the reader's current token.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    public delegate T ElementReader<T>(ref Utf8JsonReader reader);

    /// <summary>
    /// Parses one TDLib object (a received object, a request, anything with <c>@type</c>). Never
    /// throws for an unknown <c>@type</c>: that gives an <see cref="UnknownObject"/> with the raw JSON.
    /// Throws <see cref="JsonException"/> for malformed JSON.
    /// </summary>
    public static TdObject Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("A TDLib object must be a JSON object.");
            }

            return ReadObjectAt(ref reader) ?? Unknown(utf8Json, TypeOf(utf8Json));
        }
        catch (UnknownTypeException unknown)
        {
            return Unknown(utf8Json, unknown.Type);
        }
    }

    /// <summary>Parses a TDLib object of an expected type (tests, tools).</summary>
    /// <typeparam name="T">The expected type.</typeparam>
    public static T Parse<T>(string json)
        where T : TdObject
    {
        ArgumentNullException.ThrowIfNull(json);
        var parsed = Parse(System.Text.Encoding.UTF8.GetBytes(json));
        return parsed as T ?? throw new JsonException($"Expected {typeof(T).Name}, got {parsed.TdType}.");
    }

    /// <summary>Reads an int32 (a JSON number; a numeric string is accepted too).</summary>
    public static int ReadInt32(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.GetInt32(),
        JsonTokenType.String when Utf8Parser.TryParse(reader.ValueSpan, out int value, out var used) && used == reader.ValueSpan.Length => value,
        JsonTokenType.Null => 0,
        _ => throw new JsonException($"Expected an int32, got {reader.TokenType}."),
    };

    /// <summary>Reads an int53 (a JSON number) or an int64 (a JSON string, as TDLib writes it); either form is accepted.</summary>
    public static long ReadInt64(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.GetInt64(),
        JsonTokenType.String when Utf8Parser.TryParse(reader.ValueSpan, out long value, out var used) && used == reader.ValueSpan.Length => value,
        JsonTokenType.Null => 0,
        _ => throw new JsonException($"Expected an int64, got {reader.TokenType}."),
    };

    /// <summary>Reads a double (a JSON number).</summary>
    public static double ReadDouble(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.GetDouble(),
        JsonTokenType.Null => 0,
        _ => throw new JsonException($"Expected a double, got {reader.TokenType}."),
    };

    /// <summary>Reads a string (null reads as empty, as TDLib never sends null strings).</summary>
    public static string ReadString(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? string.Empty : reader.GetString() ?? string.Empty;

    /// <summary>Reads bytes (base64).</summary>
    public static byte[] ReadBytes(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? [] : reader.GetBytesFromBase64();

    /// <summary>Reads a Bool.</summary>
    public static bool ReadBool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        _ => throw new JsonException($"Expected a Bool, got {reader.TokenType}."),
    };

    /// <summary>Reads a nested object (or null). An unknown <c>@type</c> inside makes the whole received object unknown.</summary>
    /// <typeparam name="T">The field's declared type.</typeparam>
    public static T? ReadObject<T>(ref Utf8JsonReader reader)
        where T : TdObject
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"Expected an object, got {reader.TokenType}.");
        }

        var value = ReadObjectAt(ref reader);
        return value as T ?? throw new UnknownTypeException(value?.TdType ?? "?");
    }

    /// <summary>Reads an array (null reads as empty).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    public static T[] ReadArray<T>(ref Utf8JsonReader reader, ElementReader<T> element)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected an array, got {reader.TokenType}.");
        }

        List<T>? items = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            (items ??= new List<T>(4)).Add(element(ref reader));
        }

        return items is null ? [] : [.. items];
    }

    /// <summary>The properties every object may carry besides its fields: <c>@extra</c>, <c>@client_id</c>; others are skipped.</summary>
    public static void ReadCommon(ref Utf8JsonReader reader, TdObject target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (reader.ValueTextEquals("@extra"u8))
        {
            reader.Read();
            target.Extra = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var extra) ? extra : null;
            reader.Skip();
        }
        else if (reader.ValueTextEquals("@client_id"u8))
        {
            reader.Read();
            target.ClientId = ReadInt32(ref reader);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    /// <summary>Reads an object at its StartObject; null when its @type is unknown (the reader is then left inside it).</summary>
    private static TdObject? ReadObjectAt(ref Utf8JsonReader reader)
    {
        var start = reader;
        Span<char> type = stackalloc char[MaxTypeLength];
        if (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("@type"u8))
        {
            // TDLib writes @type first: dispatch at once and go on reading from here.
            reader.Read();
            var length = TypeName(ref reader, type);
            return length >= 0 && ReadersBySpan.TryGetValue(type[..length], out var known) ? known(ref reader) : Fail(type[..Math.Max(length, 0)]);
        }

        // Not first: find @type among the properties, then read the object from its start.
        reader = start;
        var found = -1;
        var scan = start;
        scan.Read();
        while (scan.TokenType == JsonTokenType.PropertyName)
        {
            var isType = scan.ValueTextEquals("@type"u8);
            scan.Read();
            if (isType)
            {
                found = TypeName(ref scan, type);
                break;
            }

            scan.Skip();
            scan.Read();
        }

        if (found >= 0 && ReadersBySpan.TryGetValue(type[..found], out var reader2))
        {
            return reader2(ref reader);
        }

        return Fail(type[..Math.Max(found, 0)]);
    }

    private static TdObject Fail(ReadOnlySpan<char> type) => throw new UnknownTypeException(type.IsEmpty ? "(none)" : type.ToString());

    private static int TypeName(ref Utf8JsonReader reader, scoped Span<char> destination) =>
        reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= MaxTypeLength ? reader.CopyString(destination) : -1;

    private static string TypeOf(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray());
            return document.RootElement.TryGetProperty("@type", out var type) ? type.ToString() : "(none)";
        }
        catch (JsonException)
        {
            return "(malformed)";
        }
    }

    private static UnknownObject Unknown(ReadOnlySpan<byte> utf8Json, string type)
    {
        var raw = System.Text.Encoding.UTF8.GetString(utf8Json);
        var unknown = new UnknownObject(type, raw);
        var reader = new Utf8JsonReader(utf8Json);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                ReadCommon(ref reader, unknown);
            }
        }

        return unknown;
    }

    private sealed class UnknownTypeException(string type) : Exception("Unknown TDLib type " + type)
    {
        public string Type { get; } = type;
    }
}

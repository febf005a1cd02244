using System.Buffers;
using System.Text.Json;

namespace TgFleet.Tdlib.Api;

/// <summary>
/// Every TDLib object and function (generated from td_api.tl). Carries the two fields TDLib adds
/// to its JSON: <c>@extra</c> (a request's correlation value, echoed in its response) and
/// <c>@client_id</c> (set on every received object).
/// </summary>
public abstract class TdObject
{
    private protected TdObject()
    {
    }

    /// <summary>The object's <c>@type</c> in TDLib's JSON (e.g. <c>updateAuthorizationState</c>).</summary>
    public abstract string TdType { get; }

    /// <summary>
    /// <c>@extra</c> when it is a JSON integer (the client manager's correlation ids are); null
    /// otherwise. Written when set.
    /// </summary>
    public long? Extra { get; set; }

    /// <summary><c>@client_id</c>: the client that received this object (0 when absent). Written when not 0.</summary>
    public int ClientId { get; set; }

    internal abstract ReadOnlySpan<byte> TdTypeUtf8 { get; }

    /// <summary>Writes the object as TDLib JSON: <c>@type</c> first, then its fields, then <c>@extra</c>/<c>@client_id</c>.</summary>
    public virtual void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("@type"u8, TdTypeUtf8);
        WriteFields(writer);
        if (Extra is { } extra)
        {
            writer.WriteNumber("@extra"u8, extra);
        }

        if (ClientId != 0)
        {
            writer.WriteNumber("@client_id"u8, ClientId);
        }

        writer.WriteEndObject();
    }

    /// <summary>The object as TDLib JSON text (for logs and tests; the hot path writes UTF-8).</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, TdJsonWriter.Options))
        {
            WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc/>
    public override string ToString() => TdType;

    internal abstract void WriteFields(Utf8JsonWriter w0);
}

/// <summary>A TDLib function (a request) whose answer is a <typeparamref name="TResult"/> (or an error).</summary>
/// <typeparam name="TResult">The function's declared return type in td_api.tl.</typeparam>
public abstract class TdFunction<TResult> : TdObject
    where TResult : TdObject
{
    private protected TdFunction()
    {
    }
}

/// <summary>
/// An object whose <c>@type</c> this binding does not know (a newer TDLib), or which holds such an
/// object somewhere inside: surfaced with its raw JSON instead of failing the receive loop.
/// </summary>
public sealed class UnknownObject : TdObject
{
    internal UnknownObject(string type, string rawJson)
    {
        Type = type;
        RawJson = rawJson;
    }

    /// <summary>The unknown <c>@type</c> (of the object itself or of a nested one).</summary>
    public string Type { get; }

    /// <summary>The object's JSON exactly as received.</summary>
    public string RawJson { get; }

    /// <inheritdoc/>
    public override string TdType => "unknownObject";

    internal override ReadOnlySpan<byte> TdTypeUtf8 => "unknownObject"u8;

    /// <inheritdoc/>
    public override void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue(RawJson, skipInputValidation: true);
    }

    internal override void WriteFields(Utf8JsonWriter w0)
    {
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace TgFleet.Hosting;

/// <summary>
/// Reads an enum given by name (any case, as docs/messaging.md names the values:
/// <c>"kind": "Username"</c>) or by number; writes the number, as the contracts always have.
/// A name that is not a value of the enum is a <see cref="JsonException"/>, so the message is
/// answered <c>MESSAGE_MALFORMED</c>; a number is read as it always was and left to validation.
/// </summary>
public sealed class EnumNameOrNumberConverter : JsonConverterFactory
{
    /// <inheritdoc />
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    /// <inheritdoc />
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<TEnum> : JsonConverter<TEnum>
        where TEnum : struct, Enum
    {
        public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            TEnum value;
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    var name = reader.GetString();
                    if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]) || name[0] == '-' || !Enum.TryParse(name, ignoreCase: true, out value))
                    {
                        throw new JsonException($"'{name}' is not a {typeof(TEnum).Name}: one of {string.Join(", ", Enum.GetNames<TEnum>())} (or its number).");
                    }

                    break;
                case JsonTokenType.Number when reader.TryGetInt64(out var number):
                    value = (TEnum)Enum.ToObject(typeof(TEnum), number);
                    break;
                default:
                    throw new JsonException($"A {typeof(TEnum).Name} is a name or a number, not {reader.TokenType}.");
            }

            // A number that names no value is left to the command's validation, as before (e.g. STATUS_UNKNOWN).
            return value;
        }

        public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

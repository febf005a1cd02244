using System.Text;
using System.Text.Json;
using TgFleet.Contracts.Messaging;
using TgFleet.Tdlib;
using TgFleet.Worker.Commands;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Messaging;

/// <summary>A message's text could not be formatted; the message names the problem.</summary>
public sealed class MessageTextException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MessageTextException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MessageTextException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public MessageTextException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Turns a SendMessage's text into TDLib's <c>formattedText</c>: plain text with explicit entities,
/// or MarkdownV2 / HTML parsed by TDLib's own <c>parseTextEntities</c> (td_execute on the real
/// libtdjson: a pure, offline function, so it is exact whichever backend the clients run on).
/// </summary>
public static class MessageText
{
    /// <summary>The formatted text of <paramref name="command"/>.</summary>
    /// <exception cref="MessageTextException">Markup that does not parse, an unknown entity type, or text too long once parsed.</exception>
    public static Td.FormattedText Format(SendMessage command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var text = command.Format switch
        {
            TextFormat.Plain => new Td.FormattedText { Text = command.Text, Entities = (command.Entities ?? []).Select(Entity).ToArray() },
            TextFormat.Markdown => Parse(command.Text, new Td.TextParseModeMarkdown { Version = 2 }),
            _ => Parse(command.Text, new Td.TextParseModeHTML()),
        };
        if (text.Text.Length > CommandValidator.MaxTextLength)
        {
            throw new MessageTextException($"The text has {text.Text.Length} UTF-16 code units once formatted; Telegram accepts at most {CommandValidator.MaxTextLength}.");
        }

        if (string.IsNullOrWhiteSpace(text.Text))
        {
            throw new MessageTextException("The text is empty once formatted.");
        }

        return text;
    }

    private static Td.TextEntity Entity(TextEntity entity)
    {
        Td.TextEntityType type = entity.Type switch
        {
            "bold" => new Td.TextEntityTypeBold(),
            "italic" => new Td.TextEntityTypeItalic(),
            "underline" => new Td.TextEntityTypeUnderline(),
            "strikethrough" => new Td.TextEntityTypeStrikethrough(),
            "spoiler" => new Td.TextEntityTypeSpoiler(),
            "code" => new Td.TextEntityTypeCode(),
            "pre" => new Td.TextEntityTypePre(),
            "blockQuote" => new Td.TextEntityTypeBlockQuote(),
            "textUrl" when !string.IsNullOrEmpty(entity.Url) => new Td.TextEntityTypeTextUrl { Url = entity.Url },
            "textUrl" => throw new MessageTextException("A textUrl entity needs its Url."),
            _ => throw new MessageTextException($"Entity type '{entity.Type}' is not one of bold, italic, underline, strikethrough, spoiler, code, pre, blockQuote, textUrl."),
        };
        return new Td.TextEntity { Offset = entity.Offset, Length = entity.Length, Type = type };
    }

    private static Td.FormattedText Parse(string text, Td.TextParseMode mode)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Td.TdJsonWriter.Options))
        {
            Td.TdJsonWriter.WriteObject(writer, new Td.ParseTextEntities { Text = text, ParseMode = mode });
        }

        var answer = Td.TdJsonReader.Parse(Encoding.UTF8.GetBytes(TdJsonExecutor.Execute(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length))));
        return answer switch
        {
            Td.FormattedText formatted => formatted,
            Td.Error error => throw new MessageTextException("The markup does not parse: " + error.Message),
            _ => throw new MessageTextException("parseTextEntities gave no formatted text."),
        };
    }
}

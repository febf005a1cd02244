using System.Globalization;
using System.Text.RegularExpressions;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Commands;

/// <summary>
/// Checks a command before anything is sent to Telegram; an invalid one is answered with
/// <see cref="CommandRejected"/> naming the field and a machine-readable reason. Fields may be
/// null at run time even where the contract says otherwise (a publisher in another language can
/// omit them), so every check tolerates null.
/// </summary>
public static partial class CommandValidator
{
    /// <summary>Telegram's limit on a message's text, in UTF-16 code units.</summary>
    public const int MaxTextLength = 4096;

    /// <summary>The longest account id the fleet accepts.</summary>
    public const int MaxAccountIdLength = 128;

    /// <summary>A rejection: which field, why, and a sentence for people.</summary>
    /// <param name="Field">The offending field.</param>
    /// <param name="Reason">Machine-readable reason.</param>
    /// <param name="Detail">Human-readable explanation (never echoes secrets).</param>
    public sealed record Problem(string Field, string Reason, string Detail);

    /// <summary>
    /// The first problem of <paramref name="command"/>, or null when it is valid: first what every
    /// command needs (its CommandId and, per account, its AccountId, read through
    /// <see cref="CommandKind"/>), then its own fields.
    /// </summary>
    public static Problem? Validate(object command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (CommandKind.Of(command.GetType()) is not { } kind)
        {
            return new Problem("@type", "COMMAND_UNKNOWN", $"{command.GetType().Name} is not a command this worker executes.");
        }

        return Common(kind.CommandIdOf(command), kind.PerAccount, kind.AccountIdOf(command)) ?? Fields(command);
    }

    private static Problem? Fields(object command) => command switch
    {
        Authenticate c => Phone("Phone", c.Phone),
        SubmitAuthenticationCode c => Code(c.Code),
        SubmitAuthenticationPassword c => string.IsNullOrEmpty(c.Password) ? new Problem("Password", "PASSWORD_MISSING", "The password is empty.")
            : c.Password.Length > 256 ? new Problem("Password", "PASSWORD_TOO_LONG", "The password is longer than 256 characters.") : null,
        SetAccountProxy c => Proxy(c.Proxy),
        SendMessage c => Recipient(c.To) ?? Text(c),
        GetChats c => Limit(c.Limit),
        SearchContacts c => Limit(c.Limit),
        ListAccounts c => Limit(c.Limit) ?? (c.Status is { } status && !Enum.IsDefined(status)
            ? new Problem("Status", "STATUS_UNKNOWN", "Status must be Online, Connecting, FloodWait, Limited, LoggedOut or Banned.") : null),
        _ => null,
    };

    private static Problem? Common(Guid commandId, bool perAccount, string? accountId)
    {
        if (commandId == Guid.Empty)
        {
            return new Problem("CommandId", "COMMAND_ID_MISSING", "CommandId is required (the idempotency key).");
        }

        if (!perAccount)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(accountId))
        {
            return new Problem("AccountId", "ACCOUNT_ID_MISSING", "AccountId is required.");
        }

        if (accountId.Length > MaxAccountIdLength || accountId.Any(char.IsControl))
        {
            return new Problem("AccountId", "ACCOUNT_ID_INVALID", $"AccountId must be at most {MaxAccountIdLength} characters without control characters.");
        }

        return null;
    }

    private static Problem? Phone(string field, string? phone) =>
        PhoneNumber.TryNormalize(phone, out _) ? null
            : new Problem(field, "PHONE_MALFORMED", "A phone number is + and 8 to 15 digits (international format), e.g. +447700900123.");

    private static Problem? Code(string? code) =>
        string.IsNullOrWhiteSpace(code) ? new Problem("Code", "CODE_MISSING", "The login code is empty.")
        : code.Length > 16 || !code.All(char.IsAsciiLetterOrDigit) ? new Problem("Code", "CODE_MALFORMED", "A login code is up to 16 letters or digits.")
        : null;

    private static Problem? Limit(int limit) =>
        limit is < 1 or > 10_000 ? new Problem("Limit", "LIMIT_OUT_OF_RANGE", "Limit must be between 1 and 10,000.") : null;

    private static Problem? Proxy(ProxySettings? proxy)
    {
        if (proxy is null)
        {
            return new Problem("Proxy", "PROXY_MISSING", "Proxy is required.");
        }

        if (!Enum.IsDefined(proxy.Kind))
        {
            return new Problem("Proxy.Kind", "PROXY_KIND_UNKNOWN", "Proxy.Kind must be Socks5, Http or MtProto.");
        }

        if (string.IsNullOrWhiteSpace(proxy.Server) || proxy.Server.Length > 253)
        {
            return new Problem("Proxy.Server", "PROXY_SERVER_INVALID", "Proxy.Server must be a host name or address.");
        }

        if (proxy.Port is < 1 or > 65535)
        {
            return new Problem("Proxy.Port", "PROXY_PORT_INVALID", "Proxy.Port must be between 1 and 65535.");
        }

        return proxy.Kind == ProxyKind.MtProto && (string.IsNullOrEmpty(proxy.Secret) || !HexSecret().IsMatch(proxy.Secret))
            ? new Problem("Proxy.Secret", "PROXY_SECRET_INVALID", "An MTProto proxy needs its secret in hex.")
            : null;
    }

    private static Problem? Recipient(Recipient? to)
    {
        if (to is null || string.IsNullOrWhiteSpace(to.Value))
        {
            return new Problem("To", "RECIPIENT_MISSING", "To is required: a username, phone, user id or chat id.");
        }

        return to.Kind switch
        {
            RecipientKind.Username => Username().IsMatch(to.Value) ? null
                : new Problem("To.Value", "USERNAME_INVALID", "A username is 4 to 32 letters, digits or underscores, starting with a letter (a leading @ is allowed)."),
            RecipientKind.Phone => Phone("To.Value", to.Value),
            RecipientKind.UserId => long.TryParse(to.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var user) && user > 0 ? null
                : new Problem("To.Value", "RECIPIENT_ID_INVALID", "A user id is a positive integer."),
            RecipientKind.ChatId => long.TryParse(to.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chat) && chat != 0 ? null
                : new Problem("To.Value", "RECIPIENT_ID_INVALID", "A chat id is a non-zero integer."),
            _ => new Problem("To.Kind", "RECIPIENT_KIND_UNKNOWN", "To.Kind must be Username, Phone, UserId or ChatId."),
        };
    }

    private static Problem? Text(SendMessage message)
    {
        if (string.IsNullOrWhiteSpace(message.Text))
        {
            return new Problem("Text", "TEXT_EMPTY", "The text is empty.");
        }

        if (!Enum.IsDefined(message.Format))
        {
            return new Problem("Format", "FORMAT_UNKNOWN", "Format must be Plain, Markdown or Html.");
        }

        // Markup is removed before Telegram counts, so formatted text may be longer here; TDLib
        // reports MESSAGE_TOO_LONG for what is still too long after parsing.
        var limit = message.Format == TextFormat.Plain ? MaxTextLength : MaxTextLength * 4;
        if (message.Text.Length > limit)
        {
            return new Problem("Text", "TEXT_TOO_LONG", $"The text has {message.Text.Length} UTF-16 code units; Telegram accepts at most {MaxTextLength}.");
        }

        foreach (var entity in message.Entities ?? [])
        {
            if (entity is null || entity.Offset < 0 || entity.Length <= 0 || entity.Offset + entity.Length > message.Text.Length || string.IsNullOrEmpty(entity.Type))
            {
                return new Problem("Entities", "ENTITY_INVALID", "Every entity needs a type and must lie within the text.");
            }
        }

        return null;
    }

    [GeneratedRegex("^@?[A-Za-z][A-Za-z0-9_]{3,31}$")]
    private static partial Regex Username();

    [GeneratedRegex("^[0-9A-Fa-f]{32,}$")]
    private static partial Regex HexSecret();
}

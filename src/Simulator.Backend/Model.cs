namespace TgFleet.Simulator.Backend;

/// <summary>A user as this client knows it (from the cloud).</summary>
internal sealed record KnownUser(long Id, string FirstName, string LastName, string Username, string Phone, bool IsContact, bool IsDeleted);

/// <summary>A message as this client knows it; <see cref="Id"/> is TDLib's id (server id &lt;&lt; 20).</summary>
internal sealed record KnownMessage(long Id, long ChatId, long SenderId, bool IsOutgoing, string Text, string EntitiesJson, long Date)
{
    /// <summary>Null = sent; otherwise the failure's error (pending when Code is 0).</summary>
    public (int Code, string Message, double RetryAfter)? SendingState { get; init; }
}

/// <summary>A private chat this client has seen.</summary>
internal sealed class KnownChat(long id)
{
    public long Id { get; } = id;
    public KnownMessage? LastMessage { get; set; }
    public long LastReadInbox { get; set; }
    public long LastReadOutbox { get; set; }
    public int UnreadCount { get; set; }
    public long Order => LastMessage is null ? 0 : (LastMessage.Date << 32) + ((LastMessage.Id >> 20) & 0xFFFFFFFF);
}

/// <summary>A proxy added with addProxy.</summary>
internal sealed record KnownProxy(int Id, string Server, int Port, string TypeJson, string Comment)
{
    public bool IsEnabled { get; set; }
}

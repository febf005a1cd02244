using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace TgFleet.Simulator;

/// <summary>An error as the cloud answers it (codes and texts as TDLib passes them on).</summary>
public sealed record CloudError(int Code, string Message)
{
    public static CloudError FloodWait(int seconds) => new(420, string.Create(CultureInfo.InvariantCulture, $"FLOOD_WAIT_{seconds}"));
}

/// <summary>What signing in with a code led to.</summary>
public sealed record SignInResult(SimSession? Session, bool PasswordNeeded, string PasswordHint, bool RegistrationNeeded);

/// <summary>
/// Telegram's cloud: accounts, users, login codes, sessions (auth keys), message delivery and the
/// rules that make sending fail. No global lock on the send path: each account and each
/// recipient is locked on its own.
/// </summary>
public sealed class Cloud(TimeProvider time, SimulatorMetrics? metrics = null)
{
    private static readonly TimeSpan FloodTolerance = TimeSpan.FromMilliseconds(250);
    private static readonly string[] OptOutWords = ["stop", "unsubscribe"];
    private readonly ConcurrentDictionary<long, SimUser> _byId = new();
    private readonly ConcurrentDictionary<string, SimUser> _byPhone = new();
    private readonly ConcurrentDictionary<string, SimUser> _byUsername = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, SimSession> _sessions = new();
    private readonly ConcurrentDictionary<long, List<SimSession>> _sessionsByUser = new();
    private readonly ConcurrentDictionary<long, List<ReceivedMessage>> _inboxes = new();
    private readonly ConcurrentDictionary<string, bool> _downProxies = new();
    private readonly ConcurrentQueue<AuthKeyDuplicatedEvent> _duplicates = new();
    private long _nextUserId = 5_000_000_000;
    private long _duplicateDeliveries;
    private long _sendsDuringFloodWait;
    private long _sendsToOptedOut;
    private long _delivered;

    public TimeProvider Time { get; } = time;

    public bool Reachable { get; set; } = true;

    /// <summary>
    /// How long a connection may stay silent before the cloud drops it, as Telegram honours TDLib's
    /// ping_disconnect_delay (135 s for a connection that is not "online"). A session is live while
    /// its connection is open and has spoken within this delay; tests shorten it.
    /// </summary>
    public TimeSpan DisconnectDelay { get; set; } = TimeSpan.FromSeconds(135);

    /// <summary>Raised when the network is made unreachable: the endpoint drops every socket.</summary>
    public event Action? Unreachable;

    /// <summary>Raised when a proxy changes state: the endpoint tells every backend.</summary>
    public event Action<string, int, bool>? ProxyChanged;

    public long Delivered => Interlocked.Read(ref _delivered);

    public SimUser AddUser(string phone, string firstName, string lastName, string? username, bool isAccount)
    {
        var normalized = PhoneNumber.Normalize(phone);
        var user = new SimUser
        {
            Id = Interlocked.Increment(ref _nextUserId),
            Phone = normalized,
            FirstName = firstName,
            LastName = lastName,
            Username = string.IsNullOrEmpty(username) ? null : username.TrimStart('@'),
            IsAccount = isAccount,
        };
        if (!_byPhone.TryAdd(normalized, user))
        {
            throw new InvalidOperationException("Phone number already taken: " + PhoneNumber.Mask(normalized));
        }

        if (user.Username is not null && !_byUsername.TryAdd(user.Username, user))
        {
            _byPhone.TryRemove(normalized, out _);
            throw new InvalidOperationException("Username already taken: " + user.Username);
        }

        _byId[user.Id] = user;
        return user;
    }

    public SimUser? FindById(long id) => _byId.GetValueOrDefault(id);

    public SimUser? FindByPhone(string phone) => _byPhone.GetValueOrDefault(PhoneNumber.Normalize(phone));

    public SimUser? FindByUsername(string username) => _byUsername.GetValueOrDefault(username.TrimStart('@'));

    /// <summary>Finds a user by id, "@username" / username, or phone.</summary>
    public SimUser? Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith('@'))
        {
            return FindByUsername(key);
        }

        if (key.StartsWith('+'))
        {
            return FindByPhone(key);
        }

        return long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && FindById(id) is { } byId
            ? byId
            : FindByUsername(key) ?? FindByPhone(key);
    }

    // ---------------------------------------------------------------- auth

    public (int Length, CloudError? Error) SendCode(string phone)
    {
        var normalized = PhoneNumber.Normalize(phone);
        if (normalized.Length is < 5 or > 15)
        {
            return (0, new CloudError(400, "PHONE_NUMBER_INVALID"));
        }

        var user = FindByPhone(normalized);
        if (user is null)
        {
            // An unregistered number still gets a code (sign-up would follow); keep it on a shadow entry.
            user = _unregistered.GetOrAdd(normalized, p => new SimUser { Id = 0, Phone = p });
        }

        lock (user)
        {
            if (user.PhoneNumberInvalid || user.Banned)
            {
                return (0, new CloudError(400, user.Banned ? "PHONE_NUMBER_BANNED" : "PHONE_NUMBER_INVALID"));
            }

            var now = Time.GetUtcNow();
            user.CodeRequests.RemoveAll(t => now - t > TimeSpan.FromHours(1));
            if (user.CodeRequests.Count >= user.CodeRequestLimit)
            {
                // With a limit of 0 no request was ever counted: the whole hour is left.
                var retry = user.CodeRequests.Count == 0
                    ? (int)TimeSpan.FromHours(1).TotalSeconds
                    : (int)Math.Ceiling((user.CodeRequests[0] + TimeSpan.FromHours(1) - now).TotalSeconds);
                return (0, CloudError.FloodWait(Math.Max(retry, 1)));
            }

            user.CodeRequests.Add(now);
            var code = RandomNumberGenerator.GetInt32(10_000, 100_000).ToString(CultureInfo.InvariantCulture);
            user.PendingCode = new LoginCode(code, now.AddSeconds(user.CodeLifetimeSeconds), Convert.ToHexString(RandomNumberGenerator.GetBytes(8)));
            return (code.Length, null);
        }
    }

    private readonly ConcurrentDictionary<string, SimUser> _unregistered = new();

    /// <summary>The code last sent to <paramref name="phone"/> (the control API reads it; never logged).</summary>
    public LoginCode? PendingCode(string phone)
    {
        var normalized = PhoneNumber.Normalize(phone);
        var user = FindByPhone(normalized) ?? _unregistered.GetValueOrDefault(normalized);
        if (user is null)
        {
            return null;
        }

        lock (user)
        {
            return user.PendingCode;
        }
    }

    public void ExpireCode(string phone)
    {
        var normalized = PhoneNumber.Normalize(phone);
        var user = FindByPhone(normalized) ?? _unregistered.GetValueOrDefault(normalized);
        if (user is null)
        {
            return;
        }

        lock (user)
        {
            user.PendingCode?.Expired = true;
        }
    }

    public (SignInResult? Result, CloudError? Error) SignIn(string phone, string code)
    {
        var normalized = PhoneNumber.Normalize(phone);
        var user = FindByPhone(normalized) ?? _unregistered.GetValueOrDefault(normalized);
        if (user is null)
        {
            return (null, new CloudError(400, "PHONE_NUMBER_INVALID"));
        }

        lock (user)
        {
            var pending = user.PendingCode;
            if (pending is null || pending.Expired || Time.GetUtcNow() > pending.ExpiresAt)
            {
                return (null, new CloudError(400, "PHONE_CODE_EXPIRED"));
            }

            if (!string.Equals(pending.Code, code.Trim(), StringComparison.Ordinal))
            {
                return (null, new CloudError(400, "PHONE_CODE_INVALID"));
            }

            if (!user.IsAccount)
            {
                user.PendingCode = null;
                return (new SignInResult(null, false, string.Empty, true), null);
            }

            if (user.Password is not null)
            {
                pending.PasswordPending = true;
                return (new SignInResult(null, true, user.PasswordHint, false), null);
            }

            user.PendingCode = null;
        }

        return (new SignInResult(NewSession(user), false, string.Empty, false), null);
    }

    public (SimSession? Session, CloudError? Error) CheckPassword(string phone, string password)
    {
        var user = FindByPhone(phone);
        if (user is null)
        {
            return (null, new CloudError(400, "PHONE_NUMBER_INVALID"));
        }

        lock (user)
        {
            if (user.PendingCode is not { PasswordPending: true })
            {
                return (null, new CloudError(400, "AUTH_RESTART"));
            }

            if (!string.Equals(user.Password, password, StringComparison.Ordinal))
            {
                return (null, new CloudError(400, "PASSWORD_HASH_INVALID"));
            }

            user.PendingCode = null;
        }

        return (NewSession(user), null);
    }

    private SimSession NewSession(SimUser user)
    {
        var session = new SimSession { AuthKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), UserId = user.Id };
        metrics?.Login();
        _sessions[session.AuthKey] = session;
        var list = _sessionsByUser.GetOrAdd(user.Id, _ => []);
        lock (list)
        {
            list.Add(session);
        }

        return session;
    }

    /// <summary>
    /// Binds a session to one client of one backend connection. The same auth key live from a
    /// second client at once is AUTH_KEY_DUPLICATED: Telegram then drops the key for both.
    /// </summary>
    /// <summary>How long a client restoring the session of <paramref name="authKey"/> waits before it is ready (the account's <c>restoreDelayMs</c>; 0 for an unknown key).</summary>
    public int RestoreDelayOf(string authKey) =>
        _sessions.TryGetValue(authKey, out var session) && FindById(session.UserId) is { } user ? user.RestoreDelayMs : 0;

    public (SimUser? User, CloudError? Error, SimSession? Dropped) Attach(string authKey, BackendConnection connection, int clientId)
    {
        if (!_sessions.TryGetValue(authKey, out var session))
        {
            return (null, new CloudError(401, "AUTH_KEY_UNREGISTERED"), null);
        }

        var user = FindById(session.UserId)!;
        lock (session)
        {
            if (session.Revoked)
            {
                return (null, new CloudError(401, "SESSION_REVOKED"), null);
            }

            if (user.Banned)
            {
                return (null, new CloudError(401, "USER_DEACTIVATED_BAN"), null);
            }

            var live = session.LiveConnection;
            if (live is not null && !live.Closed && live.SilentFor >= DisconnectDelay)
            {
                // Telegram dropped that connection long ago: it is not live.
                live.Abort();
            }

            if (live is not null && !live.Closed &&
                !(string.Equals(live.Instance, connection.Instance, StringComparison.Ordinal) && session.LiveClientId == clientId))
            {
                session.Revoked = true;
                _duplicates.Enqueue(new AuthKeyDuplicatedEvent(user.Id, user.Phone, Time.GetUtcNow()));
                var previous = (live, session.LiveClientId);
                session.LiveConnection = null;
                previous.live.PushAuthKeyDropped(previous.Item2);
                metrics?.Fault("AUTH_KEY_DUPLICATED");
                return (null, new CloudError(406, "AUTH_KEY_DUPLICATED"), session);
            }

            session.LiveConnection = connection;
            session.LiveClientId = clientId;
            session.LiveInstance = connection.Instance;
        }

        return (user, null, null);
    }

    public void Detach(string authKey, BackendConnection connection, int clientId)
    {
        if (_sessions.TryGetValue(authKey, out var session))
        {
            lock (session)
            {
                if (session.LiveConnection == connection && session.LiveClientId == clientId)
                {
                    session.LiveConnection = null;
                }
            }
        }
    }

    public void LogOut(string authKey)
    {
        if (_sessions.TryRemove(authKey, out var session))
        {
            lock (session)
            {
                session.Revoked = true;
                session.LiveConnection = null;
            }
        }
    }

    /// <summary>Revokes every session of an account (as "terminate all sessions" does).</summary>
    public int RevokeSessions(SimUser account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var count = 0;
        foreach (var session in SessionsOf(account.Id))
        {
            BackendConnection? live;
            int client;
            lock (session)
            {
                if (session.Revoked)
                {
                    continue;
                }

                session.Revoked = true;
                live = session.LiveConnection;
                client = session.LiveClientId;
                session.LiveConnection = null;
                count++;
            }

            live?.PushLoggedOut(client, "SESSION_REVOKED");
        }

        return count;
    }

    private List<SimSession> SessionsOf(long userId)
    {
        if (!_sessionsByUser.TryGetValue(userId, out var list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    // ---------------------------------------------------------------- users and contacts

    public (SimUser? User, CloudError? Error) ResolveUsername(string username)
    {
        var name = username.TrimStart('@');
        if (name.Length is < 4 or > 32 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || !char.IsAsciiLetter(name[0]))
        {
            return (null, new CloudError(400, "USERNAME_INVALID"));
        }

        return FindByUsername(name) is { } user ? (user, null) : (null, new CloudError(400, "USERNAME_NOT_OCCUPIED"));
    }

    public (SimUser? User, CloudError? Error) ResolvePhone(string phone)
    {
        var user = FindByPhone(phone);
        return user is null || user.HidesPhone ? (null, new CloudError(404, "Not Found")) : (user, null);
    }

    public long ImportContact(SimUser account, string phone)
    {
        ArgumentNullException.ThrowIfNull(account);
        var user = FindByPhone(phone);
        if (user is null)
        {
            return 0;
        }

        lock (account)
        {
            account.Contacts.Add(user.Id);
        }

        return user.Id;
    }

    public bool IsContact(SimUser account, long userId)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (account)
        {
            return account.Contacts.Contains(userId);
        }
    }

    public List<SimUser> Contacts(SimUser account)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (account)
        {
            return [.. account.Contacts.Select(FindById).OfType<SimUser>()];
        }
    }

    // ---------------------------------------------------------------- messages

    /// <summary>
    /// Sends a private message from an account. Returns the stored outgoing message or the error
    /// Telegram would give. The order of the checks follows the server's: account, flood,
    /// recipient, anti-spam.
    /// </summary>
    public async Task<(StoredMessage? Message, CloudError? Error)> SendMessageAsync(SimUser account, long peerId, string text, string entitiesJson, long randomId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var (message, error, recipient, delay, earlier, delivered) = Decide(account, peerId, text, entitiesJson, randomId);
        metrics?.Send(error);
        if (message is not null && recipient is not null && delivered is not null)
        {
            // Accepted: the recipient gets it after the latency, in the order the account's messages
            // were accepted (as Telegram orders a chat by server message id), also when the sender's
            // connection drops meanwhile (the server has it; only the answer is lost).
            _ = DeliverInOrderAsync(account, recipient, message, earlier!, delay, delivered);
            await delivered.Task.WaitAsync(cancellationToken);
        }
        else if (delay > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(delay), Time, cancellationToken);
        }

        return (message, error);
    }

    private async Task DeliverInOrderAsync(SimUser account, SimUser recipient, StoredMessage message, Task earlier, int delay, TaskCompletionSource delivered)
    {
        try
        {
            var due = Time.GetUtcNow() + TimeSpan.FromMilliseconds(delay);
            await earlier;
            var left = due - Time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, Time);
            }

            Deliver(account, recipient, message);
        }
        finally
        {
            delivered.TrySetResult();
        }
    }

    private (StoredMessage? Message, CloudError? Error, SimUser? Recipient, int Delay, Task? Earlier, TaskCompletionSource? Delivered) Decide(SimUser account, long peerId, string text, string entitiesJson, long randomId)
    {
        var now = Time.GetUtcNow();
        int delay;
        lock (account)
        {
            delay = account.LatencyMs + (account.JitterMs > 0 ? Random.Shared.Next(-account.JitterMs, account.JitterMs + 1) : 0);
            if (account.Banned)
            {
                return (null, new CloudError(401, "USER_DEACTIVATED_BAN"), null, 0, null, null);
            }

            if (randomId != 0 && account.SentRandomIds.TryGetValue(randomId, out var already))
            {
                // A resent request (same random_id): Telegram answers with the message it already sent.
                var existing = account.Dialogs.Find(m => m.Id == already);
                return (existing, existing is null ? new CloudError(400, "RANDOM_ID_DUPLICATE") : null, null, Math.Max(delay, 0), null, null);
            }

            // A quarter-second tolerance: clocks and timers of client and server are not exact.
            if (now + FloodTolerance < account.FloodUntil)
            {
                if (account.FloodNotified)
                {
                    Interlocked.Increment(ref _sendsDuringFloodWait);
                }

                account.FloodNotified = true;
                return (null, CloudError.FloodWait((int)Math.Ceiling((account.FloodUntil - now).TotalSeconds)), null, 0, null, null);
            }

            if (account.FloodAfterSends > 0 && account.SendsSinceFlood >= account.FloodAfterSends)
            {
                account.SendsSinceFlood = 0;
                account.FloodUntil = now.AddSeconds(Math.Max(account.FloodWaitSeconds, 1));
                account.FloodNotified = true;
                return (null, CloudError.FloodWait(Math.Max(account.FloodWaitSeconds, 1)), null, 0, null, null);
            }

            var recipient = FindById(peerId);
            if (recipient is null)
            {
                return (null, new CloudError(400, "PEER_ID_INVALID"), null, 0, null, null);
            }

            if (recipient.Deactivated)
            {
                return (null, new CloudError(400, "INPUT_USER_DEACTIVATED"), null, 0, null, null);
            }

            if (recipient.PrivacyRestricted)
            {
                return (null, new CloudError(403, "USER_PRIVACY_RESTRICTED"), null, 0, null, null);
            }

            var isContact = account.Contacts.Contains(peerId) || account.ContactedPeers.Contains(peerId);
            if (!isContact && account.PeerFloodAfter > 0 && account.NonContactSends >= account.PeerFloodAfter)
            {
                return (null, new CloudError(400, "PEER_FLOOD"), null, 0, null, null);
            }

            if (!isContact)
            {
                account.NonContactSends++;
                account.ContactedPeers.Add(peerId);
            }

            account.SendsSinceFlood++;
            var message = new StoredMessage(++account.NextMessageId, peerId, true, text, now.ToUnixTimeSeconds(), entitiesJson);
            account.Dialogs.Add(message);
            if (randomId != 0)
            {
                account.SentRandomIds[randomId] = message.Id;
            }

            var earlier = account.DeliveredInOrder;
            var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            account.DeliveredInOrder = delivered.Task;
            return (message, null, recipient, Math.Max(delay, 0), earlier, delivered);
        }
    }

    private void Deliver(SimUser account, SimUser recipient, StoredMessage message)
    {
        var now = Time.GetUtcNow();
        bool optedOut;
        lock (recipient)
        {
            optedOut = recipient.OptedOut;
        }

        if (optedOut)
        {
            Interlocked.Increment(ref _sendsToOptedOut);
        }

        var inbox = _inboxes.GetOrAdd(recipient.Id, _ => []);
        lock (inbox)
        {
            foreach (var earlier in inbox)
            {
                if (earlier.FromUserId == account.Id && string.Equals(earlier.Text, message.Text, StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _duplicateDeliveries);
                    break;
                }
            }

            inbox.Add(new ReceivedMessage(account.Id, account.Phone, recipient.Id, message.Text, now));
        }

        Interlocked.Increment(ref _delivered);
        if (recipient.IsAccount)
        {
            Incoming(account, recipient, message.Text, "[]");
        }

        foreach (var reply in recipient.Replies)
        {
            _ = ReplyLaterAsync(recipient, account, reply);
        }
    }

    private async Task ReplyLaterAsync(SimUser from, SimUser to, ScriptedReply reply)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(reply.DelayMs, 0)), Time);
        Incoming(from, to, reply.Text, "[]");
    }

    /// <summary>A message from <paramref name="from"/> arrives at account <paramref name="to"/>.</summary>
    public StoredMessage Incoming(SimUser from, SimUser to, string text, string entitiesJson)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(text);
        if (IsOptOut(text))
        {
            lock (from)
            {
                from.OptedOut = true;
            }
        }

        StoredMessage message;
        lock (to)
        {
            message = new StoredMessage(++to.NextMessageId, from.Id, false, text, Time.GetUtcNow().ToUnixTimeSeconds(), entitiesJson);
            to.Dialogs.Add(message);
        }

        var delivered = false;
        foreach (var session in SessionsOf(to.Id))
        {
            BackendConnection? live;
            int client;
            lock (session)
            {
                live = session.Revoked ? null : session.LiveConnection;
                client = session.LiveClientId;
            }

            if (live is not null && !live.Closed)
            {
                live.PushMessage(client, message, from);
                delivered = true;
            }
        }

        if (!delivered)
        {
            // Nobody online: the next session to sync gets it (Telegram's getDifference).
            lock (to)
            {
                to.Undelivered.Add(message);
            }
        }

        return message;
    }

    private static bool IsOptOut(string text)
    {
        foreach (var word in text.Split([' ', '\t', '\n', '.', ',', '!'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (OptOutWords.Contains(word.ToLowerInvariant()))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Hands out the account's incoming messages no live session received.</summary>
    public List<StoredMessage> Difference(SimUser account)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (account)
        {
            var missed = account.Undelivered.ToList();
            account.Undelivered.Clear();
            return missed;
        }
    }

    public List<StoredMessage> History(SimUser account, long peerId, long fromMessageId, int limit)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (account)
        {
            var result = new List<StoredMessage>();
            for (var i = account.Dialogs.Count - 1; i >= 0 && result.Count < limit; i--)
            {
                var m = account.Dialogs[i];
                if (m.PeerId == peerId && (fromMessageId == 0 || m.Id <= fromMessageId))
                {
                    result.Add(m);
                }
            }

            return result;
        }
    }

    /// <summary>The account's private chats, most recent first, each with its last message.</summary>
    public List<StoredMessage> Dialogs(SimUser account)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (account)
        {
            var seen = new HashSet<long>();
            var result = new List<StoredMessage>();
            for (var i = account.Dialogs.Count - 1; i >= 0; i--)
            {
                if (seen.Add(account.Dialogs[i].PeerId))
                {
                    result.Add(account.Dialogs[i]);
                }
            }

            return result;
        }
    }

    // ---------------------------------------------------------------- network

    public void SetReachable(bool reachable)
    {
        Reachable = reachable;
        if (!reachable)
        {
            Unreachable?.Invoke();
        }
    }

    public void SetProxyDown(string server, int port, bool down)
    {
        var key = ProxyKey(server, port);
        if (down)
        {
            _downProxies[key] = true;
        }
        else
        {
            _downProxies.TryRemove(key, out _);
        }

        ProxyChanged?.Invoke(server, port, down);
    }

    public bool IsProxyDown(string server, int port) => _downProxies.ContainsKey(ProxyKey(server, port));

    public IEnumerable<(string Server, int Port)> DownProxies() =>
        _downProxies.Keys.Select(k => (k[..k.LastIndexOf(':')], int.Parse(k[(k.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture)));

    private static string ProxyKey(string server, int port) => string.Create(CultureInfo.InvariantCulture, $"{server}:{port}");

    // ---------------------------------------------------------------- witness

    public List<ReceivedMessage> ReceivedBy(long userId)
    {
        if (!_inboxes.TryGetValue(userId, out var inbox))
        {
            return [];
        }

        lock (inbox)
        {
            return [.. inbox];
        }
    }

    public WitnessSummary Summary() => new(
        Interlocked.Read(ref _delivered),
        Interlocked.Read(ref _duplicateDeliveries),
        Interlocked.Read(ref _sendsDuringFloodWait),
        Interlocked.Read(ref _sendsToOptedOut),
        _duplicates.Count,
        [.. _duplicates.Select(e => new AuthKeyDuplicatedView(e.UserId, e.Phone, e.Time))]);

    public int AccountCount => _byId.Values.Count(u => u.IsAccount);

    public int UserCount => _byId.Count;
}

/// <summary>The witness counters.</summary>
public sealed record WitnessSummary(long Delivered, long Duplicates, long SendsDuringFloodWait, long SendsToOptedOut, int AuthKeyDuplicatedCount, IReadOnlyList<AuthKeyDuplicatedView> AuthKeyDuplicated);

/// <summary>One AUTH_KEY_DUPLICATED event.</summary>
public sealed record AuthKeyDuplicatedView(long UserId, string Phone, DateTimeOffset Time);

using NUnit.Framework;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

/// <summary>
/// One client manager over the real libtdjson for every Binding fixture: td_receive serves the
/// whole process, so the process has one receive loop. Disposed when the namespace's tests end.
/// </summary>
[SetUpFixture]
public sealed class BindingRun
{
    private static readonly Lock Gate = new();
    private static TdClientManager? _manager;

    public static TdClientManager Manager
    {
        get
        {
            lock (Gate)
            {
                return _manager ??= TdClientManager.StartLibTdJson();
            }
        }
    }

    /// <summary>Parameters that reach authorizationStateWaitPhoneNumber with every database off.</summary>
    public static Td.SetTdlibParameters Parameters(string directory) => new()
    {
        DatabaseDirectory = directory,
        FilesDirectory = Path.Combine(directory, "files"),
        DatabaseEncryptionKey = [],
        UseFileDatabase = false,
        UseChatInfoDatabase = false,
        UseMessageDatabase = false,
        UseSecretChats = false,
        ApiId = 94575,
        ApiHash = "a3406de8d171bb422bb6ddf3bbd800e2",
        SystemLanguageCode = "en",
        DeviceModel = "TgFleet tests",
        SystemVersion = "Linux",
        ApplicationVersion = "1.0",
    };

    /// <summary>Reads updates until one matches, with a deadline.</summary>
    public static async Task<T> NextUpdateAsync<T>(TdClient client, Func<T, bool> match, TimeSpan deadline)
        where T : Td.TdObject
    {
        using var timeout = new CancellationTokenSource(deadline);
        var seen = new List<string>();
        try
        {
            await foreach (var update in client.Updates.ReadAllAsync(timeout.Token))
            {
                seen.Add(update is Td.UpdateAuthorizationState state ? state.AuthorizationState?.TdType ?? "?" : update.TdType);
                if (update is T typed && match(typed))
                {
                    return typed;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new TimeoutException($"No matching {typeof(T).Name} within {deadline}. Seen: {string.Join(", ", seen.TakeLast(20))}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_manager is not null)
        {
            await _manager.DisposeAsync();
        }
    }
}

/// <summary>A database directory deleted afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tgfleet-binding-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

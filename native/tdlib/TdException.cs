namespace TgFleet.Tdlib;

/// <summary>TDLib answered a request with an <c>error</c> object.</summary>
public sealed class TdException : Exception
{
    /// <summary>Creates the exception for TDLib's error code and message.</summary>
    public TdException(int code, string tdlibMessage)
        : base($"TDLib error {code}: {tdlibMessage}")
    {
        Code = code;
        TdlibMessage = tdlibMessage;
    }

    /// <summary>Creates an exception with a message (code 0).</summary>
    public TdException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and cause (code 0).</summary>
    public TdException(string message, Exception? innerException)
        : base(message, innerException)
    {
        TdlibMessage = message;
    }

    /// <summary>Creates an exception without details.</summary>
    public TdException()
        : this("TDLib error")
    {
    }

    /// <summary>TDLib's error code (400 bad request, 401 unauthorized, 429 flood, 500 aborted, …).</summary>
    public int Code { get; }

    /// <summary>TDLib's error message (e.g. PHONE_NUMBER_INVALID).</summary>
    public string TdlibMessage { get; }
}

/// <summary>The loaded library's version is not the one the typed API was generated from.</summary>
public sealed class TdlibVersionMismatchException : Exception
{
    /// <summary>Creates the exception naming both versions.</summary>
    public TdlibVersionMismatchException(string backend, string? libraryVersion, string schemaVersion)
        : base($"{backend} reports TDLib version '{libraryVersion ?? "(no answer to getOption version)"}', but TgFleet.Tdlib was generated from " +
               $"td_api.tl of TDLib {schemaVersion}. Place the library pinned in native/tdlib/libtdjson.lock (./build.sh), " +
               $"or set {nameof(TdlibOptions.AllowVersionMismatch)} (configuration Tdlib:AllowVersionMismatch=true) to run anyway.")
    {
        LibraryVersion = libraryVersion;
        SchemaVersion = schemaVersion;
    }

    /// <summary>Creates an exception with a message.</summary>
    public TdlibVersionMismatchException(string message)
        : base(message)
    {
        SchemaVersion = Api.TdApi.SchemaVersion;
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public TdlibVersionMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
        SchemaVersion = Api.TdApi.SchemaVersion;
    }

    /// <summary>Creates an exception without details.</summary>
    public TdlibVersionMismatchException()
        : this("TDLib version mismatch")
    {
    }

    /// <summary>The loaded library's <c>version</c> option (null when it did not answer).</summary>
    public string? LibraryVersion { get; }

    /// <summary>The version of the td_api.tl the types come from.</summary>
    public string SchemaVersion { get; }
}

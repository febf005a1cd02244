using System.Reflection;
using System.Runtime.InteropServices;

namespace TgFleet.Tdlib;

/// <summary>
/// Finds libtdjson for the imports of this assembly: <c>TGFLEET_TDJSON_PATH</c> when set, else
/// the copy that ./build.sh placed (native/tdlib/lib, copied next to the application).
/// </summary>
public static class TdJsonLibrary
{
    /// <summary>The environment variable naming libtdjson.so explicitly.</summary>
    public const string PathVariable = "TGFLEET_TDJSON_PATH";

    private const string FileName = "libtdjson.so";
    private static readonly Lazy<IntPtr> Handle = new(LoadHandle, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _registered;

    /// <summary>The file that will be (or was) loaded.</summary>
    public static string ResolvedPath => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } configured
        ? configured
        : Path.Combine(AppContext.BaseDirectory, FileName);

    /// <summary>Registers the resolver once per process (a second registration would throw).</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(TdJsonLibrary).Assembly, Resolve);
        }
    }

    /// <summary>Loads libtdjson now, with a clear error when it is missing.</summary>
    public static void Load()
    {
        EnsureRegistered();
        _ = Handle.Value;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Interop.Libraries.TdJson ? Handle.Value : IntPtr.Zero;

    private static IntPtr LoadHandle()
    {
        var configured = Environment.GetEnvironmentVariable(PathVariable);
        var placed = Path.Combine(AppContext.BaseDirectory, FileName);
        var path = configured is { Length: > 0 } ? configured : placed;
        if (NativeLibrary.TryLoad(path, out var handle))
        {
            return handle;
        }

        throw new DllNotFoundException(
            $"libtdjson could not be loaded from '{path}'. Looked at {PathVariable}" +
            $" ({(configured is { Length: > 0 } ? configured : "not set")}) and the copy placed by ./build.sh next to the application ({placed})." +
            " Run ./build.sh (it places native/tdlib/lib/libtdjson.so) or set " + PathVariable + ".");
    }
}

namespace TgFleet.Tdlib;

internal static partial class Interop
{
    internal static class Libraries
    {
        /// <summary>The logical name every import uses; <see cref="TdJsonLibrary"/> maps it to a file.</summary>
        internal const string TdJson = "tdjson";
    }
}

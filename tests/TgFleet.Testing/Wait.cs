using System.Diagnostics;

namespace TgFleet.Testing;

/// <summary>Awaits an observable condition with a deadline, instead of sleeping.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; throws saying what was last seen.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string>? seen = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"Condition not met within {deadline.TotalSeconds:0.#} s." + (seen is null ? string.Empty : " Last seen: " + seen()));
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Polls a synchronous <paramref name="condition"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan deadline, Func<string>? seen = null) =>
        UntilAsync(() => Task.FromResult(condition()), deadline, seen);
}

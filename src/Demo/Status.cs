namespace TgFleet.Demo;

/// <summary>Shows, every few seconds, whether each process is ready (its /health/ready).</summary>
internal static class Status
{
    public static async Task ShowUntilStoppedAsync(IReadOnlyList<ChildProcess> children, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var last = string.Empty;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        var quiet = 0;
        while (await timer.WaitForNextTickAsync(stop))
        {
            var states = new List<string>();
            foreach (var child in children)
            {
                states.Add($"{child.Name}={await ReadyAsync(http, child, stop)}");
            }

            var line = string.Join("  ", states);
            // Say it when it changes, and at least every 30 s.
            if (line != last || ++quiet >= 15)
            {
                ChildProcess.Say("status", line, ConsoleColor.White);
                last = line;
                quiet = 0;
            }
        }
    }

    private static async Task<string> ReadyAsync(HttpClient http, ChildProcess child, CancellationToken stop)
    {
        if (child.HasExited)
        {
            return "exited";
        }

        try
        {
            using var response = await http.GetAsync(new Uri(child.BaseUri, child.ReadyPath), stop);
            return response.IsSuccessStatusCode ? "ready" : "not-ready";
        }
        catch (HttpRequestException)
        {
            return "starting";
        }
        catch (TaskCanceledException) when (!stop.IsCancellationRequested)
        {
            return "slow";
        }
    }
}

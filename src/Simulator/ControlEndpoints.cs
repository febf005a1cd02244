using System.Globalization;

namespace TgFleet.Simulator;

/// <summary>The control and witness HTTP API (documented in docs/simulator.md).</summary>
public static class ControlEndpoints
{
    public static void MapControlApi(this IEndpointRouteBuilder app, Cloud cloud, Func<int> connections)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(cloud);
        app.MapGet("/health", () => Results.Ok(new Stats(cloud.AccountCount, cloud.UserCount, cloud.Delivered, connections())));

        var control = app.MapGroup("/control");
        control.MapPost("/accounts", (AccountSeed[] seeds) =>
        {
            var created = new Created[seeds.Length];
            for (var i = 0; i < seeds.Length; i++)
            {
                var s = seeds[i];
                var user = cloud.AddUser(s.Phone, s.FirstName ?? "Account", s.LastName ?? string.Empty, s.Username, isAccount: true);
                user.Password = string.IsNullOrEmpty(s.Password) ? null : s.Password;
                user.PasswordHint = s.PasswordHint ?? string.Empty;
                created[i] = new Created(user.Id, user.Phone, user.Username);
            }

            return Results.Ok(created);
        });
        control.MapPost("/users", (UserSeed[] seeds) =>
        {
            var created = new Created[seeds.Length];
            for (var i = 0; i < seeds.Length; i++)
            {
                var s = seeds[i];
                var user = cloud.AddUser(s.Phone, s.FirstName ?? "User", s.LastName ?? string.Empty, s.Username, isAccount: false);
                user.PrivacyRestricted = s.PrivacyRestricted;
                user.Deactivated = s.Deactivated;
                user.HidesPhone = s.HidesPhone;
                user.Replies = s.Replies ?? [];
                created[i] = new Created(user.Id, user.Phone, user.Username);
            }

            return Results.Ok(created);
        });
        control.MapPost("/bulk", (BulkSeed seed) =>
        {
            var created = new Created[seed.Count];
            for (var i = 0; i < seed.Count; i++)
            {
                var index = i.ToString(CultureInfo.InvariantCulture);
                var user = cloud.AddUser(seed.PhonePrefix + index.PadLeft(6, '0'), (seed.Accounts ? "Account " : "User ") + index, string.Empty,
                    seed.UsernamePrefix is null ? null : seed.UsernamePrefix + index, seed.Accounts);
                created[i] = new Created(user.Id, user.Phone, user.Username);
            }

            return Results.Ok(created);
        });
        control.MapGet("/codes/{phone}", (string phone) =>
            cloud.PendingCode(phone) is { } code
                ? Results.Ok(new CodeView(PhoneNumber.Normalize(phone), code.Code, code.ExpiresAt, code.Expired))
                : Results.NotFound());
        control.MapPut("/accounts/{key}/faults", (string key, AccountFaults faults) =>
        {
            if (cloud.Find(key) is not { } user)
            {
                return Results.NotFound();
            }

            if (faults.ExpireCode == true)
            {
                cloud.ExpireCode(user.Phone);
            }

            lock (user)
            {
                if (faults.FloodWaitSeconds is { } wait)
                {
                    user.FloodWaitSeconds = wait;
                    if (faults.FloodAfterSends is null)
                    {
                        user.FloodUntil = cloud.Time.GetUtcNow().AddSeconds(wait);
                        user.FloodNotified = false;
                    }
                }

                if (faults.FloodAfterSends is { } after)
                {
                    user.FloodAfterSends = after;
                    user.SendsSinceFlood = 0;
                }

                user.PeerFloodAfter = faults.PeerFloodAfter ?? user.PeerFloodAfter;
                user.Banned = faults.Banned ?? user.Banned;
                user.PhoneNumberInvalid = faults.PhoneNumberInvalid ?? user.PhoneNumberInvalid;
                user.LatencyMs = faults.LatencyMs ?? user.LatencyMs;
                user.JitterMs = faults.JitterMs ?? user.JitterMs;
                user.RestoreDelayMs = faults.RestoreDelayMs ?? user.RestoreDelayMs;
                user.CodeRequestLimit = faults.CodeRequestLimit ?? user.CodeRequestLimit;
                user.CodeLifetimeSeconds = faults.CodeLifetimeSeconds ?? user.CodeLifetimeSeconds;
            }

            if (faults.RevokeSessions == true)
            {
                cloud.RevokeSessions(user);
            }

            return Results.NoContent();
        });
        control.MapPut("/users/{key}/behaviour", (string key, UserBehaviour behaviour) =>
        {
            if (cloud.Find(key) is not { } user)
            {
                return Results.NotFound();
            }

            lock (user)
            {
                user.PrivacyRestricted = behaviour.PrivacyRestricted ?? user.PrivacyRestricted;
                user.Deactivated = behaviour.Deactivated ?? user.Deactivated;
                user.HidesPhone = behaviour.HidesPhone ?? user.HidesPhone;
                user.Replies = behaviour.Replies ?? user.Replies;
            }

            return Results.NoContent();
        });
        control.MapPost("/messages", (InjectMessage inject) =>
        {
            if (cloud.Find(inject.From) is not { } from || cloud.Find(inject.To) is not { IsAccount: true } to)
            {
                return Results.NotFound();
            }

            return Results.Ok(new Injected(cloud.Incoming(from, to, inject.Text, "[]").Id));
        });
        control.MapPut("/network", (NetworkState state) =>
        {
            cloud.SetReachable(state.Reachable);
            if (state.DisconnectDelaySeconds is { } seconds and > 0)
            {
                cloud.DisconnectDelay = TimeSpan.FromSeconds(seconds);
            }

            return Results.NoContent();
        });
        control.MapPut("/proxies", (ProxyState state) =>
        {
            cloud.SetProxyDown(state.Server, state.Port, state.Down);
            return Results.NoContent();
        });

        var witness = app.MapGroup("/witness");
        witness.MapGet("/users/{key}/received", (string key) =>
            cloud.Find(key) is { } user ? Results.Ok(cloud.ReceivedBy(user.Id).ToArray()) : Results.NotFound());
        witness.MapGet("/summary", () => Results.Ok(cloud.Summary()));
    }
}

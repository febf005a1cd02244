using System.ComponentModel.DataAnnotations;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Proxies;

/// <summary>The fleet's proxy pool and its health checks (section <c>Proxies</c>).</summary>
public sealed class ProxyOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Proxies";

    /// <summary>
    /// Proxies accounts without their own (SetAccountProxy) connect through, the least used healthy
    /// one first; also where any account fails over to. Empty: accounts connect directly.
    /// Passwords and secrets belong in secret configuration (environment), never in files.
    /// </summary>
    public IList<PoolProxy> Pool { get; } = [];

    /// <summary>How often every proxy in use is tested with <c>testProxy</c> (default 30 s).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one <c>testProxy</c> may take before the proxy counts as down (default 5 s).</summary>
    public TimeSpan TestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CheckInterval <= TimeSpan.Zero || TestTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Proxies:CheckInterval and Proxies:TestTimeout must be positive.");
        }

        for (var i = 0; i < Pool.Count; i++)
        {
            if (Commands.CommandValidator.Validate(new SetAccountProxy(Guid.NewGuid(), "pool", Pool[i].ToSettings())) is { } problem)
            {
                yield return new ValidationResult($"Proxies:Pool:{i}: {problem.Detail}");
            }
        }
    }
}

/// <summary>One proxy of the pool.</summary>
public sealed class PoolProxy
{
    /// <summary>SOCKS5, HTTP or MTProto.</summary>
    public ProxyKind Kind { get; set; } = ProxyKind.Socks5;

    /// <summary>Host name or address.</summary>
    [Required]
    public string Server { get; set; } = string.Empty;

    /// <summary>TCP port.</summary>
    public int Port { get; set; }

    /// <summary>User name (SOCKS5, HTTP).</summary>
    public string? Username { get; set; }

    /// <summary>Password (SOCKS5, HTTP); a secret.</summary>
    public string? Password { get; set; }

    /// <summary>MTProto secret (hex); a secret.</summary>
    public string? Secret { get; set; }

    /// <summary>As the contract's settings.</summary>
    public ProxySettings ToSettings() => new(Kind, Server, Port) { Username = Username, Password = Password, Secret = Secret };
}

using NUnit.Framework;

namespace TgFleet.Testing;

/// <summary>
/// Derive one [SetUpFixture] per test assembly from this (in the assembly's root namespace, or
/// none) so that the run's servers are stopped when the run ends. Servers start lazily.
/// </summary>
public abstract class FleetTestRun
{
    /// <summary>Stops the run's servers and removes their data.</summary>
    [OneTimeTearDown]
    public Task StopServersAsync() => TestInfrastructure.StopAsync();
}

using NUnit.Framework;
using TgFleet.Testing;

// Outside any namespace: it wraps every fixture of the assembly.
[SetUpFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "NUnit runs a namespace-less SetUpFixture around the whole assembly.")]
public sealed class AssemblySetUp : FleetTestRun;

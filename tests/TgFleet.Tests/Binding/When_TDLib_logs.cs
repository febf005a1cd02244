using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using TgFleet.Tdlib;
using TgFleet.Testing;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_TDLib_logs
{
    [Test]
    public async Task Its_messages_reach_ILogger_under_the_TDLib_category()
    {
        var captured = new CapturingLoggerFactory();
        var manager = BindingRun.Manager; // started first: starting configures the log bridge too
        try
        {
            // Debug verbosity for a moment, so that starting a client logs something.
            LibTdJsonBackend.Create(captured, logVerbosityLevel: 4);
            await using (var client = manager.CreateClient())
            {
                await client.SendAsync(new Td.GetOption { Name = "version" }, TimeSpan.FromSeconds(30));
            }

            await Wait.UntilAsync(() => !captured.Messages.IsEmpty, TimeSpan.FromSeconds(10), () => "nothing logged");
        }
        finally
        {
            LibTdJsonBackend.Create();
        }

        Assert.That(captured.Messages.Select(m => m.Category), Has.All.EqualTo("TDLib"));
        Assert.That(captured.Messages.Select(m => m.Level), Has.All.InRange(LogLevel.Trace, LogLevel.Critical));
        Assert.That(captured.Messages.Select(m => m.Text), Has.Some.StartsWith("TDLib ["));
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Text)> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(CapturingLoggerFactory factory, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                factory.Messages.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

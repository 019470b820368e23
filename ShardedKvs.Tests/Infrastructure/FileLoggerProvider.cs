using Microsoft.Extensions.Logging;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Writes an in-process node's log to a file, one line per entry with the time, level and category:
/// <c>KVS_NODE_LOGS=&lt;folder&gt;</c> keeps every node's log of a run for debugging it (see
/// <see cref="TestNode"/>). The writer is shared by the node's loggers and guarded by its own lock.
/// </summary>
public sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
    private bool _disposed; // under the writer's lock

    /// <summary>The folder named by <c>KVS_NODE_LOGS</c>, or null when node logs are not kept.</summary>
    public static string? Folder => Environment.GetEnvironmentVariable("KVS_NODE_LOGS") is { Length: > 0 } folder ? folder : null;

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_writer)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }

    private void Write(string line)
    {
        lock (_writer)
        {
            if (!_disposed)
            {
                _writer.WriteLine(line);
            }
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        private readonly string _category = category[(category.LastIndexOf('.') + 1)..];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString()[..4]} {_category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
    }
}

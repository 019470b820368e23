using System.Diagnostics;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// The node as the image carries it: deploy/image/publish.sh (one Native AOT executable for linux-x64),
/// published when a test first asks for it, into a folder of its own that is deleted afterwards, so
/// the other tests of the namespace collection never wait for its compile (about 90 s). When
/// KVS_PUBLISHED_NODE names a folder publish.sh wrote (`.ci/run` publishes before the tests, so the
/// compile does not compete with running tests for the two cores), that folder is used as it is.
/// </summary>
public sealed class PublishedNodeFixture : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(6);
    private readonly Lazy<Task<string>> _directory;
    private string? _published;

    public PublishedNodeFixture() => _directory = new(PublishAsync);

    /// <summary>Why the node cannot be published here (publish.sh compiles it Native AOT, which links
    /// with clang or gcc), or null when it can or KVS_PUBLISHED_NODE names a published one.</summary>
    public static string? MissingLinker() =>
        Environment.GetEnvironmentVariable("KVS_PUBLISHED_NODE") is { Length: > 0 }
        || NetworkNamespaceFactAttribute.IsOnPath("clang") || NetworkNamespaceFactAttribute.IsOnPath("gcc")
            ? null
            : "needs clang or gcc to publish the node Native AOT (apt-get install clang, as .ci/run does), or KVS_PUBLISHED_NODE naming a folder deploy/image/publish.sh wrote";

    /// <summary>The image's entrypoint, ShardedKvs.Node; the first call publishes it.</summary>
    public async Task<string> ExecutableAsync() => Path.Combine(await _directory.Value, "ShardedKvs.Node");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (_published is not null && Directory.Exists(_published))
        {
            Directory.Delete(_published, recursive: true);
        }

        return Task.CompletedTask;
    }

    private async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable("KVS_PUBLISHED_NODE") is { Length: > 0 } given)
        {
            return File.Exists(Path.Combine(given, "ShardedKvs.Node"))
                ? given
                : throw new InvalidOperationException($"KVS_PUBLISHED_NODE={given} holds no published node (run deploy/image/publish.sh {given})");
        }

        string target = Path.Combine(Path.GetTempPath(), $"kvs-published-{Guid.NewGuid():N}");
        _published = target;
        var start = new ProcessStartInfo("bash", [RepositoryFiles.PathOf("deploy/image/publish.sh"), target])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process publish = Process.Start(start)!;
        Task<string> stdout = publish.StandardOutput.ReadToEndAsync();
        Task<string> stderr = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(PublishTimeout);
        try
        {
            await publish.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            publish.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/image/publish.sh did not finish within {PublishTimeout}");
        }

        if (publish.ExitCode != 0 || !File.Exists(Path.Combine(target, "ShardedKvs.Node")))
        {
            throw new InvalidOperationException($"deploy/image/publish.sh failed ({publish.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        return target;
    }
}

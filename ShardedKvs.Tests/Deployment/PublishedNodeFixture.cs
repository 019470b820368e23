using System.Diagnostics;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// The node as the image carries it: deploy/image/publish.sh (one Native AOT executable for linux-x64)
/// run once for the namespace tests, into a folder of its own that is deleted afterwards. When
/// KVS_PUBLISHED_NODE names a folder publish.sh wrote (`.ci/run` publishes before the tests, so the
/// compile does not compete with running tests for the two cores), that folder is used as it is.
/// </summary>
public sealed class PublishedNodeFixture : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(6);
    private string? _directory;
    private bool _owned = true;

    /// <summary>The published folder; its ShardedKvs.Node executable is the image's entrypoint.</summary>
    public string Directory => _directory ?? throw new InvalidOperationException("The node was not published (namespace tests are skipped here).");

    public string Executable => Path.Combine(Directory, "ShardedKvs.Node");

    /// <summary>Why the node cannot be published here (publish.sh compiles it Native AOT, which links
    /// with clang or gcc), or null when it can or KVS_PUBLISHED_NODE names a published one.</summary>
    public static string? MissingLinker() =>
        Environment.GetEnvironmentVariable("KVS_PUBLISHED_NODE") is { Length: > 0 }
        || NetworkNamespaceFactAttribute.IsOnPath("clang") || NetworkNamespaceFactAttribute.IsOnPath("gcc")
            ? null
            : "needs clang or gcc to publish the node Native AOT (apt-get install clang, as .ci/run does), or KVS_PUBLISHED_NODE naming a folder deploy/image/publish.sh wrote";

    public async Task InitializeAsync()
    {
        if (NetworkNamespaceFactAttribute.MissingPrerequisite() is not null || MissingLinker() is not null)
        {
            return; // every test that would use it is skipped
        }

        if (Environment.GetEnvironmentVariable("KVS_PUBLISHED_NODE") is { Length: > 0 } given)
        {
            _directory = File.Exists(Path.Combine(given, "ShardedKvs.Node"))
                ? given
                : throw new InvalidOperationException($"KVS_PUBLISHED_NODE={given} holds no published node (run deploy/image/publish.sh {given})");
            _owned = false;
            return;
        }

        string target = Path.Combine(Path.GetTempPath(), $"kvs-published-{Guid.NewGuid():N}");
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

        _directory = target;
    }

    public Task DisposeAsync()
    {
        if (_owned && _directory is not null && System.IO.Directory.Exists(_directory))
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}

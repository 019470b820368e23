namespace ShardedKvs.Tests.Infrastructure;

/// <summary>Files of the repository the tests check (deployment manifests, scripts).</summary>
public static class RepositoryFiles
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds ShardedKvs.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ShardedKvs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ShardedKvs.sln above {AppContext.BaseDirectory}");
    }
}

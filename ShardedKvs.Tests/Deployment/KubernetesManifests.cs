using k8s;
using ShardedKvs.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// The files of deploy/kubernetes, parsed the strict way: KubernetesClient's model rejects any
/// field the Kubernetes API does not define, as a cluster's schema validation would.
/// </summary>
public static class KubernetesManifests
{
    public const string Folder = "deploy/kubernetes";

    /// <summary>Every manifest of a Kubernetes resource: the kustomization's resources plus the Jobs.</summary>
    public static IEnumerable<string> ResourceFiles() =>
        Directory.EnumerateFiles(RepositoryFiles.PathOf(Folder), "*.yaml", SearchOption.AllDirectories)
            .Where(path => Path.GetFileName(path) != "kustomization.yaml")
            .Select(path => Path.GetRelativePath(RepositoryFiles.Root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>All objects of a YAML text, each typed by its apiVersion and kind; unknown fields throw.</summary>
    public static List<object> ParseStrict(string yaml) => KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true);

    /// <summary>The one object a manifest file holds (one resource per file).</summary>
    public static T Load<T>(string file)
    {
        List<object> objects = ParseStrict(RepositoryFiles.Read($"{Folder}/{file}"));
        object only = Assert.Single(objects);
        return Assert.IsType<T>(only);
    }

    /// <summary>The kustomization, which is not a Kubernetes resource, as a plain YAML mapping.</summary>
    public static YamlMappingNode Kustomization()
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read($"{Folder}/kustomization.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    /// <summary>The keys an env-style file defines (key=value lines; # starts a comment).</summary>
    public static IReadOnlySet<string> EnvFileKeys(string file) =>
        RepositoryFiles.Read($"{Folder}/{file}")
            .Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line[..line.IndexOf('=', StringComparison.Ordinal)])
            .ToHashSet(StringComparer.Ordinal);
}

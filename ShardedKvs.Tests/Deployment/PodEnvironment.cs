using System.Text.RegularExpressions;
using k8s.Models;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// A container's environment as the kubelet would give it: downward-API fields, Secret and
/// ConfigMap keys, and <c>$(VAR)</c> references to variables defined earlier in the list (a
/// reference to a later or unknown variable stays as written, as in Kubernetes).
/// </summary>
public static partial class PodEnvironment
{
    public static Dictionary<string, string> Expand(
        IEnumerable<V1EnvVar> env,
        IReadOnlyDictionary<string, string> fields,
        IReadOnlyDictionary<string, string> secretKeys,
        IReadOnlyDictionary<string, string>? configMapKeys = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (V1EnvVar variable in env)
        {
            result[variable.Name] = variable switch
            {
                { ValueFrom.FieldRef: { } field } => fields[field.FieldPath],
                { ValueFrom.SecretKeyRef: { } secret } => secretKeys[secret.Key],
                { ValueFrom.ConfigMapKeyRef: { } config } => (configMapKeys ?? new Dictionary<string, string>())[config.Key],
                _ => Reference().Replace(variable.Value ?? "", m => result.TryGetValue(m.Groups[1].Value, out string? defined) ? defined : m.Value),
            };
        }

        return result;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}

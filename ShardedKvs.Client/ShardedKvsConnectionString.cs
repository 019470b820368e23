using System.Data.Common;

namespace ShardedKvs.Client;

/// <summary>
/// The connection string the Aspire hosting integration hands to apps:
/// <c>Endpoints=localhost:13801,localhost:13802</c>. A bare list ("h1:p1,h2:p2") is accepted too.
/// </summary>
public static class ShardedKvsConnectionString
{
    /// <summary>The key that lists the seed nodes.</summary>
    public const string EndpointsKey = "Endpoints";

    /// <summary>The seed endpoints the connection string names.</summary>
    /// <exception cref="FormatException">No endpoints, or an entry that is not host:port.</exception>
    public static IReadOnlyList<string> ParseEndpoints(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        string list = connectionString;
        if (connectionString.Contains('=', StringComparison.Ordinal))
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            list = builder.TryGetValue(EndpointsKey, out object? value) ? value?.ToString() ?? "" : "";
        }

        string[] endpoints = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (endpoints.Length == 0)
        {
            throw new FormatException($"ShardedKvs connection string names no endpoints; expected \"{EndpointsKey}=host:port,...\".");
        }

        foreach (string endpoint in endpoints)
        {
            if (!Ring.ViewParser.IsValidAddress(endpoint))
            {
                throw new FormatException($"ShardedKvs connection string: '{endpoint}' is not host:port.");
            }
        }

        return endpoints;
    }
}

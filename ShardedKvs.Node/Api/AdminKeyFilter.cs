using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ShardedKvs.Node.Api;

/// <summary>When ADMIN_KEY is set, administrative endpoints require it as a bearer token.</summary>
public sealed class AdminKeyFilter(IOptions<NodeOptions> options) : IEndpointFilter
{
    private readonly byte[]? _adminKey = string.IsNullOrEmpty(options.Value.AdminKey) ? null : Encoding.UTF8.GetBytes(options.Value.AdminKey);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_adminKey is null)
        {
            return next(context);
        }

        string? header = context.HttpContext.Request.Headers.Authorization;
        const string scheme = "Bearer ";
        bool valid = header is not null
            && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _adminKey);
        return valid
            ? next(context)
            : ValueTask.FromResult<object?>(ApiErrors.Create(StatusCodes.Status401Unauthorized, "Admin key required (Authorization: Bearer <ADMIN_KEY>)", ApiErrors.MessageFor(context.HttpContext.Request)));
    }
}

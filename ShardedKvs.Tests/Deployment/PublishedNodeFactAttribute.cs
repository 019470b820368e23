using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// A test that runs the published node (<see cref="PublishedNodeFixture"/>) on hosts made of network
/// namespaces: besides what <see cref="NetworkNamespaceFactAttribute"/> needs, a linker for the Native
/// AOT publish. Where something is missing the test is reported as skipped with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PublishedNodeFactAttribute : FactAttribute
{
    public PublishedNodeFactAttribute()
    {
        if ((NetworkNamespaceFactAttribute.MissingPrerequisite() ?? PublishedNodeFixture.MissingLinker()) is { } reason)
        {
            Skip = reason;
        }
    }
}

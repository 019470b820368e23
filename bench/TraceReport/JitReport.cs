using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

/// <summary>
/// What the JIT compiled and how long each compile took, by tier, by namespace and by method, from the
/// runtime's MethodJittingStarted and MethodLoadVerbose events (a compile's time runs from its start to
/// its load on the same thread, so it includes the time the compiling thread was not running), and the
/// exceptions thrown, by type and message (each captures a stack trace, and its first throws run code
/// nothing else had run). Record with
/// <c>dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x8010:5 --duration 00:00:00:20 -o FILE.nettrace</c>.
/// </summary>
internal static class JitReport
{
    public static void Print(string trace, int top)
    {
        var started = new Dictionary<(long Method, int Thread), double>();
        var compiles = new List<(string Method, string Tier, double Ms, double At)>();
        var exceptions = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var source = new EventPipeEventSource(trace))
        {
            source.Clr.MethodJittingStarted += (MethodJittingStartedTraceData e) => started[((long)e.MethodID, e.ThreadID)] = e.TimeStampRelativeMSec;
            source.Clr.MethodLoadVerbose += (MethodLoadUnloadVerboseTraceData e) =>
            {
                if (started.Remove(((long)e.MethodID, e.ThreadID), out double start))
                {
                    compiles.Add(($"{e.MethodNamespace}::{e.MethodName}", e.OptimizationTier.ToString(), e.TimeStampRelativeMSec - start, start));
                }
            };
            source.Clr.ExceptionStart += (ExceptionTraceData e) =>
            {
                string thrown = $"{e.ExceptionType}: {e.ExceptionMessage}";
                exceptions[thrown] = exceptions.GetValueOrDefault(thrown) + 1;
            };
            source.Process();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{compiles.Count} compiles, {compiles.Sum(c => c.Ms):F0} ms"));
        foreach (IGrouping<string, (string Method, string Tier, double Ms, double At)> tier in compiles.GroupBy(c => c.Tier).OrderByDescending(g => g.Sum(c => c.Ms)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {tier.Key,-28} {tier.Count(),6} compiles {tier.Sum(c => c.Ms),8:F0} ms"));
        }

        Console.WriteLine("by namespace (its first three parts):");
        foreach (IGrouping<string, (string Method, string Tier, double Ms, double At)> space in compiles
            .GroupBy(c => string.Join('.', c.Method.Split("::")[0].Split('.').Take(3)))
            .OrderByDescending(g => g.Sum(c => c.Ms))
            .Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {space.Sum(c => c.Ms),8:F0} ms {space.Count(),6} {space.Key}"));
        }

        Console.WriteLine("longest compiles:");
        foreach ((string method, string tierName, double ms, double at) in compiles.OrderByDescending(c => c.Ms).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {ms,8:F1} ms at {at / 1000,6:F2} s {tierName,-24} {method}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{exceptions.Values.Sum()} exceptions thrown:"));
        foreach ((string thrown, int count) in exceptions.OrderByDescending(e => e.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count,6} {thrown}"));
        }
    }
}

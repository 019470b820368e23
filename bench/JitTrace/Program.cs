using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// JitTrace FILE.nettrace [TOP]: what the JIT compiled and how long each compile took, by tier and by
// method, from the runtime's MethodJittingStarted and MethodLoadVerbose events (a compile's time is from
// its start to its load on the same thread, so it includes the time the compiling thread was not running),
// and the exceptions thrown, by type and message (each one captures a stack trace, and its first throws
// run code nothing else had run). Record with
//   dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x8010:5 --duration 00:00:00:20 -o FILE.nettrace
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: JitTrace FILE.nettrace [TOP]");
    return 2;
}

int top = args.Length == 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
var started = new Dictionary<(long Method, int Thread), double>();
var compiles = new List<(string Method, string Tier, double Ms, double At)>();
var exceptions = new Dictionary<string, int>(StringComparer.Ordinal);
using (var source = new EventPipeEventSource(args[0]))
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
foreach (var tier in compiles.GroupBy(c => c.Tier).OrderByDescending(g => g.Sum(c => c.Ms)))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {tier.Key,-28} {tier.Count(),6} compiles {tier.Sum(c => c.Ms),8:F0} ms"));
}

Console.WriteLine("by namespace (the first three parts):");
foreach (var space in compiles.GroupBy(c => string.Join('.', c.Method.Split("::")[0].Split('.').Take(3))).OrderByDescending(g => g.Sum(c => c.Ms)).Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {space.Sum(c => c.Ms),8:F0} ms {space.Count(),6} {space.Key}"));
}

Console.WriteLine("longest compiles:");
foreach (var c in compiles.OrderByDescending(c => c.Ms).Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c.Ms,8:F1} ms at {c.At / 1000,6:F2} s {c.Tier,-24} {c.Method}"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{exceptions.Values.Sum()} exceptions thrown:"));
foreach ((string thrown, int count) in exceptions.OrderByDescending(e => e.Value).Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count,6} {thrown}"));
}

return 0;

namespace RaftSpike.Experiments;

public static class Stats
{
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static string Summary(IReadOnlyList<double> ms) =>
        ms.Count == 0 ? "no samples" : $"n={ms.Count} p50={Percentile(ms, 50):F1} ms p99={Percentile(ms, 99):F1} ms max={ms.Max():F1} ms";
}

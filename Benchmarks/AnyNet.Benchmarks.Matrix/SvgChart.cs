using System.Globalization;
using System.Net;
using System.Text;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>A grouped bar chart, written by hand: one group per cell, one bar per server, height = ratio to the C ceiling.</summary>
internal static class SvgChart
{
    private static readonly Dictionary<string, string> s_colors = new(StringComparer.Ordinal)
    {
        ["c-epoll"] = "#555555",
        ["sockets"] = "#9e9e9e",
        ["tasks"] = "#1f77b4",
        ["reactor"] = "#ff7f0e",
        ["libuv"] = "#2ca02c",
    };

    public static string Render(MatrixOptions options, MachineInfo machine, IReadOnlyList<CellResult> cells)
    {
        var servers = options.Servers.Where(s => cells.Any(c => c.Server == s && c.Failure is null)).ToList();
        var groups = options.Connections.SelectMany(n => options.Sizes.Select(s => (Connections: n, Size: s))).ToList();
        bool haveCeiling = servers.Contains(Report.Ceiling);
        string reference = haveCeiling ? Report.Ceiling : Report.Baseline;

        const int BarWidth = 14;
        const int GroupGap = 18;
        const int Left = 60;
        const int Top = 70;
        const int PlotHeight = 260;
        int groupWidth = Math.Max(1, servers.Count) * BarWidth + GroupGap;
        int width = Math.Max(760, Left + groups.Count * groupWidth + 20);
        int height = Top + PlotHeight + 90;

        double Ratio(string server, int n, int s)
        {
            CellResult? a = cells.FirstOrDefault(c => c.Server == server && c.Connections == n && c.Size == s && c.Failure is null);
            CellResult? b = cells.FirstOrDefault(c => c.Server == reference && c.Connections == n && c.Size == s && c.Failure is null);
            return a is null || b is null || b.MessagesPerSecond <= 0 ? double.NaN : a.MessagesPerSecond / b.MessagesPerSecond;
        }

        double max = 1.2;
        foreach ((int n, int s) in groups)
        {
            foreach (string server in servers)
            {
                double r = Ratio(server, n, s);
                if (!double.IsNaN(r))
                {
                    max = Math.Max(max, Math.Ceiling(r * 5) / 5);
                }
            }
        }

        var svg = new StringBuilder();
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        double Y(double ratio) => Top + PlotHeight - ratio / max * PlotHeight;

        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Echo throughput (messages/s) relative to {reference} = 1.0x</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"36\" fill=\"#444\">{WebUtility.HtmlEncode($"{machine.Date:yyyy-MM-dd} - {machine.Cpu}, server and load generator on separate pinned cores - {(options.Quick ? "quick" : "full")} run")}</text>");

        for (double tick = 0; tick <= max + 1e-9; tick += 0.2)
        {
            double y = Y(tick);
            bool one = Math.Abs(tick - 1) < 1e-9;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{width - 10}\" y2=\"{F(y)}\" stroke=\"{(one ? "#d62728" : "#e0e0e0")}\"{(one ? " stroke-dasharray=\"4 3\"" : "")}/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{tick.ToString("0.0", CultureInfo.InvariantCulture)}x</text>");
        }

        for (int g = 0; g < groups.Count; g++)
        {
            (int n, int s) = groups[g];
            double x0 = Left + g * groupWidth + GroupGap / 2.0;
            for (int i = 0; i < servers.Count; i++)
            {
                double r = Ratio(servers[i], n, s);
                if (double.IsNaN(r))
                {
                    continue;
                }

                double y = Y(Math.Min(r, max));
                string color = s_colors.GetValueOrDefault(servers[i], "#8c564b");
                double labelX = x0 + i * BarWidth + BarWidth / 2.0 + 2;
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(labelX)}\" y=\"{F(y - 3)}\" font-size=\"8\" fill=\"#333\" transform=\"rotate(-90 {F(labelX)} {F(y - 3)})\">{r.ToString("0.00", CultureInfo.InvariantCulture)}</text>");
                svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{F(x0 + i * BarWidth)}\" y=\"{F(y)}\" width=\"{BarWidth - 2}\" height=\"{F(Top + PlotHeight - y)}\" fill=\"{color}\"><title>{servers[i]} {n} x {Report.SizeText(s)}: {r.ToString("0.00", CultureInfo.InvariantCulture)}x</title></rect>");
            }

            double center = x0 + servers.Count * BarWidth / 2.0;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(center)}\" y=\"{Top + PlotHeight + 14}\" text-anchor=\"middle\">{n}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(center)}\" y=\"{Top + PlotHeight + 27}\" text-anchor=\"middle\">{Report.SizeText(s)}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + PlotHeight + 14}\" text-anchor=\"end\" fill=\"#444\">conns</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + PlotHeight + 27}\" text-anchor=\"end\" fill=\"#444\">size</text>");
        double lx = Left;
        foreach (string server in servers)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{F(lx)}\" y=\"{Top + PlotHeight + 45}\" width=\"12\" height=\"12\" fill=\"{s_colors.GetValueOrDefault(server, "#8c564b")}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(lx + 16)}\" y=\"{Top + PlotHeight + 55}\">{server}</text>");
            lx += 30 + server.Length * 7;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}

import Foundation

/// The benchmark's picture (SVG, no dependencies): on top, the audio stream's one-way delay over time for every
/// run, around the scenario's outage (whole run when there is no script), with outages shaded and packets lost
/// or late marked above the plot; below, the delay distribution: the share of all sent packets delivered within
/// x ms, so that each curve's plateau at the deadline is that run's availability.
enum BenchChart {
    static let colors = ["net0": "#1f77b4", "net1": "#ff7f0e", "wg": "#9467bd", "mlink": "#2ca02c"]

    static func svg(_ result: BenchResult) -> String {
        let width = 960.0, left = 70.0, right = 200.0
        let plotWidth = width - left - right
        let scenario = result.scenario, seconds = result.runSeconds
        let steps = scenario.stepTimes(runSeconds: seconds)
        let window = steps.isEmpty ? (0.0, seconds)
            : (max(0, (steps.min() ?? 0) - 2), min(seconds, (steps.max() ?? seconds) + 2))
        var out: [String] = []
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"700\" "
                   + "font-family=\"sans-serif\" font-size=\"12\">")
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        out.append(text(left, 20, "\(scenario.name): \(scenario.description)", size: 14, bold: true))

        // Panel 1: delay over time.
        let lostTop = 40.0, plotTop = 40.0 + Double(result.runs.count) * 10 + 10, plotBottom = 340.0
        let delivered = result.audioSeries.values.flatMap { $0 }.filter { $0.0 >= window.0 && $0.0 <= window.1 }
            .compactMap(\.1).sorted()
        let high = delivered.isEmpty ? scenario.deadline * 1000 : delivered[min(delivered.count - 1, Int(0.999 * Double(delivered.count)))]
        let yMax = niceCeiling(max(high * 1.15, result.idealDelay * 1000 * 1.3, 5))
        func x(_ t: Double) -> Double { left + (t - window.0) / max(window.1 - window.0, 0.001) * plotWidth }
        func y(_ ms: Double) -> Double { plotBottom - min(ms, yMax) / yMax * (plotBottom - plotTop) }
        for (net, start, end) in outages(result, window: window) {
            out.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\" opacity=\"0.12\"/>",
                              x(start), plotTop, max(1, x(end) - x(start)), plotBottom - plotTop, colors[net] ?? "#999"))
        }
        out.append(axes(left: left, top: plotTop, width: plotWidth, bottom: plotBottom))
        for tick in ticks(window.0, window.1) {
            out.append(text(x(tick), plotBottom + 16, format(tick) + " s", anchor: "middle"))
        }
        for tick in ticks(0, yMax) {
            out.append(text(left - 6, y(tick) + 4, format(tick), anchor: "end"))
            out.append(String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>",
                              left, left + plotWidth, y(tick), y(tick)))
        }
        out.append(text(18, (plotTop + plotBottom) / 2, "one-way delay (ms), audio", anchor: "middle", rotate: true))
        out.append(text(left - 6, lostTop + 8, "lost/late", anchor: "end", size: 10))
        for (index, run) in result.runs.enumerated() {
            let color = colors[run.id] ?? "#000"
            let series = (result.audioSeries[run.id] ?? []).filter { $0.0 >= window.0 && $0.0 <= window.1 }
            var segment: [String] = []
            func flush() {
                if segment.count > 1 {
                    out.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\" points=\"\(segment.joined(separator: " "))\"/>")
                } else if let only = segment.first {
                    let parts = only.split(separator: ",")
                    out.append("<circle cx=\"\(parts[0])\" cy=\"\(parts[1])\" r=\"1.2\" fill=\"\(color)\"/>")
                }
                segment = []
            }
            let row = lostTop + Double(index) * 10
            for (t, delay) in series {
                if let delay {
                    segment.append(String(format: "%.1f,%.1f", x(t), y(delay)))
                } else {
                    flush()
                    out.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"1.5\" height=\"7\" fill=\"%@\"/>", x(t), row, color))
                }
            }
            flush()
        }
        // The ideal: the fastest live link's fixed delay, which moves when links go down and come back.
        var ideal: [String] = []
        var t = window.0
        while t <= window.1 {
            if let delay = scenario.idealDelay(at: t, runSeconds: seconds) {
                ideal.append(String(format: "%.1f,%.1f", x(t), y(delay * 1000)))
            }
            t += 0.01
        }
        out.append("<polyline fill=\"none\" stroke=\"#555\" stroke-dasharray=\"4 3\" points=\"\(ideal.joined(separator: " "))\"/>")

        // Panel 2: delay distribution of all packets (audio and video).
        let top2 = 400.0, bottom2 = 660.0
        let xMax = scenario.deadline * 1000
        func x2(_ ms: Double) -> Double { left + min(ms, xMax) / xMax * plotWidth }
        func y2(_ share: Double) -> Double { bottom2 - share * (bottom2 - top2) }
        out.append(axes(left: left, top: top2, width: plotWidth, bottom: bottom2))
        for tick in ticks(0, xMax) { out.append(text(x2(tick), bottom2 + 16, format(tick) + " ms", anchor: "middle")) }
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            out.append(text(left - 6, y2(tick) + 4, "\(Int(tick * 100))%", anchor: "end"))
            out.append(String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>",
                              left, left + plotWidth, y2(tick), y2(tick)))
        }
        out.append(text(18, (top2 + bottom2) / 2, "delivered within x", anchor: "middle", rotate: true))
        out.append(text(left + plotWidth / 2, bottom2 + 34, "one-way delay, all packets (deadline at the right edge)",
                        anchor: "middle"))
        for run in result.runs {
            guard let (sorted, sent) = result.delays[run.id], sent > 0 else { continue }
            var points: [String] = [String(format: "%.1f,%.1f", x2(0), y2(0))]
            let stride = max(1, sorted.count / 400)
            for index in Swift.stride(from: 0, to: sorted.count, by: stride) where sorted[index] <= xMax {
                points.append(String(format: "%.1f,%.1f", x2(sorted[index]), y2(Double(index + 1) / Double(sent))))
            }
            let within = sorted.filter { $0 <= xMax }.count
            points.append(String(format: "%.1f,%.1f", x2(xMax), y2(Double(within) / Double(sent))))
            out.append("<polyline fill=\"none\" stroke=\"\(colors[run.id] ?? "#000")\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>")
        }

        // Legend.
        var legendY = plotTop
        for run in result.runs {
            let color = colors[run.id] ?? "#000"
            out.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%@\"/>", left + plotWidth + 16, legendY, color))
            out.append(text(left + plotWidth + 36, legendY + 6, run.title))
            out.append(text(left + plotWidth + 36, legendY + 20, String(format: "avail %.2f%%, p50 %.1f ms", run.total.availability * 100,
                                                                     run.audio.p50Ms ?? 0), size: 10))
            legendY += 36
        }
        out.append(text(left + plotWidth + 16, legendY + 6, "- - fastest live link's delay", size: 10))
        out.append(text(left + plotWidth + 16, legendY + 20, "shaded: a link is down", size: 10))
        out.append(text(left + plotWidth + 16, legendY + 34, String(format: "ideal loss %.3f%%", result.idealLoss * 100), size: 10))
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// Intervals within `window` where a link is down, sampled every 10 ms.
    private static func outages(_ result: BenchResult, window: (Double, Double)) -> [(String, Double, Double)] {
        var found: [(String, Double, Double)] = []
        for (index, net) in result.scenario.nets.enumerated() {
            var start: Double?
            var t = window.0
            while t <= window.1 {
                let down = Scenario.isDown(result.scenario.settings(at: t, runSeconds: result.runSeconds)[index], at: t)
                if down && start == nil { start = t }
                if !down, let begun = start { found.append((net.name, begun, t)); start = nil }
                t += 0.01
            }
            if let begun = start { found.append((net.name, begun, window.1)) }
        }
        return found
    }

    private static func axes(left: Double, top: Double, width: Double, bottom: Double) -> String {
        String(format: "<path d=\"M%.1f %.1f V%.1f H%.1f\" fill=\"none\" stroke=\"#333\"/>", left, top, bottom, left + width)
    }

    private static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", size: Int = 12,
                             bold: Bool = false, rotate: Bool = false) -> String {
        let escaped = content.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        let transform = rotate ? String(format: " transform=\"rotate(-90 %.1f %.1f)\"", x, y) : ""
        return String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%@\" font-size=\"%d\"%@%@>", x, y, anchor, size,
                      bold ? " font-weight=\"bold\"" : "", transform) + escaped + "</text>"
    }

    /// About five round tick values from `low` to `high`.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let span = max(high - low, 1e-9)
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var value = ceil(low / step) * step
        while value <= high + step * 1e-9 {
            values.append(value)
            value += step
        }
        return values
    }

    static func niceCeiling(_ value: Double) -> Double {
        let step = ticks(0, value).count > 1 ? ticks(0, value)[1] : value
        return ceil(value / step) * step
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

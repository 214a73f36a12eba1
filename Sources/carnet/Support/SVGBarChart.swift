/// A horizontal grouped bar chart as inline SVG: one group of bars per row (a week, a
/// canteen, a family), one bar per series, the value written at the end of each bar, and
/// optional vertical reference lines (a target). Horizontal, so that long names and dates
/// stay readable without turned text; the height grows with the rows.
///
/// The chart is for the eye: it is `role="img"` with an `aria-label`, a `<title>` and a
/// `<desc>` saying what it shows, and every figure it draws is also in the table that
/// follows it on the page. All text is escaped here; it draws nothing from outside the page.
struct SVGBarChart {
    struct Series {
        var name: String
        /// A CSS colour; the page uses a palette that colour-blind readers tell apart.
        var colour: String
    }

    /// One bar: its length, and its value as the page writes it (`1 234,50 €`, `66,67 %`).
    struct Bar {
        var value: Double
        var text: String
    }

    struct Group {
        var label: String
        /// One per series, in the series' order; nil where the series has nothing (its slot
        /// stays empty, so that a series is always at the same place in a group).
        var bars: [Bar?]
    }

    struct ReferenceLine {
        var value: Double
        var label: String
    }

    var title: String
    var description: String
    var series: [Series]
    var groups: [Group]
    var references: [ReferenceLine] = []
    /// The value at the right end of the plot (100 for shares); by default the largest
    /// bar or reference line.
    var maximum: Double?

    // Geometry, in CSS pixels of a chart drawn at its natural width.
    private static let width = 960, labelRight = 232, plotLeft = 240, plotWidth = 560
    private static let barHeight = 14, barGap = 3, groupGap = 12, legendHeight = 26, referenceLabelHeight = 18

    /// The chart in a `<figure>` whose visible caption is its title.
    var svg: String {
        let slot = Self.barHeight + Self.barGap
        let groupHeight = series.count * slot - Self.barGap
        let plotTop = (series.count > 1 ? Self.legendHeight : 0) + (references.isEmpty ? 0 : Self.referenceLabelHeight) + 6
        let plotHeight = groups.count * (groupHeight + Self.groupGap)
        let height = plotTop + plotHeight + 8
        let largest = groups.flatMap { $0.bars.compactMap { $0?.value } }.max() ?? 0
        let top = maximum ?? max(largest, references.map(\.value).max() ?? 0)
        let scale = top > 0 ? Double(Self.plotWidth) / top : 0
        func length(_ value: Double) -> Int {
            guard value > 0 else { return 0 }
            return max(1, Int((min(value, top) * scale).rounded()))
        }

        // No xmlns: inline SVG in HTML needs none, and the page names no URL at all.
        var out = "<svg role=\"img\" aria-label=\"\(HTMLText.escape(title))\""
        out += " viewBox=\"0 0 \(Self.width) \(height)\" width=\"\(Self.width)\" height=\"\(height)\" class=\"chart\">\n"
        out += "<title>\(HTMLText.escape(title))</title>\n<desc>\(HTMLText.escape(description))</desc>\n"
        out += legend()
        for (index, group) in groups.enumerated() {
            let groupTop = plotTop + index * (groupHeight + Self.groupGap)
            let middle = groupTop + groupHeight / 2 + 4
            out += "<text x=\"\(Self.labelRight)\" y=\"\(middle)\" text-anchor=\"end\" class=\"label\">"
                + "\(HTMLText.escape(HTMLText.shortened(group.label, to: 34)))</text>\n"
            for (position, bar) in group.bars.enumerated() {
                guard let bar, position < series.count else { continue }
                let y = groupTop + position * slot
                let width = length(bar.value)
                out += "<rect x=\"\(Self.plotLeft)\" y=\"\(y)\" width=\"\(width)\" height=\"\(Self.barHeight)\""
                    + " fill=\"\(HTMLText.escape(series[position].colour))\"><title>"
                    + HTMLText.escape("\(group.label), \(series[position].name): \(bar.text)") + "</title></rect>"
                out += "<text x=\"\(Self.plotLeft + width + 5)\" y=\"\(y + Self.barHeight - 3)\" class=\"value\">"
                    + "\(HTMLText.escape(bar.text))</text>\n"
            }
        }
        out += "<line x1=\"\(Self.plotLeft)\" y1=\"\(plotTop - 2)\" x2=\"\(Self.plotLeft)\" y2=\"\(plotTop + plotHeight)\" class=\"axis\"/>\n"
        for reference in references {
            let x = Self.plotLeft + length(reference.value)
            out += "<line x1=\"\(x)\" y1=\"\(plotTop - 4)\" x2=\"\(x)\" y2=\"\(plotTop + plotHeight)\" class=\"target\"/>"
            out += "<text x=\"\(x)\" y=\"\(plotTop - 8)\" text-anchor=\"middle\" class=\"target-label\">"
                + "\(HTMLText.escape(reference.label))</text>\n"
        }
        return "<figure>\n<figcaption>\(HTMLText.escape(title))</figcaption>\n" + out + "</svg>\n</figure>\n"
    }

    /// A swatch and a name per series, side by side above the plot; none for one series,
    /// which the caption names.
    private func legend() -> String {
        var out = "", x = Self.plotLeft
        guard series.count > 1 else { return out }
        for entry in series {
            out += "<rect x=\"\(x)\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(HTMLText.escape(entry.colour))\"/>"
            out += "<text x=\"\(x + 17)\" y=\"16\" class=\"legend\">\(HTMLText.escape(entry.name))</text>\n"
            x += 17 + entry.name.count * 7 + 24
        }
        return out
    }
}

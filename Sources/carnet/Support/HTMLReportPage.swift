/// The HTML report as one self-contained page: inline CSS, inline SVG, no script, no
/// font, image or style sheet from anywhere, so that it opens offline, from a USB stick or
/// an e-mail attachment, years later. Its Content-Security-Policy forbids every fetch (a
/// browser refuses and reports one on its console, which the headless-browser test
/// watches for), so a mistake that adds an outside resource is caught, not silently
/// loaded.
enum HTMLReportPage {
    static func render(_ content: HTMLReportContent, language: ReportLanguage) -> String {
        let wording = HTMLReportWording(language: language)
        let sections = HTMLReportSections(content: content, wording: wording)
        return """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>\(HTMLText.escape(wording.pageTitle))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <header>
        <h1>\(HTMLText.escape(wording.pageTitle))</h1>
        <p>\(HTMLText.escape(wording.origin(ledger: content.ledger, node: content.node, day: content.day)))</p>
        <p>\(HTMLText.escape(wording.period(from: content.from, to: content.to, year: content.year)))</p>
        <p>\(HTMLText.escape(wording.amountsNote))</p>
        </header>
        <main>
        \(sections.egalim)\(sections.flows)\(sections.stock)\(sections.producers)\(sections.losses)</main>
        </body>
        </html>

        """
    }

    /// Legible on screen and on paper with the reader's own fonts; numbers in tabular
    /// figures, right-aligned and never wrapped.
    static let style = """
    body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #fff;
           margin: 2rem auto; max-width: 1200px; padding: 0 1rem; line-height: 1.4; }
    h1 { font-size: 1.6rem; margin-bottom: .3rem; }
    h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 2px solid #0072b2; padding-bottom: .2rem; }
    header p { margin: .2rem 0; color: #333; }
    table { border-collapse: collapse; margin: 1rem 0 1.5rem; font-size: .9rem; }
    caption { text-align: left; font-weight: 600; padding-bottom: .4rem; }
    th, td { border: 1px solid #c8c8c8; padding: .25rem .5rem; text-align: left; vertical-align: top; }
    thead th { background: #eef3f8; }
    tbody th { font-weight: normal; }
    .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
    thead th.num { white-space: normal; }
    .scroll { overflow-x: auto; }
    figure { margin: 1rem 0; }
    figcaption { font-weight: 600; margin-bottom: .3rem; }
    .chart { max-width: 100%; height: auto; display: block; }
    .chart text { font-family: inherit; font-size: 12px; fill: #1a1a1a; }
    .chart .value { font-variant-numeric: tabular-nums; }
    .chart .axis { stroke: #555; stroke-width: 1; }
    .chart .target { stroke: #d55e00; stroke-width: 2; stroke-dasharray: 6 4; }
    .chart .target-label { fill: #a04000; font-weight: 600; }
    @media print { body { margin: 0; max-width: none; } section { break-inside: avoid-page; } }
    """
}

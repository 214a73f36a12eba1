import CarnetLedger

/// The language of the HTML report: French by default, since the consortium, the canteens
/// and the EGalim declaration are French; English for partners who read it.
enum ReportLanguage: String, CaseIterable {
    case fr, en
}

/// Every sentence and heading of the HTML report, in French and in English, side by side,
/// so that a wording is changed once for both and neither language can lack a text.
/// Numbers are not here: they are written as the command line writes them, whatever the
/// language, so that the page and `carnet report ...` show the same strings.
struct HTMLReportWording {
    var language: ReportLanguage

    private func pick(_ french: String, _ english: String) -> String { language == .fr ? french : english }

    var pageTitle: String { pick("Carnet : le tableau du consortium", "Carnet: the consortium's report") }
    func origin(ledger: String, node: String, day: CalendarDay) -> String {
        pick("Registre « \(ledger) », lu sur le nœud \(node) le \(day.iso).", "Ledger “\(ledger)”, read on node \(node) on \(day.iso).")
    }
    func period(from: CalendarDay, to: CalendarDay, year: Int) -> String {
        pick("Flux, ventes et pertes du \(from.iso) au \(to.iso) inclus ; EGalim : année \(year).",
             "Flows, sales and losses from \(from.iso) to \(to.iso) included; EGalim: year \(year).")
    }
    var amountsNote: String {
        pick("Montants hors taxes ; les ventes annulées ne comptent pas. Chaque graphique est suivi d’un tableau des mêmes chiffres.",
             "Amounts before VAT; voided sales do not count. Each chart is followed by a table of the same figures.")
    }

    // EGalim
    var egalimHeading: String { pick("EGalim : les parts de chaque cantine", "EGalim: each canteen's shares") }
    var egalimIntro: String {
        pick("Achats de denrées des cantines, hors taxes, comptés comme la déclaration « ma cantine » : produits de qualité et durables (objectif 50 %), bio (20 %), viandes et poissons de qualité (60 %). ✓ : objectif atteint ; ✗ : pas atteint ; – : rien à compter. Le local est montré à côté, la loi ne le compte pas.",
             "Canteens' food purchases before VAT, counted as the “ma cantine” declaration counts them: quality and sustainable products (target 50 %), organic (20 %), quality meat and fish (60 %). ✓: target met; ✗: not met; –: nothing to count. Local is shown beside; the law does not count it.")
    }
    func egalimCaption(_ year: Int) -> String { pick("Parts EGalim par cantine, année \(year)", "EGalim shares per canteen, year \(year)") }
    func egalimChartTitle(_ year: Int) -> String {
        pick("Parts qualité et bio par cantine en \(year), avec les objectifs de 50 % et 20 %",
             "Quality and organic shares per canteen in \(year), against the 50 % and 20 % targets")
    }
    var egalimChartDescription: String {
        pick("Pour chaque cantine, une barre pour la part des achats de qualité et durables et une pour la part bio ; deux lignes verticales marquent les objectifs de 50 % et de 20 %. Le tableau suivant donne les mêmes chiffres.",
             "For each canteen, one bar for the share of quality and sustainable purchases and one for the organic share; two vertical lines mark the 50 % and 20 % targets. The next table gives the same figures.")
    }
    func noCanteen(_ year: Int) -> String {
        pick("Aucun achat de cantine en \(year) : les ventes aux parties de type canteen-public, canteen-private ou canteen comptent.",
             "No purchases by a canteen in \(year): sales to parties of kind canteen-public, canteen-private or canteen count.")
    }
    var buyer: String { pick("Cantine", "Canteen") }
    var purchases: String { pick("Achats", "Purchases") }
    var totalExclVAT: String { pick("Total HT", "Total excl. VAT") }
    var quality: String { pick("Qualité et durables", "Quality and sustainable") }
    var qualityShare: String { pick("Part qualité ≥ 50 %", "Quality share ≥ 50 %") }
    var organic: String { pick("Bio", "Organic") }
    var organicShare: String { pick("Part bio ≥ 20 %", "Organic share ≥ 20 %") }
    var meatAndFish: String { pick("Viandes et poissons", "Meat and fish") }
    var meatAndFishQuality: String { pick("dont qualité", "of which quality") }
    var meatAndFishShare: String { pick("Part viandes et poissons ≥ 60 %", "Meat and fish share ≥ 60 %") }
    var local: String { pick("Local (non compté)", "Local (not counted)") }
    var qualityTarget: String { pick("objectif qualité 50 %", "quality target 50 %") }
    var organicTarget: String { pick("objectif bio 20 %", "organic target 20 %") }

    // Flows
    var flowsHeading: String { pick("Flux par semaine : par la plateforme ou en direct", "Weekly flows: through the hub or direct") }
    var flowsIntro: String {
        pick("Chaque vente suit un circuit : par la plateforme (un hub ou un drive vend), par le réseau de gros, en direct (un producteur vend à un acheteur qui ne revend pas), ou approvisionnement (un producteur vend à la plateforme ou à un autre commerçant : montré à part pour ne rien compter deux fois).",
             "Each sale goes one route: through the hub (a hub or a drive sells), through the wholesale network, direct (a producer sells to a buyer that does not trade), or supply (a producer sells to the hub or another trader: shown apart so that nothing is counted twice).")
    }
    var flowsChartTitle: String { pick("Ventes hors taxes par semaine et par circuit", "Sales before VAT by week and route") }
    var flowsChartDescription: String {
        pick("Pour chaque semaine (désignée par son lundi), une barre par circuit, de longueur proportionnelle au montant hors taxes. Le tableau suivant donne les mêmes chiffres.",
             "For each week (named by its Monday), one bar per route, as long as its amount before VAT. The next table gives the same figures.")
    }
    var flowsWeeksCaption: String { pick("Ventes hors taxes par semaine et par circuit", "Sales before VAT by week and route") }
    var flowsLinesCaption: String {
        pick("Détail des flux par semaine, circuit, famille et territoire de l’acheteur", "Flows by week, route, family and the buyer's territory")
    }
    var weekOf: String { pick("Semaine du", "Week of") }
    var route: String { pick("Circuit", "Route") }
    var family: String { pick("Famille", "Family") }
    var territory: String { pick("Territoire", "Territory") }
    var exclVAT: String { pick("HT", "Excl. VAT") }
    var sales: String { pick("Ventes", "Sales") }
    var quantities: String { pick("Quantités", "Quantities") }
    var total: String { pick("Total", "Total") }
    var noSales: String { pick("Aucune vente sur la période.", "No sales in that period.") }

    func route(_ route: SaleFact.Route) -> String {
        switch route {
        case .hub: pick("par la plateforme", "through the hub")
        case .wholesale: pick("par le réseau de gros", "through wholesale")
        case .direct: pick("en direct", "direct")
        case .supply: pick("approvisionnement", "supply")
        }
    }

    // Stock
    var stockHeading: String { pick("Stock par famille de produits", "Stock by product family") }
    var stockIntro: String {
        pick("Le stock d’aujourd’hui, de tous les acteurs, par famille du catalogue ; un total sous zéro signale un conflit (carnet conflicts).",
             "Today's stock, of every actor, by the catalog's family; a total below zero points to a conflict (carnet conflicts).")
    }
    var stockCaption: String { pick("Stock par famille et par unité", "Stock by family and unit") }
    func stockChartTitle(_ unit: String) -> String { pick("Stock en \(unit) par famille", "Stock in \(unit) by family") }
    var stockChartDescription: String {
        pick("Une barre par famille, de longueur proportionnelle à la quantité en stock. Le tableau suivant donne les mêmes chiffres.",
             "One bar per family, as long as the quantity in stock. The next table gives the same figures.")
    }
    var stockSeries: String { pick("stock", "stock") }
    var unit: String { pick("Unité", "Unit") }
    var quantity: String { pick("Quantité", "Quantity") }
    var noStock: String { pick("Aucun stock.", "No stock on hand.") }
    var noFamily: String { pick("sans famille", "no family") }

    func family(_ family: ProductFamily?) -> String {
        guard let family else { return noFamily }
        if language == .fr { return family.frenchName }
        return switch family {
        case .meatPoultry: "Meat and poultry"
        case .seafood: "Seafood"
        case .fruitVegetables: "Fruit and vegetables"
        case .charcuterie: "Charcuterie"
        case .dairy: "Dairy, butter and eggs"
        case .bakery: "Bakery and pastry"
        case .drinks: "Drinks"
        case .other: "Other products"
        }
    }

    // Producers
    var producersHeading: String { pick("Ventes par producteur, circuit et produit", "Sales by producer, channel and product") }
    var producersCaption: String {
        pick("Par producteur, type d’acheteur et produit : quantité, montant hors taxes, prix moyen",
             "Per producer, buyer's kind and product: quantity, value before VAT, average price")
    }
    var producer: String { pick("Producteur", "Producer") }
    var channel: String { pick("Acheteur (type)", "Buyer's kind") }
    var product: String { pick("Produit", "Product") }
    var averagePrice: String { pick("Prix moyen HT", "Average price excl. VAT") }

    // Losses
    var lossesHeading: String { pick("Pertes par motif", "Losses by reason") }
    var lossesCaption: String { pick("Pertes par acteur, produit et motif", "Losses by actor, product and reason") }
    var actor: String { pick("Acteur", "Actor") }
    var reason: String { pick("Motif", "Reason") }
    var entries: String { pick("Saisies", "Entries") }
    var noLosses: String { pick("Aucune perte sur la période.", "No losses in that period.") }

    func reason(_ reason: LossReason) -> String {
        switch reason {
        case .unsold: pick("invendu", "unsold")
        case .damaged: pick("abîmé", "damaged")
        case .expired: pick("périmé", "expired")
        case .quality: pick("qualité", "quality")
        case .other: pick("autre", "other")
        }
    }
}

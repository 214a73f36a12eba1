/// The quality and origin labels a product may carry, in the categories the EGalim law
/// counts (Code rural L640-2, and the "ma cantine" service of the French state, whose
/// purchase categories these map to one for one so that a canteen can copy Carnet's
/// figures into its declaration). protocol/SPEC.md §10.2 lists them.
///
/// Three are mentions the law does not count (`france`, `short-circuit`, `local`): they
/// are shown beside the EGalim shares, never counted in one.
///
/// The order is the declaration's precedence: a product with several labels is counted in
/// the first category it has (organic before Label Rouge before AOP, and so on), as "ma
/// cantine" aggregates a purchase in one category only.
public enum QualityLabel: String, Sendable, CaseIterable, Comparable {
    case organic
    case organicConversion = "organic-conversion"
    case labelRouge = "label-rouge"
    /// AOC / AOP.
    case aop
    case igp
    case stg
    /// Haute valeur environnementale (level 3).
    case hve
    /// Sustainable-fishing ecolabel ("pêche durable", MSC and the public ecolabel).
    case ecolabelPeche = "ecolabel-peche"
    /// Région ultrapériphérique.
    case rup
    case commerceEquitable = "commerce-equitable"
    /// "Fermier", "produit de la ferme".
    case fermier
    /// Bought on the cost of its environmental externalities over its life cycle.
    case externalites
    /// Bought on its environmental performance.
    case performance
    /// Equivalent to one of the labels above, as the buyer's contract states.
    case equivalents
    case france
    case shortCircuit = "short-circuit"
    case local

    /// The category code of the "ma cantine" declaration.
    public var maCantineCode: String {
        switch self {
        case .organic: "BIO"
        case .organicConversion: "CONVERSION_BIO"
        case .labelRouge: "LABEL_ROUGE"
        case .aop: "AOCAOP"
        case .igp: "IGP"
        case .stg: "STG"
        case .hve: "HVE"
        case .fermier: "FERMIER"
        case .ecolabelPeche: "PECHE_DURABLE"
        case .rup: "RUP"
        case .commerceEquitable: "COMMERCE_EQUITABLE"
        case .externalites: "EXTERNALITES"
        case .performance: "PERFORMANCE"
        case .equivalents: "EQUIVALENTS"
        case .france: "FRANCE"
        case .shortCircuit: "SHORT_DISTRIBUTION"
        case .local: "LOCAL"
        }
    }

    /// Counts towards the 50 % of "sustainable and quality" purchases.
    public var countsAsQuality: Bool {
        switch self {
        case .france, .shortCircuit, .local: false
        default: true
        }
    }

    /// Counts towards the 20 % of organic purchases (organic or in conversion).
    public var countsAsOrganic: Bool { self == .organic || self == .organicConversion }

    /// The French name, as on a label or a declaration.
    public var frenchName: String {
        switch self {
        case .organic: "Agriculture biologique"
        case .organicConversion: "En conversion vers le bio"
        case .labelRouge: "Label Rouge"
        case .aop: "AOC / AOP"
        case .igp: "IGP"
        case .stg: "STG"
        case .hve: "Haute valeur environnementale"
        case .fermier: "Fermier / produit de la ferme"
        case .ecolabelPeche: "Pêche durable (écolabel)"
        case .rup: "Région ultrapériphérique"
        case .commerceEquitable: "Commerce équitable"
        case .externalites: "Coût des externalités environnementales"
        case .performance: "Performance environnementale"
        case .equivalents: "Équivalent"
        case .france: "Provenance France"
        case .shortCircuit: "Circuit court"
        case .local: "Local"
        }
    }

    public static func < (lhs: QualityLabel, rhs: QualityLabel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The one category a purchase with these labels counts in (the first in precedence
    /// that the law counts); nil when none does.
    public static func category(of labels: [QualityLabel]) -> QualityLabel? {
        labels.filter(\.countsAsQuality).min()
    }

    /// How a product's labels are stored: one text field, the codes in list order, joined
    /// by commas, so that setting the labels is one write and two devices setting them at
    /// once make one field conflict, not a silent union.
    public static func field(_ labels: Set<QualityLabel>) -> String {
        labels.sorted().map(\.rawValue).joined(separator: ",")
    }

    /// The labels a stored field names; codes this version does not know are returned
    /// apart (a newer version's labels are shown, not dropped).
    public static func parse(field: String) -> (labels: [QualityLabel], unknown: [String]) {
        var labels: [QualityLabel] = [], unknown: [String] = []
        for code in field.split(separator: ",") where !code.isEmpty {
            if let label = QualityLabel(rawValue: String(code)) { labels.append(label) } else { unknown.append(String(code)) }
        }
        return (labels, unknown)
    }
}

/// The product families of the "ma cantine" declaration: the meat-and-fish share is
/// counted over the first two.
public enum ProductFamily: String, Sendable, CaseIterable {
    case meatPoultry = "meat-poultry"
    case seafood
    case fruitVegetables = "fruit-vegetables"
    case charcuterie
    case dairy
    case bakery
    case drinks
    case other

    public var maCantineCode: String {
        switch self {
        case .meatPoultry: "VIANDES_VOLAILLES"
        case .seafood: "PRODUITS_DE_LA_MER"
        case .fruitVegetables: "FRUITS_ET_LEGUMES"
        case .charcuterie: "CHARCUTERIE"
        case .dairy: "PRODUITS_LAITIERS"
        case .bakery: "BOULANGERIE"
        case .drinks: "BOISSONS"
        case .other: "AUTRES"
        }
    }

    public var frenchName: String {
        switch self {
        case .meatPoultry: "Viandes et volailles"
        case .seafood: "Produits aquatiques"
        case .fruitVegetables: "Fruits et légumes"
        case .charcuterie: "Charcuterie"
        case .dairy: "Produits laitiers, beurre et œufs"
        case .bakery: "Boulangerie, pâtisserie"
        case .drinks: "Boissons"
        case .other: "Autres produits"
        }
    }

    /// Counted in the meat-and-fish share.
    public var isMeatOrFish: Bool { self == .meatPoultry || self == .seafood }
}

/// A point of edwards25519, −x² + y² = 1 + d·x²·y² over `Field25519` (RFC 8032 §5.1), in
/// extended coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z and x·y = T/Z (Hisil, Wong,
/// Carter and Dawson, "Twisted Edwards curves revisited", 2008).
///
/// Addition and doubling are the complete formulas for a = −1: no exceptional cases, so
/// the same instructions run for every pair of points, the identity and equal points
/// included. Decoding and encoding follow RFC 8032 §5.1.2–5.1.3.
package struct EdwardsPoint: Sendable {
    var x: Field25519
    var y: Field25519
    var z: Field25519
    var t: Field25519

    @inline(__always)
    init(x: Field25519, y: Field25519, z: Field25519, t: Field25519) {
        (self.x, self.y, self.z, self.t) = (x, y, z, t)
    }

    /// The neutral element (0, 1).
    package static let identity = EdwardsPoint(x: .zero, y: .one, z: .one, t: .zero)

    /// The base point B of RFC 8032 §5.1: y = 4/5, x positive (even).
    package static let base = EdwardsPoint(
        x: Field25519(0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe, 0x216936d3cd6e5),
        y: Field25519(0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333, 0x6666666666666),
        z: .one,
        t: Field25519(0x68ab3a5b7dda3, 0xeea2a5eadbb, 0x2af8df483c27e, 0x332b375274732, 0x67875f0fd78b7)
    )

    /// Decodes a point (RFC 8032 §5.1.3). Nil, as the RFC requires, when the input is not 32
    /// bytes, when y is not canonical (y ≥ p), when x² = (y² − 1)/(d·y² + 1) has no root
    /// (the point is not on the curve), or when x = 0 with the sign bit set. Encodings are
    /// public data: this may branch.
    package init?<Bytes: Collection<UInt8>>(encoded bytes: Bytes) {
        guard bytes.count == 32 else { return nil }
        var yBytes = Array(bytes)
        let sign = yBytes[31] >> 7
        yBytes[31] &= 0x7f
        guard let y = Field25519(canonical: yBytes) else { return nil }
        let ySquared = y.squared()
        let u = ySquared - .one
        let v = ySquared * Field25519.edwardsD + .one
        guard var x = Field25519.squareRoot(ratio: u, v) else { return nil }
        if x.isZero && sign == 1 { return nil }
        if x.lowBit != UInt64(sign) { x = -x }
        self.init(x: x, y: y, z: .one, t: x * y)
    }

    /// The 32-byte encoding (RFC 8032 §5.1.2): y little-endian, the sign of x in bit 255.
    /// Constant time (one inversion by a fixed exponent), so it may encode a secret point.
    package var encoded: [UInt8] {
        let zInverse = z.inverse()
        let affineX = x * zInverse
        let affineY = y * zInverse
        var out = affineY.bytes
        out[31] |= UInt8(truncatingIfNeeded: affineX.lowBit << 7)
        return out
    }

    /// 2P ("dbl-2008-hwcd" for a = −1): 4 squarings and 4 multiplications.
    package func doubled() -> EdwardsPoint {
        let (e, f, g, h) = doublingTerms()
        return EdwardsPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// 2^count·P (count ≥ 1). Doubling reads X, Y and Z only, so the doublings before the
    /// last leave T uncomputed, saving a multiplication each.
    package func doubled(times count: Int) -> EdwardsPoint {
        var point = self
        for _ in 1..<count {
            let (e, f, g, h) = point.doublingTerms()
            point = EdwardsPoint(x: e * f, y: g * h, z: f * g, t: .zero)  // T not needed yet
        }
        return point.doubled()
    }

    /// E, F, G, H of the doubling: A = X², B = Y², C = 2Z², E = (X + Y)² − A − B,
    /// G = B − A (a·A + B with a = −1), F = G − C, H = −A − B.
    @inline(__always)
    private func doublingTerms() -> (Field25519, Field25519, Field25519, Field25519) {
        let a = x.squared()
        let b = y.squared()
        let zz = z.squared()
        let c = zz + zz
        let e = (x + y).squared() - a - b
        let g = b - a
        let f = g - c
        let h = -(a + b)
        return (e, f, g, h)
    }

    /// P + Q for a point prepared by `cached` ("add-2008-hwcd-3" with k = 2d).
    package func adding(_ q: CachedPoint) -> EdwardsPoint {
        let a = (y - x) * q.yMinusX
        let b = (y + x) * q.yPlusX
        let c = t * q.t2d
        let zz = z * q.z
        let d = zz + zz
        return Self.completed(a: a, b: b, c: c, d: d)
    }

    /// P − Q for a point prepared by `cached`: −Q swaps Y + X with Y − X and negates T.
    package func subtracting(_ q: CachedPoint) -> EdwardsPoint {
        let a = (y - x) * q.yPlusX
        let b = (y + x) * q.yMinusX
        let c = -(t * q.t2d)
        let zz = z * q.z
        let d = zz + zz
        return Self.completed(a: a, b: b, c: c, d: d)
    }

    /// P + Q for an affine point prepared by `AffineCachedPoint` (Z = 1 saves a multiplication).
    func adding(_ q: AffineCachedPoint) -> EdwardsPoint {
        let a = (y - x) * q.yMinusX
        let b = (y + x) * q.yPlusX
        let c = t * q.xy2d
        let d = z + z
        return Self.completed(a: a, b: b, c: c, d: d)
    }

    /// The common tail of the additions: E = B − A, F = D − C, G = D + C, H = B + A.
    @inline(__always)
    private static func completed(a: Field25519, b: Field25519, c: Field25519, d: Field25519) -> EdwardsPoint {
        let e = b - a
        let f = d - c
        let g = d + c
        let h = b + a
        return EdwardsPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    package static func + (p: EdwardsPoint, q: EdwardsPoint) -> EdwardsPoint {
        p.adding(q.cached)
    }

    package static func - (p: EdwardsPoint, q: EdwardsPoint) -> EdwardsPoint {
        p.subtracting(q.cached)
    }

    package static prefix func - (p: EdwardsPoint) -> EdwardsPoint {
        EdwardsPoint(x: -p.x, y: p.y, z: p.z, t: -p.t)
    }

    /// The point in the form additions read: (Y + X, Y − X, Z, 2d·T).
    package var cached: CachedPoint {
        CachedPoint(yPlusX: y + x, yMinusX: y - x, z: z, t2d: t * Field25519.edwardsD2)
    }

    /// 8P: zero exactly for the points of small order (the torsion subgroup of order 8).
    package var isOfSmallOrder: Bool {
        doubled(times: 3).isIdentity
    }

    /// True for the neutral element: X = 0 and Y = Z (projectively (0, 1)).
    package var isIdentity: Bool {
        x.isZero && y == z
    }
}

extension EdwardsPoint: Equatable {
    /// Equality of the points, not of their coordinates: X1·Z2 = X2·Z1 and Y1·Z2 = Y2·Z1.
    package static func == (p: EdwardsPoint, q: EdwardsPoint) -> Bool {
        p.x * q.z == q.x * p.z && p.y * q.z == q.y * p.z
    }
}

/// A point prepared for repeated addition: (Y + X, Y − X, Z, 2d·T).
package struct CachedPoint: Sendable {
    var yPlusX: Field25519
    var yMinusX: Field25519
    var z: Field25519
    var t2d: Field25519
}

/// An affine point prepared for addition: (y + x, y − x, 2d·x·y), Z = 1. The base point's
/// precomputed multiples are kept so.
struct AffineCachedPoint: Sendable {
    var yPlusX: Field25519
    var yMinusX: Field25519
    var xy2d: Field25519

    /// The identity (0, 1): y + x = 1, y − x = 1, 2d·x·y = 0.
    static let identity = AffineCachedPoint(yPlusX: .one, yMinusX: .one, xy2d: .zero)

    /// `b` where `mask` is all ones, `a` where it is zero.
    @inline(__always)
    static func select(_ a: AffineCachedPoint, _ b: AffineCachedPoint, mask: UInt64) -> AffineCachedPoint {
        AffineCachedPoint(
            yPlusX: .select(a.yPlusX, b.yPlusX, mask: mask),
            yMinusX: .select(a.yMinusX, b.yMinusX, mask: mask),
            xy2d: .select(a.xy2d, b.xy2d, mask: mask)
        )
    }

    /// −P where `mask` is all ones: swap y + x with y − x and negate 2d·x·y, by masks.
    @inline(__always)
    func negated(mask: UInt64) -> AffineCachedPoint {
        var plus = yPlusX, minus = yMinusX
        Field25519.conditionalSwap(&plus, &minus, mask: mask)
        return AffineCachedPoint(yPlusX: plus, yMinusX: minus, xy2d: xy2d.negated(mask: mask))
    }
}

/// Scalar multiples of edwards25519 points: [s]B of the base point in constant time for
/// signing, and [k]P of any point in variable time for verification (public data only).
extension EdwardsPoint {
    /// [s]B, with no branch and no table index that depends on s.
    ///
    /// s is written in 64 signed radix-16 digits e_i ∈ [−8, 8] (`signedRadix16`), so
    /// s = Σ e_i·16^i. The table holds j·256^k·B for j = 1…8 and k = 0…31. The odd digits
    /// are summed first, the total multiplied by 16 (four doublings), then the even digits
    /// added: Σ_odd e_i·16^(i−1)·16 + Σ_even e_i·16^i. Each digit's point is chosen by reading
    /// all eight entries of its row and keeping one by mask, then negated by mask when the
    /// digit is negative; a zero digit keeps the identity. Every scalar runs the same 64
    /// additions and 4 doublings on the same memory.
    package static func baseMultiple(_ s: Scalar25519) -> EdwardsPoint {
        let digits = signedRadix16(s)
        let table = EdwardsBaseTable.multiples
        var sum = EdwardsPoint.identity
        for i in stride(from: 1, to: 64, by: 2) {
            sum = sum.adding(selectBaseMultiple(table, row: i / 2, digit: digits[i]))
        }
        sum = sum.doubled(times: 4)
        for i in stride(from: 0, to: 64, by: 2) {
            sum = sum.adding(selectBaseMultiple(table, row: i / 2, digit: digits[i]))
        }
        return sum
    }

    /// |digit|·256^row·B negated when digit < 0, read without a branch or index on the digit.
    @inline(__always)
    private static func selectBaseMultiple(_ table: [AffineCachedPoint], row: Int, digit: Int8) -> AffineCachedPoint {
        let value = UInt64(bitPattern: Int64(digit))
        let negative = value >> 63
        // |digit| = digit − 2·digit when negative, digit otherwise.
        let magnitude = value &- ((ConstantTime.mask(bit: negative) & value) &<< 1)
        var chosen = AffineCachedPoint.identity
        let base = row * 8
        for j in 1...8 {
            chosen = .select(chosen, table[base + j - 1], mask: ConstantTime.equalMask(magnitude, UInt64(j)))
        }
        return chosen.negated(mask: ConstantTime.mask(bit: negative))
    }

    /// The 64 signed radix-16 digits of a scalar, each in [−8, 8], by arithmetic only: a
    /// digit of 8 or more borrows 16 from itself and carries one into the next. The scalar
    /// is below L < 2^253, so the top digit stays at most 8 after the last carry.
    static func signedRadix16(_ s: Scalar25519) -> [Int8] {
        let bytes = s.bytes
        var digits = [Int8](repeating: 0, count: 64)
        for i in 0..<32 {
            digits[2 * i] = Int8(truncatingIfNeeded: bytes[i] & 15)
            digits[2 * i + 1] = Int8(truncatingIfNeeded: bytes[i] >> 4)
        }
        var carry: Int8 = 0
        for i in 0..<63 {
            digits[i] &+= carry
            carry = (digits[i] &+ 8) >> 4
            digits[i] &-= carry << 4
        }
        digits[63] &+= carry
        return digits
    }

    /// [k]P in variable time: for public k and P only (verification). Radix-16 signed
    /// digits from the top, four doublings per digit, one addition of a precomputed
    /// multiple 1…8 of P (or its negation) per nonzero digit.
    package func multiple(_ k: Scalar25519) -> EdwardsPoint {
        let digits = Self.signedRadix16(k)
        var multiples: [CachedPoint] = []
        multiples.reserveCapacity(8)
        var current = self
        multiples.append(current.cached)
        for _ in 2...8 {
            current = current.adding(multiples[0])
            multiples.append(current.cached)
        }
        var sum = EdwardsPoint.identity
        var started = false
        for digit in digits.reversed() {
            if started {
                sum = sum.doubled(times: 4)
            }
            if digit > 0 {
                sum = sum.adding(multiples[Int(digit) - 1])
                started = true
            } else if digit < 0 {
                sum = sum.subtracting(multiples[Int(-digit) - 1])
                started = true
            }
        }
        return sum
    }
}

/// The precomputed multiples of the base point for `baseMultiple`: row k holds j·256^k·B
/// for j = 1…8, affine (Z = 1), in the form additions read. 256 points, about 30 KB,
/// computed once on first use (a few milliseconds) instead of carried as source.
enum EdwardsBaseTable {
    static let multiples: [AffineCachedPoint] = {
        var points: [EdwardsPoint] = []
        points.reserveCapacity(256)
        var rowBase = EdwardsPoint.base
        for _ in 0..<32 {
            let cached = rowBase.cached
            var multiple = rowBase
            points.append(multiple)
            for _ in 2...8 {
                multiple = multiple.adding(cached)
                points.append(multiple)
            }
            // 256·rowBase: eight doublings.
            rowBase = rowBase.doubled(times: 8)
        }
        // Affine coordinates need 1/Z of every point: one inversion for all of them
        // (Montgomery's trick: invert the product, then peel the factors off).
        var prefixProducts: [Field25519] = []
        prefixProducts.reserveCapacity(points.count)
        var product = Field25519.one
        for point in points {
            prefixProducts.append(product)
            product = product * point.z
        }
        var inverse = product.inverse()
        var table = [AffineCachedPoint](repeating: .identity, count: points.count)
        for index in points.indices.reversed() {
            let point = points[index]
            let zInverse = inverse * prefixProducts[index]
            inverse = inverse * point.z
            let x = point.x * zInverse
            let y = point.y * zInverse
            table[index] = AffineCachedPoint(yPlusX: y + x, yMinusX: y - x, xy2d: x * y * Field25519.edwardsD2)
        }
        return table
    }()
}

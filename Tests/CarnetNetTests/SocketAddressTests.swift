import CarnetNet
import XCTest

final class SocketAddressTests: XCTestCase {
    func testParsesHostAndPort() throws {
        XCTAssertEqual(try SocketAddress(parsing: "10.0.0.7:9000"), SocketAddress(host: "10.0.0.7", port: 9000))
        XCTAssertEqual(try SocketAddress(parsing: "farm.local:1"), SocketAddress(host: "farm.local", port: 1))
        XCTAssertEqual(try SocketAddress(parsing: "farm.local:65535").port, 65535)
    }

    func testHostAloneTakesTheDefaultPort() throws {
        XCTAssertEqual(try SocketAddress(parsing: "farm.local"), SocketAddress(host: "farm.local", port: 7420))
        XCTAssertEqual(try SocketAddress(parsing: "farm.local", defaultPort: 80).port, 80)
    }

    func testPortZeroIsAcceptedForTheCallerToJudge() throws {
        XCTAssertEqual(try SocketAddress(parsing: "127.0.0.1:0").port, 0)
    }

    func testIPv6NeedsBracketsForAPort() throws {
        XCTAssertEqual(try SocketAddress(parsing: "[::1]:9000"), SocketAddress(host: "::1", port: 9000))
        XCTAssertEqual(try SocketAddress(parsing: "[fe80::1%eth0]"), SocketAddress(host: "fe80::1%eth0", port: 7420))
        // Without brackets, an IPv6 literal is all host.
        XCTAssertEqual(try SocketAddress(parsing: "fe80::1:7420"), SocketAddress(host: "fe80::1:7420", port: 7420))
    }

    func testDescriptionRoundTrips() throws {
        for text in ["127.0.0.1:7420", "[::1]:9000", "farm.local:1"] {
            XCTAssertEqual(try SocketAddress(parsing: text).description, text)
        }
    }

    func testRejectsMalformedAddresses() {
        let bad = [
            "", ":7420", "[]", "[]:1", "[::1", "[::1]9000", "[::1]:", "host:", "host:65536", "host:123456",
            "host:-1", "host:+1", "host:12a", "host: 1", "ho st:1", "host\n:1", "a/b:1", "[a]b]:1",
        ]
        for text in bad {
            XCTAssertThrowsError(try SocketAddress(parsing: text), "\"\(text)\" was accepted") { error in
                guard case let .badAddress(reported, _)? = error as? NetError else {
                    return XCTFail("\"\(text)\": unexpected error \(error)")
                }
                XCTAssertEqual(reported, text)
            }
        }
    }

    func testBadAddressMessageNamesTheTextAndTheProblem() {
        XCTAssertThrowsError(try SocketAddress(parsing: "host:99999")) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("host:99999"), message)
            XCTAssertTrue(message.contains("port"), message)
        }
    }
}

import Testing

@testable import EdgeVideo

/// The root's child ids for cameras, rendered and parsed in one place.
@Suite struct FleetChildTests {
    @Test func anIDRoundTrips() {
        for child: FleetChild in [.camera("cam-1"), .drain("cam-1"), .camera("a:b")] {
            #expect(FleetChild(id: child.id) == child, "\(child.id)")
        }
        #expect(FleetChild.camera("cam-1").id == "camera:cam-1" && FleetChild.drain("cam-1").id == "drain:cam-1")
    }

    @Test func anotherKindOfIDIsNoCamerasChild() {
        for id in ["service", "http:8080", "cameras:x", ""] {
            #expect(FleetChild(id: id) == nil, "\(id)")
        }
    }
}

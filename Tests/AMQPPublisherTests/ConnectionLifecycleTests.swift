@testable import AMQPPublisher
import Testing

/// Every event from every state of the connection lifecycle, without a broker or a thread.
@Suite("Connection lifecycle")
struct ConnectionLifecycleTests {
    typealias State = ConnectionLifecycle.State
    typealias Event = ConnectionLifecycle.Event
    typealias Action = ConnectionLifecycle.Action

    static let noThread = AMQPPublisherError(.connectFailed, "cannot start thread: errno 11")
    static let lost = AMQPPublisherError(.connectionLost, "socket closed")
    static let stuck = AMQPPublisherError(.watchdogTimeout, "a socket call was stuck")
    static let earlier = AMQPPublisherError(.connectFailed, "refused")
    static let closed = AMQPPublisherError(.closed, "connection closed")
    static let twice = AMQPPublisherError(.misuse, "connect() called twice")

    /// The states, each with the events that lead to it from `created`.
    static let states: [(name: String, path: [Event], state: State)] = [
        ("created", [], .created),
        ("connecting", [.connect], .connecting(socket: nil)),
        ("connecting with socket", [.connect, .socketOpened(socket: 7)], .connecting(socket: 7)),
        ("open", [.connect, .connected(socket: 7)], .open(socket: 7)),
        ("closing with socket", [.connect, .connected(socket: 7), .close], .closing(socket: 7)),
        ("closing without socket", [.connect, .close], .closing(socket: nil)),
        ("ended", [.connect, .threadReturned(earlier)], .ended(earlier)),
    ]

    /// One sample of every event.
    static let events: [Event] = [
        .connect, .threadFailedToStart(noThread), .socketOpened(socket: 9), .connected(socket: 9), .close, .cut(stuck), .socketReleased,
        .threadReturned(nil), .threadReturned(lost),
    ]

    /// (state, event) → (state after, action). Every pair of `states` × `events` is listed.
    static let table: [(from: String, event: Event, to: State, action: Action)] = [
        ("created", .connect, .connecting(socket: nil), .startThread),
        ("created", .threadFailedToStart(noThread), .created, .none),
        ("created", .socketOpened(socket: 9), .created, .none),
        ("created", .connected(socket: 9), .created, .none),
        ("created", .close, .ended(closed), .ended(closed)),
        ("created", .cut(stuck), .created, .none),
        ("created", .socketReleased, .created, .none),
        ("created", .threadReturned(nil), .created, .none),
        ("created", .threadReturned(lost), .created, .none),

        ("connecting", .connect, .connecting(socket: nil), .refuse(twice)),
        ("connecting", .threadFailedToStart(noThread), .ended(noThread), .ended(noThread)),
        ("connecting", .socketOpened(socket: 9), .connecting(socket: 9), .none),
        ("connecting", .connected(socket: 9), .open(socket: 9), .connectSucceeded),
        ("connecting", .close, .closing(socket: nil), .wakeThread),
        ("connecting", .cut(stuck), .connecting(socket: nil), .none),
        ("connecting", .socketReleased, .connecting(socket: nil), .none),
        ("connecting", .threadReturned(nil), .ended(closed), .ended(closed)),
        ("connecting", .threadReturned(lost), .ended(lost), .ended(lost)),

        ("connecting with socket", .connect, .connecting(socket: 7), .refuse(twice)),
        ("connecting with socket", .threadFailedToStart(noThread), .ended(noThread), .ended(noThread)),
        ("connecting with socket", .socketOpened(socket: 9), .connecting(socket: 9), .none),
        ("connecting with socket", .connected(socket: 9), .open(socket: 9), .connectSucceeded),
        ("connecting with socket", .close, .closing(socket: 7), .shutDown(socket: 7)),
        ("connecting with socket", .cut(stuck), .connecting(socket: 7), .shutDown(socket: 7)),
        ("connecting with socket", .socketReleased, .connecting(socket: nil), .none),
        ("connecting with socket", .threadReturned(nil), .ended(closed), .ended(closed)),
        ("connecting with socket", .threadReturned(lost), .ended(lost), .ended(lost)),

        ("open", .connect, .open(socket: 7), .refuse(twice)),
        ("open", .threadFailedToStart(noThread), .open(socket: 7), .none),
        ("open", .socketOpened(socket: 9), .open(socket: 7), .none),
        ("open", .connected(socket: 9), .open(socket: 7), .none),
        ("open", .close, .closing(socket: 7), .wakeThread),
        ("open", .cut(stuck), .open(socket: 7), .shutDown(socket: 7)),
        ("open", .socketReleased, .closing(socket: nil), .none),
        ("open", .threadReturned(nil), .ended(closed), .ended(closed)),
        ("open", .threadReturned(lost), .ended(lost), .ended(lost)),

        ("closing with socket", .connect, .closing(socket: 7), .refuse(twice)),
        ("closing with socket", .threadFailedToStart(noThread), .ended(noThread), .ended(noThread)),
        ("closing with socket", .socketOpened(socket: 9), .closing(socket: 9), .shutDown(socket: 9)),
        ("closing with socket", .connected(socket: 9), .closing(socket: 9), .none),
        ("closing with socket", .close, .closing(socket: 7), .none),
        ("closing with socket", .cut(stuck), .closing(socket: 7), .shutDown(socket: 7)),
        ("closing with socket", .socketReleased, .closing(socket: nil), .none),
        ("closing with socket", .threadReturned(nil), .ended(closed), .ended(closed)),
        ("closing with socket", .threadReturned(lost), .ended(lost), .ended(lost)),

        ("closing without socket", .connect, .closing(socket: nil), .refuse(twice)),
        ("closing without socket", .threadFailedToStart(noThread), .ended(noThread), .ended(noThread)),
        ("closing without socket", .socketOpened(socket: 9), .closing(socket: 9), .shutDown(socket: 9)),
        ("closing without socket", .connected(socket: 9), .closing(socket: 9), .none),
        ("closing without socket", .close, .closing(socket: nil), .none),
        ("closing without socket", .cut(stuck), .closing(socket: nil), .none),
        ("closing without socket", .socketReleased, .closing(socket: nil), .none),
        ("closing without socket", .threadReturned(nil), .ended(closed), .ended(closed)),
        ("closing without socket", .threadReturned(lost), .ended(lost), .ended(lost)),

        ("ended", .connect, .ended(earlier), .refuse(AMQPPublisherError(.closed, "closed before connecting"))),
        ("ended", .threadFailedToStart(noThread), .ended(earlier), .none),
        ("ended", .socketOpened(socket: 9), .ended(earlier), .none),
        ("ended", .connected(socket: 9), .ended(earlier), .none),
        ("ended", .close, .ended(earlier), .none),
        ("ended", .cut(stuck), .ended(earlier), .none),
        ("ended", .socketReleased, .ended(earlier), .none),
        ("ended", .threadReturned(nil), .ended(earlier), .none),
        ("ended", .threadReturned(lost), .ended(earlier), .none),
    ]

    static func name(_ event: Event) -> String {
        switch event {
        case .connect: "connect"
        case .threadFailedToStart: "threadFailedToStart"
        case .socketOpened: "socketOpened"
        case .connected: "connected"
        case .close: "close"
        case .cut: "cut"
        case .socketReleased: "socketReleased"
        case .threadReturned(nil): "threadReturned(nil)"
        case .threadReturned: "threadReturned(error)"
        }
    }

    static func machine(in name: String) -> ConnectionLifecycle {
        let entry = states.first { $0.name == name }!
        var machine = ConnectionLifecycle()
        for event in entry.path { _ = machine.handle(event) }
        return machine
    }

    @Test func theTableCoversEveryEventInEveryState() {
        let pairs = Set(Self.table.map { "\($0.from) / \(Self.name($0.event))" })
        #expect(pairs.count == Self.table.count, "a pair is listed twice")
        for state in Self.states {
            #expect(Self.machine(in: state.name).state == state.state, "the path to \(state.name)")
            for event in Self.events {
                #expect(pairs.contains("\(state.name) / \(Self.name(event))"), "missing: \(state.name) / \(Self.name(event))")
            }
        }
    }

    @Test(arguments: ConnectionLifecycleTests.table.indices)
    func transition(_ row: Int) {
        let (from, event, to, action) = Self.table[row]
        var machine = Self.machine(in: from)
        #expect(machine.handle(event) == action, "\(from) / \(Self.name(event))")
        #expect(machine.state == to, "\(from) / \(Self.name(event))")
        #expect(machine.isEnded == (machine.endError != nil))
        #expect(machine.isStopping == { if case .closing = to { true } else { false } }())
    }

    @Test func aCutIsReportedInsteadOfTheSocketErrorItCauses() {
        var machine = Self.machine(in: "open")
        #expect(machine.handle(.cut(Self.stuck)) == .shutDown(socket: 7))
        #expect(machine.handle(.cut(Self.lost)) == .shutDown(socket: 7), "a later cut still shuts down")
        #expect(machine.handle(.socketReleased) == .none)
        #expect(machine.handle(.threadReturned(Self.lost)) == .ended(Self.stuck), "the first cut's reason wins")
    }

    @Test func aCutDuringConnectNamesTheEndAndAbortsTheNextHandshake() {
        var machine = Self.machine(in: "connecting")
        let cancelled = AMQPPublisherError(.closed, "connect cancelled")
        #expect(machine.handle(.close) == .wakeThread)
        #expect(machine.handle(.cut(cancelled)) == .none, "no socket yet")
        #expect(machine.handle(.socketOpened(socket: 5)) == .shutDown(socket: 5), "a handshake begun afterwards is cut")
        #expect(machine.handle(.socketReleased) == .none)
        #expect(machine.handle(.threadReturned(Self.earlier)) == .ended(cancelled))
    }

    /// The thread can see its handshake fail and return between the owner's close and any cut:
    /// the end is still the close, never the socket error the close caused.
    @Test func aCloseThatAbortsAHandshakeNamesTheEnd() {
        for path: [Event] in [[.close], [.close, .socketOpened(socket: 8)]] {
            var machine = Self.machine(in: path.count == 1 ? "connecting with socket" : "connecting")
            for event in path { #expect(machine.handle(event) != .none) }
            #expect(machine.handle(.socketReleased) == .none)
            let end = machine.handle(.threadReturned(Self.earlier))
            #expect(end == .ended(AMQPPublisherError(.closed, "closed while connecting")), "\(path.map(Self.name))")
        }
    }

    @Test func eachURLTriedOpensAndReleasesItsSocket() {
        var machine = Self.machine(in: "connecting")
        #expect(machine.handle(.socketOpened(socket: 5)) == .none)
        #expect(machine.handle(.socketReleased) == .none)
        #expect(machine.state == .connecting(socket: nil))
        #expect(machine.handle(.cut(Self.stuck)) == .none, "nothing to shut down between two URLs")
        #expect(machine.handle(.socketOpened(socket: 6)) == .shutDown(socket: 6), "a cut is remembered")
    }

    @Test func aCleanStopIsNotACut() {
        var machine = Self.machine(in: "open")
        _ = machine.handle(.close)
        _ = machine.handle(.cut(Self.stuck))
        #expect(machine.handle(.threadReturned(nil)) == .ended(Self.closed))
    }
}

import AMQPPublisher
import Foundation
import Testing
import Supervision

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// The publisher's decisions on the broker's closes and returns, with made-up errors: which close
/// isolates frames, what the link's problem becomes, what `/healthz` says, how often a return is
/// logged. (Against the real broker: BrokerRefusalTests.)
@Suite struct BrokerRefusalUnitTests {
    static func error(_ scope: BrokerClose.Scope, _ code: BrokerClose.ReplyCode, text: String = "") -> AMQPPublisherError {
        let close = BrokerClose(scope: scope, replyCode: code, replyText: text, classID: 60, methodID: 40)
        let what = scope == .channel ? "channel closed by broker" : "connection closed by broker"
        return AMQPPublisherError(scope == .channel ? .brokerRefused : .connectionLost, "\(what) amqp://x: \(close.reply)", brokerClose: close)
    }

    @Test func onlyAClosedChannelWithACodeOneMessageCausesIsolatesFrames() {
        #expect(FramePublisher.blamesAMessage(Self.error(.channel, .preconditionFailed, text: "PRECONDITION_FAILED - message size 30000 is larger than configured max size 20000")))
        #expect(FramePublisher.blamesAMessage(Self.error(.channel, .contentTooLarge)))
        for code: BrokerClose.ReplyCode in [.accessRefused, .notFound, .notAllowed, .resourceLocked, .internalError] {
            #expect(!FramePublisher.blamesAMessage(Self.error(.channel, code)), "\(code)")
        }
        for code: BrokerClose.ReplyCode in [.connectionForced, .frameError, .unexpectedFrame, .preconditionFailed, .internalError] {
            #expect(!FramePublisher.blamesAMessage(Self.error(.connection, code)), "\(code)")
        }
        // The old decision read this text; a message alone, without the broker's close, blames nothing.
        #expect(!FramePublisher.blamesAMessage(AMQPPublisherError(.brokerRefused, "channel closed by broker amqp://x: 406 too big")))
        #expect(!FramePublisher.blamesAMessage(AMQPPublisherError(.brokerRefused, "64 nacks in a row")))
    }

    @Test func aRefusalStaysTheLinksProblemUntilAFrameIsConfirmed() {
        let link = BrokerLinkState()
        let refused = Self.error(.channel, .accessRefused, text: "ACCESS_REFUSED - access to exchange 'x' in vhost 'v' refused for user 'guest'")
        link.disconnected(refused)
        link.connected(to: "amqp://guest:***@b:5672/%2f")
        #expect(link.snapshot.problem == .refused(refused.brokerClose!), "a connection that opens does not end the refusal")
        #expect(link.snapshot.problem?.description == "broker refused: 403 ACCESS_REFUSED - access to exchange 'x' in vhost 'v' refused for user 'guest'")
        #expect(link.confirmed() == .refused(refused.brokerClose!))
        #expect(link.snapshot.problem == nil && link.confirmed() == nil)

        // An operator's close, a lost socket and a poison frame are not refusals of the link.
        for error in [Self.error(.connection, .connectionForced), AMQPPublisherError(.connectionLost, "socket closed"),
                      Self.error(.channel, .preconditionFailed)] {
            link.disconnected(error)
            #expect(link.snapshot.problem == nil, "\(error)")
        }
        link.disconnected(Self.error(.connection, .internalError))
        #expect(link.snapshot.problem == .refused(Self.error(.connection, .internalError).brokerClose!))
    }

    @Test func theLinkIsConnectedOrDownWithItsLastError() {
        let link = BrokerLinkState()
        #expect(link.snapshot.connection == .disconnected(lastError: nil) && link.snapshot.lastError == nil)
        let lost = AMQPPublisherError(.connectionLost, "socket closed")
        link.disconnected(lost)
        #expect(link.snapshot.connection == .disconnected(lastError: lost.description) && link.snapshot.lastError == lost.description)
        link.stopped()
        #expect(link.snapshot.lastError == lost.description, "a stop keeps why the link is down")
        link.connected(to: "amqp://guest:***@b2:5672/%2f")
        #expect(link.snapshot.connection == .connected(url: "amqp://guest:***@b2:5672/%2f") && link.snapshot.lastError == nil)
        #expect(link.snapshot.url == "amqp://guest:***@b2:5672/%2f")
        link.stopped()
        #expect(link.snapshot.connection == .disconnected(lastError: nil) && link.snapshot.url == nil, "no broker in use once stopped")
    }

    @Test func returnedFramesAreCountedUntilOneIsConfirmed() {
        let link = BrokerLinkState()
        link.disconnected(Self.error(.channel, .notFound))
        for _ in 0..<3 { link.returned(exchange: "edge.video", routingKey: "camera.a.frame") }
        #expect(link.snapshot.problem == .unroutable(frames: 3, exchange: "edge.video", routingKey: "camera.a.frame"), "a return ends a refusal")
        #expect(link.snapshot.problem?.description == #"3 frames returned unroutable: no queue bound to exchange "edge.video" with key "camera.a.frame""#)
        _ = link.confirmed()
        link.returned(exchange: "edge.video", routingKey: "camera.a.frame")
        #expect(link.snapshot.problem?.description.hasPrefix("1 frame returned unroutable") == true)
    }

    @Test func healthNamesTheBrokersProblemOfARunningCamera() {
        var refused = CameraStatus(state: .running)
        refused.broker = .disconnected
        refused.lastError = "broker refused: channel closed by broker amqp://x: 403 ACCESS_REFUSED - no"
        refused.brokerProblem = "broker refused: 403 ACCESS_REFUSED - no"
        var unroutable = CameraStatus(state: .running)
        unroutable.broker = .connected
        unroutable.brokerProblem = #"4 frames returned unroutable: no queue bound to exchange "e" with key "k""#
        let snapshot = FleetSnapshot(
            tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 8, cameras: ["a": refused, "b": unroutable])
        let (status, health) = HTTPRoutes.health(of: snapshot)
        #expect(status == .serviceUnavailable)
        #expect(health.reasons == [
            "camera a: broker refused: 403 ACCESS_REFUSED - no",
            #"camera b: 4 frames returned unroutable: no queue bound to exchange "e" with key "k""#,
        ])
    }

    @Test func returnsAreLoggedFirstThenOncePerInterval() {
        let capture = LogCapture()
        let log = ReturnLog(logger: capture.logger("test"), exchange: "edge.video", routingKey: "camera.a.frame")
        let start = ContinuousClock.now
        for i in 0..<50 { log.returned("a-1-\(i)", at: start + .milliseconds(100 * i)) }  // 5 s: the first only
        log.returned("a-1-50", at: start + ReturnLog.interval)  // the next line, with the running count
        log.returned("a-1-51", at: start + ReturnLog.interval + .seconds(1))
        let lines = capture.drain().split(separator: "\n")
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.contains("a-1-0") == true && lines.last?.contains("a-1-50") == true, "\(lines)")
        #expect(lines.last?.contains("51") == true, "the running count: \(lines)")
        #expect(lines.allSatisfy { $0.contains("returned_by_this_publisher") && $0.contains("camera.a.frame") && $0.contains("edge.video") })
    }

    @Test func mandatoryIsTheDefault() throws {
        let config = try AppConfig.decode(Data(#"{"cameras":[{"id":"a","url":"testsrc:"}]}"#.utf8))
        #expect(config.amqp.mandatory)
    }
}

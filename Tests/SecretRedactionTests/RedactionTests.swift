import SecretRedaction
import Testing

@Suite struct RedactionTests {
    @Test func passwordsBecomeStarsAndNothingElseChanges() {
        #expect(Redaction.redactingSecrets(in: "amqp://guest:guest@127.0.0.1:5672/%2f") == "amqp://guest:***@127.0.0.1:5672/%2f")
        #expect(Redaction.redactingSecrets(in: "rtsp://admin:s3cr%40t@10.0.0.5:554/h264") == "rtsp://admin:***@10.0.0.5:554/h264")
        #expect(Redaction.redactingSecrets(in: "rtsp://admin:p:w@cam/stream?x=1") == "rtsp://admin:***@cam/stream?x=1")
        #expect(Redaction.redactingSecrets(in: "rtsp://admin:p@ss@cam:554/s") == "rtsp://admin:***@cam:554/s")
    }

    @Test func textWithoutAPasswordIsUnchanged() {
        for text in [
            "amqp://user@host/", "rtsp://viewer@cam/s", "rtsp://cam/s?x=1", "not a url",
            "http://host/path@x:y", "http://cam/x?a=b@c", "testsrc:?size=640x360",
        ] {
            #expect(Redaction.redactingSecrets(in: text) == text)
        }
    }

    @Test func everyURLInsideTextIsRedacted() {
        let text = "connect amqps://u:hunter2@b1:5671/v failed; fallback amqp://u:s3cret@b2/ refused"
        #expect(Redaction.redactingSecrets(in: text) == "connect amqps://u:***@b1:5671/v failed; fallback amqp://u:***@b2/ refused")
        #expect(Redaction.redactingSecrets(in: "open rtsp://u:p@h/a then http://v:q@w") == "open rtsp://u:***@h/a then http://v:***@w")
        #expect(Redaction.redactingSecrets(in: "url=\"rtsp://u:p@h/a\"") == "url=\"rtsp://u:***@h/a\"")
    }

    @Test func passwordsWithDelimitersAreMaskedWhole() {
        // Raw #, /, ?, %, @, spaces and UTF-8: a URL parser would end the userinfo early.
        for password in ["ab#1", "a/b", "a?b", "100%", "p@ss/w@rd", "with space", "ünï ©ode", "a@b/c?d#e", "x://y@z", "@", "/@/"] {
            let text = "cannot open rtsp://admin:\(password)@cam/s: 401"
            #expect(Redaction.redactingSecrets(in: text) == "cannot open rtsp://admin:***@cam/s: 401", "\(password)")
        }
    }

    @Test func aPasswordThatLooksLikeAnotherURLIsNotTakenForOne() {
        let text = "open 'rtsp://u:QOL://x@+6)y;<H+w://z @cam/s' failed"
        #expect(Redaction.redactingSecrets(in: text) == "open 'rtsp://u:***@cam/s' failed")
    }

    @Test func redactingTwiceKeepsEveryBroker() {
        let once = Redaction.redactingSecrets(in: "no broker reachable: amqp://u:p1@b1/v: refused; amqps://u:p2@b2:5671/: refused")
        #expect(once == "no broker reachable: amqp://u:***@b1/v: refused; amqps://u:***@b2:5671/: refused")
        #expect(Redaction.redactingSecrets(in: once) == once)
    }

    @Test func theMaskStopsAtTheEndOfTheLine() {
        #expect(Redaction.redactingSecrets(in: "rtsp://cam:554/s\nmail a@b") == "rtsp://cam:554/s\nmail a@b")
    }
}

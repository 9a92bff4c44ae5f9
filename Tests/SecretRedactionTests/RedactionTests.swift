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
}

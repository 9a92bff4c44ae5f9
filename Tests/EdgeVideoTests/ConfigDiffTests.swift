import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

@Suite struct ConfigDiffTests {
    private func camera(_ id: String, fps: Double = 5) -> AppConfig.Camera {
        var camera = AppConfig.Camera(id: id, url: "testsrc:")
        camera.fps = fps
        return camera
    }

    @Test func classifiesByCameraID() {
        let old = AppConfig(cameras: [camera("a"), camera("b"), camera("c")])
        let new = AppConfig(cameras: [camera("d"), camera("a"), camera("c", fps: 2)])
        let diff = ConfigDiff(from: old, to: new)
        #expect(diff.added.map(\.id) == ["d"])
        #expect(diff.removed == ["b"])
        #expect(diff.changed.map(\.id) == ["c"])
        #expect(diff.changed.first?.fps == 2)
        #expect(diff.unchanged == ["a"])
        #expect(!diff.amqpChanged && !diff.isEmpty)
        #expect(diff.steps(in: new) == [.stop("b"), .restart(camera("c", fps: 2)), .start(camera("d"))])
    }

    @Test func identicalConfigIsEmpty() {
        let config = AppConfig(cameras: [camera("a"), camera("b")])
        let diff = ConfigDiff(from: config, to: config)
        #expect(diff.isEmpty && diff.steps(in: config).isEmpty && diff.needsRestart.isEmpty)
    }

    @Test func amqpChangeRollsEveryKeptCameraOneByOne() {
        let old = AppConfig(cameras: [camera("a"), camera("b"), camera("c")])
        var new = AppConfig(cameras: [camera("a"), camera("b", fps: 1), camera("e")])
        new.amqp.exchange = "other"
        let diff = ConfigDiff(from: old, to: new)
        #expect(diff.amqpChanged)
        #expect(diff.steps(in: new) == [.stop("c"), .restart(camera("b", fps: 1)), .restart(camera("a")), .start(camera("e"))])
    }

    @Test func supervisionChangesAreReportedAsNeedingARestart() {
        let old = AppConfig(cameras: [camera("a")])
        var new = old
        new.supervision.intensity = 1
        let diff = ConfigDiff(from: old, to: new)
        #expect(diff.isEmpty && diff.needsRestart == [.supervision])
    }
}

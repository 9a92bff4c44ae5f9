import AMQPPublisher
import Durations
import Supervision
import VideoPipeline

/// Maps the configuration file's sections to the modules' own configuration types.
package enum CameraSettings {
    /// The broker settings of one camera's connections.
    package static func amqp(_ amqp: AppConfig.AMQP, cameraID: String) -> AMQPConfiguration {
        AMQPConfiguration(
            urls: amqp.urls, exchange: amqp.exchange, exchangeType: amqp.exchangeType, exchangeDurable: true,
            tls: .init(
                caCertificatePath: amqp.tls.caFile, clientCertificatePath: amqp.tls.certFile,
                clientKeyPath: amqp.tls.keyFile, verifyPeer: amqp.tls.verifyPeer,
                verifyHostname: amqp.tls.verifyHostname),
            heartbeat: Duration(secondsSaturating: amqp.heartbeatS),
            connectTimeout: Duration(secondsSaturating: amqp.connectTimeoutS),
            confirmTimeout: Duration(secondsSaturating: amqp.confirmTimeoutS), windowCount: amqp.inFlightWindow,
            mandatory: amqp.mandatory, persistent: amqp.persistent, connectionName: "edge-video camera:\(cameraID)", threadName: "amqp-\(cameraID)")
    }

    /// The capture and encoding settings of a camera. `jpeg_quality` 1...100 maps linearly onto
    /// the encoder's quantiser 31...2 (100 is the best quality). `input_options` become libav's
    /// open options, over the capture's defaults for the source (Sources/VideoPipeline/LibavSource.swift).
    package static func pipeline(_ camera: AppConfig.Camera) -> PipelineConfiguration {
        PipelineConfiguration(
            url: camera.url, fps: camera.fps, width: camera.width, height: camera.height,
            quality: quantiser(camera.jpegQuality), stallTimeout: camera.stallTimeoutS.map(Duration.init(secondsSaturating:)), loop: camera.loop,
            options: camera.inputOptions)
    }

    /// `jpeg_quality` (1...100) as a JPEG quantiser (31...2).
    static func quantiser(_ quality: Int) -> Int {
        let clamped = Double(min(max(quality, 1), 100))
        return Int((31 - (clamped - 1) * 29 / 99).rounded())
    }

    /// The camera subtrees' backoff.
    package static func backoff(_ backoff: AppConfig.Backoff) -> Backoff {
        Backoff(
            initial: Duration(secondsSaturating: backoff.initialS), maximum: Duration(secondsSaturating: backoff.maxS),
            multiplier: backoff.multiplier, jitter: backoff.jitter)
    }

    /// The root's restart intensity.
    package static func intensity(_ supervision: AppConfig.Supervision) -> RestartIntensity {
        RestartIntensity(maxRestarts: supervision.intensity, period: Duration(secondsSaturating: supervision.periodS))
    }
}

import AMQPPublisher
import VideoPipeline

extension AppConfig {
    /// Rejects a routing key that grows past AMQP's 255 bytes once `{id}` is replaced.
    static func checkRoutingKeys(_ config: AppConfig, _ reader: ConfigReader) {
        let limit = AMQPConfiguration.maximumRoutingKeyBytes
        for camera in config.cameras where AppConfig.isValidID(camera.id) {
            let length = camera.routingKey(template: config.amqp.routingKey).utf8.count
            if length > limit {
                reader.fail(
                    "amqp.routing_key", "is \(length) bytes for camera \"\(camera.id)\" once {id} is replaced (at most \(limit))")
                return
            }
        }
    }

    /// Builds the settings each camera runs with and checks them with the modules' own
    /// `validate()`, so a configuration accepted here cannot be refused when it starts. Run once
    /// the file's own checks passed; anything found then is a rule this decoder forgot.
    static func checkAsTheServiceRuns(_ config: AppConfig, _ reader: ConfigReader) {
        for (index, camera) in config.cameras.enumerated() {
            do {
                try CameraSettings.pipeline(camera).validate()
                try CameraSettings.amqp(config.amqp, cameraID: camera.id).validate()
            } catch let error as PipelineError {
                reader.fail("cameras[\(index)]", error.message)
            } catch let error as AMQPPublisherError {
                reader.fail("amqp", error.message)
            } catch {
                reader.fail("cameras[\(index)]", "\(error)")
            }
        }
    }
}

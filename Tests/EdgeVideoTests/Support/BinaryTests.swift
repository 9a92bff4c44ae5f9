import Testing

/// Every test that runs the real `edge-video` binary with cameras, one at a time: on a 2-core
/// machine, two of them at once would measure the machine, not the appliance.
@Suite(.serialized) enum BinaryTests {}

import CFFmpeg
import Supervision
import Testing

@testable import VideoPipeline

/// ``BoxDownscale`` against an oracle stated apart (the rounded mean of each block, in `Double`),
/// on generated planes: sizes on both sides of the 16-sample steps, factors 1 to 5, padded strides.
/// Then ``FrameScaler`` on whole-factor pictures: it must take the box path, agree with swscale's
/// own area scaler to within one level, and keep taking swscale for every other geometry.
@Suite("Whole-factor box downscale")
struct BoxDownscaleTests {
    @Test(.timeLimit(.minutes(1)), arguments: 0..<300)
    func everyOutputSampleIsTheRoundedMeanOfItsBlock(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let factor = 1 + random.below(5)
        let width = 1 + random.below(70)
        let height = 1 + random.below(12)
        let inputStride = width * factor + random.below(40)
        let outputStride = width + random.below(40)
        let input = (0..<(inputStride * height * factor)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let sentinel: UInt8 = 0xA5
        var output = [UInt8](repeating: sentinel, count: outputStride * height)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                BoxDownscale.plane(
                    from: source.baseAddress!, inputStride: inputStride, to: target.baseAddress!, outputStride: outputStride,
                    width: width, height: height, factor: factor)
            }
        }
        var wrong: [String] = []
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for dy in 0..<factor {
                    for dx in 0..<factor { sum += Double(input[(y * factor + dy) * inputStride + x * factor + dx]) }
                }
                let expected = UInt8((sum / Double(factor * factor) + 0.5).rounded(.down))
                if output[y * outputStride + x] != expected { wrong.append("(\(x),\(y)) \(output[y * outputStride + x]) != \(expected)") }
            }
            // The padding past each row's width is never written.
            #expect(output[(y * outputStride + width)..<((y + 1) * outputStride)].allSatisfy { $0 == sentinel })
        }
        #expect(wrong.isEmpty, "factor \(factor), \(width)x\(height): \(wrong.prefix(5))")
    }

    @Test(.timeLimit(.minutes(1)))
    func wholeFactorsAreFoundOnlyForPlanar420Multiples() {
        let yuv = AV_PIX_FMT_YUV420P, jpeg = AV_PIX_FMT_YUVJ420P
        #expect(FrameScaler.wholeFactor(format: yuv, from: (640, 360), to: (320, 180)) == 2)
        #expect(FrameScaler.wholeFactor(format: jpeg, from: (1920, 1080), to: (480, 270)) == 4)
        #expect(FrameScaler.wholeFactor(format: jpeg, from: (1920, 1080), to: (640, 360)) == 3)
        #expect(FrameScaler.wholeFactor(format: yuv, from: (320, 180), to: (320, 180)) == 1)
        #expect(FrameScaler.wholeFactor(format: yuv, from: (640, 360), to: (320, 240)) == nil)  // 2 across, 1.5 down
        #expect(FrameScaler.wholeFactor(format: yuv, from: (640, 480), to: (320, 160)) == nil)  // 2 across, 3 down
        #expect(FrameScaler.wholeFactor(format: yuv, from: (642, 360), to: (320, 180)) == nil)
        #expect(FrameScaler.wholeFactor(format: yuv, from: (320, 180), to: (640, 360)) == nil)  // an upscale
        #expect(FrameScaler.wholeFactor(format: AV_PIX_FMT_YUV422P, from: (640, 360), to: (320, 180)) == nil)
        #expect(FrameScaler.wholeFactor(format: AV_PIX_FMT_NV12, from: (640, 360), to: (320, 180)) == nil)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [(640, 360, 320, 180), (1280, 720, 320, 180), (960, 540, 320, 180)])
    func frameScalerBoxesWholeFactorsAndAgreesWithSwscaleArea(size: (Int, Int, Int, Int)) throws {
        let (width, height, outWidth, outHeight) = size
        let factor = width / outWidth
        var random = SplitMix64(seed: UInt64(width * 7 + height))
        let source = try makeFrame(width: width, height: height, format: AV_PIX_FMT_YUVJ420P) { _, x, y in
            // Smooth gradients with noise on top, as a camera's picture is.
            UInt8(truncatingIfNeeded: (x / 3 + y / 2) & 0xFF ^ Int(random.below(8)))
        }
        let configuration = PipelineConfiguration(url: "testsrc:", fps: 5, width: outWidth, height: outHeight, quality: 2)
        let scaled = try FrameScaler(configuration: configuration).scale(source.pointer)
        let reference = try makeFrame(width: outWidth, height: outHeight, format: AV_PIX_FMT_YUVJ420P) { _, _, _ in 0 }
        let context = sws_getContext(
            Int32(width), Int32(height), AV_PIX_FMT_YUVJ420P, Int32(outWidth), Int32(outHeight), AV_PIX_FMT_YUVJ420P,
            Int32(SWS_AREA), nil, nil, nil)
        defer { sws_freeContext(context) }
        #expect(sws_scale_frame(context, reference.pointer, source.pointer) > 0)

        var boxMismatches = 0, largestSwscaleGap = 0
        for plane in 0..<3 {
            let w = plane == 0 ? outWidth : outWidth / 2, h = plane == 0 ? outHeight : outHeight / 2
            for y in 0..<h {
                for x in 0..<w {
                    let got = Int(scaled.pointer.plane(plane)![y * scaled.pointer.lineSize(plane) + x])
                    var sum = 0
                    for dy in 0..<factor {
                        for dx in 0..<factor {
                            sum += Int(source.pointer.plane(plane)![(y * factor + dy) * source.pointer.lineSize(plane) + x * factor + dx])
                        }
                    }
                    if got != (sum + factor * factor / 2) / (factor * factor) { boxMismatches += 1 }
                    let area = Int(reference.pointer.plane(plane)![y * reference.pointer.lineSize(plane) + x])
                    largestSwscaleGap = max(largestSwscaleGap, abs(got - area))
                }
            }
        }
        #expect(boxMismatches == 0)
        #expect(largestSwscaleGap <= 1, "box vs swscale area: \(largestSwscaleGap) levels apart")
    }

    @Test(.timeLimit(.minutes(1)))
    func otherGeometriesStillScaleThroughSwscale() throws {
        // 4:3 → 16:9 is no whole factor: the picture must still come out at the output size.
        let source = try makeFrame(width: 640, height: 480, format: AV_PIX_FMT_YUV420P) { plane, _, _ in plane == 0 ? 235 : 128 }
        let configuration = PipelineConfiguration(url: "testsrc:", fps: 5, width: 320, height: 180, quality: 2)
        let scaled = try FrameScaler(configuration: configuration).scale(source.pointer)
        #expect(scaled.pointer.pointee.width == 320 && scaled.pointer.pointee.height == 180)
        // Limited-range white came out full-range white, through swscale and the range expansion.
        #expect(scaled.pointer.plane(0)![90 * scaled.pointer.lineSize(0) + 160] == 255)
    }

    @Test(.timeLimit(.minutes(1)))
    func scaledPicturesNeverShareABufferAndOutliveTheirScaler() throws {
        // Pictures held at once (as in the capture queue) each keep their own content; a size change
        // and the scaler's end leave the pictures already made intact.
        let configuration = PipelineConfiguration(url: "testsrc:", fps: 5, width: 320, height: 180, quality: 2)
        var scaler: FrameScaler? = FrameScaler(configuration: configuration)
        var held: [(OwnedFrame, UInt8)] = []
        for (index, size) in [(640, 360), (640, 360), (640, 360), (960, 540), (640, 480), (640, 360)].enumerated() {
            let level = UInt8(40 + index * 30)
            let source = try makeFrame(width: size.0, height: size.1, format: AV_PIX_FMT_YUVJ420P) { _, _, _ in level }
            held.append((try scaler!.scale(source.pointer), level))
            if index == 1 { held.removeFirst() }  // its buffer is freed, and may be handed out again
        }
        scaler = nil
        let buffers = held.map { UnsafeRawPointer($0.0.pointer.pointee.buf.0!.pointee.data!) }
        #expect(Set(buffers).count == held.count)
        for (frame, level) in held {
            for plane in 0..<3 {
                let w = plane == 0 ? 320 : 160, h = plane == 0 ? 180 : 90
                let intact = (0..<h).allSatisfy { y in
                    (0..<w).allSatisfy { frame.pointer.plane(plane)![y * frame.pointer.lineSize(plane) + $0] == level }
                }
                #expect(intact, "plane \(plane) of the picture at level \(level)")
            }
        }
    }

    /// A new picture; `sample(plane, x, y)` gives each sample.
    private func makeFrame(
        width: Int, height: Int, format: AVPixelFormat, sample: (Int, Int, Int) -> UInt8
    ) throws -> OwnedFrame {
        let frame = try OwnedFrame()
        let pointer = frame.pointer
        pointer.pointee.format = format.rawValue
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.color_range = format == AV_PIX_FMT_YUVJ420P ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        #expect(av_frame_get_buffer(pointer, 0) >= 0)
        for plane in 0..<3 {
            let w = plane == 0 ? width : width / 2, h = plane == 0 ? height : height / 2
            for y in 0..<h {
                for x in 0..<w { pointer.plane(plane)![y * pointer.lineSize(plane) + x] = sample(plane, x, y) }
            }
        }
        return frame
    }
}

extension SplitMix64 {
    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

@testable import Checkpoint
import Engine
import XCTest

/// The JSON that checkpoints store in their `architecture` and `schedule` attributes is
/// part of schema v1 (docs/checkpoint-format.md), read by Python users and by older
/// Rewind files: renaming a Swift property or case must not change it silently.
final class SchemaJSONTests: XCTestCase {
    private let frozen: [(LearningRateSchedule, String)] = [
        (.constant(base: 0.5), #"{"constant":{"base":0.5}}"#),
        (.multistep(base: 0.25, milestones: [1000, 1500], gamma: 0.5),
         #"{"multistep":{"base":0.25,"gamma":0.5,"milestones":[1000,1500]}}"#),
        (.cosine(base: 0.5, totalSteps: 5000, minimum: 0), #"{"cosine":{"base":0.5,"minimum":0,"totalSteps":5000}}"#),
        (.warmup(steps: 100, then: .constant(base: 0.5)), #"{"warmup":{"steps":100,"then":{"constant":{"base":0.5}}}}"#),
    ]

    func testScheduleJSONIsFrozen() throws {
        for (schedule, json) in frozen {
            XCTAssertEqual(try CheckpointSchema.encodeJSON(schedule), json)
            XCTAssertEqual(try CheckpointSchema.decodeJSON(LearningRateSchedule.self, from: json), schedule)
        }
    }

    func testArchitectureJSONIsFrozen() throws {
        let architecture = Architecture(model: "conv-2", inputShape: [3, 32, 32], classes: 10, dropout: 0.5)
        let json = #"{"classes":10,"dropout":0.5,"inputShape":[3,32,32],"model":"conv-2"}"#
        XCTAssertEqual(try CheckpointSchema.encodeJSON(architecture), json)
        XCTAssertEqual(try CheckpointSchema.decodeJSON(Architecture.self, from: json), architecture)
        // What the Python writer in docs/checkpoint-format.md produces (json.dumps spacing, 0.0).
        let python = #"{"model": "lenet-300-100", "inputShape": [1, 28, 28], "classes": 10, "dropout": 0.0}"#
        XCTAssertEqual(try CheckpointSchema.decodeJSON(Architecture.self, from: python), Architecture(model: "lenet-300-100"))
    }

    func testNormalizationJSONIsFrozen() throws {
        let normalization = Normalization(mean: [0.5], std: [0.25])
        XCTAssertEqual(try CheckpointSchema.encodeJSON(normalization), #"{"mean":[0.5],"std":[0.25]}"#)
    }
}

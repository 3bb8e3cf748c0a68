package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;
import java.util.Map;

/**
 * One measurement. The {@code metrics} topic carries lists of these, one Arrow batch per interval
 * and source, never one Kafka record per scalar.
 *
 * @param source who measured: {@code trainer}, {@code edge}, ...
 * @param run training job id or model:version
 * @param step training step (or second, for serving aggregates)
 * @param name metric name, e.g. {@code loss}, {@code val_accuracy}, {@code latency_p99_ms}
 * @param value the value
 * @param time when it was measured
 * @param labels extra dimensions, e.g. {@code variant=canary}
 */
@ArrowRecord(name = "metric", version = "1.0")
public record MetricPoint(
    String source,
    String run,
    long step,
    String name,
    double value,
    Instant time,
    Map<String, String> labels) {}

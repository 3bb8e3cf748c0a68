package io.streamforge.schemas.records;

import io.streamforge.schemas.arrow.ArrowRecord;
import java.time.Instant;

/**
 * Input that could not be processed, on a {@code *.dlq} topic: the original bytes, the error and
 * where it came from, so nothing is lost and it can be fixed and replayed.
 *
 * @param sourceTopic topic the record came from, or null for a file
 * @param sourcePartition partition, or null
 * @param sourceOffset offset, or null
 * @param sourceFile file the input came from, or null
 * @param sourceLine 1-based line in that file, or null
 * @param key the original key, or null
 * @param original the original bytes (for a CSV row: the raw line in UTF-8)
 * @param error what was wrong
 * @param time when it was rejected
 */
@ArrowRecord(name = "dead-letter", version = "1.0")
public record DeadLetter(
    String sourceTopic,
    Integer sourcePartition,
    Long sourceOffset,
    String sourceFile,
    Long sourceLine,
    String key,
    byte[] original,
    String error,
    Instant time) {}

package io.streamforge.agents.task;

import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.WorkflowRequest;

/**
 * Turns a request and its dataset into {@link Requirements}. Rule-based now ({@link
 * RuleBasedTaskAnalyzer}); an LLM-backed analyzer can come later behind the same interface, which
 * is why the result carries its reasoning as notes rather than as codes.
 */
public interface TaskAnalyzer {

  /**
   * Analyzes a valid request (see {@link RequestValidator#problems}) against its sealed dataset.
   *
   * @throws IllegalArgumentException when the dataset has no readable schema or no such label
   */
  Requirements analyze(WorkflowRequest request, DatasetManifest manifest);

  /** A short name for logs and notes, e.g. {@code rule-based}. */
  String name();
}

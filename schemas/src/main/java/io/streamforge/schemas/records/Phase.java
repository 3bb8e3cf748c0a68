package io.streamforge.schemas.records;

/** The phases of an AutoML workflow, in order, plus the two ways it can end early. */
public enum Phase {
  ANALYZE,
  PREPROCESS,
  DESIGN,
  SEARCH,
  TRAIN,
  ENSEMBLE,
  CONVERT,
  OPTIMIZE,
  DEPLOY,
  DONE,
  FAILED,
  CANCELLED;

  /** DONE, FAILED and CANCELLED end a workflow. */
  public boolean terminal() {
    return this == DONE || this == FAILED || this == CANCELLED;
  }
}

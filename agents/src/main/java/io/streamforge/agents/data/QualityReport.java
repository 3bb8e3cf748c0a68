package io.streamforge.agents.data;

import java.util.List;

/**
 * Everything the data quality check found in one dataset version for one task.
 *
 * @param findings the findings, dataset-wide ones first
 */
public record QualityReport(List<Finding> findings) {

  public QualityReport {
    findings = List.copyOf(findings);
  }

  /** Whether any finding is an error, so that the workflow must stop. */
  public boolean blocking() {
    return findings.stream().anyMatch(f -> f.severity() == Finding.Severity.ERROR);
  }

  /** The findings of one severity. */
  public List<Finding> of(Finding.Severity severity) {
    return findings.stream().filter(f -> f.severity() == severity).toList();
  }

  /** The findings with one code. */
  public List<Finding> withCode(String code) {
    return findings.stream().filter(f -> f.code().equals(code)).toList();
  }
}

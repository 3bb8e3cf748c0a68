package io.streamforge.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.schemas.records.AgentMessage;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Job statuses as JSON payloads: the report field is optional both ways. */
class JobStatusTest {

  private static AgentMessage message(String payload) {
    return new AgentMessage(
        "m",
        "j",
        "wf",
        JobStatus.SOURCE,
        "*",
        AgentMessage.MessageType.EVENT,
        0,
        Instant.now(),
        JobStatus.PAYLOAD_TYPE,
        payload);
  }

  @Test
  void aReportRoundTripsAndIsLeftOutWhenNull() {
    JobStatus q =
        new JobStatus(
            "j",
            JobStatus.State.SUCCEEDED,
            null,
            "iris",
            3,
            null,
            Map.of("variants", 4.0),
            "w",
            "[{\"variant\":\"fp32\"}]");
    assertThat(JobStatus.from(q.toMessage("wf"))).isEqualTo(q);
    JobStatus t = new JobStatus("j", JobStatus.State.RUNNING, null, "iris", null, null, null, "w");
    assertThat(t.report()).isNull();
    assertThat(t.toMessage("wf").payload()).doesNotContain("report");
    assertThat(JobStatus.from(t.toMessage("wf"))).isEqualTo(t);
  }

  @Test
  void olderAndNewerPayloadsRead() {
    JobStatus old =
        JobStatus.from(
            message("{\"jobId\":\"j\",\"state\":\"SUCCEEDED\",\"model\":\"iris\",\"version\":2}"));
    assertThat(old.version()).isEqualTo(2);
    assertThat(old.report()).isNull();
    JobStatus newer =
        JobStatus.from(
            message("{\"jobId\":\"j\",\"state\":\"FAILED\",\"reason\":\"r\",\"future\":[1,2]}"));
    assertThat(newer.state()).isEqualTo(JobStatus.State.FAILED);
    assertThat(newer.reason()).isEqualTo("r");
  }
}

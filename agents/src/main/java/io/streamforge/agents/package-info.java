/**
 * The agents' decision logic as plain Java: no Kafka, no threads, no clocks of their own (time is
 * passed in), so that every rule is unit-tested and the Kafka Streams topologies in {@code streams}
 * stay thin.
 */
package io.streamforge.agents;

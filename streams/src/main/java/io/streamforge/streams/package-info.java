/**
 * The Kafka Streams applications: the workflow orchestrator and one topology per agent, each built
 * by a pure function that {@code main()} and the tests both call.
 */
package io.streamforge.streams;

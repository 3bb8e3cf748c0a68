/**
 * Streams for dashboards: Server-Sent Events over the edge's HTTP server, backed by Kafka consumers
 * (one shared tail per topic per edge, plus a short-lived catch-up reader per client that starts
 * behind the tail), and the static dashboard page that reads them.
 */
package io.streamforge.serving.dashboard;

import { connect, Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { requiredEnv } from './integration';

/**
 * A kafkajs client of the shared broker whose connections a test can cut and restore: an outage on this client's
 * side only. Every connection, to the bootstrap address and to whatever the broker advertises, goes through its
 * socket factory, which a TcpProxy cannot do for the shared broker (it advertises its own port). While cut, open
 * sockets are destroyed and new ones fail at once, so the client fails fast instead of hanging.
 */
export function cuttableKafka(clientId: string): { kafka: Kafka; cut(): void; restore(): void } {
  const sockets = new Set<Socket>();
  let cutOff = false;
  const kafka = new Kafka({
    clientId,
    brokers: requiredEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 1, initialRetryTime: 100 },
    socketFactory: ({ host, port, onConnect }) => {
      if (cutOff) {
        const refused = new Socket();
        process.nextTick(() => refused.destroy(new Error('connection cut by the test')));
        return refused;
      }
      const socket = connect({ host, port }, onConnect);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      return socket;
    },
  });
  return {
    kafka,
    cut: () => {
      cutOff = true;
      // With an error, as a reset connection reports itself: kafkajs then drops the connection and fails what
      // is in flight (a bare destroy() only emits 'close', which it does not watch, and requests would hang).
      for (const socket of sockets) socket.destroy(new Error('connection cut by the test'));
      sockets.clear();
    },
    restore: () => {
      cutOff = false;
    },
  };
}

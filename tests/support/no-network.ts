import net from 'node:net';

/**
 * Tests must never reach past loopback. Every socket connection is checked here: one to any
 * other address is destroyed before it connects and remembered, so a test can also assert
 * that a request was answered without trying the network at all.
 */
const attempts: string[] = [];
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const [first, second] = args as [unknown, unknown];
  const options = typeof first === 'object' && first !== null ? (first as net.TcpNetConnectOpts) : undefined;
  const host = options ? (options.host ?? 'localhost') : typeof second === 'string' ? second : 'localhost';
  const isPipe = options ? 'path' in options && options.path !== undefined : typeof first === 'string';
  if (!isPipe && !LOOPBACK.test(host)) {
    attempts.push(host);
    process.nextTick(() => this.destroy(new Error(`test network guard: connection to ${host} blocked`)));
    return this;
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

/** Non-loopback hosts that code under test tried to connect to since the test file started. */
export function blockedConnections(): readonly string[] {
  return attempts;
}

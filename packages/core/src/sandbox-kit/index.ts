/**
 * `@slotbridge/core/sandbox-kit`: the pieces every EHR sandbox needs, so a sandbox is its
 * model of the EHR and its wire format, not its plumbing. Sandboxes are a separate export of
 * each plugin (`./sandbox`), so production code never loads this; a plugin's production client
 * uses core's `sendHttp` (`@slotbridge/core/plugin`) instead.
 *
 * - random.ts: `seededRandom`, so a seeded demo diary (and chaos) is always the same.
 * - fault-queue.ts: `FaultQueue`, faults armed against operations, used up in order.
 * - http-server.ts: `createSandboxHttp`, a Fastify app on 127.0.0.1 on a free port that closes
 *   its open connections when it closes.
 * - tcp-listener.ts: `LocalTcpListener`, a TCP listener that can go offline and come back.
 * - http-faults.ts: `HttpFaultInjector` (armed faults and seeded chaos: error, latency, hang,
 *   drop, lost-answer) and `installFaultPlayback`, which logs the calls and plays the faults.
 * - control-routes.ts: the `/_sandbox/…` scaffolding: shared bodies, fault and call-log routes,
 *   `noContent`, `answerSandboxErrors`.
 */
export * from './control-routes.ts';
export * from './fault-queue.ts';
export * from './http-faults.ts';
export * from './http-server.ts';
export * from './random.ts';
export * from './tcp-listener.ts';

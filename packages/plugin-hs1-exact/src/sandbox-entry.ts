/**
 * `@slotbridge/plugin-hs1-exact/sandbox`: the sandbox (./sandbox/index.ts) and the demo practice
 * it gives `npm start` (./demo-sandbox.ts).
 */
export { startDemoSandbox } from './demo-sandbox.ts';
export * from './sandbox/index.ts';

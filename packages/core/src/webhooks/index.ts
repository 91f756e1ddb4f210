// Signed webhooks (docs/webhooks.md).
export * from './delivery.ts';
export * from './endpoints.ts';
export * from './events.ts';
export * from './networks.ts';
export * from './tables.ts';

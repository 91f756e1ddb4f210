// SMART Scheduling Links publishing (docs/publishing.md).
export * from './feed.ts';
export * from './fhir.ts';
export * from './settings.ts';
export type { PublishedAddress, PublishedKind, PublishedServiceType } from './tables.ts';

/** Test helpers: the published fixtures, structural shapes, a hook context, a started sandbox. */
import { readFileSync } from 'node:fs';
import { hookContext } from '@slotbridge/core/testing';
import type { GpConnectConnection } from '../src/index.ts';
import { createGpConnectSandbox, type GpConnectSandbox } from '../src/sandbox/index.ts';

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}_example.json`, import.meta.url), 'utf8')) as T;
}

type Shape = string | { [key: string]: Shape } | { array: Shape | null };

function merge(a: Shape | null, b: Shape): Shape {
  if (a === null) return b;
  if (typeof a === 'object' && typeof b === 'object' && !('array' in a) && !('array' in b)) {
    const out: Record<string, Shape> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k]!, v) : v;
    return out;
  }
  if (typeof a === 'object' && typeof b === 'object' && 'array' in a && 'array' in b) {
    return { array: a.array === null ? b.array : b.array === null ? a.array : merge(a.array, b.array) };
  }
  return JSON.stringify(a) === JSON.stringify(b) ? a : `${JSON.stringify(a)}|${JSON.stringify(b)}`;
}

/** The structure of a JSON value: object keys (sorted) and value types; an array's elements merged. */
export function shapeOf(value: unknown): Shape {
  if (Array.isArray(value))
    return { array: value.map(shapeOf).reduce<Shape | null>((acc, s) => merge(acc, s), null) };
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

export async function startSandbox(
  days = 10,
): Promise<{ sandbox: GpConnectSandbox; connection: GpConnectConnection }> {
  const sandbox = await createGpConnectSandbox({ timeZone: 'Europe/London', demo: { days } });
  await sandbox.listen();
  return { sandbox, connection: { ...sandbox.connection() } };
}

export function ctxFor(connection: GpConnectConnection) {
  return hookContext(connection, {
    practice: { id: 'p1', name: 'Demo', odsCode: 'A81001', timeZone: 'Europe/London' },
  });
}

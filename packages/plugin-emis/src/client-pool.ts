/**
 * One EmisClient per distinct connection, so the bearer token is reused across the hooks'
 * calls (the core hands each hook a fresh copy of the decrypted connection). Keyed by a hash of
 * the connection, so the key holds no secret; the oldest clients are dropped past the limit.
 */
import { createHash } from 'node:crypto';
import { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';

const MAX_CLIENTS = 1000;
const clients = new Map<string, EmisClient>();

export function clientFor(connection: EmisConnection): EmisClient {
  const { baseUrl, applicationId, cdbNumber, username, apiPassword } = connection;
  const key = createHash('sha256')
    .update(JSON.stringify([baseUrl, applicationId, cdbNumber, username, apiPassword]))
    .digest('base64url');
  let client = clients.get(key);
  if (!client) {
    client = new EmisClient(connection);
    clients.set(key, client);
    if (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value!);
  }
  return client;
}

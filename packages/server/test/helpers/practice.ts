/** A practice on the in-memory EHR, created over the API, optionally with its connection saved. */
import type { FastifyInstance } from 'fastify';
import { bearer } from './test-app.ts';

export async function createPractice(
  app: FastifyInstance,
  key: string,
  options: { name?: string; connect?: boolean } = {},
): Promise<{ id: string }> {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/practices',
    headers: bearer(key),
    payload: { name: options.name ?? 'Riverside Surgery', ehr: 'memory', timeZone: 'Europe/London' },
  });
  const practice = created.json<{ id: string }>();
  if (options.connect) {
    await app.inject({
      method: 'PUT',
      url: `/v1/practices/${practice.id}/connection`,
      headers: bearer(key),
      payload: { practiceCode: 'T1', secret: 'right' },
    });
  }
  return practice;
}

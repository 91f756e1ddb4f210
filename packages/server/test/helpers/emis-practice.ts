/** An EMIS practice over real HTTP to a sandbox with the demo diary, set up and synced. */

import { addDays, localDateOf } from '@slotbridge/core';
import emisPlugin from '@slotbridge/plugin-emis';
import { createEmisSandbox, type EmisSandbox } from '@slotbridge/plugin-emis/sandbox';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { setUpFromCatalogue } from '../../src/demo.ts';
import { bearer, type TestApp, testApp } from './test-app.ts';

export interface EmisPractice extends TestApp {
  sandbox: EmisSandbox;
  key: string;
  practiceId: string;
  /** GET/POST/PUT on a path under /v1/practices/{practiceId}. */
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
  /** A weekday at least two days ahead, YYYY-MM-DD, Europe/London. */
  weekday: string;
}

export async function emisPractice(t: Test, options: { workers?: boolean } = {}): Promise<EmisPractice> {
  const sandbox = await createEmisSandbox({ demo: { days: 14 } });
  await sandbox.listen();
  const setup = await testApp({ ehrPlugins: [emisPlugin], ...options });
  t.teardown(async () => {
    await setup.close();
    await sandbox.close();
  });
  const a = await setup.partner('A');
  const practice = (
    await setup.app.inject({
      method: 'POST',
      url: '/v1/practices',
      headers: bearer(a.key),
      payload: { name: 'EMIS practice', ehr: 'emis', timeZone: 'Europe/London' },
    })
  ).json();
  await setup.app.inject({
    method: 'PUT',
    url: `/v1/practices/${practice.id}/connection`,
    headers: bearer(a.key),
    payload: sandbox.connection(),
  });
  await setUpFromCatalogue(
    setup.slotbridge,
    (await setup.slotbridge.apiKeys.authenticate(a.key))!,
    practice.id,
  );
  const call: EmisPractice['call'] = (method, path, payload) =>
    setup.app.inject({
      method,
      url: `/v1/practices/${practice.id}${path}`,
      headers: bearer(a.key),
      ...(payload && { payload }),
    });
  await call('POST', '/sync');
  return {
    ...setup,
    sandbox,
    key: a.key,
    practiceId: practice.id,
    call,
    weekday: nextDay(2, [1, 2, 3, 4, 5]),
  };
}

/** The first local date (Europe/London) at least `ahead` days from now on one of `weekdays` (0 = Sunday). */
export function nextDay(ahead: number, weekdays: number[]): string {
  for (let n = ahead; ; n++) {
    const date = localDateOf(addDays(new Date(), n), 'Europe/London');
    if (weekdays.includes(new Date(`${date}T12:00:00Z`).getUTCDay())) return date;
  }
}

import t from 'tap';
import { systmonePlugin } from '../src/systmone-plugin.ts';
import { contextFor, startSandbox } from './fixtures.ts';

t.test('discover lists users, sites and slot types with whether third parties may book them', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 1, from: '2026-02-02' } });
  t.same(await systmonePlugin.discover(contextFor(sandbox.connection())), {
    practitioners: [
      { ehrId: 'AHart', name: 'Dr Amelia Hart', attributes: { role: 'GP' } },
      { ehrId: 'RPatel', name: 'Dr Rajesh Patel', attributes: { role: 'GP' } },
      { ehrId: 'GOkafor', name: 'Grace Okafor', attributes: { role: 'Practice Nurse' } },
      { ehrId: 'SBrown', name: 'Sam Brown', attributes: { role: 'Healthcare Assistant' } },
      { ehrId: 'HeroGateway', name: 'Hero Gateway', attributes: { role: 'Integration' } },
    ],
    locations: [
      { ehrId: 'Riverside Surgery', name: 'Riverside Surgery' },
      { ehrId: 'Hillview Branch Surgery', name: 'Hillview Branch Surgery' },
    ],
    slotTypes: [
      { ehrId: 'Routine GP', name: 'Routine GP', attributes: { bookable: true } },
      {
        ehrId: 'Telephone Consultation',
        name: 'Telephone Consultation',
        attributes: { bookable: true },
      },
      { ehrId: 'Nurse Appointment', name: 'Nurse Appointment', attributes: { bookable: true } },
      { ehrId: 'Blood Test', name: 'Blood Test', attributes: { bookable: true } },
      {
        ehrId: 'Unregistered Patient (Online)',
        name: 'Unregistered Patient (Online)',
        attributes: { bookable: true },
      },
      { ehrId: 'Baby Clinic', name: 'Baby Clinic', attributes: { bookable: false } },
    ],
  });
});

t.test('discover fails as the client does', async (t) => {
  const sandbox = await startSandbox(t);
  await t.rejects(systmonePlugin.discover(contextFor({ ...sandbox.connection(), apiKey: 'wrong' })), {
    kind: 'auth_failed',
    code: 'SYSTMONE_ERR_API_KEY',
  });
});

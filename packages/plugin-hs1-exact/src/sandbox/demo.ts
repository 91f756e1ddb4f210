import type { StartDemoSandbox } from '@slotbridge/core/plugin';
import { createHs1ExactSandbox } from './index.ts';

/** The demo practice of `npm start`: a dental practice in Sydney with thirty days of diary. */
export const startDemoSandbox: StartDemoSandbox = async () => {
  const sandbox = await createHs1ExactSandbox({ timeZone: 'Australia/Sydney', demo: { days: 30 } });
  const sandboxUrl = await sandbox.listen();
  return {
    practiceName: 'Demo Dental (HS1 Exact)',
    odsCode: null,
    timeZone: 'Australia/Sydney',
    connection: { ...sandbox.connection() },
    sandboxUrl,
    // Exact registers a patient it does not know, so any patient books.
    patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
    close: () => sandbox.close(),
  };
};

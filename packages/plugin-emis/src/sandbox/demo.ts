import type { StartDemoSandbox } from '@slotbridge/core/plugin';
import { createEmisSandbox } from './index.ts';

/** The demo practice of `npm start`: a GP surgery in England with four weeks of diary. */
export const startDemoSandbox: StartDemoSandbox = async () => {
  const sandbox = await createEmisSandbox({ timeZone: 'Europe/London', demo: { days: 28 } });
  const sandboxUrl = await sandbox.listen();
  return {
    practiceName: 'Demo Surgery (EMIS Web)',
    odsCode: 'A81001',
    timeZone: 'Europe/London',
    connection: { ...sandbox.connection() },
    sandboxUrl,
    // Patient number 9001 in the demo diary: matched by name and date of birth.
    patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29' },
    close: () => sandbox.close(),
  };
};

import type { StartDemoSandbox } from '@slotbridge/core/plugin';
import { createSystmOneSandbox, DEMO_PLACEHOLDER_NHS_NUMBER } from './index.ts';

/** The demo practice of `npm start`: a GP health centre in England with four weeks of diary. */
export const startDemoSandbox: StartDemoSandbox = async () => {
  const sandbox = await createSystmOneSandbox({ timeZone: 'Europe/London', demo: { days: 28 } });
  const sandboxUrl = await sandbox.listenControl();
  return {
    practiceName: 'Demo Health Centre (TPP SystmOne)',
    odsCode: 'B82001',
    timeZone: 'Europe/London',
    // The placeholder patient the practice keeps for online bookings it cannot match yet.
    connection: { ...sandbox.connection(), placeholderNhsNumber: DEMO_PLACEHOLDER_NHS_NUMBER },
    sandboxUrl,
    // SystmOne books by NHS number: Alice's record in the demo diary.
    patient: { firstName: 'Alice', lastName: 'Jones', dateOfBirth: '1984-02-29', nhsNumber: '9990000018' },
    close: () => sandbox.close(),
  };
};

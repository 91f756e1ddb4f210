/** The demo's GP Connect practice (`npm start`): the sandbox with four weeks of a diary. */
import type { StartDemoSandbox } from '@slotbridge/core/plugin';
import { DEMO_PATIENTS } from './demo-diary.ts';
import { createGpConnectSandbox } from './index.ts';

export const startDemoSandbox: StartDemoSandbox = async () => {
  const sandbox = await createGpConnectSandbox({ timeZone: 'Europe/London', demo: { days: 28 } });
  const sandboxUrl = await sandbox.listen();
  return {
    practiceName: 'Demo Surgery (GP Connect)',
    odsCode: sandbox.diary.organisation.odsCode,
    timeZone: 'Europe/London',
    connection: { ...sandbox.connection() },
    sandboxUrl,
    // A patient the demo books for: GP Connect finds patients by NHS number.
    patient: {
      firstName: DEMO_PATIENTS[0].given,
      lastName: DEMO_PATIENTS[0].family,
      dateOfBirth: DEMO_PATIENTS[0].birthDate,
      nhsNumber: DEMO_PATIENTS[0].nhsNumber,
    },
    close: () => sandbox.close(),
  };
};

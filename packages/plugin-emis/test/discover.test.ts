import t from 'tap';
import { emisPlugin } from '../src/emis-plugin.ts';
import { contextFor, startSandbox } from './fixtures.ts';

t.test('discover lists session holders, sites and slot types with their bookable flag', async (t) => {
  const sandbox = await startSandbox(t, { demo: { days: 7, from: '2026-02-02' } });
  t.same(await emisPlugin.discover(contextFor(sandbox.connection())), {
    practitioners: [
      { ehrId: '501', name: 'Dr Amelia Hart' },
      { ehrId: '502', name: 'Dr Rajesh Patel' },
      { ehrId: '503', name: 'Ms Grace Okafor' },
    ],
    locations: [
      { ehrId: '1', name: 'Riverside Surgery' },
      { ehrId: '2', name: 'Hillview Branch Surgery' },
    ],
    slotTypes: [
      { ehrId: '11', name: 'Routine GP', attributes: { bookable: true, display: 'GP' } },
      { ehrId: '12', name: 'Nurse appointment', attributes: { bookable: true, display: 'Nurse' } },
      { ehrId: '13', name: 'Telephone consultation', attributes: { bookable: true, display: 'Tel' } },
      { ehrId: '14', name: 'Hero unregistered patient', attributes: { bookable: true, display: 'Unreg' } },
      { ehrId: '15', name: 'Baby clinic', attributes: { bookable: false, display: 'Baby' } },
    ],
  });
});

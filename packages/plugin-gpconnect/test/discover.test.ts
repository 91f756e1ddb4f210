/** discover: practitioners, locations and slot types from the slot search's includes. */
import t from 'tap';
import { gpconnectPlugin } from '../src/index.ts';
import { DEMO_SLOT_TYPE } from '../src/sandbox/index.ts';
import { ctxFor, startSandbox } from './helpers.ts';

t.test('the catalogue of the demo practice', async (t) => {
  const { sandbox, connection } = await startSandbox(28);
  t.teardown(() => sandbox.close());
  const catalogue = await gpconnectPlugin.discover(ctxFor(connection));
  t.same(
    catalogue.practitioners.map((p) => [p.ehrId, p.name]),
    [
      ['2', 'Dr Amir Khan'],
      ['1', 'Dr Sarah Black'],
      ['3', 'Mr Jo Patel'],
    ],
  );
  t.match(catalogue.practitioners[2]!.attributes, { role: 'Practice Nurse' });
  t.same(catalogue.locations.map((l) => l.ehrId).sort(), ['1', '2']);
  t.same(catalogue.slotTypes.map((s) => s.ehrId).sort(), Object.values(DEMO_SLOT_TYPE).sort());
  t.ok(
    catalogue.slotTypes.every((s) => s.attributes?.bookable === true),
    'every slot type is marked bookable',
  );
  t.match(
    catalogue.slotTypes.find((s) => s.ehrId === DEMO_SLOT_TYPE.TELEPHONE),
    { name: 'Telephone Consultation (Telephone)', attributes: { deliveryChannel: 'Telephone' } },
  );
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['SearchFreeSlots', 'SearchFreeSlots', 'SearchFreeSlots'],
    '28 days: 14-day searches',
  );
});

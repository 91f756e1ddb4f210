/**
 * The SystmOne set-up checks, in order, in a practice manager's words: the gateway accepts a
 * connection; SystmOne answers on the gateway PC (a closed or logged-out SystmOne answers
 * nothing, so nothing after this can be checked without it); the API key; the device ID; the
 * user logged in there has approved the device; that user is one of the organisation's; at least
 * one slot type is bookable by third parties; the placeholder patient held bookings are written
 * for is in SystmOne (a warning). One GetOrganisation answers all but the first; a
 * check that fails stops the ones that depend on it.
 */
import { type EhrContext, EhrError, type SetupCheck } from '@slotbridge/core/plugin';
import { SystmOneClient, type SystmOneOrganisation } from './client.ts';
import type { SystmOneConnection } from './connection.ts';
import { isSystmOneError } from './errors.ts';

function passed(id: string, message: string): SetupCheck {
  return { id, ok: true, severity: 'error', message };
}

function failed(
  id: string,
  message: string,
  fix: string,
  severity: SetupCheck['severity'] = 'error',
): SetupCheck {
  return { id, ok: false, severity, message, fix };
}

function names(list: string[]): string {
  return list.join(', ');
}

/** The checks GetOrganisation settles, up to and including the one its failure (if any) fails. */
function answerChecks(connection: SystmOneConnection, failure: unknown): SetupCheck[] {
  const userName = connection.userName.trim();
  const checks = [
    passed('systmone.client-answering', 'SystmOne answers on the gateway PC.'),
    passed('systmone.api-key', 'SystmOne accepts the API key.'),
    passed('systmone.device-id', `SystmOne accepts the device ID ${connection.deviceId}.`),
    passed(
      'systmone.device-approved',
      'The user logged in to SystmOne on the gateway PC has approved the slotbridge device.',
    ),
  ];
  if (failure === null) return checks;

  if (isSystmOneError(failure, 'SYSTMONE_ERR_API_KEY')) {
    return [
      ...checks.slice(0, 1),
      failed(
        'systmone.api-key',
        'SystmOne does not recognise the API key.',
        'Enter the API key TPP issued for slotbridge exactly as given (no spaces).',
      ),
    ];
  }
  if (isSystmOneError(failure, 'SYSTMONE_ERR_DEVICE_ID')) {
    return [
      ...checks.slice(0, 2),
      failed(
        'systmone.device-id',
        `SystmOne does not recognise the device ID ${connection.deviceId} for this API key.`,
        'Enter the device ID registered with TPP for this API key exactly as given.',
      ),
    ];
  }
  if (isSystmOneError(failure, 'SYSTMONE_ERR_DEVICE_NOT_APPROVED')) {
    const loggedIn = failure.details?.userName;
    const wrongUser =
      typeof loggedIn === 'string' && loggedIn !== userName
        ? ` SystmOne there is logged in as ${loggedIn} now: log out first.`
        : '';
    return [
      ...checks.slice(0, 3),
      failed(
        'systmone.device-approved',
        `The user ${typeof loggedIn === 'string' ? loggedIn : userName} has not approved the slotbridge device ` +
          `(${connection.deviceId}).`,
        `Log in to SystmOne as ${userName} on the practice PC and Approve the device when SystmOne asks about ` +
          `slotbridge; leave SystmOne logged in as ${userName}.${wrongUser}`,
      ),
    ];
  }
  if (isSystmOneError(failure, 'SYSTMONE_ERR_NO_ANSWER')) {
    return [
      failed(
        'systmone.client-answering',
        'The gateway accepted the connection but SystmOne did not answer: it is closed or logged out on the gateway PC.',
        `Log in to SystmOne on the gateway PC as ${userName} and leave it running: SystmOne answers only while ` +
          'it is open and logged in.',
      ),
    ];
  }
  if (failure instanceof EhrError && failure.kind === 'transient') {
    return [
      failed(
        'systmone.client-answering',
        `SystmOne did not give a usable answer: ${failure.message}.`,
        'Try again in a few minutes. If it keeps failing, restart SystmOne and the slotbridge gateway on the gateway PC.',
      ),
    ];
  }
  // SystmOne answered and accepted the credentials, but would not list the organisation.
  return [
    ...checks,
    failed(
      'systmone.organisation',
      `SystmOne would not list the organisation's users and slot types: ${
        failure instanceof Error ? failure.message : String(failure)
      }.`,
      'Ask TPP to enable the Client Integration API functions (GetOrganisation, GetAppointmentSlots, ' +
        'PatientSearch, UpdatePatientRecord) for the practice.',
    ),
  ];
}

function userCheck(connection: SystmOneConnection, organisation: SystmOneOrganisation): SetupCheck {
  const userName = connection.userName.trim();
  if (organisation.users.some((user) => user.userName === userName)) {
    return passed(
      'systmone.user',
      `${userName} is a SystmOne user of ${organisation.name || 'the organisation'}.`,
    );
  }
  return failed(
    'systmone.user',
    `SystmOne has no user ${userName} in ${organisation.name || 'the organisation'}.`,
    'Enter the user name of the SystmOne user logged in on the gateway PC, exactly as SystmOne shows it.',
    'warning',
  );
}

function slotTypesCheck(organisation: SystmOneOrganisation): SetupCheck {
  const bookable = organisation.slotTypes.filter((t) => t.bookableByThirdParties).map((t) => t.name);
  const notBookable = organisation.slotTypes.filter((t) => !t.bookableByThirdParties).map((t) => t.name);
  const notBookableText =
    notBookable.length > 0
      ? ` Not bookable by third parties, so never offered online: ${names(notBookable)}.`
      : '';
  if (bookable.length === 0) {
    return failed(
      'systmone.slot-types',
      `No slot type is bookable by third parties, so slotbridge can offer no slots.${notBookableText}`,
      "In SystmOne's appointment set-up, allow third-party booking for the slot types patients may book online.",
    );
  }
  return passed(
    'systmone.slot-types',
    `${bookable.length} slot type${bookable.length === 1 ? ' is' : 's are'} bookable by third parties: ` +
      `${names(bookable)}.${notBookableText}`,
  );
}

const PLACEHOLDER_SETUP =
  "In SystmOne, keep a placeholder patient record for online bookings it cannot match yet (e.g. 'Unregistered, " +
  "Online Booking'), enter its NHS number as the connection's placeholder NHS number, and map a slot type to " +
  'Unregistered Patient Booking.';

/**
 * The placeholder patient held bookings are written for (a warning): not set, held bookings are
 * impossible; set, PatientSearch on its NHS number alone must find the record.
 */
async function placeholderCheck(
  client: SystmOneClient,
  ctx: EhrContext<SystmOneConnection>,
): Promise<SetupCheck> {
  const id = 'systmone.placeholder-patient';
  const nhsNumber = ctx.connection.placeholderNhsNumber?.replace(/[\s-]/g, '') ?? '';
  if (nhsNumber === '') {
    return failed(
      id,
      'No placeholder patient is set, so slotbridge cannot hold the time of an online booking whose patient ' +
        'SystmOne cannot match: such bookings fail and the practice must contact the patient.',
      PLACEHOLDER_SETUP,
      'warning',
    );
  }
  let found: boolean;
  try {
    found = (await client.patientSearch({ NHSNumber: nhsNumber }, ctx.signal)).some(
      (patient) => patient.nhsNumber === nhsNumber,
    );
  } catch (error) {
    return failed(
      id,
      `slotbridge could not look up the placeholder patient (NHS number ${nhsNumber}): ${
        error instanceof Error ? error.message : String(error)
      }.`,
      'Try again in a few minutes. If it keeps failing, check the placeholder NHS number.',
      'warning',
    );
  }
  if (!found) {
    return failed(
      id,
      `SystmOne has no patient with the placeholder NHS number ${nhsNumber}, so online bookings it cannot match ` +
        'cannot be held: they fail instead.',
      "Enter the NHS number of the placeholder patient record exactly as SystmOne shows it (e.g. 'Unregistered, " +
        "Online Booking'), or create that record in SystmOne.",
      'warning',
    );
  }
  return passed(
    id,
    `The placeholder patient (NHS number ${nhsNumber}) is in SystmOne: online bookings SystmOne cannot match are ` +
      'held on it for reception to move to the right patient.',
  );
}

export async function checkSystmOneSetup(ctx: EhrContext<SystmOneConnection>): Promise<SetupCheck[]> {
  const client = new SystmOneClient(ctx.connection);
  try {
    await client.ping(ctx.signal);
  } catch {
    return [
      failed(
        'systmone.gateway-reachable',
        `slotbridge could not connect to the gateway at ${client.address}.`,
        'Check the practice PC running the slotbridge gateway is switched on and the gateway is running, and that ' +
          'the address and port are right.',
      ),
    ];
  }
  const reachable = passed(
    'systmone.gateway-reachable',
    `The gateway at ${client.address} accepts connections.`,
  );

  let organisation: SystmOneOrganisation | null = null;
  let failure: unknown = null;
  try {
    organisation = await client.getOrganisation(ctx.signal);
  } catch (error) {
    failure = error;
  }
  const checks = [reachable, ...answerChecks(ctx.connection, failure)];
  if (organisation === null) return checks;
  return [
    ...checks,
    userCheck(ctx.connection, organisation),
    slotTypesCheck(organisation),
    await placeholderCheck(client, ctx),
  ];
}

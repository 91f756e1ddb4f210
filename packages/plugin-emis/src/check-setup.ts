/**
 * The EMIS set-up checks, in the order the set-up guides give (seeds 002, 004), after the core's
 * checks of what was typed (stray spaces: connection-lint.ts, from the schema's titles): the
 * Partner API answers; the partner user signs in (the API-password
 * mix-up, the EMAS Manager activation, Edit Users, Login Access); the organisation ID (CDB
 * number) is this practice's; no earlier partner user is set up for the product; the user can
 * read the appointment book; there is an unregistered-patient slot type used for nothing else.
 * A check that fails stops the ones that depend on it.
 */
import type { EhrContext, SetupCheck } from '@slotbridge/core/plugin';
import { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';
import { emisDateOf } from './emis-time.ts';
import { EMIS_ERRORS, isEmisError } from './errors.ts';
import type { ConfigurationSlotType, OrganisationInformation, OrganisationPerson } from './partner-api.ts';

const RBAC_FIX =
  'In EMIS Web: EMIS ball → Configuration → Organisation Configuration → Users, open the partner user and give ' +
  'it an RBAC role with appointment access (e.g. Practice Manager SJR004) under User Role Profile.';

/** The detectable rule for the unregistered-patient slot type: its name says so. */
const UNREGISTERED_NAME = /unregistered/i;

function signInFailure(error: unknown): SetupCheck {
  const failed = (message: string, fix: string): SetupCheck => ({
    id: 'emis.sign-in',
    ok: false,
    severity: 'error',
    message,
    fix,
  });
  if (isEmisError(error, 'EMIS_ERR_API_PASSWORD')) {
    return failed('EMIS refused the password (sign-in unsuccessful).', EMIS_ERRORS.EMIS_ERR_API_PASSWORD.fix);
  }
  if (isEmisError(error, 'EMIS_ERR_NO_ACCESS')) {
    return failed(
      'EMIS says this user has no access to the application (invalid login or no access to this product).',
      EMIS_ERRORS.EMIS_ERR_NO_ACCESS.fix,
    );
  }
  if (isEmisError(error, 'EMIS_ERR_PASSWORD_EXPIRED')) {
    return failed('The API password has expired.', EMIS_ERRORS.EMIS_ERR_PASSWORD_EXPIRED.fix);
  }
  if (isEmisError(error, 'EMIS_ERR_APPLICATION_ID')) {
    return failed('EMIS does not recognise the application id.', EMIS_ERRORS.EMIS_ERR_APPLICATION_ID.fix);
  }
  return failed(
    'EMIS did not complete the sign-in.',
    'Try again in a few minutes. If it keeps failing, check the EMIS API address and tell EMIS support.',
  );
}

/** The CDB number EMIS does not know at all: sign-in stops there. */
function unknownOrganisation(connection: EmisConnection): SetupCheck {
  return {
    id: 'emis.organisation',
    ok: false,
    severity: 'error',
    message: `EMIS knows no organisation with the organisation ID (CDB number) ${connection.cdbNumber.trim()}.`,
    fix: EMIS_ERRORS.EMIS_ERR_ORGANISATION_ID.fix,
  };
}

/** The CDB number signs in to an organisation: is it this practice (its ODS code)? */
function organisationCheck(
  organisation: OrganisationInformation,
  connection: EmisConnection,
  practiceOdsCode: string | null,
): SetupCheck {
  const locations = organisation.organisationList ?? [];
  const odsCodes = locations.map((l) => (l.nationalCode ?? '').trim().toUpperCase()).filter(Boolean);
  const name = locations[0]?.locationName || 'an organisation';
  const described = odsCodes.length > 0 ? `${name} (ODS code ${odsCodes.join(', ')})` : name;
  const cdb = connection.cdbNumber.trim();
  const wanted = practiceOdsCode?.trim().toUpperCase() || null;
  if (wanted !== null && odsCodes.length > 0 && !odsCodes.includes(wanted)) {
    return {
      id: 'emis.organisation',
      ok: false,
      severity: 'error',
      message: `The organisation ID (CDB number) ${cdb} is ${described} in EMIS, not this practice (ODS code ${wanted}).`,
      fix: EMIS_ERRORS.EMIS_ERR_ORGANISATION_ID.fix,
    };
  }
  return {
    id: 'emis.organisation',
    ok: true,
    severity: 'error',
    message: `The organisation ID (CDB number) ${cdb} is ${described} in EMIS.`,
  };
}

/**
 * An earlier partner user for the product (seed 002: look for Herouser, Herouser1, any "Hero"
 * users): another active EMIS user with the same first and last name as the partner user
 * signing in, as every partner user made by the guide is ("User, Hero").
 */
function partnerUserCheck(users: OrganisationPerson[], userInRoleId: string, username: string): SetupCheck {
  const sameWords = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  const me = users.find((user) => user.dbid === userInRoleId);
  const others = me
    ? users.filter(
        (user) =>
          user.dbid !== me.dbid &&
          user.activeUser !== 'false' &&
          sameWords(user.firstNames, me.firstNames) &&
          sameWords(user.lastName, me.lastName),
      )
    : [];
  const name = me ? `${me.lastName}, ${me.firstNames}` : username;
  if (others.length === 0) {
    return {
      id: 'emis.partner-user',
      ok: true,
      severity: 'warning',
      message: `No other EMIS user is named "${name}" like the partner user ${username}: no earlier partner user to reuse.`,
    };
  }
  return {
    id: 'emis.partner-user',
    ok: false,
    severity: 'warning',
    message:
      `${others.length === 1 ? 'Another EMIS user is' : `${others.length} other EMIS users are`} also named ` +
      `"${name}", like the partner user ${username}: an earlier partner user for this product (such as Herouser) ` +
      'may already be set up, perhaps with a live connection.',
    fix:
      'Before going on, send your booking provider your ODS code and ask whether that user already has a live ' +
      'connection. If it has, reuse it: enter its user name and API password here rather than setting up another. ' +
      'If not, a new partner user such as Herouser1 is fine. Do not delete the original user until they confirm ' +
      'which credentials stay.',
  };
}

/**
 * Seed 002's "Hero unregistered patient" slot type: a slot type whose name says "unregistered".
 * Used for nothing else means, detectably, not bookable online by patients (`emisAccess`): a
 * held slot stays `Slot Available`, and patients booking online would take it.
 */
function unregisteredSlotTypeCheck(slotTypes: ConfigurationSlotType[]): SetupCheck {
  const reserved = slotTypes.filter(
    (type) => UNREGISTERED_NAME.test(type.description) || UNREGISTERED_NAME.test(type.display),
  );
  if (reserved.length === 0) {
    return {
      id: 'emis.unregistered-slot-type',
      ok: false,
      severity: 'warning',
      message:
        'EMIS has no slot type for unregistered patients (none is named "unregistered"), so a booking for a ' +
        'patient EMIS cannot match cannot hold its time.',
      fix:
        'In EMIS Web: open the Appointment book, click Appts config, choose Slot type on the side, click Add and ' +
        'name it "Hero unregistered patient"; do not offer it for online booking. Then map it in slotbridge as the ' +
        'Unregistered Patient Booking slot type.',
    };
  }
  const names = (types: ConfigurationSlotType[]) => types.map((type) => `"${type.description}"`).join(', ');
  const online = reserved.filter((type) => type.emisAccess === 'true');
  if (online.length > 0) {
    return {
      id: 'emis.unregistered-slot-type',
      ok: false,
      severity: 'error',
      message:
        `The unregistered-patient slot type ${names(online)} is also bookable online by patients, so a slot held ` +
        'for a patient EMIS could not match could be booked by someone else.',
      fix:
        `In EMIS Web: Appointment book → Appts config → Slot type, open ${names(online)} and stop offering it for ` +
        "patients' online booking; keep it only for holding slots for unregistered patients.",
    };
  }
  return {
    id: 'emis.unregistered-slot-type',
    ok: true,
    severity: 'error',
    message: `The slot type ${names(reserved)} is kept for unregistered patients and not bookable online.`,
  };
}

/** `emis.organisation` and `emis.partner-user`, from GetOrganisation. */
async function organisationChecks(
  emis: EmisClient,
  ctx: EhrContext<EmisConnection>,
  userInRoleId: string,
): Promise<SetupCheck[]> {
  let organisation: OrganisationInformation;
  try {
    organisation = await emis.getOrganisation(ctx.signal);
  } catch {
    return [
      {
        id: 'emis.organisation',
        ok: false,
        severity: 'warning',
        message:
          'The partner user signs in but cannot read the organisation details, so the organisation ID and ' +
          'earlier partner users could not be checked.',
        fix: RBAC_FIX,
      },
    ];
  }
  return [
    organisationCheck(organisation, ctx.connection, ctx.practice.odsCode),
    partnerUserCheck(organisation.userList ?? [], userInRoleId, ctx.connection.username.trim()),
  ];
}

/** `emis.appointment-book` and `emis.unregistered-slot-type`, from GetAppointmentConfiguration. */
async function appointmentBookChecks(
  emis: EmisClient,
  ctx: EhrContext<EmisConnection>,
): Promise<SetupCheck[]> {
  try {
    const today = emisDateOf(new Date(), ctx.practice.timeZone);
    const configuration = await emis.getAppointmentConfiguration(
      { startDate: today, endDate: today },
      ctx.signal,
    );
    return [
      {
        id: 'emis.appointment-book',
        ok: true,
        severity: 'error',
        message:
          `The partner user can read the appointment book: ${configuration.slotTypeList?.length ?? 0} slot types, ` +
          `${configuration.holderList?.length ?? 0} session holders, ${configuration.siteList?.length ?? 0} sites.`,
      },
      unregisteredSlotTypeCheck(configuration.slotTypeList ?? []),
    ];
  } catch {
    return [
      {
        id: 'emis.appointment-book',
        ok: false,
        severity: 'error',
        message: 'The partner user signs in but cannot read the appointment book.',
        fix: RBAC_FIX,
      },
    ];
  }
}

export async function checkEmisSetup(ctx: EhrContext<EmisConnection>): Promise<SetupCheck[]> {
  // A fresh client: a token cached from before a set-up change must not hide a failure.
  const emis = new EmisClient(ctx.connection);
  const checks: SetupCheck[] = [];

  try {
    await emis.ping(ctx.signal);
    checks.push({
      id: 'emis.reachable',
      ok: true,
      severity: 'error',
      message: 'The EMIS Partner API answers.',
    });
  } catch {
    checks.push({
      id: 'emis.reachable',
      ok: false,
      severity: 'error',
      message: `slotbridge could not reach the EMIS Partner API at ${ctx.connection.baseUrl}.`,
      fix: 'Check the API address. If it is right, EMIS may be down: try again in a few minutes.',
    });
    return checks;
  }

  let userInRoleId: string;
  try {
    ({ userInRoleId } = await emis.signIn(ctx.signal));
    checks.push({
      id: 'emis.sign-in',
      ok: true,
      severity: 'error',
      message: `The partner user ${ctx.connection.username.trim()} signs in to EMIS.`,
    });
  } catch (error) {
    // An organisation EMIS does not know stops the sign-in before the user is looked at.
    checks.push(
      isEmisError(error, 'EMIS_ERR_ORGANISATION_ID')
        ? unknownOrganisation(ctx.connection)
        : signInFailure(error),
    );
    return checks;
  }

  checks.push(...(await organisationChecks(emis, ctx, userInRoleId)));
  checks.push(...(await appointmentBookChecks(emis, ctx)));
  return checks;
}

/**
 * The EMIS set-up checks, in the order the set-up guides give (seeds 002, 004): no stray spaces
 * in what was typed; the Partner API answers; the partner user signs in (the API-password
 * mix-up, the EMAS Manager activation, Edit Users, Login Access); the user can read the
 * appointment book. A check that fails stops the ones that depend on it.
 */
import type { EhrContext, SetupCheck } from '@slotbridge/core';
import { EmisClient } from './client.ts';
import type { EmisConnection } from './connection.ts';
import { emisDateOf } from './emis-time.ts';
import { EMIS_ERRORS, isEmisError } from './errors.ts';

const FIELD_LABELS = {
  applicationId: 'application id',
  cdbNumber: 'organisation ID (CDB number)',
  username: 'user name',
  apiPassword: 'API password',
} as const;

function spacesCheck(connection: EmisConnection, signInWorked: boolean): SetupCheck {
  const spaced = (Object.keys(FIELD_LABELS) as (keyof typeof FIELD_LABELS)[]).filter(
    (field) => connection[field] !== connection[field].trim(),
  );
  if (spaced.length === 0) {
    return {
      id: 'credentials.spaces',
      ok: true,
      severity: 'error',
      message: 'No spaces at the start or end of the details.',
    };
  }
  const labels = spaced.map((field) => FIELD_LABELS[field]).join(', ');
  return {
    id: 'credentials.spaces',
    ok: false,
    // EMIS accepted the details anyway: the spaces are the practice's own, leave them be.
    severity: signInWorked ? 'warning' : 'error',
    message: `The ${labels} ${spaced.length === 1 ? 'has' : 'have'} a space at the start or end.`,
    fix: `Retype the ${labels} without spaces at the start or end (copying from an email often adds one).`,
  };
}

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
    return [spacesCheck(ctx.connection, false), ...checks];
  }

  try {
    await emis.signIn(ctx.signal);
    checks.push({
      id: 'emis.sign-in',
      ok: true,
      severity: 'error',
      message: `The partner user ${ctx.connection.username.trim()} signs in to EMIS.`,
    });
  } catch (error) {
    checks.push(signInFailure(error));
    return [spacesCheck(ctx.connection, false), ...checks];
  }

  try {
    const today = emisDateOf(new Date(), ctx.practice.timeZone);
    const configuration = await emis.getAppointmentConfiguration(
      { startDate: today, endDate: today },
      ctx.signal,
    );
    checks.push({
      id: 'emis.appointment-book',
      ok: true,
      severity: 'error',
      message:
        `The partner user can read the appointment book: ${configuration.slotTypeList?.length ?? 0} slot types, ` +
        `${configuration.holderList?.length ?? 0} session holders, ${configuration.siteList?.length ?? 0} sites.`,
    });
  } catch {
    checks.push({
      id: 'emis.appointment-book',
      ok: false,
      severity: 'error',
      message: 'The partner user signs in but cannot read the appointment book.',
      fix:
        'In EMIS Web: EMIS ball → Configuration → Organisation Configuration → Users, open the partner user and give ' +
        'it an RBAC role with appointment access (e.g. Practice Manager SJR004) under User Role Profile.',
    });
  }
  return [spacesCheck(ctx.connection, true), ...checks];
}

/**
 * The GP Connect set-up checks, in the order a practice and its partner fix them:
 *
 * 1. `gpconnect.tls`: an https address needs the partner's client certificate and key (mutual TLS).
 * 2. `gpconnect.reachable`: the capability statement (`GET /metadata`) answers.
 * 3. `gpconnect.asid`: the Spine accepts the consumer ASID for the provider ASID (an ACCESS_DENIED
 *    answer fails it).
 * 4. `gpconnect.capability`: GP Connect 1.2.x, listing every interaction slotbridge uses (slot
 *    search with its includes, patient search, appointment read/create/update).
 * 5. `gpconnect.ods-code`: the practice ODS code finds exactly one Organization.
 * 6. `gpconnect.practice-ods` (warning): the connection's ODS code is the practice's in slotbridge.
 * 7. `gpconnect.free-slots` (warning): the practice releases some slots to GP Connect booking.
 *
 * A check that fails stops the ones that depend on it.
 */
import type { EhrContext, SetupCheck } from '@slotbridge/core/plugin';
import { GpConnectClient } from './client.ts';
import type { GpConnectConnection } from './connection.ts';
import { GPCONNECT_ERRORS, isGpConnectError } from './errors.ts';
import { type CapabilityStatement, SYSTEM } from './fhir.ts';
import { searchSlots } from './slot-fetch.ts';

function passed(id: string, message: string, severity: SetupCheck['severity'] = 'error'): SetupCheck {
  return { id, ok: true, severity, message };
}

function failed(
  id: string,
  message: string,
  fix: string,
  severity: SetupCheck['severity'] = 'error',
): SetupCheck {
  return { id, ok: false, severity, message, fix };
}

/** What the plugin needs of the provider: resource type → interactions. */
export const REQUIRED_INTERACTIONS: Record<string, string[]> = {
  Slot: ['search-type'],
  Patient: ['search-type'],
  Organization: ['search-type'],
  Appointment: ['read', 'create', 'update'],
};

const INTERACTION_WORDS: Record<string, string> = {
  'Slot search-type': 'search for free slots',
  'Patient search-type': 'find a patient',
  'Organization search-type': 'find an organisation',
  'Appointment read': 'read an appointment',
  'Appointment create': 'book an appointment',
  'Appointment update': 'amend and cancel an appointment',
};

/** The interactions slotbridge needs that the capability statement does not list, in words. */
export function missingInteractions(statement: CapabilityStatement): string[] {
  const resources = statement.rest?.flatMap((r) => r.resource ?? []) ?? [];
  const missing: string[] = [];
  for (const [type, codes] of Object.entries(REQUIRED_INTERACTIONS)) {
    const listed = new Set(resources.find((r) => r.type === type)?.interaction?.map((i) => i.code) ?? []);
    for (const code of codes) if (!listed.has(code)) missing.push(INTERACTION_WORDS[`${type} ${code}`]!);
  }
  return missing;
}

function capabilityCheck(statement: CapabilityStatement): SetupCheck {
  const version = typeof statement.version === 'string' ? statement.version : '';
  if (!/^1\.2\.\d+$/.test(version)) {
    return failed(
      'gpconnect.capability',
      `The provider implements GP Connect ${version || 'of an unknown version'}, not 1.2.x.`,
      "Ask the practice's clinical system supplier to enable GP Connect Appointment Management 1.2 (1.2.7 or " +
        'later 1.2 release) for the practice.',
    );
  }
  const missing = missingInteractions(statement);
  if (missing.length > 0) {
    return failed(
      'gpconnect.capability',
      `The provider's GP Connect ${version} does not offer: ${missing.join(', ')}.`,
      "Ask the practice's clinical system supplier to enable every GP Connect Appointment Management " +
        `interaction for the practice (missing: ${missing.join(', ')}); the practice may also need to switch ` +
        'on GP Connect appointment booking in its system settings.',
    );
  }
  return passed(
    'gpconnect.capability',
    `The provider implements GP Connect ${version} appointment management.`,
  );
}

export async function checkGpConnectSetup(ctx: EhrContext<GpConnectConnection>): Promise<SetupCheck[]> {
  const c = ctx.connection;
  const client = new GpConnectClient(c);
  const checks: SetupCheck[] = [];
  const https = /^https:/i.test(c.baseUrl.trim()) || /^https:/i.test(c.sspUrl?.trim() ?? '');
  if (https && !(c.clientCertificatePem && c.clientKeyPem)) {
    checks.push(
      failed(
        'gpconnect.tls',
        'The address is https but no TLS client certificate and key are entered: GP Connect requires mutual TLS.',
        GPCONNECT_ERRORS.GPCONNECT_ERR_TLS.fix,
      ),
    );
    return checks;
  }
  checks.push(
    passed(
      'gpconnect.tls',
      https
        ? 'A TLS client certificate and key are entered for mutual TLS.'
        : 'A plain http test address: no TLS.',
    ),
  );

  let statement: CapabilityStatement;
  try {
    statement = await client.capabilityStatement(ctx.signal);
  } catch (error) {
    if (isGpConnectError(error, 'GPCONNECT_ERR_ACCESS_DENIED', 'GPCONNECT_ERR_ORGANISATION_CONSENT')) {
      checks.push(passed('gpconnect.reachable', `GP Connect answers at ${client.base}.`));
      checks.push(
        failed(
          'gpconnect.asid',
          `The Spine refused the consumer ASID ${c.consumerAsid.trim()} for the provider ASID ${c.providerAsid.trim()} ` +
            `(${error.code === 'GPCONNECT_ERR_ORGANISATION_CONSENT' ? 'the practice has not agreed to share' : 'access denied'}).`,
          GPCONNECT_ERRORS[error.code as 'GPCONNECT_ERR_ACCESS_DENIED'].fix,
        ),
      );
      return checks;
    }
    const tls = isGpConnectError(error, 'GPCONNECT_ERR_TLS');
    checks.push(
      failed(
        'gpconnect.reachable',
        `GP Connect did not answer at ${client.base}: ${error instanceof Error ? error.message : String(error)}.`,
        tls
          ? GPCONNECT_ERRORS.GPCONNECT_ERR_TLS.fix
          : 'Check the provider FHIR base URL (as the Spine Directory Service lists it) and the Spine Secure Proxy ' +
              "URL, and that the practice's clinical system is up. Try again in a few minutes.",
      ),
    );
    return checks;
  }
  checks.push(passed('gpconnect.reachable', `GP Connect answers at ${client.base}.`));
  checks.push(
    passed('gpconnect.asid', `The Spine accepts consumer ASID ${c.consumerAsid.trim()} for this provider.`),
  );
  const capability = capabilityCheck(statement);
  checks.push(capability);
  if (!capability.ok) return checks;

  const odsCode = c.odsCode.trim();
  let organisations: Awaited<ReturnType<GpConnectClient['findOrganisations']>>;
  try {
    organisations = (await client.findOrganisations(odsCode, ctx.signal)).filter((o) =>
      (o.identifier ?? []).some((i) => i.system === SYSTEM.ODS_CODE && i.value === odsCode),
    );
  } catch (error) {
    if (!isGpConnectError(error, 'GPCONNECT_ERR_ORGANISATION_NOT_FOUND', 'GPCONNECT_ERR_NOT_FOUND')) {
      checks.push(
        failed(
          'gpconnect.ods-code',
          `slotbridge could not look up the ODS code ${odsCode}: ${error instanceof Error ? error.message : String(error)}.`,
          'Try again in a few minutes; if it keeps failing, check the ODS code and the ASIDs.',
        ),
      );
      return checks;
    }
    organisations = [];
  }
  if (organisations.length !== 1) {
    checks.push(
      failed(
        'gpconnect.ods-code',
        organisations.length === 0
          ? `The provider knows no organisation with the ODS code ${odsCode}.`
          : `The provider lists ${organisations.length} organisations with the ODS code ${odsCode}.`,
        "Enter the practice's own ODS code exactly as NHS England lists it (capitals, e.g. A81001), and check the " +
          "provider FHIR base URL is this practice's (each practice has its own).",
      ),
    );
    return checks;
  }
  checks.push(
    passed(
      'gpconnect.ods-code',
      `The ODS code ${odsCode} is ${organisations[0]!.name ?? 'the practice'} at the provider.`,
    ),
  );
  const practiceOds = ctx.practice.odsCode?.trim().toUpperCase();
  checks.push(
    practiceOds && practiceOds !== odsCode
      ? failed(
          'gpconnect.practice-ods',
          `The connection's ODS code ${odsCode} is not the practice's in slotbridge (${practiceOds}).`,
          'Check the connection is for this practice: correct the ODS code here or on the practice.',
          'warning',
        )
      : passed('gpconnect.practice-ods', "The connection's ODS code is the practice's.", 'warning'),
  );

  try {
    const from = new Date();
    const read = await searchSlots(client, ctx, from, new Date(from.getTime() + 14 * 86_400_000));
    checks.push(
      read.slots.length === 0
        ? failed(
            'gpconnect.free-slots',
            'The practice offers no free slots to GP Connect booking in the next 14 days.',
            "In the practice's clinical system, release slot types (or sessions) to GP Connect booking for the " +
              'booking organisation (its ODS code or organisation type).',
            'warning',
          )
        : passed(
            'gpconnect.free-slots',
            `${read.slots.length} free slots are offered to GP Connect booking in the next 14 days.`,
            'warning',
          ),
    );
  } catch (error) {
    checks.push(
      failed(
        'gpconnect.free-slots',
        `The free-slot search failed: ${error instanceof Error ? error.message : String(error)}.`,
        'Try again in a few minutes; if it keeps failing, report it with the error.',
        'warning',
      ),
    );
  }
  return checks;
}

/**
 * Which EMIS patient a booking is for. The booking side's EMIS patient number when it has one;
 * otherwise GetMatchedPatients on "DOB firstName lastName", kept to the candidates with that
 * exact date of birth and no conflicting NHS number. Exactly one must remain; when none or
 * several do, the answer says how many, and the caller holds the slot or refuses the booking.
 */
import type { EhrError, PatientDetails } from '@slotbridge/core/plugin';
import type { EmisClient } from './client.ts';
import { emisDateOfIsoDate } from './emis-time.ts';
import { emisError } from './errors.ts';

/** The patient number, or how many EMIS records matched when it is not exactly one. */
export type PatientMatch = { patientNumber: number } | { patientNumber: null; matches: number };

/** The spec asks for no parentheses or special characters in the terms. */
function searchTerm(name: string): string {
  return name
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export async function matchPatient(
  client: EmisClient,
  patient: PatientDetails,
  signal: AbortSignal,
): Promise<PatientMatch> {
  if (patient.ehrPatientId !== undefined) {
    if (!/^\d+$/.test(patient.ehrPatientId)) {
      throw emisError(
        'EMIS_ERR_PATIENT_NOT_FOUND',
        'The EMIS patient number held for the patient is not a number',
      );
    }
    return { patientNumber: Number(patient.ehrPatientId) };
  }
  const dob = emisDateOfIsoDate(patient.dateOfBirth);
  const terms = `${dob} ${searchTerm(patient.firstName)} ${searchTerm(patient.lastName)}`;
  const { patientList = [] } = await client.getMatchedPatients(terms, signal);
  const candidates = patientList.filter(
    (candidate) =>
      candidate.dateOfBirth === dob &&
      (!patient.nhsNumber || !candidate.nhsNumber || candidate.nhsNumber === patient.nhsNumber),
  );
  const sameNhsNumber = candidates.filter(
    (candidate) => patient.nhsNumber && candidate.nhsNumber === patient.nhsNumber,
  );
  const chosen = sameNhsNumber.length === 1 ? sameNhsNumber : candidates;
  if (chosen.length !== 1) return { patientNumber: null, matches: chosen.length };
  return { patientNumber: Number(chosen[0]!.dbid) };
}

/** The patient_not_matched error for `matches` EMIS records (none, or several). */
export function notMatchedError(matches: number): EhrError {
  if (matches === 0) {
    return emisError('EMIS_ERR_PATIENT_NO_MATCH', 'No EMIS patient matches the date of birth and name', {
      details: { matches: 0 },
    });
  }
  return emisError(
    'EMIS_ERR_PATIENT_MULTIPLE_MATCHES',
    'Several EMIS patients match the date of birth and name',
    { details: { matches } },
  );
}

/**
 * Which NHS number a booking is written for: UpdatePatientRecord is keyed by NHS number.
 * - With the booking side's NHS number: PatientSearch on NHS number and date of birth (two
 *   criteria), so a mistyped NHS number never books another patient.
 * - Without one: PatientSearch on first name, surname and date of birth; exactly one record
 *   with that date of birth must answer, and it must have an NHS number.
 * `ehrPatientId` is not used: this API identifies patients by NHS number only.
 */
import type { PatientDetails } from '@slotbridge/core/plugin';
import type { SystmOneClient } from './client.ts';
import { systmOneError } from './errors.ts';

/** 10 digits whose last is the modulus-11 check digit of the first nine. */
export function isValidNhsNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  const sum = [...digits.slice(0, 9)].reduce(
    (total, digit, index) => total + Number(digit) * (10 - index),
    0,
  );
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}

export async function resolveNhsNumber(
  client: SystmOneClient,
  patient: PatientDetails,
  signal: AbortSignal,
): Promise<string> {
  if (patient.nhsNumber !== undefined && patient.nhsNumber.trim() !== '') {
    const nhsNumber = patient.nhsNumber.replace(/[\s-]/g, '');
    if (!isValidNhsNumber(nhsNumber)) {
      throw systmOneError('SYSTMONE_ERR_NHS_NUMBER_INVALID', 'The NHS number is not a valid NHS number');
    }
    const found = await client.patientSearch(
      { NHSNumber: nhsNumber, DateOfBirth: patient.dateOfBirth },
      signal,
    );
    if (
      !found.some((record) => record.nhsNumber === nhsNumber && record.dateOfBirth === patient.dateOfBirth)
    ) {
      throw systmOneError(
        'SYSTMONE_ERR_PATIENT_NOT_FOUND',
        'No SystmOne patient has this NHS number and date of birth',
        { details: { matches: 0 } },
      );
    }
    return nhsNumber;
  }

  const found = await client.patientSearch(
    {
      FirstName: patient.firstName.trim(),
      Surname: patient.lastName.trim(),
      DateOfBirth: patient.dateOfBirth,
    },
    signal,
  );
  // SystmOne matched the names; a record with another date of birth is never this patient.
  const candidates = found.filter((record) => record.dateOfBirth === patient.dateOfBirth);
  if (candidates.length === 0) {
    throw systmOneError(
      'SYSTMONE_ERR_PATIENT_NO_MATCH',
      'No SystmOne patient matches the name and date of birth',
      {
        details: { matches: 0 },
      },
    );
  }
  if (candidates.length > 1) {
    throw systmOneError(
      'SYSTMONE_ERR_PATIENT_MULTIPLE_MATCHES',
      'Several SystmOne patients match the name and date of birth',
      { details: { matches: candidates.length } },
    );
  }
  const nhsNumber = candidates[0]!.nhsNumber;
  if (nhsNumber === null) {
    throw systmOneError(
      'SYSTMONE_ERR_PATIENT_NO_NHS_NUMBER',
      "The patient's SystmOne record has no NHS number",
    );
  }
  return nhsNumber;
}

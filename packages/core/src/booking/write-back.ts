/**
 * Runs one outbox command against the EHR. The command row is locked for the duration, so a
 * command is never written twice at once, whichever process picks the job up. The outcome is
 * returned: `retry` asks the job queue to try again later (transient EHR trouble).
 */
import type { Connections } from '../connections.ts';
import type { Db } from '../db/database.ts';
import type { BookingWriteCommand, EhrSlotRef, HookLogger } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { CoreErrorCode, EhrError, SlotbridgeError } from '../errors.ts';
import type { JobMeta, JobQueue } from '../jobs.ts';
import { unregisteredSlotTypeId } from '../mappings.ts';
import type { SecretBox } from '../secret-box.ts';
import type { SealedBookingDetails } from './bookings.ts';
import { enqueueBookingWrite } from './outbox.ts';

export type WriteBackOutcome = 'done' | 'failed' | 'retry' | 'skipped';

export class WriteBack {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly connections: Connections,
    private readonly secrets: SecretBox,
    private readonly jobs: JobQueue,
    private readonly log: HookLogger,
  ) {}

  async run(commandId: string, meta: JobMeta): Promise<WriteBackOutcome> {
    return this.db.transaction().execute(async (trx) => {
      const command = await trx
        .selectFrom('outbox_commands')
        .selectAll()
        .where('id', '=', commandId)
        .where('state', '=', 'pending')
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!command) return 'skipped';
      const booking = await trx
        .selectFrom('bookings')
        .selectAll()
        .where('id', '=', command.booking_id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const practice = await trx
        .selectFrom('practices')
        .selectAll()
        .where('id', '=', booking.practice_id)
        .executeTakeFirstOrThrow();
      const sealed = this.secrets.open<SealedBookingDetails & { cancelReason?: string | null }>(
        booking.patient_ciphertext,
      );
      const slot: EhrSlotRef = {
        ehrSlotId: booking.ehr_slot_id,
        ehrSessionId: booking.ehr_session_id,
        ehrPractitionerId: booking.ehr_practitioner_id,
        ehrLocationId: booking.ehr_location_id,
        ehrSlotTypeId: booking.ehr_slot_type_id,
        startAt: booking.start_at,
        endAt: booking.end_at,
      };
      let writeCommand: BookingWriteCommand;
      if (command.kind === 'book') {
        const target = booking.appointment_type_id
          ? await trx
              .selectFrom('appointment_type_mappings')
              .select('ehr_slot_type_id')
              .where('appointment_type_id', '=', booking.appointment_type_id)
              .executeTakeFirst()
          : undefined;
        writeCommand = {
          kind: 'book',
          bookingId: booking.id,
          slot,
          targetEhrSlotTypeId: target?.ehr_slot_type_id ?? null,
          patient: sealed.patient,
          reason: sealed.reason,
          note: sealed.note,
          unregisteredSlotTypeId: await unregisteredSlotTypeId(trx, practice.id),
        };
      } else {
        writeCommand = {
          kind: 'cancel',
          bookingId: booking.id,
          slot,
          ehrBookingRef: booking.ehr_booking_ref ?? '',
          patient: sealed.patient,
          reason: sealed.cancelReason ?? null,
        };
      }

      const now = new Date();
      const attempts = command.attempts + 1;
      const logFields = { practiceId: practice.id, bookingId: booking.id, kind: command.kind, attempts };
      try {
        const ctx = await this.connections.context(practice, { db: trx });
        const result = await this.ehr.writeBooking(practice.ehr, ctx, writeCommand);
        await trx
          .updateTable('outbox_commands')
          .set({
            state: 'done',
            attempts,
            done_at: now,
            updated_at: now,
            last_error: null,
            last_error_code: null,
          })
          .where('id', '=', command.id)
          .execute();
        if (command.kind === 'book' && result.heldForReconciliation) {
          // The EHR could not match the patient: the slot is held for the practice to book them in.
          await trx
            .updateTable('bookings')
            .set({ state: 'needs_reconciliation', ehr_booking_ref: result.ehrBookingRef, updated_at: now })
            .where('id', '=', booking.id)
            .execute();
        } else if (command.kind === 'book') {
          await trx
            .updateTable('bookings')
            .set({
              state: 'confirmed',
              ehr_booking_ref: result.ehrBookingRef,
              confirmed_at: now,
              updated_at: now,
            })
            .where('id', '=', booking.id)
            .execute();
          if (booking.slot_id) {
            await trx
              .updateTable('slots')
              .set({ status: 'booked', updated_at: now })
              .where('id', '=', booking.slot_id)
              .execute();
          }
        } else {
          await trx
            .updateTable('bookings')
            .set({ state: 'cancelled', cancelled_at: now, updated_at: now })
            .where('id', '=', booking.id)
            .execute();
          if (booking.slot_id) {
            await trx
              .updateTable('slots')
              .set({ status: 'free', updated_at: now })
              .where('id', '=', booking.slot_id)
              .execute();
          }
        }
        if (command.kind === 'book' && booking.replaces_booking_id) {
          // Reschedule: the new slot is held, so the old booking can now be released.
          await trx
            .updateTable('bookings')
            .set({ state: 'cancelling', updated_at: now })
            .where('id', '=', booking.replaces_booking_id)
            .where('state', 'in', ['confirmed', 'needs_reconciliation'])
            .execute();
          await enqueueBookingWrite(trx, this.jobs, practice.id, booking.replaces_booking_id, 'cancel');
        }
        this.log.info(logFields, 'booking written to the EHR');
        return 'done';
      } catch (error) {
        const code = error instanceof SlotbridgeError ? error.code : CoreErrorCode.WRITE_BACK_FAILED;
        const message = error instanceof Error ? error.message : String(error);
        const retryable =
          !(error instanceof SlotbridgeError) || (error instanceof EhrError && error.retryable);
        const lastAttempt = meta.retryCount >= meta.retryLimit;
        if (retryable && !lastAttempt) {
          await trx
            .updateTable('outbox_commands')
            .set({ attempts, last_error_code: code, last_error: message, updated_at: now })
            .where('id', '=', command.id)
            .execute();
          this.log.warn({ ...logFields, code }, 'EHR write failed; will retry');
          return 'retry';
        }
        const reason = retryable
          ? `The EHR could not be reached after ${attempts} attempts: ${message}`
          : message;
        await trx
          .updateTable('outbox_commands')
          .set({ state: 'failed', attempts, last_error_code: code, last_error: message, updated_at: now })
          .where('id', '=', command.id)
          .execute();
        await trx
          .updateTable('bookings')
          .set({
            // A failed cancellation leaves the appointment standing in the EHR: the booking stays confirmed.
            state: command.kind === 'book' ? 'failed' : 'confirmed',
            failure_code: code,
            failure_reason: command.kind === 'book' ? reason : `Cancellation failed: ${reason}`,
            updated_at: now,
          })
          .where('id', '=', booking.id)
          .execute();
        this.log.warn({ ...logFields, code }, 'EHR write failed for good');
        return 'failed';
      }
    });
  }
}

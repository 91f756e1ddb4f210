/**
 * What a practice manager does for TPP SystmOne before filling the connection form (README,
 * EHR-BEHAVIOUR.md), in their words: served by GET /v1/plugins for the console's set-up guide.
 */
import type { SetupStep } from '@slotbridge/core/plugin';

export const systmoneSetupSteps: readonly SetupStep[] = [
  {
    title: 'Get the API key and device ID issued by TPP',
    text: 'TPP issues an API key and registers a device ID for slotbridge. Ask your booking partner for both: they go in the connection form.',
    warning:
      'The API key is a secret: enter it only in the connection form, exactly as given, with no spaces.',
  },
  {
    title: 'Choose the gateway PC',
    text:
      'Pick a practice PC that stays switched on, runs SystmOne and has the slotbridge gateway installed.\n' +
      'Note its host name or IP address (the gateway host) and, if it is not 40700, the port the gateway listens on.\n' +
      'Set it never to sleep or switch off at night.',
  },
  {
    title: 'Log in to SystmOne on the gateway PC',
    text:
      'On the gateway PC, log in to SystmOne as the user that will make the online bookings (e.g. a dedicated user such as HeroGateway), and leave SystmOne open.\n' +
      'Enter that user name in the connection form exactly as SystmOne shows it.',
    warning:
      'A closed or logged-out SystmOne answers nothing: slots stop updating and bookings wait until someone logs in again.',
  },
  {
    title: 'Approve the slotbridge device',
    text:
      'The first time that user logs in after the device is registered, SystmOne asks them to approve the slotbridge device: click Approve.\n' +
      'If someone else logs in on the gateway PC, they must approve the device too.',
  },
  {
    title: 'Make slot types bookable by third parties',
    text:
      "In SystmOne's appointment set-up, mark each slot type you want offered online as bookable by third parties.\n" +
      'Slot types that are not are never listed or booked online.',
  },
  {
    title: 'Set up a placeholder patient (recommended)',
    text:
      'Create a patient record to hold online bookings for patients SystmOne cannot match, e.g. "Unregistered, Online Booking", and note its NHS number.\n' +
      'Enter that number as the placeholder NHS number: such a booking is made on this record with a note, for reception to move it to the right patient.\n' +
      'Without it, a booking for a patient SystmOne cannot match fails.',
  },
];

/**
 * What a practice manager does for GP Connect before filling the connection form (README, the
 * connection schema), in their words: served by GET /v1/plugins for the console's set-up guide.
 */
import type { SetupStep } from '@slotbridge/core/plugin';

export const gpconnectSetupSteps: readonly SetupStep[] = [
  {
    title: 'Switch on GP Connect appointment booking',
    text:
      "In your clinical system's settings, switch on GP Connect Appointment Management for external organisations, and allow your booking partner to book.\n" +
      'If your system does not offer it, ask your clinical system supplier to enable GP Connect Appointment Management 1.2 for the practice.',
  },
  {
    title: 'Release slots to GP Connect booking',
    text:
      'In your appointment book set-up, make the slots you want offered online available for GP Connect booking by your booking partner.\n' +
      'Only free slots released this way are listed and booked online.',
  },
  {
    title: "Find the practice's ODS code",
    text: "Note the practice's ODS code in capitals, e.g. A81001: it names the organisation the appointments are at.",
  },
  {
    title: 'Get the endpoint and the ASIDs',
    text:
      "Ask your clinical system supplier (or your booking partner's Spine onboarding pack) for the practice's GP Connect FHIR base URL and the provider ASID, as the Spine Directory Service lists them.\n" +
      'Your booking partner gives the consumer ASID NHS England issued to their product, and the Spine Secure Proxy URL.',
    warning: 'Each ASID is 12 digits: type them exactly as issued, or the Spine refuses every call.',
  },
  {
    title: 'Add the Spine TLS certificate and key',
    text:
      "Your booking partner gives the Spine-issued TLS client certificate, its private key and the Spine CA certificates (PEM text, from NHS England's onboarding team).\n" +
      'Paste each whole, from the BEGIN line to the END line.',
    warning:
      'The private key is a secret: paste it only into the connection form; it is stored encrypted and never shown again. The certificate must not have expired and must be the one issued for the consumer ASID.',
  },
  {
    title: 'Enter the booking organisation details',
    text:
      "Enter the booking organisation's ODS code, name and a telephone number the practice can call about an appointment: GP Connect puts them on every booking.\n" +
      'Patients are found by NHS number only: a booking for a patient without one, or not registered at the practice, is refused.',
  },
];

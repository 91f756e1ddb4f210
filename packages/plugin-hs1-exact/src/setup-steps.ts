/**
 * What a practice manager does in HS1 Exact before filling the connection form (seed 003), in
 * their words: served by GET /v1/plugins for the console's set-up guide.
 */
import type { SetupStep } from '@slotbridge/core/plugin';

export const hs1ExactSetupSteps: readonly SetupStep[] = [
  {
    title: 'Get your practice slug and API key from HS1',
    text:
      "Ask Henry Schein One for your practice's slug (e.g. harbourside-dental) and the API key for the online-booking integration: HS1 gives them together.\n" +
      "Nothing is installed at the practice and no server computer needs to be reached: the connection goes through HS1's cloud to your Exact.",
    warning:
      'Enter both exactly as HS1 gives them, with no spaces. Keep the API key private; if HS1 issues a new one, the old one stops working.',
  },
  {
    title: 'List your practitioners in Online Booking Configuration',
    text:
      'In Exact open Online Booking Configuration.\n' +
      'Make sure every practitioner who should offer online appointments is in the list; add any missing with the "+1" button.\n' +
      "Note each practitioner's online appointment duration: the booking reasons use the same.",
  },
  {
    title: 'Turn on Appointment Stacking',
    text: 'Open Web Setup and tick "Appointment Stacking".',
    warning:
      'Without it, only the first available slot after each break is published: typically one in the morning and one in the afternoon.',
  },
  {
    title: 'Set up booking reasons and their practitioners',
    text:
      'In Web Setup make sure there are booking reasons: they become the appointment types patients choose. Add any missing with "+1".\n' +
      'For each reason click "Configure Providers" (answer Yes if asked), then use "ed" to edit each practitioner\'s publishing rules; add missing practitioners with "+1".\n' +
      'Keep the online duration the same as in Online Booking Configuration, and press OK.',
  },
  {
    title: 'Check the default booking reason fits',
    text:
      'The default booking reason must include every practitioner who publishes online, and be short enough to fit into their free time, or no slots are shown.\n' +
      'If you use a marketing booking reason, it is used when no other reason applies, so add all practitioners to it.',
  },
  {
    title: 'Plan for cancellations at the practice',
    text:
      'Online cancellations are not supported: patients contact the practice to cancel or move an appointment.\n' +
      'Cancel it in the Exact diary as usual; the time is offered again at the next sync.\n' +
      'Availability is published 30 days ahead by default, 90 days at most.',
  },
];

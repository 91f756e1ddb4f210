/**
 * What a practice manager does in EMIS Web before filling the connection form (seeds 002, 004),
 * in their words: served by GET /v1/plugins for the console's set-up guide.
 */
import type { SetupStep } from '@slotbridge/core/plugin';

export const emisSetupSteps: readonly SetupStep[] = [
  {
    title: 'Look for an existing partner user',
    text:
      'In EMIS Web go to EMIS ball → Configuration → Organisation Configuration → Users.\n' +
      'Search for the user name your booking partner asked for (e.g. Herouser, Herouser1) and any user named after it.\n' +
      'If you find one, stop here and send your booking partner your ODS code: the practice may already be connected, and they will say whether to reuse that user or create a new one (e.g. Herouser1).',
    warning: 'Do not delete an existing partner user until your booking partner confirms which one stays.',
  },
  {
    title: 'Create a dedicated EMIS user',
    text:
      'In Organisation Configuration → Users click Add → Add new user, with the user name your booking partner asked for.\n' +
      'Choose a secure password and untick "User must change password on next sign in".\n' +
      'On the Role tab set Job Category: Manager, Authorise Prescriptions: None, Relationship: Associated, the contract start date today and no end date. Under User Role Profile give the RBAC role your booking partner asks for (e.g. Practice Manager). Click OK.',
    warning:
      'The password chosen here is the EMIS user password. It is not the API password and does not go in the connection form.',
  },
  {
    title: 'Activate the application in EMAS Manager',
    text:
      'Go to EMIS ball → System Tools → EMAS Manager → Partner API tab.\n' +
      "Select your booking partner's product in the list of partner products and click Activate Application. A green tick appears next to it.\n" +
      'If you cannot open EMAS Manager, ask your system administrator to add the RBAC activity for it to your account.\n' +
      'Repeating the set-up after a failed attempt? Click Deactivate Application, then Activate Application again, and redo the next two steps (a fresh API password, both Login Access boxes).',
  },
  {
    title: 'Set the API password (Edit Users)',
    text:
      'With the application selected, click Edit Users.\n' +
      'Find the user you created (shown surname first, e.g. "User, Hero"), tick the box next to the name and enter a password when asked: this is the API password.\n' +
      'Write it down now: it goes in the connection form with the user name.',
    warning:
      'The API password, not the EMIS user password, goes in the connection form. It cannot be viewed later: if it is lost or mistyped, set a new one here.',
  },
  {
    title: 'Allow the user to log in (Login Access)',
    text:
      'With the application selected, click Login Access.\n' +
      'Find the user, tick both Auto Login and Allow Login, and click OK.\n' +
      'If that user is logged in to EMIS Web, they log out and back in for the change to take effect.',
  },
  {
    title: 'Create the unregistered patient slot type',
    text:
      'Open the appointment book and click Appts config in the menu at the top.\n' +
      'Open the slot type menu at the side of the window, click Add and name the slot type e.g. "Online unregistered patient".\n' +
      'When an online patient cannot be matched to a record, their time is held in this slot type so nobody else books it, for reception to book the right patient in.',
  },
  {
    title: 'Find your organisation ID (CDB number)',
    text:
      "Open your practice's EMIS organisation details and note the CDB number (digits only).\n" +
      'It goes in the connection form as the organisation ID.',
  },
  {
    title: 'Check the details before saving',
    text:
      'Type the user name and the API password exactly as you set them: no spaces at the start or end, and the same capital and small letters.\n' +
      'Use the API password from Edit Users, not the EMIS user password.',
    warning:
      'Most failed connections are a stray space or the EMIS user password typed instead of the API password.',
  },
];

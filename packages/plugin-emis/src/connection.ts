/**
 * What a practice enters to connect slotbridge to EMIS Web (seeds 002, 004). `apiPassword` is
 * `writeOnly`: the core stores it encrypted and never returns it.
 */
import { type Static, Type } from 'typebox';

export const connectionSchema = Type.Object(
  {
    baseUrl: Type.String({
      title: 'API address',
      format: 'uri',
      description: 'Address of the EMIS Partner API (for the sandbox: the URL it listens on).',
      examples: ['https://partner-api.example.emishealth.com'],
    }),
    applicationId: Type.String({
      title: 'application id',
      minLength: 1,
      description:
        "The partner application's id (party key) given by the EMIS assurance lead; sent as the applicationId " +
        'header on every call.',
    }),
    cdbNumber: Type.String({
      title: 'organisation ID (CDB number)',
      pattern: '^\\s*\\d+\\s*$',
      description:
        "EMIS organisation ID: the CDB number in the practice's EMIS organisation details (digits).",
      examples: ['50001'],
    }),
    username: Type.String({
      title: 'user name',
      minLength: 1,
      description:
        'User name of the EMIS partner user (e.g. Herouser) ticked for this application in EMAS Manager → Edit Users.',
      examples: ['Herouser'],
    }),
    apiPassword: Type.String({
      title: 'API password',
      minLength: 1,
      writeOnly: true,
      description:
        'The API password set for that user in EMAS Manager → Edit Users. Not the EMIS Web login password.',
    }),
  },
  {
    $id: 'EmisConnection',
    additionalProperties: false,
    description: "Connection to EMIS Web through the EMIS Partner API 1.2, as the practice's partner user.",
  },
);

export type EmisConnection = Static<typeof connectionSchema>;

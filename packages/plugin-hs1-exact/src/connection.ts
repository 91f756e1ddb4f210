/**
 * What a practice enters to connect slotbridge to HS1 Exact (seed 003): the practice's slug and
 * API key, which HS1 gives for the integration. `apiKey` is `writeOnly`: the core stores it
 * encrypted and never returns it.
 */
import { type Static, Type } from 'typebox';

export const connectionSchema = Type.Object(
  {
    baseUrl: Type.String({
      title: 'API address',
      format: 'uri',
      description: "Address of HS1's online-booking cloud API (for the sandbox: the URL it listens on).",
      examples: ['https://online-booking.example-hs1.com'],
    }),
    slug: Type.String({
      title: 'practice slug',
      minLength: 1,
      description: "The practice's slug, as HS1 gives it for the integration (e.g. harbourside-dental).",
      examples: ['harbourside-dental'],
    }),
    apiKey: Type.String({
      title: 'API key',
      minLength: 1,
      writeOnly: true,
      description: "The practice's API key for the integration, as HS1 gives it with the slug.",
    }),
  },
  {
    $id: 'Hs1ExactConnection',
    additionalProperties: false,
    description:
      "Connection to HS1 Exact through HS1's online-booking cloud API, by the practice's slug and API key.",
  },
);

export type Hs1ExactConnection = Static<typeof connectionSchema>;

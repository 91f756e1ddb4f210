/**
 * What a practice enters to connect slotbridge to TPP SystmOne. slotbridge reaches the practice
 * through a small always-on gateway on a practice PC, which relays the Client Integration API's
 * TCP stream to the SystmOne client running there (*modelled*: the connection holds the
 * gateway's host and port). `apiKey` is `writeOnly`: the core stores it encrypted and never
 * returns it. The core does not fill defaults in: the client applies them. `placeholderNhsNumber`
 * (optional) names the practice's placeholder patient that holds the time of a patient SystmOne
 * cannot match (booking-write.ts).
 */
import { type Static, Type } from 'typebox';
import { DEFAULT_PORT } from './client-integration-api.ts';

export const DEFAULT_DEVICE_VERSION = '1.0';
/** How long the client waits for SystmOne's answer to start (and between two chunks of it). */
export const DEFAULT_READ_TIMEOUT_MS = 3000;

export const connectionSchema = Type.Object(
  {
    host: Type.String({
      title: 'gateway host',
      minLength: 1,
      description:
        'Host name or IP address of the slotbridge gateway on the practice network: the always-on PC that ' +
        'runs SystmOne and relays the Client Integration API.',
      examples: ['gateway.riverside.example.nhs.uk', '10.20.30.40'],
    }),
    port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        default: DEFAULT_PORT,
        description: `TCP port of the gateway. Default ${DEFAULT_PORT}, the Client Integration API's port.`,
      }),
    ),
    apiKey: Type.String({
      title: 'API key',
      minLength: 1,
      writeOnly: true,
      description:
        'The API key TPP issued for slotbridge (one per product); sent as APIKey on every request.',
    }),
    deviceId: Type.String({
      title: 'device ID',
      minLength: 1,
      description: 'The device ID TPP registered for slotbridge with that API key; sent as DeviceID.',
    }),
    deviceVersion: Type.Optional(
      Type.String({
        title: 'device version',
        minLength: 1,
        default: DEFAULT_DEVICE_VERSION,
        description: `The version of the slotbridge device, sent as DeviceVersion. Default ${DEFAULT_DEVICE_VERSION}.`,
      }),
    ),
    userName: Type.String({
      title: 'user name',
      minLength: 1,
      description:
        'The SystmOne user logged in on the gateway PC, whose approval of the slotbridge device the requests ' +
        'use. That user must have clicked Approve for the device in SystmOne.',
      examples: ['HeroGateway'],
    }),
    readTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 60_000,
        default: DEFAULT_READ_TIMEOUT_MS,
        description:
          'How long to wait for SystmOne to answer, in milliseconds. A closed or logged-out SystmOne answers ' +
          `nothing, so this is how soon that is noticed. Default ${DEFAULT_READ_TIMEOUT_MS}.`,
      }),
    ),
    placeholderNhsNumber: Type.Optional(
      Type.String({
        title: 'placeholder NHS number',
        pattern: '^[0-9]{10}$',
        description:
          'NHS number of the placeholder patient record the practice keeps for online bookings it cannot match ' +
          "yet, e.g. 'Unregistered, Online Booking'.",
        examples: ['9990000093'],
      }),
    ),
  },
  {
    $id: 'SystmOneConnection',
    additionalProperties: false,
    description:
      'Connection to TPP SystmOne through the Client Integration API (XML over TCP), via the gateway on a practice PC.',
  },
);

export type SystmOneConnection = Static<typeof connectionSchema>;
